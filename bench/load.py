"""The load generator, run as its own process: `python bench/load.py < spec.json > result.json`.

A closed loop of `concurrency` asyncio tasks, each sending one raw HTTP/1.1 request per
connection (gunicorn's sync workers close every connection) and reading to EOF, until
`duration` seconds pass or `max_requests` are sent — whichever comes first. With `cycle` false
each request in the list is sent at most once (an approve must hit a different worker each time).

Spec: {"host", "port", "concurrency", "duration", "max_requests", "cycle", "expect": [200],
       "warmup": seconds, "requests": [raw request text, …]}
Result: {"sent", "ok", "errors", "status", "elapsed_s", "rps", "latency_ms": {p50, p90, p99, max, mean},
         "bytes": mean response size}
"""
from __future__ import annotations

import asyncio
import json
import sys
import time


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = min(len(values) - 1, max(0, round(q * (len(values) - 1))))
    return values[k]


async def one(host: str, port: int, raw: bytes) -> tuple[int, int]:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(raw)
        await writer.drain()
        data = await reader.read()  # to EOF: "Connection: close"
    finally:
        writer.close()
    status = int(data[9:12]) if data.startswith(b"HTTP/1.") else 0
    return status, len(data)


async def run(spec: dict) -> dict:
    host, port = spec["host"], spec["port"]
    requests = [r.encode("latin-1") for r in spec["requests"]]
    cycle, expect = spec.get("cycle", True), set(spec.get("expect", [200]))
    limit = spec["max_requests"] if cycle else min(spec["max_requests"], len(requests))
    state = {"next": 0}
    latencies, status, sizes, errors = [], {}, [], []

    async def warm(deadline: float) -> None:
        i = 0
        while time.perf_counter() < deadline and cycle:
            await one(host, port, requests[i % len(requests)])
            i += 1

    if spec.get("warmup") and cycle:
        deadline = time.perf_counter() + spec["warmup"]
        await asyncio.gather(*(warm(deadline) for _ in range(spec["concurrency"])))

    deadline = time.perf_counter() + spec["duration"]

    async def worker() -> None:
        while time.perf_counter() < deadline:
            i = state["next"]
            if i >= limit:
                return
            state["next"] = i + 1
            started = time.perf_counter()
            try:
                code, size = await one(host, port, requests[i % len(requests)])
            except OSError as error:
                errors.append(str(error))
                continue
            latencies.append((time.perf_counter() - started) * 1000)
            status[code] = status.get(code, 0) + 1
            sizes.append(size)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(spec["concurrency"])))
    elapsed = time.perf_counter() - started
    ok = sum(n for code, n in status.items() if code in expect)
    return {
        "sent": state["next"], "ok": ok, "errors": len(errors) + sum(n for c, n in status.items() if c not in expect),
        "error_sample": errors[:3], "status": {str(k): v for k, v in sorted(status.items())},
        "elapsed_s": round(elapsed, 3), "rps": round(ok / elapsed, 1) if elapsed else 0.0,
        "latency_ms": {"p50": round(percentile(latencies, 0.50), 2), "p90": round(percentile(latencies, 0.90), 2),
                       "p99": round(percentile(latencies, 0.99), 2),
                       "max": round(max(latencies), 2) if latencies else None,
                       "mean": round(sum(latencies) / len(latencies), 2) if latencies else None},
        "bytes": round(sum(sizes) / len(sizes)) if sizes else 0,
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(run(json.load(sys.stdin)))))

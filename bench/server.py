"""A gunicorn (2 sync workers, loopback) the harness starts and stops itself, the RSS of its
workers sampled from /proc, and the portal's request log (one JSON line per request on stderr)
read back for server-side times."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request

from bench import load

WORKERS = 2


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    """`gunicorn -w 2 module:app` on 127.0.0.1:<free port>, its stderr in `log_path`."""

    def __init__(self, app_spec: str, env: dict, log_path: str, cwd: str, probe: str = "/masuk"):
        self.app_spec, self.env, self.log_path, self.cwd, self.probe = app_spec, env, log_path, cwd, probe
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> "Gunicorn":
        self.log = open(self.log_path, "ab")
        cmd = [sys.executable, "-m", "gunicorn", "-w", str(WORKERS), "-b", f"127.0.0.1:{self.port}",
               "--timeout", "300", "--graceful-timeout", "5", "--backlog", "256", self.app_spec]
        self.proc = subprocess.Popen(cmd, cwd=self.cwd, env=self.env, stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode}; see {self.log_path}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{self.probe}", timeout=5) as r:
                    if r.status == 200 and len(self.workers()) == WORKERS:
                        break
            except OSError:
                pass
            time.sleep(0.2)
        else:
            self.__exit__()
            raise RuntimeError(f"gunicorn did not answer on port {self.port}; see {self.log_path}")
        # Both workers import the app lazily: touch each a few times so neither is cold.
        for _ in range(8):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}{self.probe}", timeout=10).read()
            except OSError:
                pass
        return self

    def __exit__(self, *exc) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM to the master only: it stops its own workers
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    def workers(self) -> list[int]:
        """Pids of the master's worker processes."""
        try:
            with open(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children") as f:
                return [int(p) for p in f.read().split()]
        except OSError:
            return []

    def log_offset(self) -> int:
        self.log.flush()
        return os.path.getsize(self.log_path)

    def server_times(self, offset: int, path_match) -> dict:
        """p50/p99 of the portal's own request times ("ms" in its request log) since `offset`,
        for requests whose path satisfies `path_match`."""
        times = []
        with open(self.log_path, "rb") as f:
            f.seek(offset)
            for line in f:
                if not line.startswith(b"{"):
                    continue
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                if entry.get("ms") is not None and path_match(entry.get("path", "")):
                    times.append(entry["ms"])
        if not times:
            return {}
        return {"n": len(times), "p50": round(load.percentile(times, 0.5), 2),
                "p99": round(load.percentile(times, 0.99), 2), "mean": round(sum(times) / len(times), 2)}


def cpu_by_pid(pids) -> dict[int, float]:
    """User + system CPU seconds each process has used so far."""
    out = {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            out[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
        except OSError:
            pass
    return out


def cpu_seconds(pids) -> float:
    return sum(cpu_by_pid(pids).values())


def pg_backends(dbname: str) -> list[int]:
    """PostgreSQL backends serving `dbname` (their process title names it): the database's share
    of a request's CPU, which on SQLite is inside the worker itself."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    title = f.read().replace(b"\0", b" ").decode("utf-8", "replace")
            except OSError:
                continue
            if title.startswith("postgres: ") and f" {dbname} " in title:
                pids.append(int(entry))
    return pids


def rss_kb(pid: int, field: str = "VmRSS") -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class RssSampler:
    """Peak RSS of the workers (each, and all together) while the block runs, every 20 ms."""

    def __init__(self, server: Gunicorn):
        self.server, self.peak_one, self.peak_sum = server, 0, 0
        self._stop = threading.Event()

    def _run(self) -> None:
        while not self._stop.is_set():
            sizes = [rss_kb(p) for p in self.server.workers()]
            if sizes:
                self.peak_one, self.peak_sum = max(self.peak_one, max(sizes)), max(self.peak_sum, sum(sizes))
            self._stop.wait(0.02)

    def __enter__(self) -> "RssSampler":
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def result(self) -> dict:
        return {"rss_peak_worker_mb": round(self.peak_one / 1024, 1), "rss_peak_total_mb": round(self.peak_sum / 1024, 1)}


def drive(spec: dict) -> dict:
    """Run the load generator as a separate process on `spec`; its JSON result, with the CPU time
    the generator itself used (it shares the machine's cores with the server)."""
    import resource
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    here = os.path.dirname(os.path.abspath(__file__))
    out = subprocess.run([sys.executable, os.path.join(here, "load.py")], input=json.dumps(spec),
                         capture_output=True, text=True, timeout=spec["duration"] + 120, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"load generator failed: {out.stderr[-2000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = json.loads(out.stdout)
    result["generator_cpu_s"] = round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 2)
    return result


def machine_busy() -> float:
    """CPU seconds all cores have spent busy since boot."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return (sum(v[:8]) - v[3] - v[4]) / os.sysconf("SC_CLK_TCK")


def self_cpu() -> float:
    import resource
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def wait_quiet(limit: float) -> float:
    """Wait (at most `limit` seconds) until other processes use under a quarter of a core: on a
    shared machine someone's test suite can take a core for a minute. Returns the load left."""
    deadline = time.monotonic() + limit
    while True:
        busy, started = machine_busy(), time.monotonic()
        time.sleep(1.0)
        other = (machine_busy() - busy) / (time.monotonic() - started)
        if other < 0.25 or time.monotonic() >= deadline:
            return round(other, 2)
        time.sleep(2.0)

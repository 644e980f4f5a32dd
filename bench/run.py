"""`make bench` / `python bench/run.py [--sizes 4000,100000,1000000] [--databases sqlite,postgresql]`

For each database (SQLite in /tmp; PostgreSQL when reachable) and each size N: seed a fresh
database, start the portal under gunicorn (2 workers) with production settings, log in several
verifiers and a supervisor, drive each scenario from a separate load-generator process (bounded in
time and requests), then the two references (bare Flask, hand-written approve) in the same gunicorn
setup, and the query plans of the hot paths. Writes bench/results/<stamp>.json and .md.
"""
from __future__ import annotations

import argparse
import os
import secrets
import shutil
import sys
import time
from datetime import datetime, timezone

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from bench import io_bench, plans, report, scenarios, seed  # noqa: E402
from bench.client import Client  # noqa: E402
from bench.server import (
    Gunicorn,
    RssSampler,
    cpu_by_pid,
    cpu_seconds,
    drive,
    machine_busy,
    pg_backends,
    self_cpu,
    wait_quiet,
)

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/portal_bench"
PASSWORD = "bench-oku-2025"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def pg_reachable(url: str) -> bool:
    import subprocess
    return subprocess.run([sys.executable, os.path.join(REPO, "tests", "pg.py"), "ensure", url],
                          capture_output=True).returncode == 0


def measure(sc, server, args, concurrency: int, pg_db: str | None = None) -> dict:
    """Warm up (reads only), then one bounded run; client and server latencies, RSS peaks, CPU
    of the workers and (PostgreSQL) of the database's backends."""
    spec = {"host": "127.0.0.1", "port": server.port, "concurrency": concurrency, "cycle": sc.cycle,
            "expect": sc.expect, "duration": args.duration, "max_requests": args.max_requests, "requests": sc.requests}
    if sc.cycle:
        drive({**spec, "duration": args.warmup, "max_requests": 10_000})
    offset = server.log_offset()
    cpu, busy, own = cpu_seconds(server.workers()), machine_busy(), self_cpu()
    db_before = cpu_by_pid(pg_backends(pg_db)) if pg_db else {}
    with RssSampler(server) as rss:
        result = drive(spec)
    cpu = cpu_seconds(server.workers()) - cpu
    db_after = cpu_by_pid(pg_backends(pg_db)) if pg_db else {}
    db_cpu = sum(v - db_before.get(pid, 0.0) for pid, v in db_after.items())
    if pg_db:
        result["db_cpu_ms"] = round(1000 * db_cpu / result["ok"], 2) if result["ok"] else None
    cpu += db_cpu
    # Whatever else ran meanwhile (other people's test suites on a shared machine), in cores.
    foreign = machine_busy() - busy - cpu - result["generator_cpu_s"] - (self_cpu() - own)
    result["foreign_cores"] = round(max(0.0, foreign) / result["elapsed_s"], 2) if result["elapsed_s"] else None
    result.update(rss.result())
    # CPU the server (workers + database) spent per answered request: independent of how fast
    # the load generator is.
    result["server_cpu_ms"] = round(1000 * cpu / result["ok"], 2) if result["ok"] else None
    result["server_ms"] = server.server_times(offset, sc.path)
    result["name"], result["what"] = sc.name, sc.what
    return result


def check_approve(client, port: int, item) -> None:
    """One approve through the page's own path: 200, the row, and the tallies out of band."""
    _user, wid, version = item
    r = client.post(f"/antrian/{wid}/setujui", {"csrf_token": client.csrf, "version": version, "status": "pending",
                                              "hal": 1}, **{"HX-Request": "true", "X-CSRFToken": client.csrf})
    if r.status != 200 or f'id="w-{wid}"' not in r.text or 'hx-swap-oob="true"' not in r.text:
        raise RuntimeError(f"approve of worker {wid} answered {r.status} without the row and OOB tallies")


def run_size(db_kind: str, n: int, args, env: dict, workdir: str) -> dict:
    """Seed, serve, measure and explain one database at one size; the references last."""
    from flask_migrate import upgrade
    from sqlalchemy.engine import make_url

    from bench.wsgi_bench import make_app
    from portal.web.extensions import db
    url = args.pg_url if db_kind == "postgresql" else f"sqlite:///{workdir}/bench-{n}.db"
    out = {"database": db_kind, "n": n, "scenarios": [], "loadavg_before": os.getloadavg()[0]}
    if args.wait_quiet:
        out["other_load_at_start"] = wait_quiet(args.wait_quiet)
    log(f"{db_kind} N={n:,}: fresh database and schema")
    started = time.perf_counter()
    seed.fresh_database(url)
    app = make_app(url)
    with app.app_context():
        upgrade(directory=os.path.join(REPO, "migrations"))
    out["schema_s"] = round(time.perf_counter() - started, 2)
    started = time.perf_counter()
    out["seed"] = {k: round(v, 2) for k, v in seed.seed(app, n, PASSWORD).items()}
    out["seed_s"] = round(time.perf_counter() - started, 2)
    log(f"  seeded in {out['seed_s']} s {out['seed']}")
    with app.app_context():
        facts = scenarios.facts(db.session, args.pool)
        db.engine.dispose()
    found = io_bench.detect(app)
    app_pool, ref_pool = facts.pool[0::2], facts.pool[1::2]
    senv = {**env, "DATABASE_URL": url}
    log_path = os.path.join(workdir, f"gunicorn-{db_kind}-{n}.log")
    concurrency = args.concurrency
    pg_db = make_url(url).database if db_kind == "postgresql" else None

    with Gunicorn("bench.wsgi_bench:app", senv, log_path, REPO) as server:
        sessions = {}
        for username in (*scenarios.APPROVERS, "supervisor"):
            c = Client(server.port)
            c.login(username, PASSWORD, "/kabupaten/" if username == "supervisor" else "/antrian/")
            sessions[username] = c
        check_approve(sessions[app_pool[0][0]], server.port, app_pool[0])
        warm = app_pool[1:args.approve_warmup]
        for sc in scenarios.portal_scenarios(server.port, sessions, facts, app_pool[args.approve_warmup:]):
            if args.only and sc.name not in args.only:
                continue
            if sc.name == "approve" and warm:  # a few approves first, so neither worker is cold
                drive({"host": "127.0.0.1", "port": server.port, "concurrency": concurrency, "cycle": False,
                       "expect": [200], "duration": 10, "max_requests": len(warm),
                       "requests": scenarios.portal_scenarios(server.port, sessions, facts, warm)[-1].requests})
            r = measure(sc, server, args, concurrency, pg_db)
            log(f"  {sc.name:20s} {r['rps']:8.1f} req/s  p50 {r['latency_ms']['p50']:7.1f} ms  "
                f"server p50 {r['server_ms'].get('p50', '-')} ms  ok {r['ok']}/{r['sent']}")
            out["scenarios"].append(r)
        if not args.only or "io" in args.only:
            out["first_load"] = io_bench.first_load(sessions[scenarios.QUEUE_USER])
            out["io"] = io_single(found, sessions, server, senv, workdir)
    if not args.only or "plans" in args.only:
        log("  query plans of the hot paths")
        app = make_app(url)
        out["plans"] = plans.hot_paths(app, facts.name_terms[0], facts.nik_prefixes[0])
        with app.app_context():
            db.engine.dispose()

    with Gunicorn("bench.refapp:app", senv, log_path, REPO, probe="/ok") as server:
        for sc in scenarios.reference_scenarios(server.port, ref_pool):
            if not sc.cycle:
                drive({"host": "127.0.0.1", "port": server.port, "concurrency": concurrency, "cycle": False,
                       "expect": [200], "duration": 10, "max_requests": args.approve_warmup, "requests": sc.requests})
                sc.requests = sc.requests[args.approve_warmup:]
            r = measure(sc, server, args, concurrency, pg_db)
            log(f"  {sc.name:20s} {r['rps']:8.1f} req/s  p50 {r['latency_ms']['p50']:7.1f} ms  ok {r['ok']}/{r['sent']}")
            out["scenarios"].append(r)
    if not args.keep:  # a million rows on disk until the next run is no use to anyone
        seed.fresh_database(url, create=False)
    return out


def io_single(found: dict, sessions: dict, server, env: dict, workdir: str) -> dict:
    """Import of 10,000 rows and export of all approved workers, when the app has them."""
    io = {"detected": found}

    def attempt(key: str, call) -> None:
        try:
            io[key] = call()
        except Exception as error:  # a driver for a screen built after it: say so, measure the rest
            io[key] = {"status": "driver_failed", "why": repr(error)[:300]}

    if found["import_rules"]:
        attempt("import_web", lambda: io_bench.import_web(sessions[scenarios.QUEUE_USER], found["import_rules"][0],
                                                          io_bench.import_file()))
    if found["import_cli"]:
        attempt("import_cli", lambda: io_bench.import_cli(REPO, env, io_bench.write_import_file(workdir)))
    if not found["import_rules"] and not found["import_cli"]:
        io["import"] = "not yet available (no /impor route, no import-workers command)"
    exports = []
    for spec in found["exports"]:
        def one(spec=spec):
            client = sessions.get(spec["role"])
            if client is None:
                client = sessions[spec["role"]] = Client(server.port)
                client.login(spec["role"], PASSWORD, "/kabupaten/")
            return io_bench.export(client, server, spec["path"])
        attempt("last_export", one)
        exports.append(io.pop("last_export"))
    io["export"] = exports or "not yet available (no export route in url_map)"
    return io


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="4000,100000,1000000", help="comma-separated worker counts")
    parser.add_argument("--databases", default="auto", help="sqlite, postgresql, or auto (both if PG answers)")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", PG_URL))
    parser.add_argument("--duration", type=float, default=4.0, help="seconds per scenario")
    parser.add_argument("--warmup", type=float, default=0.5, help="seconds of warm-up per read scenario")
    parser.add_argument("--max-requests", type=int, default=20_000, help="cap per scenario")
    parser.add_argument("--concurrency", type=int, default=8, help="connections kept busy")
    parser.add_argument("--pool", type=int, default=1200, help="pending workers fetched per approver")
    parser.add_argument("--approve-warmup", type=int, default=16)
    parser.add_argument("--out", default=os.path.join(REPO, "bench", "results"))
    parser.add_argument("--workdir", default="/tmp/portal-bench")
    parser.add_argument("--keep", action="store_true", help="keep the SQLite files")
    parser.add_argument("--wait-quiet", type=float, default=10.0,
                        help="seconds to wait at most, before each size, for other processes to go quiet")
    parser.add_argument("--only", type=lambda v: set(v.split(",")), default=None,
                        help="portal scenarios to run, comma-separated, plus 'io' (first load, import, export) "
                             "and 'plans'; the references always run")
    parser.add_argument("--update-doc", action="store_true", help="rewrite the results section of BENCHMARKS.md")
    args = parser.parse_args()
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s]
    kinds = ["sqlite", "postgresql"] if args.databases == "auto" else args.databases.split(",")
    if args.databases == "auto" and not pg_reachable(args.pg_url):
        log(f"PostgreSQL not reachable at {args.pg_url}: SQLite only")
        kinds = ["sqlite"]
    elif "postgresql" in kinds and not pg_reachable(args.pg_url):
        log(f"PostgreSQL not reachable at {args.pg_url}")
        return 1
    os.makedirs(args.workdir, exist_ok=True)
    os.makedirs(args.out, exist_ok=True)
    env = {**os.environ, "PORTAL_ENV": "production", "SECRET_KEY": secrets.token_hex(32),
           "AUDIT_KEY": secrets.token_hex(32), "PORTAL_DEMO_PASSWORD": PASSWORD, "PYTHONPATH": REPO}
    env.pop("REDIS_URL", None)  # one throttle store per worker is fine: the throttle is off
    os.environ.update({k: env[k] for k in ("PORTAL_ENV", "SECRET_KEY", "AUDIT_KEY")})
    started = time.perf_counter()
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H%M%SZ")
    results = {"meta": report.machine(args, stamp), "runs": []}
    for kind in kinds:
        for n in sizes:
            results["runs"].append(run_size(kind, n, args, env, args.workdir))
            results["meta"]["elapsed_s"] = round(time.perf_counter() - started, 1)
            report.write(results, args.out, stamp)
    path = report.write(results, args.out, stamp)
    if args.update_doc:
        report.update_doc(results, os.path.join(REPO, "BENCHMARKS.md"))
    log(f"done in {time.perf_counter() - started:.0f} s: {path}")
    shutil.rmtree(args.workdir, ignore_errors=True) if not args.keep else None
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Query plans of the hot paths, from the SQL the app's own domain functions emit.

Each path runs once with a statement listener on the engine; every statement it sent is then
explained (SQLite: EXPLAIN QUERY PLAN; PostgreSQL: EXPLAIN, with ANALYZE for reads) and the reads
are timed (median of 3). Writes run inside a transaction that is rolled back.
"""
from __future__ import annotations

import re
import statistics
import time

from sqlalchemy import event, select

from bench.scenarios import QUEUE_USER
from portal.core import queries, tallies
from portal.core.models import OPD, User, Worker
from portal.queue import transitions


class Capture:
    def __init__(self, engine):
        self.engine, self.statements = engine, []

    def _hook(self, _conn, _cursor, statement, parameters, _context, executemany):
        if not executemany:
            self.statements.append((statement, parameters))

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._hook)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._hook)


def _explain(raw, is_pg: bool, statement: str, params) -> tuple[list[str], float | None]:
    read = statement.lstrip().upper().startswith("SELECT")
    cur = raw.cursor()
    if is_pg:
        cur.execute(("EXPLAIN (ANALYZE, BUFFERS) " if read else "EXPLAIN ") + statement, params)
        plan = [row[0] for row in cur.fetchall()]
    else:
        cur.execute("EXPLAIN QUERY PLAN " + statement, params)
        plan = [f"{'  ' * (1 if row[1] else 0)}{row[3]}" for row in cur.fetchall()]
    ms = None
    if read:
        times = []
        for _ in range(3):
            started = time.perf_counter()
            cur.execute(statement, params)
            cur.fetchall()
            times.append((time.perf_counter() - started) * 1000)
        ms = round(statistics.median(times), 2)
    cur.close()
    return plan, ms


def _short(statement: str) -> str:
    """One line, column lists elided: the FROM, WHERE and ORDER BY are what a plan depends on."""
    text = " ".join(statement.split())
    return re.sub(r"SELECT (?!count\(\*\))(?:(?!\bFROM\b).)*? FROM", "SELECT … FROM", text)


def hot_paths(app, name_term: str, nik_prefix: str) -> list[dict]:
    """{path, sql, plan, ms} for each statement of each hot path."""
    from portal.web.extensions import db
    out = []
    with app.app_context():
        session = db.session
        is_pg = session.get_bind().dialect.name == "postgresql"
        opd_id = session.scalar(select(OPD.id).where(OPD.code == QUEUE_USER.upper()))
        actor = session.scalar(select(User).where(User.username == QUEUE_USER))
        paths = {
            "queue_first_page": lambda: queries.queue_page(session, opd_id, "pending", "", 1, 50),
            "queue_search_name": lambda: queries.queue_page(session, opd_id, "pending", name_term, 1, 50),
            "queue_search_nik": lambda: queries.queue_page(session, opd_id, "pending", nik_prefix, 1, 50),
            "queue_filter_status": lambda: queries.queue_page(session, opd_id, "approved", "", 1, 50),
            "tallies": lambda: tallies.for_opd(session, opd_id),
            "county": lambda: tallies.county(session),
        }

        def approve():
            worker = session.scalar(select(Worker).where(Worker.opd_id == opd_id, Worker.verification == "pending")
                                    .order_by(Worker.id.desc()).limit(1))
            transitions.approve(session, worker, actor, worker.version)
            session.flush()
        paths["approve"] = approve
        for name, call in paths.items():
            with Capture(db.engine) as cap:
                call()
            raw = session.connection().connection.driver_connection
            for statement, params in cap.statements:
                if name == "approve" and statement.lstrip().upper().startswith("SELECT") and "worker" in statement \
                        and "ORDER BY worker.id DESC" in statement:
                    continue  # the harness's own pick of a worker
                plan, ms = _explain(raw, is_pg, statement, params)
                out.append({"path": name, "sql": _short(statement), "plan": plan, "ms": ms})
            session.rollback()
    return out

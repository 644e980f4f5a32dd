"""The two references the portal is measured against, served by the same gunicorn setup:

- GET /ok: bare Flask, `return "ok"` — the most this stack can answer;
- POST /ref/<id>/approve (form field `version`): a hand-written approve on one persistent
  connection per process — UPDATE the worker (version checked), UPDATE one counter row (its
  approved tally cell), INSERT an event, COMMIT, render a one-row fragment. No ORM, auth, CSRF or
  audit chain: the floor under what the portal's approve does.

The events it inserts use seq = -worker_id (unique, never a real seq) and a dummy hash; the
harness runs this last on a database it throws away.
"""
from __future__ import annotations

import os
import sqlite3
from datetime import datetime, timezone

from flask import Flask, abort, request
from sqlalchemy.engine import make_url

app = Flask(__name__)
URL = make_url(os.environ["DATABASE_URL"])
IS_PG = URL.get_backend_name() == "postgresql"
ROW = app.jinja_env.from_string(
    '<tr id="w-{{ id }}" class="st-approved"><td class="person">{{ name }} <span class="nik">{{ nik[:4] }}'
    '••••••••{{ nik[-4:] }}</span></td><td><span class="badge st-approved">Disetujui</span></td></tr>')
_conn = {}

UPDATE_WORKER = ("UPDATE worker SET verification = 'approved', version = version + 1, updated_at = {p} "
                 "WHERE id = {p} AND version = {p} AND verification IN ('pending', 'on_hold') "
                 "RETURNING opd_id, category_id, kecamatan_code, enrolment, full_name, nik")
UPDATE_COUNTER = ("UPDATE tally SET n = n + 1 WHERE opd_id = {p} AND category_id = {p} AND kecamatan_code = {p} "
                  "AND verification = 'approved' AND enrolment = {p} AND reason_id = 0")
INSERT_EVENT = ("INSERT INTO event (seq, worker_id, action, from_state, to_state, note, detail, created_at, hash) "
                "VALUES ({p}, {p}, 'approve', 'pending', 'approved', '', '', {p}, {p})")


def _sql(template: str) -> str:
    return template.format(p="%s" if IS_PG else "?")


def connection():
    """One connection per gunicorn worker, opened after the fork."""
    conn = _conn.get(os.getpid())
    if conn is None:
        if IS_PG:
            import psycopg
            conn = psycopg.connect(host=URL.host, port=URL.port or 5432, user=URL.username,
                                   password=URL.password, dbname=URL.database)
        else:
            # The app's pragmas (portal.web.extensions): WAL, busy timeout, foreign keys.
            conn = sqlite3.connect(URL.database, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA busy_timeout=5000")
            conn.execute("PRAGMA foreign_keys=ON")
        _conn[os.getpid()] = conn
    return conn


@app.get("/ok")
def ok():
    return "ok"


@app.post("/ref/<int:worker_id>/approve")
def approve(worker_id: int):
    version = request.form.get("version", type=int)
    if version is None:
        abort(400)
    conn, now = connection(), datetime.now(timezone.utc)
    cur = conn.cursor()
    if not IS_PG:
        cur.execute("BEGIN IMMEDIATE")
    try:
        cur.execute(_sql(UPDATE_WORKER), (now if IS_PG else now.isoformat(" "), worker_id, version))
        row = cur.fetchone()
        if row is None:
            conn.rollback() if IS_PG else cur.execute("ROLLBACK")
            return "stale", 409
        opd_id, category_id, kecamatan, enrolment, name, nik = row
        cur.execute(_sql(UPDATE_COUNTER), (opd_id, category_id, kecamatan, enrolment))
        cur.execute(_sql(INSERT_EVENT), (-worker_id, worker_id, now if IS_PG else now.isoformat(" "), "0" * 64))
        conn.commit() if IS_PG else cur.execute("COMMIT")
    except Exception:
        conn.rollback() if IS_PG else cur.execute("ROLLBACK")
        raise
    return ROW.render(id=worker_id, name=name, nik=nik)

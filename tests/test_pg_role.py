"""docs/postgres-role.md, run as written: the portal works as a role that owns nothing, and that
role cannot disable, drop or dodge the audit trail's guards (PostgreSQL only)."""
from __future__ import annotations

import os
import re
from pathlib import Path

import psycopg
import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DatabaseError

from portal.core.models import Worker
from portal.web.extensions import db
from tests.factories import PASSWORD, World
from tests.forms import form

PG = os.environ.get("TEST_DATABASE_URL")
pytestmark = pytest.mark.skipif(not PG, reason="PostgreSQL only (TEST_DATABASE_URL)")
DOC = Path(__file__).resolve().parents[1] / "docs" / "postgres-role.md"


def _blocks(names: dict[str, str]) -> list[str]:
    """The SQL blocks of the page, with this run's database and role names."""
    blocks = re.findall(r"```sql\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert len(blocks) == 2
    out = []
    for block in blocks:
        for old, new in names.items():
            block = re.sub(rf"\b{old}\b", new, block)
        out.append(block)
    return out


def _connect(url, **kw) -> psycopg.Connection:
    return psycopg.connect(host=url.host, port=url.port or 5432, user=url.username, dbname=url.database,
                           autocommit=True, **kw)


@pytest.fixture
def role_db():
    """A scratch database and its two roles, named after the suite's database; gone afterwards."""
    base = make_url(PG)
    name = f"{base.database}_role"
    owner, app_role = f"{base.database}_owner", f"{base.database}_app"
    server = _connect(base.set(database="postgres"))

    def clean():
        server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        for role in (app_role, owner):
            server.execute(f'DROP ROLE IF EXISTS "{role}"')

    clean()
    server.execute(f'CREATE DATABASE "{name}"')
    yield base.set(database=name), owner, app_role
    clean()
    server.close()


def test_the_portal_runs_under_a_role_that_cannot_touch_the_guards(role_db, make_app):
    url, owner, app_role = role_db
    first, after_upgrade = _blocks({"portal_owner": owner, "portal_app": app_role, "portal": url.database})
    with _connect(url) as su:
        su.execute(first)
        su.execute(f'ALTER ROLE "{owner}" LOGIN')  # the test migrates as the owner directly
    owner_url = url.set(username=owner).render_as_string(hide_password=False)
    app_url = url.set(username=app_role).render_as_string(hide_password=False)
    migrating = make_app(schema=False, SQLALCHEMY_DATABASE_URI=owner_url)
    with migrating.app_context():
        upgrade()
        db.engine.dispose()
    with _connect(url.set(username=owner)) as conn:
        conn.execute(after_upgrade)

    app = make_app(schema=False, SQLALCHEMY_DATABASE_URI=app_url)
    with app.app_context():
        world = World(db.session)
        worker = world.worker()
        client = app.test_client()
        assert client.post("/masuk", data={"username": "dinsos", "password": PASSWORD}).status_code == 303
        page = client.get("/antrian/").get_data(as_text=True)
        approve = f"/antrian/{worker.id}/setujui"
        assert client.post(approve, data=form(page, approve)).status_code == 303
        assert db.session.get(Worker, worker.id).verification == "approved"
        result = app.test_cli_runner().invoke(args=["audit-verify"])
        assert result.exit_code == 0, result.output
        db.session.remove()
        db.engine.dispose()

    engine = create_engine(app_url)
    refused = {
        "ALTER TABLE event DISABLE TRIGGER ALL": "must be owner",
        "DROP TRIGGER event_append_only ON event": "must be owner",
        "DROP TABLE event": "must be owner",
        "ALTER TABLE audit_head DISABLE TRIGGER audit_head_forward": "must be owner",
        "TRUNCATE event": "permission denied",
        "UPDATE event SET note = 'x'": "permission denied",
        "DELETE FROM event": "permission denied",
        "DELETE FROM audit_head": "permission denied",
        "UPDATE audit_head SET seq = 0": "only moves forward",
        "SET session_replication_role = replica": "permission denied",
        "CREATE TABLE mine (id int)": "permission denied",
    }
    try:
        for statement, says in refused.items():
            with pytest.raises(DatabaseError, match=says), engine.begin() as conn:
                conn.execute(text(statement))
    finally:
        engine.dispose()

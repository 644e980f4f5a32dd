"""Migrations build, from an empty database, exactly the schema the models describe — including
what the models cannot say: the triggers that keep the audit trail append-only."""
import ast
import os
from datetime import datetime, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DatabaseError

from portal.core.models import Base
from portal.web.extensions import db
from tests.pg import ensure


@pytest.fixture
def migrated(make_app, tmp_path):
    """An app whose database was built by the migrations alone (`flask db upgrade`)."""
    pg = os.environ.get("TEST_DATABASE_URL")
    if pg:  # a database of its own: the suite's tables live in the main one
        url = pg.rsplit("/", 1)[0] + "/" + pg.rsplit("/", 1)[1] + "_migrations"
        assert ensure(url)
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
    else:
        url = f"sqlite:///{tmp_path / 'migrated.db'}"
    app = make_app(schema=False, SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        upgrade()
        yield app
        db.session.remove()
        db.engine.dispose()


def test_migrations_match_the_models(migrated):
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_the_migrated_audit_trail_refuses_update_and_delete(migrated):
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO event (seq, action, note, detail, created_at, hash) "
                          "VALUES (1, 'import', '', '', :at, :hash)"),
                     {"at": datetime(2026, 6, 1, tzinfo=timezone.utc), "hash": "0" * 64})
    for statement in ("UPDATE event SET note = 'diubah' WHERE seq = 1", "DELETE FROM event WHERE seq = 1"):
        with pytest.raises(DatabaseError, match="append-only"), db.engine.begin() as conn:
            conn.execute(text(statement))
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT note FROM event")).scalars().all() == [""]


def test_the_migrated_trail_refuses_truncate_and_its_head_only_moves_forward(migrated):
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE audit_head SET seq = 6"))  # the row 0001 made, moved forward
    refused = {"UPDATE audit_head SET seq = 2": "only moves forward", "DELETE FROM audit_head": "only moves forward"}
    if db.engine.dialect.name == "postgresql":
        refused |= {"TRUNCATE event": "append-only", "TRUNCATE audit_head": "only moves forward"}
    for statement, says in refused.items():
        with pytest.raises(DatabaseError, match=says), db.engine.begin() as conn:
            conn.execute(text(statement))
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT seq FROM audit_head")).scalar() == 6


def test_revisions_import_no_application_code():
    """A revision stands alone: it builds the schema it was written for, not today's models."""
    versions = Path(__file__).resolve().parents[1] / "migrations" / "versions"
    revisions = sorted(versions.glob("*.py"))
    assert revisions
    for revision in revisions:
        tree = ast.parse(revision.read_text(encoding="utf-8"))
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        assert not {m for m in imported if m.split(".")[0] in ("portal", "config")}, revision.name


def test_0003_renames_only_the_seeded_other_reason(make_app, tmp_path):
    app = make_app(schema=False, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'm.db'}")
    with app.app_context():
        upgrade(revision="0002")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO reject_reason (code, label, note_required, active, sort) VALUES "
                              "('LAINNYA', 'Lainnya (catatan wajib)', 1, 1, 7), "
                              "('PINDAH', 'Pindah (catatan wajib)', 0, 1, 1)"))
        upgrade()
        with db.engine.connect() as conn:
            labels = dict(conn.execute(text("SELECT code, label FROM reject_reason")).all())
        db.session.remove()
        db.engine.dispose()
    assert labels == {"LAINNYA": "Lainnya", "PINDAH": "Pindah (catatan wajib)"}

"""Fixtures: an app with a fresh database per test (SQLite file, or the PostgreSQL server in
TEST_DATABASE_URL, emptied before each test), a client, and an `auth` helper."""
from __future__ import annotations

import contextvars
import os

import pytest
from flask import has_app_context
from flask.testing import FlaskClient
from sqlalchemy import text

from config import TestingConfig
from portal import create_app
from portal.core.models import Base
from portal.web.extensions import db
from tests import factories

PG_URL = os.environ.get("TEST_DATABASE_URL")
_pg_schema_ready = False


class IsolatedClient(FlaskClient):
    """Each request runs in an app context of its own, as in production. Flask would otherwise
    reuse the test's context, sharing `g` (the logged-in user) and the database session."""

    def open(self, *args, **kwargs):
        response = contextvars.Context().run(super().open, *args, **kwargs)
        if has_app_context():
            db.session.expire_all()  # the test's copies reload what the request changed
        return response


def _config(tmp_path, **overrides):
    attrs = {"SQLALCHEMY_DATABASE_URI": PG_URL or f"sqlite:///{tmp_path / 'test.db'}",
             "AUDIT_ANCHOR_PATH": str(tmp_path / "audit-anchor.log"), **overrides}
    return type("Config", (TestingConfig,), attrs)


def _fresh_schema() -> None:
    global _pg_schema_ready
    if not PG_URL:
        db.create_all()
        return
    if not _pg_schema_ready:  # once per run: the schema of this checkout, not of an older one
        db.drop_all()
        db.create_all()
        _pg_schema_ready = True
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    # The guards refuse TRUNCATE of the trail; as the superuser the suite runs as, a replica
    # session skips triggers for this one transaction.
    db.session.execute(text("SET LOCAL session_replication_role = replica"))
    db.session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    db.session.commit()


@pytest.fixture
def make_app(tmp_path):
    """Build an app with config overrides (e.g. CSRF on); its database is fresh and empty."""
    made = []

    def make(schema: bool = True, **overrides):
        app = create_app(_config(tmp_path, **overrides))
        app.test_client_class = IsolatedClient
        if schema:
            with app.app_context():
                _fresh_schema()
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    app = make_app()
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def world(app):
    """Reference data, one account per role and a verifier for each OPD (password factories.PASSWORD)."""
    return factories.World(db.session)


class Auth:
    def __init__(self, client):
        self.client = client

    def login(self, username: str, password: str = factories.PASSWORD):
        return self.client.post("/masuk", data={"username": username, "password": password})

    def logout(self):
        return self.client.post("/keluar")


@pytest.fixture
def auth(client, world):
    return Auth(client)


HTMX = {"HX-Request": "true"}

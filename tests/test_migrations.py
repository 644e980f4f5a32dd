"""Migrations build, from an empty database, exactly the schema the models describe."""
import os

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from portal.core.models import Base
from tests.pg import ensure


def test_migrations_match_the_models(make_app, tmp_path):
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
        from portal.web.extensions import db
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []

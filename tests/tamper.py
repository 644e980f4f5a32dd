"""Tampering as someone with direct database access would, for the audit trail's tests."""
from sqlalchemy import text

from portal.core.models import APPEND_ONLY, HEAD_FORWARD
from portal.web.extensions import db


def without_guard(*statements: str, **params) -> None:
    """Tamper as someone with direct database access would: drop the guards, write, restore them."""
    dialect = db.engine.dialect.name
    db.session.rollback()  # end the test's read: dropping a trigger needs the table to itself
    with db.engine.begin() as conn:
        for name, table in _triggers(conn):
            conn.execute(text(f"DROP TRIGGER {name} ON {table}" if dialect == "postgresql" else f"DROP TRIGGER {name}"))
        for statement in statements:
            conn.execute(text(statement), params)
        for s in APPEND_ONLY[dialect] + HEAD_FORWARD[dialect]:
            conn.execute(text(s))


def _triggers(conn) -> list[tuple[str, str]]:
    if conn.dialect.name == "postgresql":
        return conn.execute(text("SELECT tgname, tgrelid::regclass::text FROM pg_trigger WHERE NOT tgisinternal "
                                 "AND tgrelid::regclass::text IN ('event', 'audit_head')")).all()
    return conn.execute(text("SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger' "
                             "AND tbl_name IN ('event', 'audit_head')")).all()

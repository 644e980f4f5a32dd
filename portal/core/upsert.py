"""INSERT … ON CONFLICT for the two databases the portal runs on."""
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

_INSERT = {"postgresql": pg_insert, "sqlite": sqlite_insert}


def insert(session: Session, model):
    """An INSERT for `model` that supports `.on_conflict_do_update` on this session's database."""
    return _INSERT[session.get_bind().dialect.name](model)

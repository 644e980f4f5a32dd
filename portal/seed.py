"""The defaults a new portal starts with, each from the module that owns it: OPDs, categories,
reject reasons and regions (portal.core.reference), the contribution rate (portal.county.fiscal)
and the coverage targets (portal.county.trend). Missing ones are inserted; edited ones are kept.
Run after every upgrade: it also brings derived keys up to date (workers' sort keys)."""
from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from portal.core import names, reference
from portal.core.models import Worker
from portal.county import fiscal, trend


def defaults(session: Session) -> None:
    """Insert every default that is missing, in the caller's transaction."""
    reference.seed(session)
    fiscal.seed_default_rate(session)
    trend.seed_default_targets(session)
    sort_names(session)
    session.flush()


def sort_names(session: Session, chunk: int = 2000) -> int:
    """Write `names.sort_key` for every worker whose stored sort key differs (after migration
    0004, or a change to the key's rules); returns how many changed. Not a decision: no event."""
    changed, last = 0, 0
    while True:
        rows = session.execute(select(Worker.id, Worker.full_name, Worker.sort_name).where(Worker.id > last)
                               .order_by(Worker.id).limit(chunk)).all()
        if not rows:
            return changed
        fixes = [{"id": i, "key": names.sort_key(n)} for i, n, s in rows if names.sort_key(n) != s]
        for fix in fixes:
            session.execute(update(Worker).where(Worker.id == fix["id"]).values(sort_name=fix["key"])
                            .execution_options(synchronize_session=False))
        changed, last = changed + len(fixes), rows[-1][0]

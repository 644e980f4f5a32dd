"""The defaults a new portal starts with, each from the module that owns it: OPDs, categories,
reject reasons and regions (portal.core.reference), the contribution rate (portal.county.fiscal)
and the coverage targets (portal.county.trend). Missing ones are inserted; edited ones are kept."""
from __future__ import annotations

from sqlalchemy.orm import Session

from portal.core import reference
from portal.county import fiscal, trend


def defaults(session: Session) -> None:
    """Insert every default that is missing, in the caller's transaction."""
    reference.seed(session)
    fiscal.seed_default_rate(session)
    trend.seed_default_targets(session)
    session.flush()

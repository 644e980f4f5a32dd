"""The county's figures as plain data for /api/summary: what other dashboards (Bapperida, the
province) read. Counts come from the kept tallies, like the county page, so the two agree."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.core import tallies
from portal.core.models import Target

COUNTS = ("received", "pending", "approved", "rejected", "on_hold", "enrolled", "inactive")
SHARES = ("coverage_of_approved", "coverage_of_received")


def figures(f: tallies.Figures) -> dict:
    """Counts as integers and coverages as fractions rounded to 4 decimals (0.2577 = 25,77 %)."""
    return {**{k: int(getattr(f, k)) for k in COUNTS}, **{k: round(getattr(f, k), 4) for k in SHARES}}


def timestamp(now: datetime) -> str:
    """ISO 8601 in UTC to the second, e.g. 2025-06-30T03:15:00Z (naive values are taken as UTC)."""
    if now.tzinfo is None:
        now = now.replace(tzinfo=timezone.utc)
    return now.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def summary(session: Session, now: datetime) -> dict:
    """County totals, every OPD's figures (ordered by name, also OPDs without names yet), and the
    coverage targets by year, as of `now`."""
    total, rows = tallies.county(session)
    targets = session.scalars(select(Target).order_by(Target.year))
    return {
        **figures(total),
        "as_of": timestamp(now),
        "by_opd": [{"code": opd.code, "name": opd.name, **figures(f)} for opd, f in rows],
        "targets": [{"year": t.year, "coverage": round(t.coverage_bp / 10000, 4)} for t in targets],
    }

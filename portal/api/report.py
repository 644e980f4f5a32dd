"""The county's figures as plain data for /api/summary: what other dashboards (Bapperida, the
province) read. Counts come from the kept tallies, like the county page, so the two agree; every
field is a measure of portal.core.measures, and the answer carries their definitions."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.core import tallies
from portal.core.measures import COUNT, MEASURES, TARGET_MEASURE, Figures, fraction
from portal.core.models import Target


def figures(f: Figures) -> dict:
    """Every measure: counts as integers, shares as fractions rounded half-up to 4 decimals (0.2577 = 25,77 %)."""
    return {m.key: int(getattr(f, m.key)) if m.kind == COUNT else fraction(getattr(f, m.key)) for m in MEASURES}


def definitions(english: Callable[[str], str]) -> dict:
    """Each measure's kind, formula, labels and explanation; `english` translates a label."""
    return {m.key: {"kind": m.kind, "formula": m.formula, "label_id": m.label, "label_en": english(m.label),
                    "definition_id": m.explain, "definition_en": english(m.explain)} for m in MEASURES}


def timestamp(now: datetime) -> str:
    """ISO 8601 in UTC to the second, e.g. 2025-06-30T03:15:00Z (naive values are taken as UTC)."""
    if now.tzinfo is None:
        now = now.replace(tzinfo=timezone.utc)
    return now.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def summary(session: Session, now: datetime, english: Callable[[str], str]) -> dict:
    """County totals, every OPD's figures (ordered by name, also OPDs without names yet), the
    coverage targets by year and the measure they are set in, and every field's definition."""
    total, rows = tallies.county(session)
    targets = session.scalars(select(Target).order_by(Target.year))
    return {
        **figures(total),
        "as_of": timestamp(now),
        "by_opd": [{"code": opd.code, "name": opd.name, **figures(f)} for opd, f in rows],
        "target_measure": TARGET_MEASURE,
        "targets": [{"year": t.year, TARGET_MEASURE: fraction(t.coverage_bp / 10000)} for t in targets],
        "definitions": definitions(english),
    }

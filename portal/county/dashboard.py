"""The county dashboard's tables: breakdowns by OPD, category and kecamatan (from the kept
tallies), their sorting, the funnel, rejection reasons per OPD, and the WhatsApp nudge."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.core import tallies
from portal.core.measures import Figures
from portal.core.models import OPD, Category, Kecamatan, RejectReason

SORT_KEYS = {  # column → value of a row to sort by
    "name": lambda r: r.name.lower(), "received": lambda r: r.figures.received,
    "pending": lambda r: r.figures.pending, "approved": lambda r: r.figures.approved,
    "rejected": lambda r: r.figures.rejected, "enrolled_approved": lambda r: r.figures.enrolled_approved,
    "verified_share": lambda r: r.figures.verified_share, "coverage": lambda r: r.figures.coverage,
}


@dataclass
class Row:
    code: str  # what the drill-down filters on: OPD code, category id, kecamatan code
    name: str
    figures: Figures


def breakdown(session: Session, dimension: str) -> list[Row]:
    """One row per OPD, category or kecamatan — each one, even with no names yet."""
    if dimension == "opd":
        per = tallies.by(session, "opd_id")
        return [Row(o.code, o.name, per.get(o.id, Figures())) for o in session.scalars(select(OPD))]
    if dimension == "category":
        per = tallies.by(session, "category_id")
        return [Row(str(c.id), c.name, per.get(c.id, Figures())) for c in session.scalars(select(Category))]
    per = tallies.by(session, "kecamatan_code")
    return [Row(k.code, k.name, per.get(k.code, Figures())) for k in session.scalars(select(Kecamatan))]


def ordered(rows: list[Row], key: str, descending: bool) -> list[Row]:
    """Rows sorted by a known column (by name otherwise), ties by name."""
    by = SORT_KEYS.get(key, SORT_KEYS["name"])
    rows = sorted(rows, key=lambda r: r.name.lower())
    return sorted(rows, key=by, reverse=descending)


def funnel(f: Figures) -> list[tuple[str, int]]:
    """received ⊇ verified ⊇ approved ⊇ enrolled and approved, as (measure key, count): each step
    a subset of the one before."""
    return [(key, getattr(f, key)) for key in ("received", "verified", "approved", "enrolled_approved")]


def rejections(session: Session) -> tuple[list[RejectReason], list[tuple[OPD, dict[int, int], int]]]:
    """Reasons used, and per OPD (most rejections first) its count per reason and in total."""
    counts = tallies.rejections(session)
    used = {reason for per in counts.values() for reason in per}
    reasons = [r for r in session.scalars(select(RejectReason).order_by(RejectReason.sort)) if r.id in used]
    rows = [(o, counts.get(o.id, {}), sum(counts.get(o.id, {}).values()))
            for o in session.scalars(select(OPD).order_by(OPD.code))]
    return reasons, sorted(rows, key=lambda row: -row[2])


def whatsapp(opd_name: str, pending: int, pending_text: str, queue_url: str) -> str | None:
    """A wa.me link with a short nudge about an OPD's pending names (None when nothing waits)."""
    if not pending:
        return None
    text = (f"Portal Verifikasi Pekerja Rentan OKU Selatan: {opd_name} masih punya {pending_text} "
            f"nama yang menunggu verifikasi. Mohon diselesaikan di {queue_url}")
    return "https://wa.me/?text=" + quote(text)

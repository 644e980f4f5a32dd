"""The Berita Acara Verifikasi: the document an OPD signs and sends to BPJS Ketenagakerjaan,
listing the names it approved and rejected, with full NIKs (so BPJS can enrol them).

Because it shows full NIKs, showing it is an audited reveal: one `nik_view` event per listed
worker (UU 27/2022 PDP; see `privacy`).

The document says what stood on its date: dated today it lists the names as they are now, dated
a past day as they stood at the end of that day in WIB, rebuilt from the audit trail (a name
approved later is not in it). A later date cannot be known yet and is refused.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from babel.dates import format_date
from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from portal.core import N_, audit, clock, privacy
from portal.core.errors import Invalid
from portal.core.measures import Figures
from portal.core.models import OPD, Event, RejectReason, User, Worker, utcnow
from portal.core.roles import EVERY_OPD_READERS
from portal.county import history

# The document is an Indonesian official letter whatever language the screen speaks.
DOCUMENT_LOCALE = "id"
NOTE = "berita acara"
CHUNK = 900  # ids per IN (…), under SQLite's bound on a query's parameters


@dataclass(frozen=True)
class Line:
    """One listed worker, as the document prints it."""
    worker_id: int
    nik: str
    full_name: str
    sex: str  # L / P
    birth_date: date
    category: str
    desa: str  # "" when the desa is not known
    kecamatan: str
    reason: str = ""  # the reject reason's label; "" for approved names
    note: str = ""


@dataclass
class BeritaAcara:
    """Everything the document shows for one OPD on one day."""
    opd: OPD
    day: date
    day_name: str  # "Senin"
    date_text: str  # "1 Desember 2025"
    approved: list[Line] = field(default_factory=list)
    rejected: list[Line] = field(default_factory=list)
    figures: Figures = field(default_factory=Figures)
    verifier_name: str = ""  # printed under "Verifikator" only when the OPD's verifier opens it
    all_opds: bool = False  # the viewer may open every OPD's document

    @property
    def worker_ids(self) -> list[int]:
        """The workers whose full NIK the document shows."""
        return [line.worker_id for line in self.approved + self.rejected]

    @property
    def undecided(self) -> int:
        """Names still waiting for a decision: pending or on hold."""
        return self.figures.pending + self.figures.on_hold


def may_view(user: User, opd: OPD) -> bool:
    """The OPD's own verifier, the admin and BPJS may open an OPD's Berita Acara."""
    return privacy.may_see_opd(user, opd.id)


def date_words(day: date) -> tuple[str, str]:
    """("Senin", "1 Desember 2025"): the day's name and the date as an Indonesian letter writes it."""
    return (format_date(day, "EEEE", locale=DOCUMENT_LOCALE),
            format_date(day, "d MMMM y", locale=DOCUMENT_LOCALE))


def _line(worker: Worker, reason: str | None = None, note: str | None = None) -> Line:
    """A worker's line; `reason`/`note` replace its current ones for a past day's rejection."""
    if reason is None:
        reason = worker.reject_reason.label if worker.reject_reason is not None else ""
    if note is None:
        note = worker.decision_note if worker.verification == "rejected" else ""
    return Line(worker_id=worker.id, nik=worker.nik, full_name=worker.full_name, sex=worker.sex,
                birth_date=worker.birth_date, category=worker.category.name,
                desa=worker.desa.name if worker.desa is not None else "",
                kecamatan=worker.kecamatan.name, reason=reason, note=note)


def _workers(session: Session, *where) -> list[Worker]:
    stmt = (select(Worker)
            .options(joinedload(Worker.category), joinedload(Worker.desa), joinedload(Worker.kecamatan),
                     joinedload(Worker.reject_reason))
            .where(*where).order_by(Worker.sort_name, Worker.id))
    return list(session.scalars(stmt))


def _workers_by_id(session: Session, ids: list[int]) -> list[Worker]:
    """The workers of `ids` by name, read CHUNK at a time (SQLite bounds the parameters of a query)."""
    found = [w for start in range(0, len(ids), CHUNK) for w in _workers(session, Worker.id.in_(ids[start:start + CHUNK]))]
    return sorted(found, key=lambda w: (w.full_name, w.id))


def _lines(session: Session, opd_id: int, verification: str) -> list[Line]:
    return [_line(w) for w in _workers(session, Worker.opd_id == opd_id, Worker.verification == verification)]


def _figures(session: Session, opd_id: int) -> Figures:
    # Counted from the workers themselves, in the same transaction as the lists, so the totals a
    # Kepala signs always agree with the rows printed above them.
    figures = Figures()
    stmt = (select(Worker.verification, Worker.enrolment, func.count()).where(Worker.opd_id == opd_id)
            .group_by(Worker.verification, Worker.enrolment))
    for verification, enrolment, n in session.execute(stmt):
        figures.add(verification, enrolment, int(n))
    return figures


def _rejections(session: Session, ids: list[int], before) -> dict[int, tuple[str, str]]:
    """{worker id: (reason label, note)} of each worker's last rejection before `before`."""
    labels = dict(session.execute(select(RejectReason.code, RejectReason.label)).all())
    last: dict[int, tuple[str, str]] = {}
    for start in range(0, len(ids), CHUNK):
        stmt = (select(Event.worker_id, Event.reason_code, Event.note)
                .where(Event.action == "reject", Event.worker_id.in_(ids[start:start + CHUNK]), Event.created_at < before)
                .order_by(Event.seq))
        last.update({wid: (labels.get(code, code) if code else "", note or "")
                     for wid, code, note in session.execute(stmt) if wid is not None})
    return last


def _as_of(session: Session, opd_id: int, day: date) -> tuple[list[Line], list[Line], Figures]:
    """The approved and rejected lines and the totals at the end of `day`, from the audit trail;
    lines and totals come from the same states, so they agree."""
    states = history.states_at(session, day, opd_id)
    figures = Figures()
    for verification, enrolment in states.values():
        figures.add(verification, enrolment, 1)
    approved = [w for w, (v, _e) in states.items() if v == "approved"]
    rejected = [w for w, (v, _e) in states.items() if v == "rejected"]
    approved_lines = [_line(w, "", "") for w in _workers_by_id(session, approved)]
    rejected_lines = []
    if rejected:
        why = _rejections(session, rejected, clock.day_start(day + timedelta(days=1)))
        # a name loaded already rejected has no reject event: its own reason is the one it had
        rejected_lines = [_line(w, *why[w.id]) if w.id in why else _line(w)
                          for w in _workers_by_id(session, rejected)]
    return approved_lines, rejected_lines, figures


def build(session: Session, opd: OPD, viewer: User, day: date) -> BeritaAcara:
    """The Berita Acara of `opd` dated `day`, as `viewer` sees it: every approved and every
    rejected name of the OPD (by name) and its totals as they stood at the end of `day` (now,
    when `day` is today), and the verifier's name when the viewer is that OPD's verifier. A day
    after today is Invalid. Writes nothing; call `record_view` when the document is shown."""
    today = clock.today()
    if day > today:
        raise Invalid(N_("Tanggal dokumen %(day)s belum tiba. Berita acara memuat keadaan pada akhir "
                         "tanggalnya, jadi pilih hari ini atau tanggal yang sudah lewat."), day=day)
    if day == today:
        approved, rejected = _lines(session, opd.id, "approved"), _lines(session, opd.id, "rejected")
        figures = _figures(session, opd.id)
    else:
        approved, rejected, figures = _as_of(session, opd.id, day)
    day_name, date_text = date_words(day)
    own = viewer.role == "verifier" and viewer.opd_id == opd.id
    return BeritaAcara(opd=opd, day=day, day_name=day_name, date_text=date_text,
                       approved=approved, rejected=rejected, figures=figures,
                       verifier_name=viewer.full_name if own else "",
                       all_opds=viewer.role in EVERY_OPD_READERS)


def record_view(session: Session, viewer: User, worker_ids: list[int]) -> int:
    """One `nik_view` event per worker whose full NIK the document showed `viewer`, in the
    caller's transaction. Returns how many were written."""
    now = utcnow()
    rows = [dict(action="nik_view", user_id=viewer.id, worker_id=worker_id, note=NOTE, detail="",
                 created_at=now) for worker_id in worker_ids]
    audit.record_many(session, rows)
    return len(rows)

"""The BPJS desk: approved names to enrol, enrolled and inactive participants, and names whose
approval was withdrawn while enrolled. Row swaps and counts update in place, as in the queue."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal.bpjs import enrolment
from portal.bpjs.forms import EnrolForm, EnrolmentChangeForm, LapseForm
from portal.core import clock, privacy, queries, tallies
from portal.core.models import OPD, Category, Kecamatan, Worker
from portal.core.roles import ENROLLERS
from portal.core.states import ENROLMENT_LABELS
from portal.web.extensions import db
from portal.web.guards import roles_required
from portal.web.htmx import blocks, is_htmx, page_or_block
from portal.web.text import measure
from portal.web.unit import attempt

bp = Blueprint("bpjs", __name__, url_prefix="/bpjs")


TEMPLATE = "bpjs/index.html"


def _filters() -> dict:
    tab = request.values.get("tab", "ready")
    return {"tab": tab if tab in queries.DESK_TABS else "ready",
            "opd": (request.values.get("opd") or "").upper()[:20],
            "kec": (request.values.get("kec") or "")[:6],
            "kat": request.values.get("kat", type=int) or "",
            "q": request.values.get("q", "")[:50].strip(),
            "hal": request.values.get("hal", 1, type=int) or 1}


def _context(**extra) -> dict:
    f = _filters()
    opds = db.session.scalars(select(OPD).order_by(OPD.code)).all()
    opd_id = next((o.id for o in opds if o.code == f["opd"]), None)
    page = queries.desk_page(db.session, f["tab"], opd_id, f["kec"] or None, f["kat"] or None, f["q"],
                             f["hal"], current_app.config["QUEUE_PAGE_SIZE"])
    tabs = {"ready": _("Siap didaftarkan"), "enrolled": measure("enrolled_approved").label,
            "inactive": measure("inactive").label, "flagged": measure("enrolled_withdrawn").label}
    return dict(page=page, filters=f, counts=tallies.desk_counts(db.session), opds=opds, tabs=tabs,
                kecamatan=db.session.scalars(select(Kecamatan).order_by(Kecamatan.name)).all(),
                categories=db.session.scalars(select(Category).order_by(Category.name)).all(),
                today=clock.today(), since=enrolment.actives_since(db.session, page.items), **extra)


@bp.get("/")
@roles_required(*ENROLLERS)
def index():
    """The desk; for htmx (tabs, filters, search, paging) only its results."""
    return page_or_block(TEMPLATE, "results", **_context())


def _worker(worker_id: int) -> Worker:
    return db.session.get(Worker, worker_id) or abort(404)


def _change(worker_id: int, form, apply):
    """Run one enrolment change; answer the row and the counts (htmx) or the desk again."""
    worker, message, status = attempt(_worker(worker_id), form, apply)
    # a refused row keeps what the liaison typed, to correct rather than type again
    typed = {"id": worker.id, **request.form} if message else {}
    if is_htmx():
        return blocks(TEMPLATE, ["row", "counts"], w=worker, row_message=message, filters=_filters(),
                      counts=tallies.desk_counts(db.session), today=clock.today(), typed=typed,
                      since=enrolment.actives_since(db.session, [worker])), status
    if message:
        notice = _("%(name)s: %(message)s", name=worker.full_name, message=message)
        return render_template(TEMPLATE, **_context(notice=notice, notice_error=True, typed=typed)), status
    flash(_("%(name)s: %(state)s.", name=worker.full_name,
            state=_(ENROLMENT_LABELS[worker.enrolment])), "info")
    args = {k: v for k, v in _filters().items() if v not in ("", 1, "ready")}
    return redirect(url_for("bpjs.index", **args), 303)


@bp.post("/<int:worker_id>/daftar")
@roles_required(*ENROLLERS)
def enrol(worker_id: int):
    """Record an approved worker as enrolled, with KPJ number and date."""
    return _change(worker_id, EnrolForm(), lambda w, f: enrolment.enrol(
        db.session, w, current_user, f.version.data, f.kpj.data, f.enrolled_on.data, clock.today()))


@bp.post("/<int:worker_id>/nonaktif")
@roles_required(*ENROLLERS)
def lapse(worker_id: int):
    """Record that an enrolled worker's contributions lapsed."""
    return _change(worker_id, LapseForm(), lambda w, f: enrolment.lapse(
        db.session, w, current_user, f.version.data, f.note.data, f.lapsed_on.data, clock.today()))


@bp.post("/<int:worker_id>/aktifkan")
@roles_required(*ENROLLERS)
def restore(worker_id: int):
    """Record an inactive worker as enrolled again."""
    return _change(worker_id, EnrolmentChangeForm(), lambda w, f: enrolment.restore(
        db.session, w, current_user, f.version.data, f.note.data))


@bp.post("/<int:worker_id>/nik")
@roles_required(*ENROLLERS)
def nik(worker_id: int):
    """Reveal the full NIK of one row, audited (the liaison matches it against BPJS's records)."""
    worker = _worker(worker_id)
    value = privacy.reveal(db.session, current_user, worker, "meja BPJS")
    db.session.commit()
    return page_or_block("nik.html", "nik", w=worker, nik=value, back=url_for("bpjs.index"))

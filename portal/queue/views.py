"""Views of the verifier's queue. Each parses input, calls one domain function, renders."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal.core import export_trail, privacy, queries, reference, tallies
from portal.core.models import OPD, Category, Desa, Kecamatan, RejectReason, Tally, Worker
from portal.core.roles import DECIDERS
from portal.core.states import VERIFICATION_LABELS
from portal.queue import transitions
from portal.queue.forms import CorrectForm, DecisionForm, RejectForm
from portal.web import queue_filter
from portal.web.extensions import db
from portal.web.guards import roles_required
from portal.web.htmx import blocks, is_htmx, page_or_block
from portal.web.opds import all_opds, queue_opd
from portal.web.unit import attempt

bp = Blueprint("queue", __name__, url_prefix="/antrian")

TEMPLATE = "queue/index.html"


def _worker(worker_id: int) -> Worker:
    """The worker, if the user may see it: another OPD's worker is 404 to a verifier."""
    worker = db.session.get(Worker, worker_id)
    if worker is None or (current_user.role == "verifier" and worker.opd_id != current_user.opd_id):
        abort(404)
    return worker


def _filters() -> dict:
    """The queue's filter from the query string (GET) or the form posted with an action."""
    return queue_filter.read(request.values)


def _context(opd: OPD, **extra) -> dict:
    filters = _filters()
    page = queries.queue_page(db.session, opd.id, filters["status"], filters["q"], filters["hal"],
                              current_app.config["QUEUE_PAGE_SIZE"], **queue_filter.order(filters),
                              **queue_filter.where(filters))
    return dict(opd=opd, page=page, filters=filters, figures=tallies.for_opd(db.session, opd.id),
                reasons=reference.active_reasons(db.session), opds=all_opds(), choices=_choices(opd, filters),
                **extra)


def _choices(opd: OPD, filters: dict) -> dict:
    """What the filter's lists offer: the kecamatan and categories the OPD's names are in, and the
    desa of the kecamatan chosen."""
    kecamatan = db.session.scalars(select(Kecamatan).where(Kecamatan.code.in_(
        select(Tally.kecamatan_code).where(Tally.opd_id == opd.id, Tally.n > 0))).order_by(Kecamatan.name)).all()
    categories = db.session.scalars(select(Category).where(Category.id.in_(
        select(Tally.category_id).where(Tally.opd_id == opd.id, Tally.n > 0))).order_by(Category.name)).all()
    desa = db.session.scalars(select(Desa).where(Desa.kecamatan_code.in_([k.code for k in kecamatan]))
                              .order_by(Desa.name)).all()
    by_kecamatan = {k.code: (k, [d for d in desa if d.kecamatan_code == k.code]) for k in kecamatan}
    return {"kecamatan": kecamatan, "categories": categories, "desa": by_kecamatan}


def _back(opd: OPD):
    """After a full-page (no JavaScript) action: the queue as it was filtered."""
    args = queue_filter.kept(_filters())
    if current_user.role == "admin":
        args["opd"] = opd.code
    return redirect(url_for("queue.index", **args), 303)


@bp.get("/")
@roles_required(*DECIDERS)
def index():
    """The queue page; for htmx (search, filter, paging) only its results. Birth dates beside the
    masked NIK and the kecamatan give the whole NIK back, so showing them is recorded like an
    export of those rows."""
    context = _context(queue_opd())
    if context["filters"]["lahir"] and context["page"].items:
        ids = [w.id for w in context["page"].items]
        export_trail.record(db.session, current_user, "antrian+tgl lahir", queue_filter.kept(context["filters"]),
                            ids, len(ids))
        db.session.commit()
    return page_or_block(TEMPLATE, "results", **context)


def _desa_choices() -> dict[str, str | dict[str, str]]:
    """Desa grouped by kecamatan (a select with optgroups), after a 'not known' choice."""
    rows = db.session.execute(select(Kecamatan.name, Desa.code, Desa.name).join(
        Desa, Desa.kecamatan_code == Kecamatan.code).order_by(Kecamatan.name, Desa.name)).all()
    groups: dict[str, str | dict[str, str]] = {"": _("— tidak diketahui —")}
    for kecamatan, code, name in rows:
        groups.setdefault(kecamatan, {})[code] = name
    return groups


def _render(worker, form, status=200):
    nik = privacy.reveal(db.session, current_user, worker, "halaman pekerja")
    db.session.commit()
    reasons = dict(db.session.execute(select(RejectReason.code, RejectReason.label)).all())
    return render_template("queue/worker.html", w=worker, nik=nik, form=form, reasons=reasons,
                           active_reasons=reference.active_reasons(db.session),
                           events=queries.history(db.session, worker.id)), status


def page(worker, message: str | None = None, status: int = 200):
    """The worker's page as a decision made on it answers: its message flashed (an error when
    `status` is one), the correction form as stored."""
    if message:
        flash(message, "error" if status >= 400 else "info")
    form = CorrectForm(formdata=None, obj=worker)  # as stored now, not the refused post's values
    form.desa_code.choices = _desa_choices()
    form.desa_code.data = worker.desa_code or ""
    return _render(worker, form, status)


def _decide(worker_id: int, form, apply):
    """Run one decision; answer the row and the tallies (htmx) or go back to the queue."""
    worker, message, status = attempt(_worker(worker_id), form, apply)
    if is_htmx():
        filters = _filters()
        total = queries.queue_total(db.session, worker.opd_id, filters["status"], filters["q"],
                                    **queue_filter.where(filters))
        body = blocks(TEMPLATE, ["row", "tallies", "total"], w=worker, row_message=message,
                      figures=tallies.for_opd(db.session, worker.opd_id), reasons=reference.active_reasons(db.session),
                      filters=filters, total=total, total_oob=True)
        return body, status
    if request.form.get("kembali") == "pekerja":  # decided on the worker's own page: back to it
        if message:
            return page(worker, message, status)
        flash(_("%(name)s: %(state)s.", name=worker.full_name, state=_(VERIFICATION_LABELS[worker.verification])),
              "info")
        return redirect(url_for("queue.worker", worker_id=worker.id), 303)
    if message:  # without JavaScript: the queue again, saying what was refused and for whom
        notice = _("%(name)s: %(message)s", name=worker.full_name, message=message)
        return render_template(TEMPLATE, **_context(worker.opd, notice=notice, notice_error=True)), status
    flash(_("%(name)s: %(state)s.", name=worker.full_name, state=_(VERIFICATION_LABELS[worker.verification])),
          "info")
    return _back(worker.opd)


@bp.post("/<int:worker_id>/setujui")
@roles_required(*DECIDERS)
def approve(worker_id: int):
    """Approve one worker."""
    return _decide(worker_id, DecisionForm(), lambda w, f: transitions.approve(
        db.session, w, current_user, f.version.data))


@bp.post("/<int:worker_id>/tolak")
@roles_required(*DECIDERS)
def reject(worker_id: int):
    """Reject one worker with a coded reason."""
    return _decide(worker_id, RejectForm(), lambda w, f: transitions.reject(
        db.session, w, current_user, f.version.data, db.session.get(RejectReason, f.reason.data),
        f.note.data))


@bp.post("/<int:worker_id>/tunda")
@roles_required(*DECIDERS)
def hold(worker_id: int):
    """Put one worker on hold, with a note."""
    return _decide(worker_id, DecisionForm(), lambda w, f: transitions.hold(
        db.session, w, current_user, f.version.data, f.note.data))


@bp.post("/<int:worker_id>/buka")
@roles_required(*DECIDERS)
def reopen(worker_id: int):
    """Send a decided worker back to pending."""
    return _decide(worker_id, DecisionForm(), lambda w, f: transitions.reopen(
        db.session, w, current_user, f.version.data, f.note.data))

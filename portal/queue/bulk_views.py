"""Bulk approval in two steps: a confirmation that states how many, then the change."""
from __future__ import annotations

from flask import flash, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from portal.core.roles import DECIDERS
from portal.queue import bulk, transitions
from portal.queue.forms import BulkForm
from portal.queue.views import TEMPLATE, _back, _context, bp
from portal.web import queue_filter, unit
from portal.web.extensions import db
from portal.web.guards import roles_required
from portal.web.htmx import blocks, is_htmx, page_or_block
from portal.web.opds import queue_opd
from portal.web.text import describe, num


@bp.post("/massal/konfirmasi")
@roles_required(*DECIDERS)
def bulk_confirm():
    """Count the rows that would change and ask to confirm exactly those."""
    form, opd = BulkForm(), queue_opd()
    if not form.validate():
        return _refuse(opd, _("Formulir kedaluwarsa. Muat ulang halaman."), 422)
    ids = None if form.scope.data == "filter" else bulk.ids(request.form.getlist("pilih"))
    filters = queue_filter.read(request.form)  # the same filter the queue showed
    try:
        items = bulk.candidates(db.session, opd.id, ids, filters["status"], filters["q"], **queue_filter.where(filters))
    except transitions.TransitionError as error:
        return _refuse(opd, describe(error), error.status)
    if not items:
        return _refuse(opd, _("Tidak ada baris menunggu atau ditunda yang dipilih."), 422)
    form.items.data = bulk.encode(items)
    return page_or_block("queue/confirm.html", "confirm", form=form, opd=opd, count=len(items), filters=filters)


def _on_confirmed(change):
    """Run `change(items)` on the (id, version) rows a confirmed form carries, as one unit of
    work: (opd, its value) when it went through, else (opd, the refusal to answer with)."""
    form, opd = BulkForm(), queue_opd()
    if not form.validate():
        return opd, None, _refuse(opd, _("Formulir kedaluwarsa. Muat ulang halaman."), 422)
    try:
        items = bulk.decode(form.items.data)
    except transitions.TransitionError as error:
        return opd, None, _refuse(opd, describe(error), error.status)
    done = unit.commit(lambda: change(items))
    if not done.ok:
        return opd, None, _refuse(opd, done.message, done.status)
    return opd, done.value, None


def _answer(opd, message: str, **extra):
    """The list again with `message`: in place for htmx, else flashed after a redirect."""
    if is_htmx():
        return blocks(TEMPLATE, ["results", "tallies"], **_context(opd, notice=message, **extra))
    flash(message, "info")
    return _back(opd)


@bp.post("/massal")
@roles_required(*DECIDERS)
def bulk_approve():
    """Approve exactly the confirmed rows, all or none; for htmx, offer to undo that set."""
    opd, value, refused = _on_confirmed(lambda items: bulk.approve(db.session, items, current_user))
    if refused is not None:
        return refused
    count, undoable = value
    message = _("%(n)s nama disetujui.", n=num(count))
    if not is_htmx():  # no undo without htmx: the set does not fit in a redirect
        return _answer(opd, message)
    if count > len(undoable):
        message += " " + _("%(n)s di antaranya sebelumnya ditunda; persetujuannya tidak ikut dibatalkan.",
                           n=num(count - len(undoable)))
    return _answer(opd, message, undo=bulk.encode(undoable) if undoable else None)


@bp.post("/massal/batal")
@roles_required(*DECIDERS)
def bulk_undo():
    """Reopen exactly the rows of the bulk approval just made (from its confirmation message)."""
    opd, value, refused = _on_confirmed(lambda items: bulk.undo(db.session, items, current_user))
    if refused is not None:
        return refused
    return _answer(opd, _("Persetujuan %(n)s nama dibatalkan; nama itu kembali menunggu.", n=num(value)))


def _refuse(opd, message: str, status: int):
    context = _context(opd, notice=message, notice_error=True)
    if is_htmx():
        return blocks(TEMPLATE, ["results", "tallies"], **context), status, {
            "HX-Retarget": "#results", "HX-Reswap": "outerHTML"}
    return render_template(TEMPLATE, **context), status

"""One worker: its data, its history, and the correction form."""
from __future__ import annotations

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.core import privacy
from portal.core.roles import DECIDERS
from portal.queue import transitions
from portal.queue.forms import CorrectForm
from portal.queue.views import _desa_choices, _render, _worker, bp, page
from portal.web import unit
from portal.web.extensions import db
from portal.web.guards import roles_required
from portal.web.htmx import page_or_block


@bp.post("/<int:worker_id>/nik")
@roles_required(*DECIDERS)
def nik(worker_id: int):
    """Reveal the full NIK of one queue row, audited (a POST: a link or prefetch reveals nothing;
    the worker's own page shows it too, and audits each GET the same way)."""
    w = _worker(worker_id)
    value = privacy.reveal(db.session, current_user, w, "antrian")
    db.session.commit()
    return page_or_block("nik.html", "nik", w=w, nik=value, back=url_for("queue.index"))


@bp.get("/<int:worker_id>")
@roles_required(*DECIDERS)
def worker(worker_id: int):
    """A worker's data, its decision history and a form to correct its details."""
    return page(_worker(worker_id))


@bp.post("/<int:worker_id>/perbaiki")
@roles_required(*DECIDERS)
def correct(worker_id: int):
    """Save corrections to name, address, desa or phone (old and new values audited)."""
    w = _worker(worker_id)
    form = CorrectForm()
    form.desa_code.choices = _desa_choices()
    if not form.validate():
        return _render(w, form, 422)
    changes = {f: getattr(form, f).data for f in transitions.CORRECTABLE}
    done = unit.commit(lambda: transitions.correct(db.session, w, current_user, form.version.data, changes))
    if not done.ok:
        w = _worker(worker_id)
        form.version.data = w.version  # the message says what changed; a resubmit is deliberate
        flash(done.message, "error")
        return _render(w, form, done.status)
    flash(_("Perubahan data %(name)s disimpan.", name=w.full_name), "info")
    return redirect(url_for("queue.worker", worker_id=w.id), 303)

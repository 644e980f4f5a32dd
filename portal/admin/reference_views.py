from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal.admin.forms import ActiveForm, CategoryForm, ReasonForm, ToggleForm
from portal.admin.views import bp
from portal.core import reference
from portal.core.models import OPD, Category, RejectReason
from portal.core.roles import ADMINS
from portal.web import unit
from portal.web.extensions import db
from portal.web.forms import StaleForm
from portal.web.guards import roles_required


def _category_form(**kwargs) -> CategoryForm:
    form = CategoryForm(**kwargs)
    form.opd.choices = {"": _("— tanpa OPD —")} | {
        o.code: f"{o.code} — {o.name}" for o in db.session.scalars(select(OPD).order_by(OPD.code))}
    return form


def _page(reason_form=None, category_form=None, status=200):
    return render_template(
        "admin/reference.html",
        reasons=db.session.scalars(select(RejectReason).order_by(RejectReason.sort)).all(),
        categories=db.session.scalars(select(Category).order_by(Category.name)).all(),
        reason_form=reason_form or ReasonForm(formdata=None),
        category_form=category_form or _category_form(formdata=None),
        toggle=ToggleForm()), status


@bp.get("/rujukan")
@roles_required(*ADMINS)
def reference_data():
    """Reject reasons and worker categories, with forms to add, retire and restore them."""
    return _page()


def _apply(action, reason_form=None, category_form=None):
    done = unit.commit(action)
    if not done.ok:
        flash(done.message, "error")
        return _page(reason_form, category_form, done.status)
    flash(_("Tersimpan."), "info")
    return redirect(url_for("admin.reference_data"), 303)


@bp.post("/alasan")
@roles_required(*ADMINS)
def add_reason():
    """Add a reject reason."""
    form = ReasonForm()
    if not form.validate():
        return _page(reason_form=form, status=422)
    return _apply(lambda: reference.add_reason(db.session, current_user, form.code.data,
                                               form.label.data, form.note_required.data),
                  reason_form=form)


@bp.post("/kategori")
@roles_required(*ADMINS)
def add_category():
    """Add a worker category."""
    form = _category_form()
    if not form.validate():
        return _page(category_form=form, status=422)
    opd = db.session.scalar(select(OPD).where(OPD.code == form.opd.data)) if form.opd.data else None
    return _apply(lambda: reference.add_category(db.session, current_user, form.code.data,
                                                 form.name.data, opd), category_form=form)


@bp.post("/<kind>/<int:item_id>/aktif")
@roles_required(*ADMINS)
def toggle(kind: str, item_id: int):
    """Retire or restore a reason or category (never deleted: old decisions refer to it)."""
    model = {"alasan": RejectReason, "kategori": Category}.get(kind)
    item = db.session.get(model, item_id) if model else None
    form = ActiveForm()
    if item is None:
        abort(404)
    if not form.validate():
        raise StaleForm()
    active = form.active.data == "1"
    return _apply(lambda: reference.set_active(db.session, current_user, item, active))

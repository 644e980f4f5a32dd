"""Accounts: create, reset a password, deactivate, assign verifiers to OPDs — all audited."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal.admin.forms import ActiveForm, AssignForm, ToggleForm, UserForm
from portal.auth import accounts, second_factor
from portal.core.models import OPD, User
from portal.core.roles import ADMINS
from portal.core.states import ROLE_LABELS, ROLES
from portal.web import unit
from portal.web.extensions import db
from portal.web.forms import StaleForm
from portal.web.guards import roles_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _opds() -> list[OPD]:
    return db.session.scalars(select(OPD).order_by(OPD.code)).all()


def _user_form(**kwargs) -> UserForm:
    form = UserForm(**kwargs)
    form.role.choices = {r: _(ROLE_LABELS[r]) for r in ROLES}
    form.opd.choices = {"": _("— tanpa OPD —")} | {o.code: f"{o.code} — {o.name}" for o in _opds()}
    return form


def _page(form=None, status=200, secret=None):
    assign = AssignForm(formdata=None)
    assign.opd.choices = {o.code: o.code for o in _opds()}
    users = db.session.scalars(select(User).order_by(User.role, User.username)).all()
    return render_template("admin/users.html", users=users, form=form or _user_form(formdata=None),
                           assign=assign, toggle=ToggleForm(), secret=secret), status


def _user(user_id: int) -> User:
    return db.session.get(User, user_id) or abort(404)


def _opd(code: str | None) -> OPD | None:
    return db.session.scalar(select(OPD).where(OPD.code == code)) if code else None


def _apply(action, success: str, form=None):
    done = unit.commit(action)
    if not done.ok:
        flash(done.message, "error")
        return _page(form, done.status)
    if result := done.value:  # a one-time password: shown on this answer only, never kept in the session
        return _page(secret=success % {"password": result})
    flash(success, "info")
    return redirect(url_for("admin.users"), 303)


@bp.get("/pengguna")
@roles_required(*ADMINS)
def users():
    """Every account, with forms to add, reset, deactivate and reassign."""
    return _page()


@bp.post("/pengguna")
@roles_required(*ADMINS)
def create_user():
    """Create an account with a temporary password shown once."""
    form = _user_form()
    if not form.validate():
        return _page(form, 422)
    method = current_app.config["PASSWORD_HASH_METHOD"]
    return _apply(lambda: accounts.create(db.session, current_user, form.username.data, form.full_name.data,
                                          form.role.data, _opd(form.opd.data), method)[1],
                  _("Akun %(u)s dibuat. Kata sandi sementara (sampaikan sekali, wajib diganti): %%(password)s",
                    u=form.username.data.strip().lower()), form)


@bp.post("/pengguna/<int:user_id>/sandi")
@roles_required(*ADMINS)
def reset_password(user_id: int):
    """Give a user a new temporary password; their sessions end."""
    user = _user(user_id)
    if not ToggleForm().validate():
        raise StaleForm()
    method = current_app.config["PASSWORD_HASH_METHOD"]
    return _apply(lambda: accounts.reset_password(db.session, current_user, user, method),
                  _("Kata sandi sementara baru untuk %(u)s: %%(password)s", u=user.username))


@bp.post("/pengguna/<int:user_id>/dua-langkah")
@roles_required(*ADMINS)
def reset_totp(user_id: int):
    """Take a user's second factor away (a lost phone); they set it up again, sessions end."""
    user = _user(user_id)
    if not ToggleForm().validate():
        raise StaleForm()
    return _apply(lambda: second_factor.reset(db.session, current_user, user),
                  _("Verifikasi dua langkah %(u)s diatur ulang; ia memasangnya lagi saat masuk berikutnya.",
                    u=user.username))


@bp.post("/pengguna/<int:user_id>/aktif")
@roles_required(*ADMINS)
def set_user_active(user_id: int):
    """Deactivate or reactivate an account."""
    user = _user(user_id)
    form = ActiveForm()
    if not form.validate():
        raise StaleForm()
    active = form.active.data == "1"
    return _apply(lambda: accounts.set_active(db.session, current_user, user, active), _("Tersimpan."))


@bp.post("/pengguna/<int:user_id>/opd")
@roles_required(*ADMINS)
def assign_opd(user_id: int):
    """Assign a verifier to another OPD; an OPD not on the list is 422 naming the field."""
    user = _user(user_id)
    form = AssignForm()
    form.opd.choices = {o.code: o.code for o in _opds()}
    if not form.validate():
        flash(f"{_('OPD untuk %(u)s', u=user.username)}: {form.opd.errors[0]}", "error")
        return _page(status=422)
    return _apply(lambda: accounts.assign_opd(db.session, current_user, user, _opd(form.opd.data)),
                  _("Tersimpan."))

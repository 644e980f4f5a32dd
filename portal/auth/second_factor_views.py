"""The second factor on the web: the login's code step (/masuk/kode), and one's own enrolment
and switching off (/akun/dua-langkah)."""
from __future__ import annotations

import time

import segno
from flask import current_app, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from portal.auth import second_factor
from portal.auth.forms import CodeForm
from portal.auth.views import _address_limit, bp, start_session
from portal.core.models import User
from portal.web import unit
from portal.web.extensions import db, limiter

PENDING_SECONDS = 5 * 60  # the password step counts this long


def _pending() -> User | None:
    """The user who passed the password step in this session, if recently, and nothing about
    the account changed since (a new password or ended sessions void it)."""
    pending = session.get("pending")
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None
    user = db.session.get(User, pending.get("id"))
    if user is None or not user.active or user.session_token != pending.get("token"):
        return None
    return user


def _code_key() -> str:
    user = _pending()
    return f"login-code:{user.id}" if user else "login-code:-"


def _code_limit() -> str:
    return current_app.config["RATELIMIT_LOGIN_CODE"]


def _wrong(form: CodeForm, message: str) -> None:
    form.code.errors = [message]


@bp.route("/masuk/kode", methods=["GET", "POST"])
@limiter.limit(_address_limit, methods=["POST"])
@limiter.limit(_code_limit, methods=["POST"], key_func=_code_key)
def login_code():
    """The login's second step: a code from the app or a recovery code; only then logged in."""
    if current_user.is_authenticated:
        return redirect(url_for("auth.home"))
    user = _pending()
    if user is None:
        session.pop("pending", None)
        flash(_("Masukkan nama pengguna dan kata sandi lagi."), "info")
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if not form.validate_on_submit():
        return render_template("auth/code.html", form=form), 422 if form.is_submitted() else 200
    accepted = second_factor.second_step(db.session, user, form.code.data)
    db.session.commit()
    if not accepted:
        _wrong(form, _(second_factor.WRONG_CODE))
        return render_template("auth/code.html", form=form), 422
    return start_session(user, session["pending"].get("next"))


def _qr(user: User) -> Markup:
    """The enrolment QR code as inline SVG, drawn here (no image service, no script)."""
    code = segno.make(second_factor.uri(user, current_app.config["TOTP_ISSUER"]), error="m")
    return Markup(code.svg_inline(scale=4, border=2, light="#fff", title=_("Kode QR untuk aplikasi autentikator")))


def _page(form: CodeForm | None = None, status: int = 200, codes: list[str] | None = None):
    user = db.session.get(User, current_user.id)
    required = user.role in current_app.config["REQUIRE_TOTP_ROLES"]
    if second_factor.enabled(user):
        return render_template("auth/totp.html", user=user, form=form or CodeForm(formdata=None), codes=codes,
                               unused=second_factor.unused_codes(db.session, user), required=required), status
    if form is None:  # the page itself starts enrolment; a refused post changes nothing
        second_factor.start(user)
        db.session.commit()
    secret = user.totp_secret
    grouped = " ".join(secret[i:i + 4] for i in range(0, len(secret), 4)) if secret else None
    return render_template("auth/totp.html", user=user, form=form or CodeForm(formdata=None),
                           qr=_qr(user) if secret else None, secret=grouped, required=required), status


@bp.get("/akun/dua-langkah")
@login_required
def totp():
    """One's own second factor: set it up (QR code, secret, first code), or its state and a way
    to switch it off."""
    return _page()


@bp.post("/akun/dua-langkah")
@login_required
def totp_confirm():
    """Switch the second factor on with a first code; the recovery codes are shown this once."""
    form = CodeForm()
    if not form.validate():
        return _page(form, 422)
    user = db.session.get(User, current_user.id)
    done = unit.commit(lambda: second_factor.confirm(db.session, user, form.code.data))
    if not done.ok:
        _wrong(form, done.message or "")
        return _page(form, done.status)
    return _page(codes=done.value)


@bp.post("/akun/dua-langkah/matikan")
@login_required
def totp_disable():
    """Switch one's own second factor off, with a valid code."""
    form = CodeForm()
    if not form.validate():
        return _page(form, 422)
    user = db.session.get(User, current_user.id)
    done = unit.commit(lambda: second_factor.disable(db.session, user, form.code.data))
    if not done.ok:
        _wrong(form, done.message or "")
        return _page(form, done.status)
    flash(_("Verifikasi dua langkah dimatikan."), "info")
    return redirect(url_for("auth.totp"), 303)

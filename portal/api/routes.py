"""Views; see the package docstring. /api/summary answers JSON to a supervisor's or admin's
session or to a read-only bearer token; the admin pages under /admin/token manage the tokens."""
from __future__ import annotations

from functools import wraps

from flask import abort, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.api import bp
from portal.api.forms import RevokeForm, TokenForm
from portal.auth import roles_required
from portal.domain import api_summary, api_tokens, transitions
from portal.extensions import db
from portal.models import ApiToken, utcnow
from portal.web import describe

SUMMARY_ROLES = ("supervisor", "admin")


def _refuse(status: int, message: str, challenge: str | None = None):
    response = jsonify(error=message)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    if challenge:
        response.headers["WWW-Authenticate"] = challenge
    return response


def _bearer() -> str | None:
    """The token of an `Authorization: Bearer …` header; "" for another or malformed scheme."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _sep, token = header.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def token_or_session(*roles: str):
    """A bearer token (when an Authorization header is sent, it alone decides) or a login session
    in one of `roles`. Answers JSON 401/403 itself instead of redirecting to the login page, and
    never starts a session for a token."""
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            plain = _bearer()
            if plain is not None:
                token = api_tokens.authenticate(db.session, plain)
                if token is None:
                    return _refuse(401, _("Token tidak sah atau sudah dicabut."),
                                   'Bearer realm="portal", error="invalid_token"')
                db.session.commit()  # last_used_at, when it moved
                g.api_token = token
            elif not current_user.is_authenticated:
                return _refuse(401, _("Masuk dulu, atau kirim token: Authorization: Bearer <token>."),
                               'Bearer realm="portal"')
            elif current_user.role not in roles:
                return _refuse(403, _("Peran Anda tidak berhak membaca ringkasan ini."))
            return view(*args, **kwargs)
        wrapped.roles = roles
        return wrapped
    return decorator


@bp.get("/api/summary")
@token_or_session(*SUMMARY_ROLES)
def summary():
    """The county's figures, per OPD, and the coverage targets, as JSON; never cached."""
    response = jsonify(api_summary.summary(db.session, utcnow()))
    response.headers["Cache-Control"] = "no-store"
    return response


def _page(form=None, status=200):
    return render_template("api/tokens.html", tokens=api_tokens.listing(db.session),
                           form=form or TokenForm(formdata=None), revoke=RevokeForm()), status


@bp.get("/admin/token")
@roles_required("admin")
def tokens():
    """Every API token (name, maker, created, last used, status) and a form to make one."""
    return _page()


@bp.post("/admin/token")
@roles_required("admin")
def create_token():
    """Make a token; its plain value is shown once, on the page the browser is sent back to."""
    form = TokenForm()
    if not form.validate():
        return _page(form, 422)
    try:
        token, plain = api_tokens.create(db.session, current_user, form.name.data)
        db.session.commit()
    except transitions.TransitionError as error:
        db.session.rollback()
        form.name.errors = [*form.name.errors, describe(error)]
        return _page(form, error.status)
    flash(_("Token \u201c%(name)s\u201d dibuat. Salin sekarang, token ini tidak akan ditampilkan lagi: %(token)s",
            name=token.name, token=plain), "info")
    return redirect(url_for("api.tokens"), 303)


@bp.post("/admin/token/<int:token_id>/cabut")
@roles_required("admin")
def revoke_token(token_id: int):
    """Revoke a token: requests carrying it are refused from now on."""
    token = db.session.get(ApiToken, token_id) or abort(404)
    if not RevokeForm().validate():
        abort(400)
    try:
        api_tokens.revoke(db.session, current_user, token)
        db.session.commit()
    except transitions.TransitionError as error:
        db.session.rollback()
        flash(describe(error), "error")
        return _page(status=error.status)
    flash(_("Token \u201c%(name)s\u201d dicabut.", name=token.name), "info")
    return redirect(url_for("api.tokens"), 303)

"""The view of /api/summary: JSON to a supervisor's or admin's session or to a read-only bearer
token (the tokens are managed at /admin/token)."""
from __future__ import annotations

from functools import wraps

from flask import Blueprint, g, jsonify, request
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user

from portal.api import report, tokens
from portal.core.models import utcnow
from portal.core.roles import SUMMARY_READERS
from portal.web.extensions import db

bp = Blueprint("api", __name__, url_prefix="/api")


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
                token = tokens.authenticate(db.session, plain)
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


def _english(text: str) -> str:
    with force_locale("en"):
        return _(text)


@bp.get("/summary")
@token_or_session(*SUMMARY_READERS)
def summary():
    """The county's figures, per OPD, and the coverage targets, as JSON; never cached."""
    response = jsonify(report.summary(db.session, utcnow(), _english))
    response.headers["Cache-Control"] = "no-store"
    return response

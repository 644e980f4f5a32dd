"""Cross-cutting web behaviour: locale, template filters and globals, user loading, error pages,
security headers, the request log."""
from __future__ import annotations

import json
import logging
import secrets
import time

from flask import (
    Flask,
    Response,
    abort,
    current_app,
    g,
    has_request_context,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from portal.core import N_, export_trail, privacy, states
from portal.core.models import User
from portal.core.states import ACTION_LABELS, ENROLMENT_LABELS, ROLE_LABELS, STATE_LABELS, VERIFICATION_LABELS
from portal.web import guards, opds, queue_filter
from portal.web.extensions import db, login
from portal.web.forms import StaleForm
from portal.web.htmx import is_htmx
from portal.web.text import changes, date_id, measure, num, pct, rupiah, when

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
# The portal uses none of these; a script that got in could not use them either.
PERMISSIONS = ("accelerometer=(), autoplay=(), bluetooth=(), camera=(), display-capture=(), geolocation=(), "
               "gyroscope=(), hid=(), magnetometer=(), microphone=(), midi=(), payment=(), serial=(), usb=(), "
               "xr-spatial-tracking=()")


def locale() -> str:
    """The logged-in user's language, else the one chosen in this session, else Indonesian."""
    if not has_request_context():
        return "id"
    supported = current_app.config["LANGUAGES"]
    if current_user.is_authenticated and current_user.locale in supported:
        return current_user.locale
    lang = session.get("lang")
    return lang if lang in supported else "id"


@login.user_loader
def _load_user(session_id: str) -> User | None:
    """The user of a login session, unless deactivated or its sessions were ended since."""
    user_id, _, token = session_id.partition(":")
    user = db.session.get(User, int(user_id)) if user_id.isascii() and user_id.isdigit() else None
    if user is None or not user.active or not secrets.compare_digest(user.session_token, token):
        return None
    return user


@login.unauthorized_handler
def _unauthorized():
    target = url_for("auth.login", next=request.full_path if request.method == "GET" else None)
    if is_htmx():
        # A swap would put the login page inside a table cell; send the whole window there.
        return Response(status=401, headers={"HX-Redirect": target})
    return redirect(target)


def _error(status: int, message: str):
    if is_htmx():
        body = render_template("errors/message.html", message=message, status=status)
        return body, status, {"HX-Retarget": "#pesan", "HX-Reswap": "innerHTML"}
    return render_template("errors/page.html", message=message, status=status), status


MESSAGES = {
    400: N_("Permintaan tidak dapat diproses."),
    403: N_("Anda tidak berhak membuka halaman ini."),
    404: N_("Halaman atau data tidak ditemukan."),
    405: N_("Cara membuka halaman ini tidak didukung."),
    413: N_("Berkas terlalu besar (paling besar 5 MB)."),
    429: N_("Terlalu banyak percobaan. Tunggu sebentar lalu coba lagi."),
    500: N_("Terjadi kesalahan di server. Tidak ada data yang berubah; coba lagi."),
}
EXPIRED = N_("Formulir kedaluwarsa atau tidak sah. Muat ulang halaman, lalu coba lagi.")


class _Id(IntegerConverter):
    """`<int:…>` in every route: a positive id that fits a 32-bit column, else 404 (SQLite
    overflows on longer numbers)."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


def _refuse_nul() -> None:
    """A NUL character is never legitimate input, and PostgreSQL refuses to store it."""
    for value in (*request.args.values(), *request.form.values(), request.path):
        if "\x00" in value:
            abort(400)


def init_app(app: Flask) -> None:
    app.url_map.converters["int"] = _Id
    app.before_request(_refuse_nul)
    app.jinja_env.filters.update(num=num, pct=pct, rupiah=rupiah, when=when, date_id=date_id, changes=changes,
                                 mask=privacy.mask, export_summary=export_trail.summary)
    app.jinja_env.globals.update(VERIFICATION_LABELS=VERIFICATION_LABELS, locale=locale,
                                 ENROLMENT_LABELS=ENROLMENT_LABELS, ROLE_LABELS=ROLE_LABELS,
                                 ACTION_LABELS=ACTION_LABELS, STATE_LABELS=STATE_LABELS,
                                 allowed_actions=states.allowed_actions,
                                 enrolment_actions=states.enrolment_actions, can=guards.can,
                                 picks_opd=opds.picks_opd, measure=measure, queue_kept=queue_filter.kept)
    app.jinja_env.tests["can"] = guards.can  # `… | selectattr('0', 'can')` keeps the permitted links

    @app.errorhandler(CSRFError)
    @app.errorhandler(StaleForm)
    def _expired(_error_):
        return _error(400, gettext(EXPIRED))

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        if exc.code is None or exc.code < 400:
            return exc
        return _error(exc.code, gettext(MESSAGES.get(exc.code, MESSAGES[400])))

    @app.errorhandler(Exception)
    def _crash(exc: Exception):
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        return _error(500, gettext(MESSAGES[500]))

    @app.before_request
    def _request_start() -> None:
        g.started = time.perf_counter()
        db.session.info["ip"] = request.remote_addr  # audit events record where a change came from
        _log_start()

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", PERMISSIONS)
        if app.config["STRICT_TRANSPORT_SECURITY"]:
            response.headers.setdefault("Strict-Transport-Security", app.config["STRICT_TRANSPORT_SECURITY"])
        response.vary.add("HX-Request")  # every page may answer htmx with a fragment
        if "Cache-Control" not in response.headers and (current_user.is_authenticated
                                                        or response.mimetype == "text/html"):
            # Names and NIKs must not stay in a shared office PC's cache after logout, nor a page
            # with a CSRF token (the login form) come back from the back button. Pages that say
            # otherwise (/publik) and static files, which set their own, keep theirs.
            response.headers["Cache-Control"] = "no-store"
        _log_request(response)
        return response


REQUEST_LOG = logging.getLogger("portal.request")
START_LOG = logging.getLogger("portal.request.start")  # through portal.request's handler


def _log_start() -> None:
    """A line as a request starts, so one killed or timed out on the way still leaves a trace."""
    START_LOG.info(json.dumps({
        "start": True, "method": request.method, "path": request.path,
        "user": current_user.get_id().split(":")[0] if current_user.is_authenticated else None,
        "ip": request.remote_addr}))


def _log_request(response: Response) -> None:
    """One JSON line per request. The path only: query strings can hold a NIK being searched."""
    started = g.get("started")
    REQUEST_LOG.info(json.dumps({
        "method": request.method, "path": request.path, "status": response.status_code,
        "ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
        "user": current_user.get_id().split(":")[0] if current_user.is_authenticated else None,
        "htmx": is_htmx(), "ip": request.remote_addr}))

"""Cross-cutting web behaviour: locale, number filters, user loading, error pages, headers."""
from __future__ import annotations

import json
import logging
import secrets
import time
from datetime import datetime

from flask import (Flask, Response, abort, current_app, g, has_request_context, redirect,
                   render_template, request, session, url_for)
from flask_babel import format_date, format_datetime, format_decimal, gettext
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from portal.domain import N_, exports, privacy
from portal.domain.transitions import TransitionError
from portal.domain.states import (ACTION_LABELS, ENROLMENT_LABELS, ROLE_LABELS, STATE_LABELS,
                                  VERIFICATION_LABELS)
from portal.extensions import db, login
from portal.htmx import is_htmx
from portal.models import User

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


def locale() -> str:
    """The logged-in user's language, else the one chosen in this session, else Indonesian."""
    if not has_request_context():
        return "id"
    supported = current_app.config["LANGUAGES"]
    if current_user.is_authenticated and current_user.locale in supported:
        return current_user.locale
    lang = session.get("lang")
    return lang if lang in supported else "id"


def num(value: int | float) -> str:
    """3934 → '3.934' in Indonesian."""
    return format_decimal(value, format="#,##0")


def pct(share: float) -> str:
    """0.2577 → '25,77 %' in Indonesian."""
    return format_decimal(share * 100, format="#,##0.00") + "\u00a0%"


def when(value: datetime | None) -> str:
    return format_datetime(value, "d MMM yyyy HH:mm zzz") if value else ""


def date_id(value) -> str:
    """A date as people write it: 3 Mei 1975."""
    return format_date(value, "d MMMM yyyy") if value else ""


def changes(detail: str) -> list[tuple[str, list]]:
    """The (field, [old, new]) pairs a correction event recorded."""
    if not detail:
        return []
    try:
        data = json.loads(detail)
    except ValueError:
        return []
    return [(gettext(FIELD_LABELS.get(k, k)), v) for k, v in data.items() if isinstance(v, list)]


FIELD_LABELS = {"full_name": N_("Nama"), "address": N_("Alamat"), "desa_code": N_("Desa"),
                "phone": N_("No. HP"), "kecamatan_code": N_("Kecamatan")}


def attempt(worker, form, apply) -> tuple[object, str | None, int]:
    """Validate `form` and run `apply(worker, form)` (one domain transition), committing it, or
    roll back on a refusal. Returns the worker as stored now, the refusal's message and status."""
    if not form.validate():
        return worker, next(iter(form.errors.values()))[0], 422
    try:
        apply(worker, form)
        db.session.commit()
    except TransitionError as error:
        db.session.rollback()
        return db.session.get(type(worker), worker.id, populate_existing=True), describe(error), error.status
    return worker, None, 200


def describe(error) -> str:
    """A domain error's message in the user's language, with its values filled in."""
    params = {}
    for key, value in error.params.items():
        if isinstance(value, datetime):
            value = when(value)
        elif key in ("state", "action"):
            value = gettext(value)
        params[key] = value
    return gettext(error.message, **params)


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
    app.jinja_env.filters.update(num=num, pct=pct, when=when, date_id=date_id, changes=changes,
                                 mask=privacy.mask, export_summary=exports.summary)
    app.jinja_env.globals.update(VERIFICATION_LABELS=VERIFICATION_LABELS, locale=locale,
                                 ENROLMENT_LABELS=ENROLMENT_LABELS, ROLE_LABELS=ROLE_LABELS,
                                 ACTION_LABELS=ACTION_LABELS, STATE_LABELS=STATE_LABELS)

    @app.errorhandler(CSRFError)
    def _csrf(_error_):
        return _error(400, gettext("Formulir kedaluwarsa atau tidak sah. Muat ulang halaman, lalu coba lagi."))

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

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.vary.add("HX-Request")  # every page may answer htmx with a fragment
        if current_user.is_authenticated and "Cache-Control" not in response.headers:
            # Names and NIKs must not stay in a shared office PC's cache after logout.
            response.headers["Cache-Control"] = "no-store"
        _log_request(response)
        return response


REQUEST_LOG = logging.getLogger("portal.request")


def _log_request(response: Response) -> None:
    """One JSON line per request. The path only: query strings can hold a NIK being searched."""
    started = g.get("started")
    REQUEST_LOG.info(json.dumps({
        "method": request.method, "path": request.path, "status": response.status_code,
        "ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
        "user": current_user.get_id().split(":")[0] if current_user.is_authenticated else None,
        "htmx": is_htmx(), "ip": request.remote_addr}))

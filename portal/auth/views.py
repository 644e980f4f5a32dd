"""Login, logout, own password, and the per-request session checks (idle time, forced change)."""
from __future__ import annotations

import secrets
import time
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from itsdangerous import BadSignature, URLSafeTimedSerializer

from portal.auth import accounts, second_factor
from portal.auth.forms import ChangePasswordForm, LoginForm
from portal.core import audit
from portal.core.models import User
from portal.web import unit
from portal.web.extensions import db, limiter
from portal.web.htmx import is_htmx

bp = Blueprint("auth", __name__)

HOME = {"verifier": "queue.index", "supervisor": "county.index", "admin": "county.index",
        "bpjs": "bpjs.index"}
OPEN_ENDPOINTS = {"auth.login", "auth.logout", "auth.change_password", "static", "public.index"}
ENROL_ENDPOINTS = OPEN_ENDPOINTS | {"auth.totp", "auth.totp_confirm"}
DEVICE_COOKIE = "perangkat"
DEVICE_USERS = 10  # usernames one browser remembers (a shared office PC)


def _address_limit() -> str:
    return current_app.config["RATELIMIT_LOGIN"]


def _username_limit() -> str:
    return current_app.config["RATELIMIT_LOGIN_USERNAME"]


def _devices() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="login-device")


def _device() -> dict | None:
    """This browser's device cookie (OWASP "device cookies"): its id and the usernames that
    logged in on it, if the signature holds and it is not too old."""
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return None
    try:
        device = _devices().loads(raw, max_age=current_app.config["DEVICE_COOKIE_DAYS"] * 86400)
    except BadSignature:
        return None
    return device if isinstance(device, dict) and isinstance(device.get("users"), list) else None


def _remember_device(response: Response, username: str) -> Response:
    """Mark this browser as one `username` logged in on, for the username throttle."""
    device = _device() or {"id": secrets.token_hex(8), "users": []}
    device["users"] = [username] + [u for u in device["users"] if u != username][:DEVICE_USERS - 1]
    response.set_cookie(DEVICE_COOKIE, _devices().dumps(device), max_age=current_app.config["DEVICE_COOKIE_DAYS"] * 86400,
                        secure=current_app.config.get("SESSION_COOKIE_SECURE", False), httponly=True, samesite="Lax")
    return response


def _refused(response: Response) -> bool:
    """Only refused attempts count against a username: its owner's own logins do not."""
    return response.status_code != 303


def _username_key() -> str:
    """The username's bucket; a browser the owner logged in on before has a bucket of its own,
    so someone hammering the username elsewhere cannot lock the owner out."""
    username = request.form.get("username", "").strip().lower()[:40]
    device = _device()
    if device is not None and username in device["users"]:
        return f"login-device:{device['id']}:{username}"
    return "login-user:" + username


def site_path(target: str | None) -> str | None:
    """`target` if it is a path on this site; browsers read "/\\host" as "//host"."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target or urlsplit(target).netloc:
        return None
    return target


def _to(endpoint: str, **args):
    """Send the browser to `endpoint`: the whole window, also from an htmx request."""
    target = url_for(endpoint, **args)
    if is_htmx():
        return Response(status=401, headers={"HX-Redirect": target})
    return redirect(target)


@bp.before_app_request
def _session_checks():
    """End idle sessions; send users with a temporary password to change it first."""
    if not current_user.is_authenticated or request.endpoint == "static":
        return None
    now, seen = time.time(), session.get("seen", 0)
    if now - seen > current_app.config["IDLE_TIMEOUT_SECONDS"]:
        logout_user()
        session.clear()
        if request.blueprint == "api" or request.endpoint == "public.index":
            return None  # the API answers 401 itself; the public page needs no login
        flash(_("Sesi berakhir karena terlalu lama tidak ada kegiatan. Silakan masuk lagi."), "info")
        return _to("auth.login", next=request.full_path if request.method == "GET" else None)
    if request.headers.get("X-Poll") != "1":  # self-refreshing tables are not activity
        session["seen"] = now
    if current_user.must_change_password and request.endpoint not in OPEN_ENDPOINTS:
        return _to("auth.change_password")
    if (second_factor.must_enrol(current_user, current_app.config["REQUIRE_TOTP_ROLES"])
            and request.endpoint not in ENROL_ENDPOINTS):
        return _to("auth.totp")
    return None


@bp.get("/")
def home():
    """Each role's starting page; the login page for anyone not logged in."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return redirect(url_for(HOME[current_user.role]))


@bp.route("/masuk", methods=["GET", "POST"])
@limiter.limit(_address_limit, methods=["POST"])
@limiter.limit(_username_limit, methods=["POST"], key_func=_username_key, deduct_when=_refused)
def login():
    """The login form; on success a fresh session and the page asked for (same site only)."""
    if current_user.is_authenticated:
        return redirect(url_for("auth.home"))
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form), 422 if form.is_submitted() else 200
    user = accounts.authenticate(db.session, form.username.data, form.password.data,
                                 current_app.config["PASSWORD_HASH_METHOD"])
    db.session.commit()
    if user is None:
        flash(_("Nama pengguna atau kata sandi salah."), "error")
        return render_template("auth/login.html", form=form), 422
    target = site_path(request.args.get("next", ""))
    if second_factor.enabled(user):  # not logged in yet: the code step comes first
        chosen = session.get("lang")
        session.clear()
        session["pending"] = {"id": user.id, "token": user.session_token, "at": time.time(), "next": target}
        if chosen:
            session["lang"] = chosen
        return redirect(url_for("auth.login_code"), 303)
    return start_session(user, target)


def start_session(user: User, target: str | None) -> Response:
    """Log `user` in on a fresh session, remember this browser for them, and go on to `target`
    (or their own password first, if it is temporary)."""
    chosen = session.get("lang")  # a language picked on the login page is the one kept
    session.clear()  # a new session at login: nothing from before carries over
    login_user(user)
    session["seen"] = time.time()
    if chosen in current_app.config["LANGUAGES"] and chosen != user.locale:
        user.locale = chosen
        db.session.commit()
    if user.must_change_password:
        response = redirect(url_for("auth.change_password"), 303)
    else:
        response = redirect(target or url_for("auth.home"), 303)
    return _remember_device(response, user.username)


@bp.post("/keluar")
@login_required
def logout():
    """End this and every other session of the user (POST, so CSRF guards it)."""
    user = db.session.get(User, current_user.id)
    user.end_sessions()
    audit.record(db.session, action="logout", user_id=user.id)
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("Anda sudah keluar."), "info")
    return redirect(url_for("auth.login"), 303)


@bp.route("/sandi", methods=["GET", "POST"])
@login_required
def change_password():
    """Change one's own password (forced after an admin set a temporary one)."""
    form = ChangePasswordForm()
    if not form.validate_on_submit():
        return render_template("auth/password.html", form=form), 422 if form.is_submitted() else 200
    user = db.session.get(User, current_user.id)
    done = unit.commit(lambda: accounts.change_own_password(db.session, user, form.current.data, form.new.data,
                                                            current_app.config["PASSWORD_HASH_METHOD"]))
    if not done.ok:
        flash(done.message, "error")
        return render_template("auth/password.html", form=form), done.status
    login_user(user)  # the new password ended the old sessions; keep this one
    flash(_("Kata sandi diganti."), "info")
    return redirect(url_for("auth.home"), 303)

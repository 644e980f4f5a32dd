from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from portal.auth import bp
from portal.auth.forms import LoginForm
from portal.extensions import db, limiter
from portal.models import User

HOME = {"verifier": "queue.index", "supervisor": "county.index", "admin": "county.index",
        "bpjs": "county.index"}


def _login_limit() -> str:
    return current_app.config["RATELIMIT_LOGIN"]


def _local(target: str) -> str | None:
    """`target` if it is a path on this site; browsers read "/\\host" as "//host"."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target or urlsplit(target).netloc:
        return None
    return target


@bp.get("/")
def home():
    """Each role's starting page; the login page for anyone not logged in."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return redirect(url_for(HOME[current_user.role]))


@bp.route("/masuk", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    """The login form; on success a fresh session and the page asked for (same site only)."""
    if current_user.is_authenticated:
        return redirect(url_for("auth.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.scalar(select(User).where(User.username == form.username.data.strip().lower()))
        if user is not None and user.active and user.check_password(form.password.data):
            session.clear()  # a new session at login: nothing from before carries over
            login_user(user)
            return redirect(_local(request.args.get("next", "")) or url_for("auth.home"), 303)
        flash(_("Nama pengguna atau kata sandi salah."), "error")
        return render_template("auth/login.html", form=form), 422
    status = 422 if form.is_submitted() else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/keluar")
@login_required
def logout():
    """End the session. POST, so CSRFProtect guards it: a link elsewhere cannot log anyone out."""
    logout_user()
    session.clear()
    flash(_("Anda sudah keluar."), "info")
    return redirect(url_for("auth.login"), 303)

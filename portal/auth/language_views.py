"""Switching the interface language, for anyone (a session choice) and for a logged-in user (kept
on the account, so it follows them to other devices)."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect
from wtforms import HiddenField, SelectField

from portal.auth.views import bp, site_path
from portal.web.extensions import db
from portal.web.forms import PortalForm

NAMES = {"id": "Bahasa Indonesia", "en": "English"}  # each language in its own words


class LanguageForm(PortalForm):
    lang = SelectField(choices=NAMES, validate_choice=True)
    next = HiddenField()


def _local(target: str | None) -> str | None:
    """`target` if it is a page of this site a browser can GET (a form's POST address would
    answer 405)."""
    if site_path(target) is None:
        return None
    try:
        current_app.url_map.bind(request.host).match(urlsplit(target).path, method="GET")
    except RequestRedirect:
        pass  # e.g. /kabupaten → /kabupaten/: the browser follows it
    except HTTPException:
        return None
    return target


def _back() -> str:
    """Where the switch was made: a local `next`, else the referring page of this site, else home."""
    target = _local(request.form.get("next") or request.args.get("next"))
    if target:
        return target
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc == request.host:
        target = _local(referrer.path + (f"?{referrer.query}" if referrer.query else ""))
    return target or url_for("auth.home")


@bp.post("/bahasa")
def language():
    """Set the language (form field `lang`: id or en) for this session and, when logged in, on the
    account; then 303 back to the page it was chosen on. An unknown language is 422."""
    form = LanguageForm()
    if not form.validate():
        message = _("Bahasa tidak dikenal. Pilih Bahasa Indonesia atau English.")
        return render_template("errors/page.html", message=message, status=422), 422
    session["lang"] = form.lang.data
    if current_user.is_authenticated and current_user.locale != form.lang.data:
        # A display preference, not data about a worker: no audit event.
        current_user.locale = form.lang.data
        db.session.commit()
    return redirect(_back(), 303)

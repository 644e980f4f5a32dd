"""The view of /publik: progress open to anyone, aggregates only."""
from __future__ import annotations

from flask import Blueprint, current_app, make_response, render_template, request
from flask_login import current_user

from portal.core import clock
from portal.core.models import utcnow
from portal.county import trend
from portal.web.extensions import db

bp = Blueprint("public", __name__, url_prefix="/publik")


@bp.get("")
def index():
    """Open to anyone, logged in or not: county and per-OPD aggregates (counts under 5 shown as
    "< 5", and shares computed from them hidden), the trend, targets against actual. No names or
    NIKs. The page holds nothing per user (no CSRF token, no flashed messages), so shared caches
    may keep it five minutes; a request carrying a session cookie may get that cookie refreshed,
    so there only the browser may."""
    data = trend.progress(db.session, clock.today())
    county = trend.disclose(data["total"])
    latest = data["points"][-1].figures
    show_chart = all(getattr(latest, k) >= trend.SMALL for k in ("verified", "approved", "enrolled"))
    response = make_response(render_template(
        "public/index.html", county=county, show_chart=show_chart, now=utcnow(),
        opds=[(opd, trend.disclose(f)) for opd, f in data["rows"]], **data))
    # A request with a session cookie may get it refreshed or cleared (Set-Cookie): browser only.
    with_session = current_app.config["SESSION_COOKIE_NAME"] in request.cookies
    scope = "private" if with_session or current_user.is_authenticated else "public"
    response.headers["Cache-Control"] = f"{scope}, max-age=300"
    return response

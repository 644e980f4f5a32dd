"""The view of /publik: progress open to anyone, aggregates only, under disclosure control
(portal.public.disclosure)."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, make_response, render_template, request
from flask_login import current_user

from portal.core import clock, tallies
from portal.core.models import utcnow
from portal.county import trend
from portal.public import disclosure
from portal.web.extensions import db

bp = Blueprint("public", __name__, url_prefix="/publik")


@bp.get("")
def index():
    """Open to anyone, logged in or not: county and per-OPD aggregates, the trend and targets
    against actual, every figure rounded to base 5 (1–4 shown as "< 5"). No names or NIKs. The page
    holds nothing per user (no CSRF token, no flashed messages), so shared caches may keep it five
    minutes; a request carrying a session cookie may get that cookie refreshed, so there only the
    browser may."""
    today = clock.today()
    total, rows = tallies.county(db.session)
    published, county, opds = disclosure.table(rows)
    goals = trend.targets(db.session)
    # the chart's year (the pace looks back 30 days within it) and each past target year's end
    points = disclosure.series(db.session, today, rows, trend.CHART_DAYS,
                               [g.year for g in goals if g.year < today.year])
    # No chart until every line's true count reaches 5: the table shows those counts as "< 5".
    show_chart = all(getattr(total, k) >= disclosure.BASE for k in ("verified", "approved", "enrolled_approved"))
    response = make_response(render_template(
        "public/index.html", county=county, opds=opds, show_chart=show_chart, goals=goals, today=today,
        points=[p for p in points if p.day > today - timedelta(days=trend.CHART_DAYS)],
        scorecard=trend.scorecard(points, published, goals, today),
        outlook=trend.outlook(points, published, goals, today), now=utcnow(), base=disclosure.BASE,
        target=next((g for g in goals if g.year == today.year), None)))
    # A request with a session cookie may get it refreshed or cleared (Set-Cookie): browser only.
    with_session = current_app.config["SESSION_COOKIE_NAME"] in request.cookies
    scope = "private" if with_session or current_user.is_authenticated else "public"
    response.headers["Cache-Control"] = f"{scope}, max-age=300"
    return response

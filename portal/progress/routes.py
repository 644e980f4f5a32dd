"""Views; see the package docstring."""
from datetime import timedelta

from flask import current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.auth import roles_required
from portal.domain import chart, tallies, transitions, trend
from portal.extensions import db
from portal.models import utcnow
from portal.progress import bp
from portal.progress.forms import TargetForm
from portal.web import describe, pct

CHART_DAYS = 365


@bp.app_template_global("trend_layout")
def trend_layout(points, targets=None, width=640, height=240):
    """The chart coordinates for `_trend.html`'s `trend_chart` macro, on every page."""
    return chart.layout(list(points or []), targets, width, height)


def _progress():
    """Today's figures, the daily series ending with them, the targets and the outlook."""
    today = trend.local_day()
    total, rows = tallies.county(db.session)
    points = trend.with_today(trend.series(db.session), total, today)
    goals = trend.targets(db.session)
    return dict(today=today, total=total, rows=rows, goals=goals,
                points=[p for p in points if p.day > today - timedelta(days=CHART_DAYS)],
                scorecard=trend.scorecard(points, total, goals, today),
                outlook=trend.outlook(points, total, goals, today), now=utcnow())


@bp.get("/publik")
def public():
    """Open to anyone, logged in or not: county and per-OPD aggregates (counts under 5 shown as
    "< 5", and shares computed from them hidden), the trend, targets against actual. No names or
    NIKs. The page holds nothing per user (no CSRF token, no flashed messages), so shared caches
    may keep it five minutes; a request carrying a session cookie may get that cookie refreshed,
    so there only the browser may."""
    data = _progress()
    county = trend.disclose(data["total"])
    latest = data["points"][-1].figures
    show_chart = all(getattr(latest, k) >= trend.SMALL for k in ("verified", "approved", "enrolled"))
    response = make_response(render_template(
        "progress/public.html", county=county, show_chart=show_chart,
        opds=[(opd, trend.disclose(f)) for opd, f in data["rows"]], **data))
    # A request with a session cookie may get it refreshed or cleared (Set-Cookie): browser only.
    with_session = current_app.config["SESSION_COOKIE_NAME"] in request.cookies
    scope = "private" if with_session or current_user.is_authenticated else "public"
    response.headers["Cache-Control"] = f"{scope}, max-age=300"
    return response


def _targets_page(form=None, status=200, error=None):
    return render_template("progress/targets.html", form=form or TargetForm(formdata=None),
                           error=error, **_progress()), status


@bp.get("/admin/target")
@roles_required("admin")
def targets():
    """The coverage targets per year against actual coverage, the outlook, and a form to set one."""
    return _targets_page()


@bp.post("/admin/target")
@roles_required("admin")
def set_target():
    """Set or replace one year's target (audited); 303 back to the list, or 422 with the reason."""
    form = TargetForm()
    if not form.validate():
        return _targets_page(form, 422)
    try:
        target = trend.set_target(db.session, current_user, form.year.data, form.coverage.data)
        db.session.commit()
    except transitions.TransitionError as error:
        db.session.rollback()
        return _targets_page(form, error.status, describe(error))
    share = pct(target.coverage_bp / 10000)
    flash(_("Target %(year)s disimpan: %(share)s.", year=target.year, share=share), "info")
    return redirect(url_for("progress.targets"), 303)

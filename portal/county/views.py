"""The county dashboard for supervisors: headline figures, funnel, trend against targets,
breakdowns by OPD, category and kecamatan, rejection reasons, and the lists behind each figure."""
from __future__ import annotations

from flask import Blueprint, current_app, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.admin import nik_trace
from portal.core import clock, queries, tallies
from portal.core.models import utcnow
from portal.core.roles import ADMINS, WATCHERS
from portal.core.states import ENROLMENT_LABELS, VERIFICATION_LABELS
from portal.county import chart, dashboard, history, trend
from portal.web.extensions import db
from portal.web.guards import roles_required
from portal.web.htmx import is_htmx, page_or_block
from portal.web.opds import drill
from portal.web.text import num

bp = Blueprint("county", __name__, url_prefix="/kabupaten")

TEMPLATE = "county/index.html"


@bp.app_template_global("trend_layout")
def trend_layout(points, targets=None, width=640, height=240):
    """The chart coordinates for `_trend.html`'s `trend_chart` macro, on every page that shows it."""
    return chart.layout(list(points or []), targets, width, height)


def _sorting(dimension: str) -> tuple[str, bool]:
    """The sort asked for one breakdown table (?sort=…&desc=1 on its own URL)."""
    if request.view_args and request.view_args.get("dimension") == dimension:
        return request.args.get("sort", "received"), request.args.get("desc", "1") == "1"
    return "received", True


def _tables() -> dict:
    tables = {}
    for dimension in ("category", "kecamatan"):
        key, descending = _sorting(dimension)
        tables[dimension] = dict(rows=dashboard.ordered(dashboard.breakdown(db.session, dimension), key, descending),
                                 sort=key, desc=descending)
    return tables


def _headline() -> dict:
    total, rows = tallies.county(db.session)
    share = {opd.code: dashboard.whatsapp(opd.name, f.pending, num(f.pending),
                                          url_for("queue.index", _external=True))
             for opd, f in rows}
    year = clock.today().year
    return dict(total=total, rows=rows, share=share, now=utcnow(), year=year,
                target=trend.target_of(db.session, year))


@bp.get("/")
@roles_required(*WATCHERS)
def index():
    """The dashboard; htmx polls its headline block (figures and the OPD table). An admin is
    told here when someone opened more full NIKs in a day than NIK_TRACE_THRESHOLD this week."""
    context = _headline()
    if not is_htmx():
        today = clock.today()
        if current_user.role in ADMINS:
            context["nik_alerts"] = nik_trace.exceeded(db.session, today, current_app.config["NIK_TRACE_THRESHOLD"])
            context["nik_days"] = nik_trace.NOTICE_DAYS
        points = history.with_today(history.series(db.session, days=365, today=today), context["total"], today)
        goals = trend.targets(db.session)
        reasons, rejected = dashboard.rejections(db.session)
        context.update(points=points, goals=goals, outlook=trend.outlook(points, context["total"], goals, today),
                       funnel=dashboard.funnel(context["total"]), tables=_tables(), reasons=reasons,
                       rejected=rejected)
    return page_or_block(TEMPLATE, "table", **context)


@bp.get("/rincian/<any(category, kecamatan):dimension>")
@roles_required(*WATCHERS)
def breakdown(dimension: str):
    """One breakdown table, sorted by a column; the whole dashboard without htmx."""
    key, descending = _sorting(dimension)
    rows = dashboard.ordered(dashboard.breakdown(db.session, dimension), key, descending)
    if is_htmx():
        return page_or_block(TEMPLATE, "breakdown", dimension=dimension, rows=rows, sort=key, desc=descending)
    return index()


@bp.get("/daftar")
@roles_required(*WATCHERS)
def workers():
    """The workers behind a figure (read-only, NIKs masked), filtered like the figure was."""
    d = drill()
    page = queries.drill_page(db.session, *d.where, request.args.get("hal", 1, type=int) or 1,
                              current_app.config["QUEUE_PAGE_SIZE"])
    scope = [text for text in (
        d.opd and d.opd.name, d.category and d.category.name, d.kecamatan and _("Kec. %(name)s", name=d.kecamatan.name),
        d.status and _(VERIFICATION_LABELS[d.status]), d.enrolment and _(ENROLMENT_LABELS[d.enrolment]) + " BPJS")
        if text]
    filters = {key: value for key, value in d.args.items() if value}
    return page_or_block("county/workers.html", "results", page=page, filters=filters, scope=scope)

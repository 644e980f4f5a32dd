"""The full-NIK trace (/admin/jejak-nik): per user and day, how many whole NIKs each one saw on
a screen, printed in a Berita Acara and exported, from `portal.admin.nik_trace`."""
from __future__ import annotations

from datetime import date, timedelta

from flask import current_app, render_template, request
from flask_babel import gettext as _

from portal.admin import nik_trace
from portal.admin.views import bp
from portal.core import clock
from portal.core.roles import ADMINS
from portal.web.extensions import db
from portal.web.guards import roles_required


def _range() -> tuple[date, date, str | None]:
    """?dari=&sampai= (YYYY-MM-DD, WIB), the last 30 days without them; a refusal says why."""
    since, until = nik_trace.default_range(clock.today())
    try:
        since = date.fromisoformat(request.args["dari"]) if request.args.get("dari") else since
        until = date.fromisoformat(request.args["sampai"]) if request.args.get("sampai") else until
    except ValueError:
        return since, until, _("Tanggal tidak sah: tulis tanggal yang ada dengan format TTTT-BB-HH, misalnya 2026-03-01.")
    if since > until:
        return since, until, _("Tanggal awal (%(a)s) sesudah tanggal akhir (%(b)s).", a=since, b=until)
    if until - since >= timedelta(days=nik_trace.MAX_DAYS):
        return since, until, _("Rentang paling panjang %(n)s hari; persempit tanggalnya.", n=nik_trace.MAX_DAYS)
    return since, until, None


@bp.get("/jejak-nik")
@roles_required(*ADMINS)
def nik_trace_page():
    """Who pulled how many whole NIKs, per user and day, between two days (default the last 30);
    the lines above NIK_TRACE_THRESHOLD are marked. A malformed range is 422 with the reason."""
    since, until, refusal = _range()
    threshold = current_app.config["NIK_TRACE_THRESHOLD"]
    found = [] if refusal else nik_trace.lines(db.session, since, until)
    return render_template("admin/nik_trace.html", lines=found, totals=nik_trace.totals(found), since=since,
                           until=until, refusal=refusal, threshold=threshold,
                           over=sum(1 for x in found if x.over(threshold))), 422 if refusal else 200

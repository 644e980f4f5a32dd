"""The budget page /kabupaten/fiskal: what the enrolled, approved and undecided names cost the APBD,
and a scenario (portal.county.fiscal). The rates themselves are kept at /admin/tarif."""
from __future__ import annotations

from flask import request
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from portal.core import clock
from portal.core.errors import TransitionError
from portal.core.roles import WATCHERS
from portal.county import fiscal
from portal.county.budget import HORIZON, Run
from portal.county.forms import ScenarioForm
from portal.county.views import bp
from portal.web.extensions import db
from portal.web.guards import roles_required
from portal.web.htmx import page_or_block
from portal.web.text import date_id, describe, rupiah


def terms(runs: list[Run]) -> str:
    """One worker's months as the page states them, a term per rate, bracketed when there are
    several: "[Rp16.800 × 6 bulan (1 Januari 2026–30 Juni 2026) + Rp19.000 × 6 bulan (…)]"."""
    parts = [_("%(months)s bulan tanpa tarif (%(first)s–%(last)s)", months=run.months,
               first=date_id(run.first), last=date_id(run.last)) if run.per_month is None else
             _("%(rate)s × %(months)s bulan (%(first)s–%(last)s)", rate=rupiah(run.per_month), months=run.months,
               first=date_id(run.first), last=date_id(run.last)) for run in runs]
    return f"[{' + '.join(parts)}]" if len(parts) > 1 else "".join(parts)


@bp.get("/fiskal")
@roles_required(*WATCHERS)
def budget():
    """This month's rate, what each OPD's enrolled, approved-not-enrolled and undecided names cost
    the APBD this month and this year (month by month), and a scenario to HORIZON (?n=…&mulai=…;
    by default the whole gap from today). htmx gets the scenario block alone; invalid input answers 422 with the reason there."""
    day = clock.today()
    projection = fiscal.county_projection(db.session, day)
    args = MultiDict(request.args)
    args.setdefault("n", str(projection.total.gap.workers))
    args.setdefault("mulai", day.isoformat())
    form, result, error, status = ScenarioForm(args), None, None, 200
    first = fiscal.first_day(db.session)
    if first is None:  # nothing to compute with yet: the admin's task, not the user's mistake
        error = _("Belum ada tarif iuran yang tercatat. Administrator perlu menambahkannya.")
    elif form.validate():
        try:
            result = fiscal.plan(db.session, projection.total.enrolled.workers, form.n.data, form.mulai.data)
        except TransitionError as exc:
            error, status = describe(exc), exc.status
    else:
        error, status = next(f"{f.label.text}: {e}" for f in form for e in f.errors), 422
    body = page_or_block("county/budget.html", "scenario", projection=projection, form=form,
                         result=result, error=error, today=day, first=fiscal.first_scenario_day(db.session),
                         horizon=HORIZON, terms=terms)
    return body, status

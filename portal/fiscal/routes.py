"""Views of the fiscal projection and of the contribution rates. Each parses input, calls the
domain (portal.domain.fiscal), renders."""
from __future__ import annotations

from datetime import date, datetime, timezone

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, to_user_timezone
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from portal.auth import roles_required
from portal.domain import fiscal
from portal.domain.transitions import TransitionError
from portal.extensions import db
from portal.fiscal import bp
from portal.fiscal.forms import RateForm, ScenarioForm
from portal.htmx import page_or_block
from portal.web import date_id, describe, num

WATCHERS = ("supervisor", "admin", "bpjs")


@bp.app_template_filter("rupiah")
def rupiah(amount: int) -> str:
    """793094400 → 'Rp 793.094.400' (no-break space, thousands as the `num` filter writes them)."""
    return "Rp\u00a0" + num(amount)


def today() -> date:
    """Today in the regency (Asia/Jakarta, the app's Babel timezone), not on the server's clock."""
    return to_user_timezone(datetime.now(timezone.utc)).date()


def _message(error: TransitionError) -> str:
    """A domain error in Indonesian, its dates written as people write them."""
    error.params = {k: date_id(v) if isinstance(v, date) else v for k, v in error.params.items()}
    return describe(error)


@bp.get("/kabupaten/fiskal")
@roles_required(*WATCHERS)
def index():
    """The current rate, what each OPD's enrolled, approved-not-enrolled and undecided names cost
    the APBD per month and per year, and a scenario (?n=…&mulai=…; by default the whole gap from
    today). htmx gets the scenario block alone; invalid input answers 422 with the reason there."""
    day = today()
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
            error, status = _message(exc), exc.status
    else:
        error, status = next(f"{f.label.text}: {e}" for f in form for e in f.errors), 422
    body = page_or_block("fiscal/index.html", "scenario", projection=projection, form=form,
                         result=result, error=error, today=day, first=first)
    return body, status


def _rates_page(form: RateForm | None = None, error: str | None = None, status: int = 200):
    day = today()
    return render_template("fiscal/rates.html", rates=fiscal.rates(db.session),
                           current=fiscal.rate_on(db.session, day), form=form or RateForm(formdata=None),
                           error=error, per_month=fiscal.per_month), status


@bp.get("/admin/tarif")
@roles_required("admin")
def rates():
    """Every contribution rate with its effective date and legal basis, and a form to add one."""
    return _rates_page()


@bp.post("/admin/tarif")
@roles_required("admin")
def add_rate():
    """Record a new rate (audited); 303 back to the list, or 422 with the reason."""
    form = RateForm()
    if not form.validate():
        return _rates_page(form, status=422)
    try:
        fiscal.add_rate(db.session, current_user, form.effective_from.data, form.jkk.data,
                        form.jkm.data, form.basis.data)
        db.session.commit()
    except TransitionError as exc:
        db.session.rollback()
        return _rates_page(form, _message(exc), exc.status)
    flash(_("Tarif iuran baru tersimpan."), "info")
    return redirect(url_for("fiscal.rates"), 303)

"""/admin/tarif: the contribution rates with their effective dates (portal.county.fiscal)."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.admin.forms import RateForm
from portal.admin.views import bp
from portal.core import clock
from portal.core.roles import ADMINS
from portal.county import fiscal
from portal.web import unit
from portal.web.extensions import db
from portal.web.guards import roles_required


def _rates_page(form: RateForm | None = None, error: str | None = None, status: int = 200):
    return render_template("admin/rates.html", rates=fiscal.rates(db.session),
                           current=fiscal.rate_on(db.session, clock.today()), form=form or RateForm(formdata=None),
                           error=error, per_month=fiscal.per_month), status


@bp.get("/tarif")
@roles_required(*ADMINS)
def rates():
    """Every contribution rate with its effective date and legal basis, and a form to add one."""
    return _rates_page()


@bp.post("/tarif")
@roles_required(*ADMINS)
def add_rate():
    """Record a new rate (audited); 303 back to the list, or 422 with the reason."""
    form = RateForm()
    if not form.validate():
        return _rates_page(form, status=422)
    done = unit.commit(lambda: fiscal.add_rate(db.session, current_user, form.effective_from.data, form.jkk.data,
                                               form.jkm.data, form.basis.data))
    if not done.ok:
        return _rates_page(form, done.message, done.status)
    flash(_("Tarif iuran baru tersimpan."), "info")
    return redirect(url_for("admin.rates"), 303)

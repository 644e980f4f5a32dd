"""/admin/target: the coverage target of each year against actual coverage (portal.county.trend)."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.admin.forms import TargetForm
from portal.admin.views import bp
from portal.core import clock
from portal.core.models import utcnow
from portal.core.roles import ADMINS
from portal.county import trend
from portal.web import unit
from portal.web.extensions import db
from portal.web.guards import roles_required
from portal.web.text import pct


def _targets_page(form=None, status=200, error=None):
    return render_template("admin/targets.html", form=form or TargetForm(formdata=None), error=error,
                           now=utcnow(), **trend.progress(db.session, clock.today())), status


@bp.get("/target")
@roles_required(*ADMINS)
def targets():
    """The coverage targets per year against actual coverage, the outlook, and a form to set one."""
    return _targets_page()


@bp.post("/target")
@roles_required(*ADMINS)
def set_target():
    """Set or replace one year's target (audited); 303 back to the list, or 422 with the reason."""
    form = TargetForm()
    if not form.validate():
        return _targets_page(form, 422)
    done = unit.commit(lambda: trend.set_target(db.session, current_user, form.year.data, form.coverage.data))
    if not done.ok:
        return _targets_page(form, done.status, done.message)
    target = done.value
    flash(_("Target %(year)s disimpan: %(share)s.", year=target.year, share=pct(target.coverage_bp / 10000)), "info")
    return redirect(url_for("admin.targets"), 303)

"""Views of /klaim: cross-OPD claims. Each parses input, calls one domain function, renders. The
decision answers htmx with the list block (and a message), and a plain form post with a redirect,
or the page again saying what was refused."""
from __future__ import annotations

from flask import Blueprint, abort
from flask_babel import gettext as _
from flask_login import current_user

from portal.claims import rules
from portal.claims.forms import ResolveForm
from portal.core.models import Claim
from portal.core.roles import CLAIM_VIEWERS, RESOLVERS
from portal.web import unit
from portal.web.extensions import db
from portal.web.forms import first_error
from portal.web.guards import roles_required
from portal.web.htmx import page_or_block

bp = Blueprint("claims", __name__, url_prefix="/klaim")


def _claims_page(notice: str | None = None, status: int = 200):
    listing = rules.claims_for(db.session, current_user)
    return page_or_block("claims/index.html", "claims", listing=listing, fields=rules.submitted_fields,
                         outcomes=rules.OUTCOME_LABELS, notice=notice, notice_error=status >= 400), status


@bp.get("")
@roles_required(*CLAIM_VIEWERS)
def index():
    """Open cross-OPD claims with the worker as held and the row the claimant submitted: all of
    them for admins and supervisors (who decide), the verifier's own OPD's (read-only)."""
    return _claims_page()


@bp.post("/<int:claim_id>/putuskan")
@roles_required(*RESOLVERS)
def resolve(claim_id: int):
    """Keep the worker at its OPD or move it to the claimant OPD (admin or supervisor)."""
    claim = db.session.get(Claim, claim_id) or abort(404)
    form = ResolveForm()
    if not form.validate():
        return _claims_page(first_error(form), 422)
    name = claim.worker.full_name
    return unit.act(_claims_page, "claims.index",
                    lambda: rules.resolve(db.session, claim, current_user, form.owner.data, form.version.data),
                    _("Klaim atas %(name)s diputuskan.", name=name))

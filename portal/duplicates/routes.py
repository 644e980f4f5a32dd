"""Views of cross-OPD claims (/klaim) and likely duplicates (/ganda). Each parses input, calls one
domain function, renders. Actions answer htmx with the list block (and a message), and a plain
form post with a redirect, or the page again saying what was refused."""
from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.auth import roles_required
from portal.domain import duplicates
from portal.domain.transitions import TransitionError
from portal.duplicates import bp
from portal.duplicates.forms import DismissForm, MergeForm, ResolveForm
from portal.extensions import db
from portal.htmx import is_htmx, page_or_block
from portal.models import Claim, Worker
from portal.web import describe

CLAIMS, PAIRS = "duplicates/claims.html", "duplicates/candidates.html"
RESOLVERS = duplicates.RESOLVERS


def _claims_page(notice: str | None = None, status: int = 200):
    listing = duplicates.claims_for(db.session, current_user)
    return page_or_block(CLAIMS, "claims", listing=listing, fields=duplicates.submitted_fields,
                         outcomes=duplicates.OUTCOME_LABELS,
                         notice=notice, notice_error=status >= 400), status


def _pairs_page(notice: str | None = None, status: int = 200):
    return page_or_block(PAIRS, "pairs", found=duplicates.candidates(db.session), notice=notice,
                         notice_error=status >= 400, threshold=duplicates.THRESHOLD), status


def _invalid(form, page):
    """The first problem of an invalid form, on the page, with 422."""
    return page(next(iter(form.errors.values()))[0], 422)


def _act(page, endpoint: str, apply, done: str):
    """Apply one domain function and commit; answer as the module docstring says."""
    try:
        apply()
        db.session.commit()
    except TransitionError as error:
        db.session.rollback()
        return page(describe(error), error.status)
    if is_htmx():
        return page(done)
    flash(done, "info")
    return redirect(url_for(endpoint), 303)


@bp.get("/klaim")
@roles_required("admin", "supervisor", "verifier")
def claims():
    """Open cross-OPD claims with the worker as held and the row the claimant submitted: all of
    them for admins and supervisors (who decide), the verifier's own OPD's (read-only)."""
    return _claims_page()


@bp.post("/klaim/<int:claim_id>/putuskan")
@roles_required(*RESOLVERS)
def resolve(claim_id: int):
    """Keep the worker at its OPD or move it to the claimant OPD (admin or supervisor)."""
    claim = db.session.get(Claim, claim_id) or abort(404)
    form = ResolveForm()
    if not form.validate():
        return _invalid(form, _claims_page)
    name = claim.worker.full_name
    return _act(_claims_page, "duplicates.claims",
                lambda: duplicates.resolve(db.session, claim, current_user, form.owner.data, form.version.data),
                _("Klaim atas %(name)s diputuskan.", name=name))


@bp.get("/ganda")
@roles_required(*RESOLVERS)
def candidates():
    """Kemungkinan Ganda: pairs with the same birth date and sex and similar names, best first."""
    return _pairs_page()


def _workers(*ids: int) -> list[Worker]:
    workers = [db.session.get(Worker, i) for i in ids]
    if None in workers:
        abort(404)
    return workers


@bp.post("/ganda/gabungkan")
@roles_required("admin")
def merge():
    """Keep one of a pair; the other is rejected as data ganda (admin only)."""
    form = MergeForm()
    if not form.validate():
        return _invalid(form, _pairs_page)
    keep, drop = _workers(form.keep.data, form.drop.data)
    return _act(_pairs_page, "duplicates.candidates",
                lambda: duplicates.merge(db.session, current_user, keep, drop, form.version.data),
                _("%(drop)s ditolak sebagai data ganda; %(keep)s dipertahankan.",
                  drop=drop.full_name, keep=keep.full_name))


@bp.post("/ganda/bukan-ganda")
@roles_required(*RESOLVERS)
def dismiss():
    """Mark a pair as two different people; it is not listed again."""
    form = DismissForm()
    if not form.validate():
        return _invalid(form, _pairs_page)
    first, second = _workers(form.first.data, form.second.data)
    return _act(_pairs_page, "duplicates.candidates",
                lambda: duplicates.dismiss(db.session, current_user, first, second),
                _("%(a)s dan %(b)s ditandai bukan ganda.", a=first.full_name, b=second.full_name))

"""Views of /ganda: likely duplicates. Each parses input, calls one domain function, renders.
Actions answer htmx with the list block (and a message), and a plain form post with a redirect,
or the page again saying what was refused."""
from __future__ import annotations

from flask import Blueprint, abort
from flask_babel import gettext as _
from flask_login import current_user

from portal.core.models import Worker
from portal.core.roles import ADMINS, RESOLVERS
from portal.duplicates import rules
from portal.duplicates.forms import DismissForm, MergeForm
from portal.web import unit
from portal.web.extensions import db
from portal.web.forms import first_error
from portal.web.guards import roles_required
from portal.web.htmx import page_or_block

bp = Blueprint("duplicates", __name__, url_prefix="/ganda")


def _pairs_page(notice: str | None = None, status: int = 200):
    return page_or_block("duplicates/index.html", "pairs", found=rules.candidates(db.session), notice=notice,
                         notice_error=status >= 400, threshold=rules.THRESHOLD), status


def _workers(*ids: int) -> list[Worker]:
    workers = [db.session.get(Worker, i) for i in ids]
    if None in workers:
        abort(404)
    return workers


@bp.get("")
@roles_required(*RESOLVERS)
def index():
    """Kemungkinan Ganda: pairs with the same birth date and sex and similar names, best first."""
    return _pairs_page()


@bp.post("/gabungkan")
@roles_required(*ADMINS)
def merge():
    """Keep one of a pair; the other is rejected as data ganda (admin only)."""
    form = MergeForm()
    if not form.validate():
        return _pairs_page(first_error(form), 422)
    keep, drop = _workers(form.keep.data, form.drop.data)
    return unit.act(_pairs_page, "duplicates.index",
                    lambda: rules.merge(db.session, current_user, keep, drop, form.version.data),
                    _("%(drop)s ditolak sebagai data ganda; %(keep)s dipertahankan.",
                      drop=drop.full_name, keep=keep.full_name))


@bp.post("/bukan-ganda")
@roles_required(*RESOLVERS)
def dismiss():
    """Mark a pair as two different people; it is not listed again."""
    form = DismissForm()
    if not form.validate():
        return _pairs_page(first_error(form), 422)
    first, second = _workers(form.first.data, form.second.data)
    return unit.act(_pairs_page, "duplicates.index",
                    lambda: rules.dismiss(db.session, current_user, first, second),
                    _("%(a)s dan %(b)s ditandai bukan ganda.", a=first.full_name, b=second.full_name))

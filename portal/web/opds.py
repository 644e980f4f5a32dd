"""Which OPD a page is about, as every feature reads it from the request."""
from __future__ import annotations

from flask import abort, request
from flask_login import current_user
from sqlalchemy import select

from portal.core.models import OPD
from portal.web.extensions import db


def all_opds() -> list[OPD]:
    """Every OPD, by name."""
    return list(db.session.scalars(select(OPD).order_by(OPD.name)))


def opd_arg(name: str = "opd") -> OPD | None:
    """The OPD named by ?opd=CODE (query string or form), or None when absent or unknown."""
    code = (request.values.get(name) or "").upper()[:20]
    return db.session.scalar(select(OPD).where(OPD.code == code)) if code else None


def queue_opd() -> OPD:
    """The OPD whose queue this is: a verifier's own; an admin's ?opd=CODE, else the first by name."""
    if current_user.role == "verifier":
        return current_user.opd
    return opd_arg() or next(iter(all_opds()), None) or abort(404)

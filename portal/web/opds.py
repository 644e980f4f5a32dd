"""Which OPD a page is about, as every feature reads it from the request."""
from __future__ import annotations

from dataclasses import dataclass

from flask import abort, request
from flask_login import current_user
from sqlalchemy import select

from portal.core.models import OPD, Category, Kecamatan
from portal.core.states import ENROLMENT, VERIFICATION
from portal.web.extensions import db


def all_opds() -> list[OPD]:
    """Every OPD, by name."""
    return list(db.session.scalars(select(OPD).order_by(OPD.name)))


def opd_arg(name: str = "opd") -> OPD | None:
    """The OPD named by ?opd=CODE (query string or form), or None when absent or unknown."""
    code = (request.values.get(name) or "").upper()[:20]
    return db.session.scalar(select(OPD).where(OPD.code == code)) if code else None


def picks_opd() -> bool:
    """Whether this user chooses the OPD a page is about (a verifier works only the own OPD)."""
    return current_user.role != "verifier"


def queue_opd() -> OPD:
    """The OPD whose queue this is: a verifier's own; an admin's ?opd=CODE, else the first by name."""
    if not picks_opd():
        return current_user.opd
    return opd_arg() or next(iter(all_opds()), None) or abort(404)


@dataclass(frozen=True)
class Drill:
    """The figure a drill-down list (or its CSV) is about: ?opd=&kat=&kec=&status=&bpjs=."""
    opd: OPD | None
    category: Category | None
    kecamatan: Kecamatan | None
    status: str | None
    enrolment: str | None
    unknown_opd: bool  # ?opd= named no OPD: an export of everyone instead would surprise

    @property
    def where(self) -> tuple:
        """The filters as portal.core.queries.drilled takes them."""
        return (self.opd and self.opd.id, self.category and self.category.id,
                self.kecamatan and self.kecamatan.code, self.status, self.enrolment)

    @property
    def args(self) -> dict:
        """The filters as query arguments ("" where not given)."""
        return {"opd": self.opd.code if self.opd else "", "kat": self.category.id if self.category else "",
                "kec": self.kecamatan.code if self.kecamatan else "", "status": self.status or "",
                "bpjs": self.enrolment or ""}


def drill() -> Drill:
    """The drill-down filters of this request; unknown values count as not given."""
    args, opd = request.args, opd_arg()
    kat = args.get("kat", type=int)
    return Drill(opd=opd, category=db.session.get(Category, kat) if kat and 0 < kat < 2**31 else None,
                 kecamatan=db.session.get(Kecamatan, args.get("kec", "")[:6]) if args.get("kec") else None,
                 status=args.get("status") if args.get("status") in VERIFICATION else None,
                 enrolment=args.get("bpjs") if args.get("bpjs") in ENROLMENT else None,
                 unknown_opd=bool(args.get("opd")) and opd is None)

"""Views; see the package docstring."""
from __future__ import annotations

from datetime import date, datetime

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from jinja2_fragments.flask import render_block
from markupsafe import Markup
from sqlalchemy import select

from portal.berita_acara import contents
from portal.core import clock, tallies
from portal.core.errors import Invalid
from portal.core.models import OPD, utcnow
from portal.core.roles import REPORT_READERS
from portal.web.extensions import db
from portal.web.guards import roles_required
from portal.web.text import describe

bp = Blueprint("berita_acara", __name__, url_prefix="/berita-acara")


def _day() -> date | None:
    """The document date from ?tanggal=YYYY-MM-DD; today (WIB) without it; None if malformed."""
    raw = request.args.get("tanggal", "").strip()
    if not raw:
        return clock.today()
    try:
        day = datetime.strptime(raw, "%Y-%m-%d").date()
    except ValueError:
        return None
    return day if 2000 <= day.year <= 2100 else None


@bp.get("")
@roles_required(*REPORT_READERS)
def index():
    """A verifier goes straight to the own OPD's document; admin and BPJS choose an OPD."""
    if current_user.role == "verifier":
        tanggal = request.args.get("tanggal") or None  # the chosen date survives the redirect
        return redirect(url_for("berita_acara.document", opd_code=current_user.opd.code, tanggal=tanggal))
    _total, rows = tallies.county(db.session)
    return render_template("berita_acara/index.html", rows=rows)


@bp.get("/<opd_code>")
@roles_required(*REPORT_READERS)
def document(opd_code: str):
    """The printable Berita Acara Verifikasi of one OPD (code in any case), with full NIKs:
    each listed worker's reveal is audited. Another OPD's document is 404 to a verifier;
    a malformed or future `tanggal` is 422 with the reason, and nothing is revealed. A past
    `tanggal` shows the lists and totals as they stood at the end of that day."""
    opd = db.session.scalar(select(OPD).where(OPD.code == opd_code.upper()))
    if opd is None or not contents.may_view(current_user, opd):
        abort(404)
    day = _day()
    if day is None:
        message = _("Tanggal dokumen tidak sah. Tulis tanggal yang ada (tahun 2000–2100) dengan format "
                    "TTTT-BB-HH, misalnya 2025-12-01.")
        return render_template("berita_acara/tanggal.html", opd=opd, message=message, today=clock.today()), 422
    try:
        doc = contents.build(db.session, opd, current_user, day)
    except Invalid as refused:
        return render_template("berita_acara/tanggal.html", opd=opd, message=describe(refused),
                               today=clock.today()), 422
    contents.record_view(db.session, current_user, doc.worker_ids)
    db.session.commit()
    template, now = "berita_acara/berita_acara.html", utcnow()
    with force_locale("id"):  # a signed Indonesian document, whatever the screen language
        document = Markup(render_block(template, "document", doc=doc, now=now))
    body = render_template(template, doc=doc, now=now, today=clock.today(), document=document)
    return body, 200, {"Cache-Control": "no-store"}  # full NIKs: not kept in browser or proxy caches

"""The offline decision sheet of /antrian: download the OPD's pending names as .xlsx, upload the
filled sheet, preview every row's decision, apply them all or none (portal.queue.offline_sheet)."""
from __future__ import annotations

import hashlib

from flask import current_app
from flask_login import current_user

from portal.core import clock
from portal.core.roles import DECIDERS
from portal.queue import offline_sheet
from portal.queue.views import bp
from portal.web import downloads
from portal.web.extensions import db
from portal.web.guards import roles_required
from portal.web.opds import queue_opd
from portal.web.uploads import UploadFlow, refusals


def _key() -> bytes:
    return current_app.config["SECRET_KEY"].encode()


FLOW = UploadFlow("sheet", "queue/sheet.html", "queue.sheet_preview", offline_sheet.read,
                  lambda data, name: offline_sheet.review(db.session, current_user, offline_sheet.read(data, name),
                                                          _key(), hashlib.sha256(data).hexdigest()))


@bp.get("/unduh.xlsx")
@roles_required(*DECIDERS)
def sheet_download():
    """The OPD's pending names as a decision workbook to fill in offline (an admin's ?opd=CODE)."""
    opd = queue_opd()
    return downloads.xlsx(lambda out: offline_sheet.build(db.session, opd.id, _key(), out),
                          f"keputusan-{opd.code}-{clock.today():%Y%m%d}.xlsx", "antrian.xlsx", {"opd": opd.code})


@bp.route("/unggah", methods=["GET", "POST"])
@roles_required(*DECIDERS)
def sheet_upload():
    """Upload a filled decision workbook for a preview."""
    return FLOW.upload()


@bp.get("/unggah/<token>")
@roles_required(*DECIDERS)
def sheet_preview(token: str):
    """Every row's decision to apply, or why it is refused; after apply, what was done."""
    return FLOW.preview(token)


@bp.post("/unggah/<token>")
@roles_required(*DECIDERS)
def sheet_apply(token: str):
    """Apply the acceptable decisions, all or nothing, each audited as a queue decision."""
    return FLOW.apply(token,
                      lambda data, name: offline_sheet.apply(db.session, current_user, offline_sheet.read(data, name),
                                                             _key(), hashlib.sha256(data).hexdigest(), name),
                      lambda r: {"counts": r.counts, "lines": refusals(r.lines, lambda x: x.verdict == "refused")})

"""BPJS's participant report at /bpjs/impor: upload, preview every row's verdict, apply the
matched enrolments, restorations and lapses all or none (portal.bpjs.participant_file)."""
from __future__ import annotations

from flask_login import current_user

from portal.bpjs import participant_file
from portal.bpjs.views import bp
from portal.core import clock
from portal.core.roles import ENROLLERS
from portal.web.extensions import db
from portal.web.guards import roles_required
from portal.web.uploads import UploadFlow, refusals

FLOW = UploadFlow("bpjs", "bpjs/import.html", "bpjs.file_preview", participant_file.read_report,
                  lambda data, name: participant_file.preview(db.session, data, name, clock.today()))


@bp.route("/impor", methods=["GET", "POST"])
@roles_required(*ENROLLERS)
def file_upload():
    """Upload BPJS's participant report (.xlsx/.csv, at most 5 MB) for a preview."""
    return FLOW.upload()


@bp.get("/impor/<token>")
@roles_required(*ENROLLERS)
def file_preview(token: str):
    """Every row of the report with its verdict and counts; after apply, what was done."""
    return FLOW.preview(token)


@bp.post("/impor/<token>")
@roles_required(*ENROLLERS)
def file_apply(token: str):
    """Enrol, restore and lapse the matched rows, all or nothing, audited."""
    return FLOW.apply(token,
                      lambda data, name: participant_file.apply(db.session, current_user, data, name, clock.today()),
                      lambda r: {"counts": r.counts, "lines": refusals(
                          r.lines, lambda x: x.verdict not in participant_file.VERDICTS[:4])})

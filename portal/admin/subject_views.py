"""A data subject's request (UU PDP): everything the portal holds about one NIK and every event
touching that record, as a printable page and as CSV. The NIK travels in POST bodies only (not
in URLs, history or proxy logs), and producing either is itself audited."""
from __future__ import annotations

from flask import Response, render_template, request
from flask_login import current_user

from portal.admin.views import bp
from portal.core import privacy
from portal.core.roles import ADMINS
from portal.web.extensions import db
from portal.web.guards import roles_required


def _nik() -> str:
    return "".join(ch for ch in request.form.get("nik", "") if ch.isascii() and ch.isdigit())[:16]


@bp.route("/subjek", methods=["GET", "POST"])
@roles_required(*ADMINS)
def subject():
    """The lookup form; posted, all data and history of that NIK, ready to print."""
    if request.method == "GET":
        return render_template("admin/subject.html", nik="", w=None, events=[])
    nik = _nik()
    worker, events = privacy.subject_report(db.session, current_user, nik, "subject_report")
    db.session.commit()
    return render_template("admin/subject.html", nik=nik, w=worker, events=events), 200 if worker else 404


@bp.post("/subjek.csv")
@roles_required(*ADMINS)
def subject_csv():
    """The same report as CSV: the record's fields, then one line per event."""
    nik = _nik()
    worker, events = privacy.subject_report(db.session, current_user, nik, "subject_export")
    db.session.commit()
    if worker is None:
        return render_template("admin/subject.html", nik=nik, w=None, events=[]), 404
    return Response(privacy.subject_csv(worker, events), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="subjek-{worker.nik[-4:]}.csv"'})

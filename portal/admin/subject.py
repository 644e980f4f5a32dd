"""A data subject's request (UU PDP): everything the portal holds about one NIK and every event
touching that record, as a printable page and as CSV. Producing it is itself audited."""
from __future__ import annotations

import csv
import io

from flask import Response, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal.admin import bp
from portal.auth import roles_required
from portal.domain import audit, privacy
from portal.extensions import db
from portal.models import Worker
from portal.web import changes, when

FIELDS = ("nik", "full_name", "sex", "birth_date", "address", "phone", "verification",
          "decision_note", "enrolment", "kpj", "enrolled_on")


def _find() -> tuple[str, Worker | None]:
    nik = "".join(ch for ch in request.args.get("nik", "") if ch.isdigit())[:16]
    worker = db.session.scalar(select(Worker).where(Worker.nik == nik)) if len(nik) == 16 else None
    return nik, worker


@bp.get("/subjek")
@roles_required("admin")
def subject():
    """Find one NIK and show all its data and history, ready to print."""
    nik, worker = _find()
    events = []
    if worker is not None:
        audit.record(db.session, action="subject_report", user_id=current_user.id, worker_id=worker.id)
        db.session.commit()
        events = privacy.subject_events(db.session, worker)
    status = 404 if nik and worker is None else 200
    return render_template("admin/subject.html", nik=nik, w=worker, events=events), status


@bp.get("/subjek.csv")
@roles_required("admin")
def subject_csv():
    """The same report as CSV: the record's fields, then one line per event."""
    nik, worker = _find()
    if worker is None:
        return render_template("admin/subject.html", nik=nik, w=None, events=[]), 404
    audit.record(db.session, action="subject_export", user_id=current_user.id, worker_id=worker.id)
    db.session.commit()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("bagian"), _("kolom / waktu"), _("nilai / peristiwa"), _("oleh"), _("catatan")])
    for field in FIELDS:
        writer.writerow(["data", field, getattr(worker, field) or "", "", ""])
    writer.writerow(["data", "opd", worker.opd.code, "", ""])
    for e in privacy.subject_events(db.session, worker):
        detail = "; ".join(f"{f}: {old} → {new}" for f, (old, new) in changes(e.detail))
        writer.writerow(["peristiwa", when(e.created_at), f"{e.action} {e.from_state or ''}→{e.to_state or ''}",
                         e.user.username if e.user else "", " ".join(filter(None, [e.reason_code, e.note, detail]))])
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="subjek-{privacy.mask(worker.nik)[-4:]}.csv"'})

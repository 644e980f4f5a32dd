"""Files sent to the browser: an audited workbook and a streamed CSV."""
from __future__ import annotations

import io

from flask import Response
from flask_login import current_user
from sqlalchemy.orm import Session

from portal.core import export_trail
from portal.core.models import User
from portal.web.extensions import db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx(build, name: str, what: str, filters: dict) -> Response:
    """Build a workbook with `build(out)` (it returns the worker ids written), audit it, send it.
    The rows stream from the database into openpyxl's write-only sheet; only the finished,
    compressed file is held (a zip cannot be sent before it is complete)."""
    out = io.BytesIO()
    ids = build(out)
    export_trail.record(db.session, current_user, what, filters, ids, len(ids))
    db.session.commit()
    return Response(out.getvalue(), mimetype=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'})


def csv(lines, name: str) -> Response:
    """Stream `lines(session, viewer)` as a CSV download. The generator reads through a session of
    its own, opened on the first row and closed after the last (or when the client goes away),
    so it needs no request context: the request's session is gone by then."""
    engine, user_id = db.engine, current_user.id

    def generate():
        with Session(engine) as session:
            yield from lines(session, session.get(User, user_id))

    return Response(generate(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})

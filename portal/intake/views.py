"""Import views: upload a list, preview every row's verdict, confirm, download the refused rows.
The OPD's verifier imports into their own OPD, an administrator into any; another OPD's upload
is 404. Each view parses input, calls one `portal.intake.staging` function, renders."""
from __future__ import annotations

import io
import json

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from werkzeug.utils import secure_filename

from portal.core import sheets
from portal.core.models import OPD, Claim, ImportBatch
from portal.core.roles import DECIDERS
from portal.intake import staging, template
from portal.intake.forms import ConfirmForm, UploadForm
from portal.intake.rejected import rejected_rows_xlsx
from portal.web import downloads, unit
from portal.web.extensions import db
from portal.web.forms import StaleForm
from portal.web.guards import roles_required
from portal.web.opds import picks_opd
from portal.web.text import describe

bp = Blueprint("intake", __name__, url_prefix="/impor")

PAGE = 100  # preview rows per page; the counts always cover the whole file


def _upload_form(**kwargs) -> UploadForm:
    """The upload form; only an administrator picks the OPD (a verifier imports into their own)."""
    form = UploadForm(**kwargs)
    if not picks_opd():
        del form.opd
    else:
        form.opd.choices = [("", _("— pilih OPD —"))] + [
            (o.code, f"{o.code} — {o.name}") for o in db.session.scalars(select(OPD).order_by(OPD.code))]
    return form


def _index(form: UploadForm | None = None, refusal: str | None = None, status: int = 200):
    recent = select(ImportBatch).options(joinedload(ImportBatch.opd), joinedload(ImportBatch.user)) \
        .order_by(ImportBatch.id.desc()).limit(20)
    if not picks_opd():
        recent = recent.where(ImportBatch.opd_id == current_user.opd_id)
    return render_template("intake/index.html", form=form or _upload_form(formdata=None), refusal=refusal,
                           batches=db.session.scalars(recent).all(), max_mb=sheets.MAX_BYTES // 2**20,
                           max_rows=sheets.MAX_ROWS, labels=staging.VERDICT_LABELS), status


def _batch(batch_id: int) -> ImportBatch:
    """The upload, if the user may see it: another OPD's upload is 404 to a verifier. Previews
    past their day expire first, so a late visit never shows a file that should be gone."""
    if staging.expire(db.session):
        db.session.commit()
    batch = db.session.get(ImportBatch, batch_id)
    if batch is None or (current_user.role == "verifier" and batch.opd_id != current_user.opd_id):
        abort(404)
    return batch


@bp.get("")
@roles_required(*DECIDERS)
def index():
    """The upload form and the latest uploads (the verifier's OPD, or every OPD for an admin)."""
    return _index(_upload_form(formdata=None, opd=(request.args.get("opd") or "").upper()))


@bp.get("/templat.xlsx")
@roles_required(*DECIDERS)
def template_xlsx():
    """An empty list to fill in: the headers, drop-downs for category and kecamatan, an example."""
    out = io.BytesIO()  # no personal data: not an audited export
    template.build(db.session, out)
    return Response(out.getvalue(), mimetype=downloads.XLSX,
                    headers={"Content-Disposition": 'attachment; filename="templat-daftar-pekerja.xlsx"'})


@bp.post("")
@roles_required(*DECIDERS)
def upload():
    """Store the upload as a preview batch and show its preview; a refused file (empty, too big,
    wrong type, corrupt, no NIK/Nama column, imported before) re-renders the form with why."""
    form = _upload_form()
    if not form.validate():
        return _index(form, status=422)
    opd = db.session.scalar(select(OPD).where(OPD.code == form.opd.data)) if picks_opd() else current_user.opd
    content = form.file.data.stream.read(sheets.MAX_BYTES + 1)  # enough to know it is too big
    done = unit.commit(lambda: staging.stage(db.session, opd, current_user, form.file.data.filename or "", content))
    if not done.ok:
        return _index(form, done.message, done.status)
    result, batch = done.value
    if batch is None:  # refused before anything was stored
        return _index(form, describe(result.refusal), 413 if result.refusal.code == "file_size" else 422)
    return redirect(url_for("intake.batch", batch_id=batch.id), 303)


def _show(batch: ImportBatch, notice: str | None = None, status: int = 200):
    if batch.status == "expired":  # its file is gone: the page says so (any refusal would repeat it), 410 Gone
        return render_template("intake/batch.html", batch=batch, result=None, expired=True,
                               days=staging.PREVIEW_DAYS), 410
    if batch.status != "preview":
        claims = [(c, json.loads(c.submitted or "{}").get("row")) for c in db.session.scalars(
            select(Claim).options(joinedload(Claim.worker)).where(Claim.batch_id == batch.id).order_by(Claim.id))]
        return render_template("intake/batch.html", batch=batch, result=None, claims=claims, notice=notice,
                               labels=staging.VERDICT_LABELS), status
    result = staging.review(db.session, batch)
    shown = request.args.get("status", "")
    rows = [r for r in result.rows if r.status == shown] if shown in staging.STATUSES else result.rows
    pages = max(1, -(-len(rows) // PAGE))
    number = min(max(request.args.get("hal", 1, type=int) or 1, 1), pages)
    return render_template("intake/batch.html", batch=batch, result=result, notice=notice, say=describe,
                           rows=rows[(number - 1) * PAGE:number * PAGE], first=(number - 1) * PAGE + 1,
                           total=len(rows), shown=shown if shown in staging.STATUSES else "", number=number,
                           pages=pages, form=ConfirmForm(), labels=staging.VERDICT_LABELS), status


@bp.get("/<int:batch_id>")
@roles_required(*DECIDERS)
def batch(batch_id: int):
    """An upload: before confirming, the counts and every row's verdict with its reasons (100 a
    page, filterable by verdict); after, what was imported and the claims it opened."""
    return _show(_batch(batch_id))


@bp.post("/<int:batch_id>/konfirmasi")
@roles_required(*DECIDERS)
def confirm(batch_id: int):
    """Import the upload's ok and warning rows and open its claims, in one transaction; an upload
    (or the same file) imported already is refused with its date, nothing imported twice."""
    upload_ = _batch(batch_id)
    if not ConfirmForm().validate():
        raise StaleForm()
    done = unit.commit(lambda: staging.commit(db.session, upload_, current_user))
    if not done.ok:
        return _show(_batch(batch_id), done.message, done.status)
    result = done.value
    flash(_("%(n)s nama diimpor dengan status Menunggu; %(c)s klaim dibuka; %(e)s baris bermasalah tidak diimpor.",
            n=result.importable, c=result.counts["claim"], e=result.counts["error"]), "info")
    return redirect(url_for("intake.batch", batch_id=batch_id), 303)


@bp.get("/<int:batch_id>/bermasalah.xlsx")
@roles_required(*DECIDERS)
def rejected(batch_id: int):
    """The rows with errors as .xlsx (original columns, NIK as text, plus "Kesalahan"), to fix
    and upload again; only while the upload is kept, i.e. before it is imported."""
    upload_ = _batch(batch_id)
    if upload_.status == "expired":
        return _show(upload_)
    if upload_.status != "preview":
        flash(_("File ini sudah diimpor dan tidak disimpan lagi; unduh baris bermasalah sebelum mengimpor."), "error")
        return redirect(url_for("intake.batch", batch_id=batch_id))
    checked = staging.review(db.session, upload_)
    content = rejected_rows_xlsx(checked.sheet, checked.rows, say=describe)
    stem = secure_filename(upload_.file_name.rsplit(".", 1)[0])[:80] or "unggahan"
    return Response(content, mimetype=downloads.XLSX, headers={
        "Content-Disposition": f'attachment; filename="baris-bermasalah-{stem}.xlsx"'})


@bp.post("/<int:batch_id>/batal")
@roles_required(*DECIDERS)
def discard(batch_id: int):
    """Drop an upload that was not imported, and the file it holds."""
    upload_ = _batch(batch_id)
    if not ConfirmForm().validate():
        raise StaleForm()
    done = unit.commit(lambda: staging.discard(db.session, upload_, current_user))
    if not done.ok:
        return _show(_batch(batch_id), done.message, done.status)
    flash(_("Unggahan dibatalkan; filenya dihapus."), "info")
    return redirect(url_for("intake.index"), 303)

"""Views; see the package docstring. Each export is audited before its first byte leaves; files
uploaded for a preview are kept in a `Stash` until applied (see forms.py)."""
from __future__ import annotations

import io
import os
from datetime import date

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.auth import roles_required
from portal.domain import bpjs_file, enrolment, exports, queries, roundtrip, transitions, trend
from portal.domain.states import ENROLMENT, VERIFICATION
from portal.domain.transitions import TransitionError
from portal.extensions import db
from portal.models import OPD, Category, Kecamatan, User, Worker
from portal.transfer import bp
from portal.transfer.forms import ApplyForm, Stash, UploadForm, upload
from portal.web import describe

ENROLLERS, DECIDERS = enrolment.ENROLLERS, transitions.DECIDERS
WATCHERS = ("supervisor", "admin", "bpjs")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
KINDS = {"bpjs": ("transfer/bpjs_import.html", "transfer.bpjs_preview"),
         "sheet": ("transfer/sheet.html", "transfer.sheet_preview")}


def _opds() -> list[OPD]:
    return db.session.scalars(select(OPD).order_by(OPD.name)).all()


def _opd_arg(name: str = "opd") -> OPD | None:
    code = (request.args.get(name) or "").upper()[:20]
    return db.session.scalar(select(OPD).where(OPD.code == code)) if code else None


def _queue_opd() -> OPD:
    """As in the queue: the verifier's own OPD; an admin's ?opd=CODE, else the first by name."""
    if current_user.role == "verifier":
        return current_user.opd
    return _opd_arg() or next(iter(_opds()), None) or abort(404)


def _xlsx(build, name: str, what: str, filters: dict) -> Response:
    """Build a workbook with `build(out)`, audit it, send it. The rows stream from the database
    into openpyxl's write-only sheet; only the finished, compressed file is held (a zip cannot be
    sent before it is complete)."""
    out = io.BytesIO()
    ids = build(out)
    exports.record(db.session, current_user, what, filters, ids, len(ids))
    db.session.commit()
    return Response(out.getvalue(), mimetype=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _csv(lines, name: str) -> Response:
    """Stream `lines(session, viewer)` as a CSV download. The generator reads through a session of
    its own, opened on the first row and closed after the last (or when the client goes away),
    so it needs no request context: the request's session is gone by then."""
    engine, user_id = db.engine, current_user.id

    def generate():
        with Session(engine) as session:
            yield from lines(session, session.get(User, user_id))

    return Response(generate(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _exports_page(message: str | None = None, status: int = 200):
    return render_template("transfer/exports.html", opds=_opds(), message=message, args=request.args,
                           statuses=queries.STATUS_FILTERS), status


@bp.get("/ekspor")
@roles_required("admin", "supervisor", "bpjs", "verifier")
def index():
    """The exports this user may take, with their filters."""
    return _exports_page()


@bp.get("/ekspor/bpjs.xlsx")
@roles_required(*ENROLLERS)
def bpjs_xlsx():
    """Approved, not yet enrolled workers in BPJS's collective-registration layout (?opd=CODE)."""
    opd = _opd_arg()
    if request.args.get("opd") and opd is None:
        abort(404)
    code = opd.code if opd else ""
    return _xlsx(lambda out: exports.bpjs_workbook(db.session, out, opd.id if opd else None),
                 f"pendaftaran-bpjs-{code or 'semua'}-{trend.local_day():%Y%m%d}.xlsx", "bpjs.xlsx", {"opd": code})


@bp.get("/ekspor/antrian.csv")
@roles_required(*DECIDERS)
def queue_csv():
    """The queue under its current filter (?status=&q=, an admin's ?opd=) as CSV."""
    opd = _queue_opd()
    status = request.args.get("status", "pending")
    status = status if status in queries.STATUS_FILTERS else "pending"
    q = request.args.get("q", "")[:50].strip()
    ids = exports.queue_ids(db.session, opd.id, status, q)
    exports.record(db.session, current_user, "antrian.csv", {"opd": opd.code, "status": status, "q": q}, ids, len(ids))
    db.session.commit()
    return _csv(lambda session, viewer: exports.workers_csv(session, viewer, ids), f"antrian-{opd.code}-{status}.csv")


@bp.get("/ekspor/daftar.csv")
@roles_required(*WATCHERS)
def list_csv():
    """The workers behind a county figure (the drill-down list's ?opd=&kat=&kec=&status=&bpjs=)."""
    args, opd = request.args, _opd_arg()
    if args.get("opd") and opd is None:
        abort(404)  # an export of everyone for a mistyped code would surprise
    category = db.session.get(Category, args.get("kat", type=int)) if args.get("kat", type=int) else None
    kecamatan = db.session.get(Kecamatan, args.get("kec", "")[:6]) if args.get("kec") else None
    status = args.get("status") if args.get("status") in VERIFICATION else None
    enrolled = args.get("bpjs") if args.get("bpjs") in ENROLMENT else None
    filters = {"opd": opd.code if opd else "", "kat": category.id if category else "",
               "kec": kecamatan.code if kecamatan else "", "status": status or "", "bpjs": enrolled or ""}
    ids = exports.list_ids(db.session, opd and opd.id, category and category.id, kecamatan and kecamatan.code,
                           status, enrolled)
    exports.record(db.session, current_user, "daftar.csv", filters, ids, len(ids))
    db.session.commit()
    return _csv(lambda session, viewer: exports.workers_csv(session, viewer, ids), "daftar-pekerja.csv")


@bp.get("/ekspor/kabupaten.csv")
@roles_required(*WATCHERS)
def county_csv():
    """The per-OPD figures (aggregates, no personal data: not audited)."""
    return _csv(lambda session, _viewer: exports.county_csv(session), f"kabupaten-{trend.local_day():%Y%m%d}.csv")


@bp.get("/ekspor/peristiwa.csv")
@roles_required("admin")
def events_csv():
    """Audit events of a worker (?worker=ID), an OPD's workers (?opd=CODE) and/or between two days
    (?dari=&sampai=, WIB); at least one filter."""
    args = request.args
    worker_id = args.get("worker", type=int)
    opd = _opd_arg()
    try:
        since = date.fromisoformat(args["dari"]) if args.get("dari") else None
        until = date.fromisoformat(args["sampai"]) if args.get("sampai") else None
    except ValueError:
        return _exports_page(_("Tanggal tidak sah (tulis tttt-bb-hh)."), 422)
    if args.get("worker") and (not worker_id or not 0 < worker_id < 2**31 or db.session.get(Worker, worker_id) is None):
        return _exports_page(_("Pekerja dengan ID itu tidak ditemukan."), 422)
    if args.get("opd") and opd is None:
        return _exports_page(_("OPD tidak dikenal."), 422)
    if not (worker_id or opd or since or until):
        return _exports_page(_("Pilih pekerja, OPD atau rentang tanggal."), 422)
    if since and until and since > until:
        return _exports_page(_("Tanggal awal harus sebelum tanggal akhir."), 422)
    where = exports.event_conditions(worker_id, opd and opd.id, since, until)
    bound, rows, ids = exports.event_scope(db.session, where)
    filters = {"worker": worker_id or "", "opd": opd.code if opd else "", "dari": str(since or ""),
               "sampai": str(until or "")}
    exports.record(db.session, current_user, "peristiwa.csv", filters, ids, rows)
    db.session.commit()
    return _csv(lambda session, _viewer: exports.events_csv(session, where, bound), "peristiwa.csv")


# --- uploads: preview, then apply ---------------------------------------------------------------
def _stash() -> Stash:
    return Stash(current_app.config.get("TRANSFER_FOLDER") or os.path.join(current_app.instance_path, "unggahan"))


def _upload(kind: str, check):
    """GET: the form. POST: read the file, `check(data, name)` that it is readable, keep it and go
    to its preview; an unreadable file is refused here with its reason (422)."""
    template = KINDS[kind][0]
    form = UploadForm()
    if request.method == "GET":
        return render_template(template, form=form)
    if not form.validate():
        return render_template(template, form=form), 422
    name, data = upload(form, bpjs_file.MAX_BYTES)
    try:
        check(data, name)
    except TransitionError as error:
        form.berkas.errors = [describe(error)]
        return render_template(template, form=form), 422
    token = _stash().put(current_user.id, kind, name, data)
    return redirect(url_for(KINDS[kind][1], token=token), 303)


def _stashed(kind: str, token: str) -> tuple[dict, bytes | None]:
    """This user's upload `token` (its content is None once applied); 404 otherwise."""
    meta = _stash().meta(token, current_user.id, kind)
    if meta is None:
        abort(404)
    data = None if meta["result"] else _stash().content(token, meta)
    if data is None and not meta["result"]:
        abort(404)
    return meta, data


def _review(kind: str, meta: dict, data: bytes):
    if kind == "bpjs":
        return bpjs_file.preview(db.session, data, meta["name"], trend.local_day())
    key = current_app.config["SECRET_KEY"].encode()
    return roundtrip.review(db.session, current_user, roundtrip.read(data, meta["name"]), key)


def _preview(kind: str, token: str, message: str | None = None, status: int = 200):
    """The upload's preview, or its result once applied."""
    meta, data = _stashed(kind, token)
    if meta["result"]:
        return render_template(KINDS[kind][0], form=UploadForm(formdata=None), meta=meta, result=meta["result"])
    return render_template(KINDS[kind][0], form=UploadForm(formdata=None), meta=meta, token=token,
                           preview=_review(kind, meta, data), apply_form=ApplyForm(formdata=None, sha=meta["sha256"]),
                           message=message, describe=describe), status


def _apply(kind: str, token: str, run, summary):
    """Apply the kept file with `run(data, name)` in one transaction, keep `summary(result)` for
    the result page and go there; a refusal rolls everything back and shows the preview again."""
    meta, data = _stashed(kind, token)
    form = ApplyForm()
    if meta["result"]:
        return redirect(url_for(KINDS[kind][1], token=token), 303)
    if not form.validate() or form.sha.data != meta["sha256"]:
        return _preview(kind, token, _("Berkas ini bukan yang dipratinjau. Muat ulang halaman, lalu coba lagi."), 409)
    try:
        result = run(data, meta["name"])
        db.session.commit()
    except TransitionError as error:
        db.session.rollback()
        return _preview(kind, token, describe(error), error.status)
    _stash().finish(token, meta, summary(result))
    flash(_("Diterapkan."), "info")
    return redirect(url_for(KINDS[kind][1], token=token), 303)


def _refusals(lines, keep) -> list[dict]:
    return [{"number": x.number, "nik": x.nik, "name": x.name, "verdict": x.verdict, "message": describe(x)}
            for x in lines if keep(x)]


@bp.route("/bpjs/impor", methods=["GET", "POST"])
@roles_required(*ENROLLERS)
def bpjs_upload():
    """Upload BPJS's participant report (.xlsx/.csv, at most 5 MB) for a preview."""
    return _upload("bpjs", bpjs_file.read_report)


@bp.get("/bpjs/impor/<token>")
@roles_required(*ENROLLERS)
def bpjs_preview(token: str):
    """Every row of the report with its verdict and counts; after apply, what was done."""
    return _preview("bpjs", token)


@bp.post("/bpjs/impor/<token>")
@roles_required(*ENROLLERS)
def bpjs_apply(token: str):
    """Enrol, restore and lapse the matched rows, all or nothing, audited."""
    return _apply("bpjs", token,
                  lambda data, name: bpjs_file.apply(db.session, current_user, data, name, trend.local_day()),
                  lambda r: {"counts": r.counts, "lines": _refusals(r.lines, lambda x: x.verdict not in
                                                                     bpjs_file.VERDICTS[:4])})


@bp.get("/antrian/unduh.xlsx")
@roles_required(*DECIDERS)
def sheet_download():
    """The OPD's pending names as a decision workbook to fill in offline (an admin's ?opd=CODE)."""
    opd = _queue_opd()
    key = current_app.config["SECRET_KEY"].encode()
    return _xlsx(lambda out: roundtrip.build(db.session, opd.id, key, out),
                 f"keputusan-{opd.code}-{trend.local_day():%Y%m%d}.xlsx", "antrian.xlsx", {"opd": opd.code})


@bp.route("/antrian/unggah", methods=["GET", "POST"])
@roles_required(*DECIDERS)
def sheet_upload():
    """Upload a filled decision workbook for a preview."""
    return _upload("sheet", roundtrip.read)


@bp.get("/antrian/unggah/<token>")
@roles_required(*DECIDERS)
def sheet_preview(token: str):
    """Every row's decision to apply, or why it is refused; after apply, what was done."""
    return _preview("sheet", token)


@bp.post("/antrian/unggah/<token>")
@roles_required(*DECIDERS)
def sheet_apply(token: str):
    """Apply the acceptable decisions, all or nothing, each audited as a queue decision."""
    key = current_app.config["SECRET_KEY"].encode()
    return _apply("sheet", token,
                  lambda data, name: roundtrip.apply(db.session, current_user, roundtrip.read(data, name), key),
                  lambda r: {"counts": r.counts, "lines": _refusals(r.lines, lambda x: x.verdict == "refused")})

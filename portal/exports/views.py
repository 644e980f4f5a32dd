"""Views of /ekspor: the exports a user may take. Each export of personal data is audited before
its first byte leaves (portal.core.export_trail); the rows stream (portal.exports.rules)."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from portal.core import clock, export_trail, queries
from portal.core.models import Worker
from portal.core.roles import ADMINS, DECIDERS, ENROLLERS, WATCHERS
from portal.core.states import ROLES
from portal.exports import rules
from portal.web import downloads, queue_filter
from portal.web.extensions import db
from portal.web.guards import roles_required
from portal.web.opds import all_opds, drill, opd_arg, queue_opd

bp = Blueprint("exports", __name__, url_prefix="/ekspor")


def _exports_page(message: str | None = None, status: int = 200):
    return render_template("exports/index.html", opds=all_opds(), message=message, args=request.args,
                           statuses=queries.STATUS_FILTERS), status


@bp.get("")
@roles_required(*ROLES)
def index():
    """The exports this user may take, with their filters."""
    return _exports_page()


@bp.get("/bpjs.xlsx")
@roles_required(*ENROLLERS)
def bpjs_xlsx():
    """Approved, not yet enrolled workers in BPJS's collective-registration layout (?opd=CODE)."""
    opd = opd_arg()
    if request.args.get("opd") and opd is None:
        abort(404)
    code = opd.code if opd else ""
    return downloads.xlsx(lambda out: rules.bpjs_workbook(db.session, out, opd.id if opd else None),
                 f"pendaftaran-bpjs-{code or 'semua'}-{clock.today():%Y%m%d}.xlsx", "bpjs.xlsx", {"opd": code})


def _queue_scope():
    """The queue under its current filter (portal.web.queue_filter, an admin's ?opd=): OPD, filters, ids."""
    opd, f = queue_opd(), queue_filter.read(request.args)
    ids = queries.queue_ids(db.session, opd.id, f["status"], f["q"], **queue_filter.order(f), **queue_filter.where(f))
    return opd, {"opd": opd.code, "status": f["status"], "q": f["q"],
                 **queue_filter.kept(f, ("hal", "lahir", "hp", "alamat"))}, ids


def _list_scope():
    """The workers behind a county figure (the drill-down list's ?opd=&kat=&kec=&status=&bpjs=)."""
    scope = drill()
    if scope.unknown_opd:
        abort(404)  # an export of everyone for a mistyped code would surprise
    return scope.args, rules.list_ids(db.session, *scope.where)


def _audited(what: str, filters: dict, ids: list[int]) -> None:
    export_trail.record(db.session, current_user, what, filters, ids, len(ids))
    db.session.commit()


@bp.get("/antrian.csv")
@roles_required(*DECIDERS)
def queue_csv():
    """The queue under its current filter as CSV (the machine format)."""
    opd, filters, ids = _queue_scope()
    _audited("antrian.csv", filters, ids)
    return downloads.csv(lambda session, viewer: rules.workers_csv(session, viewer, ids),
                         f"antrian-{opd.code}-{filters['status']}.csv")


@bp.get("/antrian.xlsx")
@roles_required(*DECIDERS)
def queue_xlsx():
    """The queue under its current filter as .xlsx, for Excel (NIKs as text)."""
    opd, filters, ids = _queue_scope()
    return downloads.xlsx(lambda out: rules.workers_workbook(db.session, current_user, ids, out),
                          f"antrian-{opd.code}-{filters['status']}.xlsx", "antrian.xlsx", filters)


@bp.get("/daftar.csv")
@roles_required(*WATCHERS)
def list_csv():
    """The workers behind a county figure as CSV (the machine format)."""
    filters, ids = _list_scope()
    _audited("daftar.csv", filters, ids)
    return downloads.csv(lambda session, viewer: rules.workers_csv(session, viewer, ids), "daftar-pekerja.csv")


@bp.get("/daftar.xlsx")
@roles_required(*WATCHERS)
def list_xlsx():
    """The workers behind a county figure as .xlsx, for Excel (NIKs as text)."""
    filters, ids = _list_scope()
    return downloads.xlsx(lambda out: rules.workers_workbook(db.session, current_user, ids, out),
                          "daftar-pekerja.xlsx", "daftar.xlsx", filters)


@bp.get("/kabupaten.csv")
@roles_required(*WATCHERS)
def county_csv():
    """The per-OPD figures (aggregates, no personal data: not audited)."""
    return downloads.csv(lambda session, _viewer: rules.county_csv(session), f"kabupaten-{clock.today():%Y%m%d}.csv")


@bp.get("/peristiwa.csv")
@roles_required(*ADMINS)
def events_csv():
    """Audit events of a worker (?worker=ID), an OPD's workers (?opd=CODE) and/or between two days
    (?dari=&sampai=, WIB); at least one filter."""
    args = request.args
    worker_id = args.get("worker", type=int)
    opd = opd_arg()
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
    where = rules.event_conditions(worker_id, opd and opd.id, since, until)
    bound, rows, ids = rules.event_scope(db.session, where)
    filters = {"worker": worker_id or "", "opd": opd.code if opd else "", "dari": str(since or ""),
               "sampai": str(until or "")}
    export_trail.record(db.session, current_user, "peristiwa.csv", filters, ids, rows)
    db.session.commit()
    return downloads.csv(lambda session, _viewer: rules.events_csv(session, where, bound), "peristiwa.csv")

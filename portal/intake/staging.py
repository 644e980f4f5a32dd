"""Importing an OPD's list of names: a preview giving every row its verdict (ok, warning, error,
skipped, claim), then a commit that stores the ok and warning rows as pending workers and opens a
cross-OPD claim for each NIK another OPD already holds — in the caller's one transaction.

One code path for the web (/impor) and the CLI (`flask import-workers`): both call `preview`
(or `stage`, which also stores the upload) and `commit`. A file (by SHA-256) imported once into an
OPD is refused afterwards, and a NIK already in the OPD is an error row, so a re-upload imports
nothing twice.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property
from typing import cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.core import N_, audit, clock, names, sheets, tallies
from portal.core.errors import Invalid, NotAllowed, Problem, WrongState
from portal.core.models import OPD, Claim, ImportBatch, User, Worker, utcnow
from portal.core.roles import ADMINS
from portal.core.sheets import Refused, Sheet
from portal.intake import checks as checks
from portal.intake.reading import read
from portal.intake.rows import Row, evaluate, load_reference

STATUSES = ("ok", "warning", "error", "claim", "skipped")
LEVELS = ("error", "claim", "warning", "skip", "note")  # the order a row's problems are listed in
VERDICT_LABELS = {"ok": N_("OK"), "warning": N_("Peringatan"), "error": N_("Kesalahan"), "claim": N_("Klaim"),
                  "skipped": N_("Dilewati")}
PREVIEW_DAYS = 1  # an upload left unconfirmed this long loses its file (it holds NIKs) and expires


class AlreadyImported(WrongState):
    """The batch, or the same file, was imported already."""


class Expired(WrongState):
    """The preview was left unconfirmed for a day: its file is deleted."""


class Conflict(WrongState):
    """Someone stored one of these NIKs while the import ran."""


@dataclass
class Preview:
    """Every row's verdict (or why the whole file is refused), and notes about the columns."""
    file_name: str
    file_hash: str
    refusal: Problem | None = None
    sheet: Sheet | None = None
    rows: list[Row] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)

    @cached_property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(STATUSES, 0)
        for row in self.rows:
            counts[row.status] += 1
        return counts

    @property
    def importable(self) -> int:
        """Rows that would become workers."""
        return self.counts["ok"] + self.counts["warning"]

    def report(self) -> dict:
        """The preview as plain data (the CLI's JSON report): every row with its Excel row number,
        status and problems (code and Indonesian message), and the totals."""
        problem = lambda p: {"code": p.code, "message": p.text(), "level": p.level}  # noqa: E731
        sheet = self.sheet
        return {
            "file": self.file_name, "sha256": self.file_hash,
            "refusal": problem(self.refusal) if self.refusal else None,
            "sheet": sheet.name if sheet else None, "header_row": sheet.header_row if sheet else None,
            "columns": {f: sheet.headers[i] for f, i in sheet.columns.items()} if sheet else {},
            "notes": [problem(p) for p in self.notes],
            "totals": {**self.counts, "importable": self.importable},
            "rows": [{"row": r.number, "status": r.status, "problems": [problem(p) for p in r.problems]}
                     for r in self.rows],
        }


def preview(session: Session, opd: OPD, filename: str, content: bytes, today: date | None = None) -> Preview:
    """Read `content` and give every row its verdict for `opd`; writes nothing."""
    today = today or clock.today()
    result = Preview(sheets.file_name(filename), hashlib.sha256(content).hexdigest())
    earlier = session.scalars(select(ImportBatch).where(
        ImportBatch.opd_id == opd.id, ImportBatch.file_hash == result.file_hash,
        ImportBatch.status == "imported").order_by(ImportBatch.id)).first()
    if earlier is not None:
        result.refusal = Problem("file_imported", N_("File yang sama persis sudah diimpor ke OPD ini pada %(when)s "
                                                     "(impor #%(id)d). Tidak ada yang diimpor dua kali."),
                                 {"when": earlier.imported_at, "id": earlier.id})
        return result
    try:
        result.sheet = sheet = read(result.file_name, content)
    except Refused as refused:
        result.refusal = refused.problem
        return result
    ref = load_reference(session, opd)
    result.rows = [evaluate(n, cells, sheet.columns, ref, today) for n, cells in sheet.rows]
    checks.duplicates(result.rows)
    checks.holders(session, opd, result.rows)
    for row in result.rows:
        row.problems.sort(key=lambda p: LEVELS.index(p.level))
    result.notes = _notes(sheet, ref, result.rows)
    return result


def _notes(sheet: Sheet, ref, rows: list[Row]) -> list[Problem]:
    """Notes on the whole file: where the headers are, unused columns, the default category, and
    a warning when the NIK column looks truncated by Excel (listed first)."""
    truncated = checks.truncated(rows)
    notes = [truncated] if truncated else []
    notes += [Problem("header", N_("Judul kolom di baris %(row)d%(where)s."),
                     {"row": sheet.header_row, "where": f" (lembar “{sheet.name}”)" if sheet.name else ""}, "note")]
    if sheet.unused:
        notes.append(Problem("columns_unused", N_("Kolom yang tidak dipakai: %(names)s."),
                             {"names": ", ".join(f"“{name}”" for name in sheet.unused)}, "note"))
    if "category" not in sheet.columns and ref.default_category:
        notes.append(Problem("category_column", N_("Tidak ada kolom Kategori: semua baris memakai “%(name)s”."),
                             {"name": ref.default_category[1]}, "note"))
    return notes


def may_import(actor: User, opd: OPD) -> None:
    """The OPD's own verifier or an administrator; anyone else gets NotAllowed."""
    if not (actor.role in ADMINS or (actor.role == "verifier" and actor.opd_id == opd.id)):
        raise NotAllowed(N_("Hanya verifikator OPD ini atau administrator yang dapat mengimpor."))


def stage(session: Session, opd: OPD, actor: User, filename: str, content: bytes,
          today: date | None = None) -> tuple[Preview, ImportBatch | None]:
    """The preview, and unless the file is refused an ImportBatch (status preview) holding the
    file until it is confirmed. Uploads left unconfirmed for a day expire here (`expire`)."""
    may_import(actor, opd)
    result = preview(session, opd, filename, content, today)
    if result.refusal is not None:
        return result, None
    expire(session)
    batch = ImportBatch(opd_id=opd.id, user_id=actor.id, file_name=result.file_name, file_hash=result.file_hash,
                        content=content, status="preview")
    _count(batch, result)
    session.add(batch)
    session.flush()
    return result, batch


def expire(session: Session) -> int:
    """Delete the file of every upload left unconfirmed for PREVIEW_DAYS and mark it expired (its
    row, counts and uploader stay, so its page says what happened); imported batches are not
    touched. One UPDATE, in the caller's transaction. Returns how many expired."""
    done = session.execute(update(ImportBatch).where(
        ImportBatch.status == "preview", ImportBatch.created_at < utcnow() - timedelta(days=PREVIEW_DAYS))
        .values(status="expired", content=None).execution_options(synchronize_session=False))
    return done.rowcount  # type: ignore[attr-defined]


def review(session: Session, batch: ImportBatch, today: date | None = None) -> Preview:
    """The preview of a stored, not yet imported upload, as it would import now."""
    return preview(session, batch.opd, batch.file_name, batch.content or b"", today)


def _count(batch: ImportBatch, result: Preview) -> None:
    c = result.counts
    batch.rows_ok, batch.rows_warning, batch.rows_error = c["ok"], c["warning"], c["error"]
    batch.rows_skipped, batch.rows_claimed = c["skipped"], c["claim"]


def commit(session: Session, batch: ImportBatch, actor: User, today: date | None = None,
           checked: Preview | None = None) -> Preview:
    """Import the batch: re-check every row as it stands now, insert the ok and warning rows as
    pending workers (with their tallies), open a claim per claim row, record the batch and audit
    it, all in the caller's transaction (nothing is written if anything fails). Returns the
    preview the import followed. `checked` is the preview `stage` made for this batch in this
    same transaction (the CLI), so the rows need not be checked twice."""
    batch = session.scalars(select(ImportBatch).where(ImportBatch.id == batch.id).with_for_update()
                            .execution_options(populate_existing=True)).one()
    may_import(actor, batch.opd)
    _not_expired(batch)
    if batch.status != "preview" or batch.content is None:
        raise AlreadyImported(N_("Impor #%(id)d sudah dilakukan pada %(when)s. Tidak ada yang diimpor dua kali."),
                              id=batch.id, when=batch.imported_at)
    fresh = checked is not None and checked.file_hash == batch.file_hash and checked.refusal is None
    result = checked if checked is not None and fresh else review(session, batch, today)
    if result.refusal is not None:
        kind = AlreadyImported if result.refusal.code == "file_imported" else Invalid
        raise kind(result.refusal.message, **result.refusal.params)
    opd_id, now = batch.opd_id, utcnow()
    workers = [dict(row.worker, opd_id=opd_id, verification="pending", enrolment="not_enrolled", version=1,
                    decision_note="", import_batch_id=batch.id, sort_name=names.sort_key(row.worker["full_name"]))
               for row in result.rows if row.status in ("ok", "warning") and row.worker is not None]
    try:
        if workers:
            # Core executemany (psycopg pipelines it): no ORM bookkeeping, ~0.5 s for 10,000 rows.
            session.execute(insert(cast(Table, Worker.__table__)), workers)
    except IntegrityError:
        raise Conflict(N_("Sebagian NIK baru saja disimpan orang lain. Tidak ada yang diimpor; buka pratinjau "
                          "lagi lalu ulangi.")) from None
    tallies.move_many(session, [(None, tallies.Cell(opd_id, w["category_id"], w["kecamatan_code"], "pending",
                                                    "not_enrolled", 0)) for w in workers])
    claims = [(row, row.holder) for row in result.rows if row.status == "claim" and row.holder is not None]
    session.add_all(Claim(worker_id=holder[0], claimant_opd_id=opd_id, batch_id=batch.id, status="open",
                          submitted=json.dumps(dict(row.typed, row=row.number, file_name=batch.file_name),
                                               ensure_ascii=False, default=str)) for row, holder in claims)
    uploader = batch.user_id
    _count(batch, result)
    batch.status, batch.imported_at, batch.content, batch.user_id = "imported", now, None, actor.id
    detail = {"batch": batch.id, "opd": batch.opd.code, "file": batch.file_name, "sha256": batch.file_hash,
              **result.counts, "imported": len(workers), "uploaded_by": uploader}
    audit.record(session, action="import", user_id=actor.id, detail=json.dumps(detail, ensure_ascii=False))
    audit.record_many(session, [dict(worker_id=holder[0], user_id=actor.id, action="claim_open", from_state=None,
                                     to_state=None, reason_code=None, note=batch.opd.code, created_at=now,
                                     detail=json.dumps({"batch": batch.id, "row": row.number, "claimant": batch.opd.code}))
                                for row, holder in claims])
    session.flush()
    return result


def discard(session: Session, batch: ImportBatch, actor: User) -> None:
    """Delete an upload that was not imported (and the file it holds)."""
    may_import(actor, batch.opd)
    _not_expired(batch)
    if batch.status != "preview":
        raise AlreadyImported(N_("Impor #%(id)d sudah dilakukan; tidak dapat dibatalkan di sini."), id=batch.id)
    session.delete(batch)
    session.flush()


def _not_expired(batch: ImportBatch) -> None:
    if batch.status == "expired":
        raise Expired(N_("Pratinjau impor #%(id)d kedaluwarsa: filenya dihapus setelah %(days)d hari tanpa konfirmasi "
                         "dan tidak ada yang diimpor. Unggah filenya lagi."), id=batch.id, days=PREVIEW_DAYS)

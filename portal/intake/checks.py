"""Checks of an uploaded list that need more than one row: the same NIK twice in the file, NIKs
already stored — in this OPD (an error: a re-upload imports nothing twice) or in another (the row
becomes a cross-OPD claim, unless this OPD's claim on it is open or was decided) — and a NIK
column whose last digits look lost to Excel (a note on the whole file)."""
from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.core import N_
from portal.core.errors import Problem
from portal.core.models import OPD, Claim, Worker
from portal.intake.rows import Row

CHUNK = 900  # NIKs per IN (…) lookup, under SQLite's bound-parameter limit
# Excel keeps 15 significant digits, so a NIK column saved as numbers ends every NIK in 0; real
# serials end in 0 about one time in ten. With at least 10 NIKs, half or more ending in 0 happens
# by chance in under 0.2 % of files (binomial, p = 0.1; far less as files grow), while a column
# only partly saved as numbers (some cells typed as text) is still caught.
ZEROS_MIN_NIKS, ZEROS_SHARE = 10, 0.5


def refuse(row: Row, problem: Problem) -> None:
    """Add an error to the row; it will not be imported."""
    row.problems.append(problem)
    row.worker = None


def duplicates(rows: list[Row]) -> None:
    """The second and later rows with one NIK are errors naming the first."""
    first: dict[str, int] = {}
    for row in rows:
        if row.nik is None:
            continue
        if row.nik in first:
            refuse(row, Problem("nik_duplicate", N_("NIK sama dengan baris %(row)d di file ini."),
                                 {"row": first[row.nik]}))
            row.nik = None
        else:
            first[row.nik] = row.number


def holders(session: Session, opd: OPD, rows: list[Row]) -> None:
    """A NIK already in this OPD is an error; one another OPD holds makes the row a claim,
    unless this OPD's claim on it is still open or was decided against it."""
    by_nik = {row.nik: row for row in rows if row.nik}
    niks = list(by_nik)
    held: dict[int, tuple[Row, str]] = {}  # worker id: the row and the OPD holding it
    for start in range(0, len(niks), CHUNK):
        found = session.execute(select(Worker.nik, Worker.id, Worker.opd_id, OPD.code).join(OPD)
                                .where(Worker.nik.in_(niks[start:start + CHUNK])))
        for value, worker_id, holder_opd, code in found:
            row = by_nik[value]
            if holder_opd == opd.id:
                refuse(row, Problem("nik_in_opd", N_("NIK sudah ada di OPD ini; tidak diimpor lagi.")))
            else:
                row.holder = (worker_id, code)
                row.problems.append(Problem("claim", N_("NIK sudah dipegang %(opd)s: menjadi klaim yang diputuskan "
                                                        "admin/pengawas, tidak diimpor sebagai nama baru."),
                                            {"opd": code}, "claim"))
                held[worker_id] = (row, code)
    ids = list(held)
    for start in range(0, len(ids), CHUNK):
        for worker_id, status in session.execute(select(Claim.worker_id, Claim.status).where(
                Claim.claimant_opd_id == opd.id, Claim.status.in_(("open", "kept")),
                Claim.worker_id.in_(ids[start:start + CHUNK]))):
            row, code = held[worker_id]
            message = N_("Klaim OPD ini atas NIK ini masih menunggu keputusan.") if status == "open" else \
                N_("Klaim OPD ini atas NIK ini sudah diputuskan: tetap di %(opd)s.")
            refuse(row, Problem("claim_" + status, message, {"opd": code}))


def truncated(rows: list[Row]) -> Problem | None:
    """A file-level warning when far more 16-digit NIKs end in 0 than chance allows: the column
    was probably saved as a number, so every NIK lost its last digit (rows still judged one by one)."""
    # spaces and a leading apostrophe as the NIK check itself ignores them
    written = [n for n in (re.sub(r"[\s']", "", row.typed.get("nik", "")) for row in rows if not row.skipped)
               if len(n) == 16 and n.isascii() and n.isdigit()]
    zeros = sum(n.endswith("0") for n in written)
    if len(written) < ZEROS_MIN_NIKS or zeros < ZEROS_SHARE * len(written):
        return None
    return Problem("nik_truncated", N_("%(zeros)d dari %(n)d NIK di file ini berakhiran 0: kolom NIK kemungkinan "
                                       "tersimpan sebagai angka di Excel sehingga angka terakhirnya hilang. Ubah "
                                       "format kolom NIK menjadi Teks lalu ketik ulang NIK-nya, atau ekspor ulang "
                                       "dari sumber aslinya (misalnya aplikasi desa atau SIAK)."),
                   {"zeros": zeros, "n": len(written)}, "warning")

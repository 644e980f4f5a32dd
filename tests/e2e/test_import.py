"""Importing an OPD's list: the preview names each bad row's problem, and confirming imports only
the good rows."""
from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select

from portal.core import nik
from portal.core.models import OPD, Kecamatan, Worker
from tests.e2e.support import expect


def _csv(live) -> tuple[bytes, list[str], list[str]]:
    """A list with two good rows and two bad ones (a short NIK, a missing name)."""
    code, name = live.query(lambda s: s.execute(select(Kecamatan.code, Kecamatan.name)
                                                .order_by(Kecamatan.code)).first())
    good = [nik.compose(code, date(1981, 5, 17), "P", 9101), nik.compose(code, date(1979, 2, 3), "L", 9102)]
    other = nik.compose(code, date(1990, 8, 9), "L", 9103)
    lines = ["No,NIK,Nama,Kecamatan",
             f"1,{good[0]},Siti Impor Uji,{name}",
             f"2,{good[1]},Ahmad Impor Uji,{name}",
             f"3,160901123,Nik Pendek,{name}",
             f"4,{other},,{name}"]
    return ("\n".join(lines) + "\n").encode(), good, [other]


def test_import_preview_shows_row_errors_and_imports_only_good_rows(pages, live):
    content, good, bad = _csv(live)
    page = pages("dinsos")
    page.goto(f"{live.url}/impor")
    upload = page.locator("form:has(input[type=file])")
    upload.locator("input[type=file]").set_input_files(
        {"name": "daftar-dinsos.csv", "mimeType": "text/csv", "buffer": content})
    upload.locator("button").last.click()

    expect(page).to_have_url(re.compile(r"/impor/\d+$"))
    expect(page.locator("main")).to_contain_text("NIK harus 16 angka")
    expect(page.locator("main")).to_contain_text("Nama kosong.")
    assert live.query(lambda s: s.scalar(select(Worker.id).where(Worker.nik.in_(good)))) is None, \
        "nothing is imported before confirming"

    page.locator("form[action$='/konfirmasi'] button").click()
    expect(page.locator("#pesan")).to_contain_text("2 nama diimpor dengan status Menunggu")
    imported = live.query(lambda s: s.execute(select(Worker.nik, OPD.code, Worker.verification)
                                              .join(OPD).where(Worker.nik.in_(good + bad))).all())
    assert sorted(imported) == sorted((n, "DINSOS", "pending") for n in good)

    page.goto(f"{live.url}/antrian/?q=Impor+Uji")
    expect(page.locator("#results tbody tr[data-row]")).to_have_count(2)

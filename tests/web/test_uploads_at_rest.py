"""Uploads waiting between preview and apply (issue 13, item 6): the stash's files are 0600 in a
0700 folder whatever the umask, and after a day both they and the files of unconfirmed import
previews are gone — on the next upload and from `flask purge-uploads` — with a page that says so."""
import io
import os
import re
import stat
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.core import clock
from portal.core.models import ImportBatch, Worker
from portal.web.extensions import db
from tests.files import messy
from tests.forms import form

REAL_NOW = clock.now


@pytest.fixture(autouse=True)
def _uploads(app, tmp_path):
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "unggahan")


@pytest.fixture
def later(monkeypatch):
    """Move the portal's clock forward by `hours` from the real now."""
    def move(hours: float) -> None:
        monkeypatch.setattr(clock, "now", lambda: REAL_NOW() + timedelta(hours=hours))
    return move


def report(world) -> bytes:
    worker = world.worker(verification="approved")
    return f"NIK,No KPJ,Status,Tgl Daftar\n{worker.nik},26000000001,Aktif,2025-01-05\n".encode()


def stash_upload(client, data: bytes) -> str:
    """Upload BPJS's file through its form as rendered; returns the preview's URL."""
    fields = form(client.get("/bpjs/impor").text, "/bpjs/impor")
    response = client.post("/bpjs/impor", data={**fields, "berkas": (io.BytesIO(data), "laporan.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 303, response.text
    return response.headers["Location"]


def import_upload(client, content: bytes, name: str) -> int:
    """Upload an OPD list through /impor's form as rendered; returns the batch id."""
    fields = form(client.get("/impor").text, "/impor")
    response = client.post("/impor", data={**fields, "file": (io.BytesIO(content), name)},
                           content_type="multipart/form-data")
    assert response.status_code == 303, response.text
    return int(response.headers["Location"].rsplit("/", 1)[1])


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize("umask", [0o000, 0o022])
def test_stashed_files_are_0600_in_a_0700_folder_whatever_the_umask(client, auth, world, tmp_path, umask):
    folder = tmp_path / "unggahan"
    folder.mkdir(mode=0o755)  # an older install's folder, readable by all
    os.chmod(folder, 0o755)
    data = report(world)
    auth.login("bpjs")
    old = os.umask(umask)
    try:
        stash_upload(client, data)
    finally:
        os.umask(old)
    files = sorted(folder.iterdir())
    assert [f.suffix for f in files] == [".bin", ".json"]
    assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}
    assert mode(folder) == 0o700


def test_a_day_old_stash_is_purged_by_the_next_upload_and_says_so(client, auth, world, tmp_path, later):
    data = report(world)
    auth.login("bpjs")
    old = stash_upload(client, data)
    assert client.get(old).status_code == 200
    later(25)
    fresh = stash_upload(client, data)  # the upload that purges
    gone = client.get(old)
    assert gone.status_code == 404
    assert "Unggahan ini tidak ada lagi" in gone.text and "unggah berkasnya lagi" in gone.text
    assert 'type="file"' in gone.text  # the form to upload again is right there
    assert client.get(fresh).status_code == 200
    token = fresh.rstrip("/").rsplit("/", 1)[1]
    assert sorted(f.name for f in (tmp_path / "unggahan").iterdir()) == [f"{token}.bin", f"{token}.json"]


def test_purge_uploads_removes_what_is_older_than_a_day_and_keeps_the_rest(app, client, auth, world, tmp_path,
                                                                           later, runner):
    data = report(world)
    auth.login("dinsos")
    waiting = import_upload(client, messy.xlsx([["NIK", "Nama", "Kecamatan", "Kategori"],
                                                ["1609014507850001", "Hj. Siti", "Muara Dua", "PEKSOS"]]), "a.xlsx")
    imported = import_upload(client, messy.xlsx([["NIK", "Nama", "Kecamatan", "Kategori"],
                                                 ["1609011203850002", "H. Ahmad", "Muara Dua", "PEKSOS"]]), "b.xlsx")
    page = client.get(f"/impor/{imported}").text
    assert client.post(f"/impor/{imported}/konfirmasi", data=form(page, f"/impor/{imported}/konfirmasi")).status_code == 303
    kept_page = client.get(f"/impor/{waiting}").text  # a tab left open on the preview
    auth.logout()
    auth.login("bpjs")
    first = stash_upload(client, data)
    later(20)
    second = stash_upload(client, data)
    later(30)  # the first stash and both imports are 30 h old, the second stash 10 h
    result = runner.invoke(args=["purge-uploads"])
    assert result.exit_code == 0, result.output
    assert "2 berkas tersimpan, 1 pratinjau impor kedaluwarsa" in result.output  # .bin + .json of the first
    assert not list((tmp_path / "unggahan").glob(first.rsplit("/", 1)[1] + ".*"))
    assert client.get(first).status_code == 404 and client.get(second).status_code == 200
    auth.logout()
    auth.login("dinsos")

    batch = db.session.get(ImportBatch, waiting)
    db.session.refresh(batch)
    assert (batch.status, batch.content) == ("expired", None)
    expired = client.get(f"/impor/{waiting}")
    assert expired.status_code == 410
    assert "Pratinjau ini kedaluwarsa" in expired.text and "Tidak ada yang diimpor" in expired.text
    assert 'action="/impor/%d/konfirmasi"' % waiting not in expired.text
    late = client.post(f"/impor/{waiting}/konfirmasi", data=form(kept_page, f"/impor/{waiting}/konfirmasi"))
    assert late.status_code == 410 and "Pratinjau ini kedaluwarsa" in late.text
    assert db.session.scalar(select(Worker).where(Worker.nik == "1609014507850001")) is None
    assert re.search(r"#%d</a>.*?Kedaluwarsa" % waiting, client.get("/impor").text, re.S)

    done = db.session.get(ImportBatch, imported)
    db.session.refresh(done)
    assert done.status == "imported"  # what was applied stays
    assert db.session.scalar(select(Worker).where(Worker.nik == "1609011203850002")) is not None
    assert client.get(f"/impor/{imported}").status_code == 200


def test_a_fresh_import_preview_is_kept_and_a_stale_one_expires_on_its_own_page(client, auth, world, later):
    auth.login("dinsos")
    batch_id = import_upload(client, messy.xlsx([["NIK", "Nama", "Kecamatan", "Kategori"],
                                                 ["1609014507850001", "Hj. Siti", "Muara Dua", "PEKSOS"]]), "a.xlsx")
    later(23)
    assert client.get(f"/impor/{batch_id}").status_code == 200
    later(25)  # no upload or evening job in between: the page itself expires it
    assert client.get(f"/impor/{batch_id}").status_code == 410
    assert client.get(f"/impor/{batch_id}/bermasalah.xlsx").status_code == 410

"""The full-NIK trace (issue 13, item 8): users reveal, print and export through the pages as they
would; the admin's /admin/jejak-nik then shows, per user and WIB day, the full NIKs each one
opened — checked against what the test itself counted in the answers — and the admin's home
says when someone went over NIK_TRACE_THRESHOLD in the last 7 days."""
import io
import re
from datetime import date, datetime, timedelta, timezone

import pytest
from openpyxl import load_workbook

from portal.admin import nik_trace
from portal.core import audit, clock
from portal.core.models import utcnow
from portal.web.extensions import db
from tests.conftest import HTMX
from tests.forms import parse

FULL_NIK = re.compile(r"(?<![0-9])[0-9]{16}(?![0-9])")
LATE_18 = datetime(2026, 3, 18, 16, 30, tzinfo=timezone.utc)  # 23:30 WIB on 18 March
EARLY_19 = datetime(2026, 3, 18, 17, 30, tzinfo=timezone.utc)  # 00:30 WIB on 19 March, still the 18th in UTC
LATER_19 = datetime(2026, 3, 19, 3, 0, tzinfo=timezone.utc)  # 10:00 WIB on 19 March


@pytest.fixture
def at(monkeypatch):
    def move(moment: datetime) -> None:
        monkeypatch.setattr(clock, "now", lambda: moment)
    return move


@pytest.fixture
def scene(world):
    for verification in ("pending", "pending", "pending", "approved", "approved", "rejected"):
        world.worker("DINSOS", verification=verification,
                     **({"reject_reason": world.reason("PINDAH")} if verification == "rejected" else {}))
    for _ in range(2):
        world.worker("KESRA", verification="approved")
    return world


def reveal(client, page_url: str, limit: int | None = None) -> int:
    """Press the "lihat" buttons of a page (all, or the first `limit`), as htmx sends them;
    returns how many full NIKs came back."""
    page = parse(client.get(page_url).text)
    forms = [e for e in page.elements if e.tag == "form" and re.fullmatch(r"/(antrian|bpjs)/\d+/nik", e.action)]
    shown = 0
    for element in forms[:limit]:
        answer = client.post(element.action, data={c.name: c.value for c in element.controls if c.name}, headers=HTMX)
        assert answer.status_code == 200
        shown += len(FULL_NIK.findall(answer.text))
    assert shown
    return shown


def full_niks_csv(client, url: str) -> int:
    response = client.get(url)
    assert response.status_code == 200
    return sum(len(FULL_NIK.findall(line)) for line in response.get_data(as_text=True).splitlines()[1:])


def full_niks_xlsx(client, url: str) -> int:
    response = client.get(url)
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    return sum(1 for row in sheet.iter_rows(values_only=True) for cell in row
               if isinstance(cell, str) and FULL_NIK.fullmatch(cell))


def trace(client, **query) -> dict[tuple[str, str], dict]:
    """The page's rows: (day ISO, username) → its figures and whether it is marked."""
    response = client.get("/admin/jejak-nik", query_string=query)
    assert response.status_code == 200, response.text
    found = {}
    for day, over, cells in re.findall(r'<tr id="jejak-(\d{4}-\d\d-\d\d)-\d+"( class="over")?>(.*?)</tr>',
                                       response.text, re.S):
        username = re.search(r"<small>([^<]+)</small>", cells).group(1)
        numbers = [int(n.replace(".", "")) for n in re.findall(r'<td class="n">(?:<strong>)?([0-9.]+)', cells)]
        found[(day, username)] = dict(zip(("revealed", "printed", "exported", "total"), numbers), over=bool(over))
    return found


def test_the_trace_counts_what_each_user_opened_per_wib_day(client, auth, scene, at):
    at(LATE_18)
    auth.login("dinsos")
    revealed = reveal(client, "/antrian/")
    document = client.get("/berita-acara/DINSOS")
    printed = len(set(FULL_NIK.findall(document.text)))  # each listed NIK once (the page may repeat it)
    exported = full_niks_csv(client, "/ekspor/antrian.csv")
    auth.logout()

    at(EARLY_19)
    auth.login("bpjs")
    bpjs_exported = full_niks_xlsx(client, "/ekspor/bpjs.xlsx") + full_niks_csv(client, "/ekspor/daftar.csv")
    auth.logout()
    auth.login("supervisor")
    assert full_niks_csv(client, "/ekspor/daftar.csv") == 0  # masked for a supervisor
    auth.logout()

    at(LATER_19)
    auth.login("admin")
    worker = scene.worker("DINSOS")
    assert worker.nik in client.get(f"/antrian/{worker.id}").text  # the worker page shows (and audits) it
    rows = trace(client)
    assert rows == {
        ("2026-03-18", "dinsos"): dict(revealed=revealed, printed=printed, exported=exported,
                                       total=revealed + printed + exported, over=False),
        ("2026-03-19", "bpjs"): dict(revealed=0, printed=0, exported=bpjs_exported, total=bpjs_exported, over=False),
        ("2026-03-19", "admin"): dict(revealed=1, printed=0, exported=0, total=1, over=False),
    }
    # what the scene offers (pending in the queue; approved and rejected in the document; approved, then
    # everyone, in BPJS's files): the figures above are not 0 == 0
    assert (revealed, printed, exported, bpjs_exported) == (3, 3, 3, 4 + 8)
    assert trace(client, dari="2026-03-19", sampai="2026-03-19").keys() == {("2026-03-19", "bpjs"),
                                                                           ("2026-03-19", "admin")}
    page = client.get("/admin/jejak-nik").text
    assert "Dinas Sosial" in page or "DINSOS" in page  # the user's OPD
    assert "Verifikator" in page


def test_lines_over_the_threshold_are_marked_and_the_admins_home_says_so(app, client, auth, scene, at):
    app.config["NIK_TRACE_THRESHOLD"] = 2
    at(LATE_18)
    auth.login("dinsos")
    assert reveal(client, "/antrian/") == 3
    auth.logout()
    auth.login("bpjs")
    assert reveal(client, "/bpjs/", limit=1) == 1
    auth.logout()

    auth.login("admin")
    at(LATER_19)
    rows = trace(client)
    assert rows[("2026-03-18", "dinsos")]["over"] and not rows[("2026-03-18", "bpjs")]["over"]
    home = client.get("/kabupaten/")
    notice = re.search(r'<p class="flash error" role="alert" id="peringatan-nik">(.*?)</p>', home.text, re.S)
    assert notice and "dinsos" in notice.group(1) and "bpjs" not in notice.group(1)
    assert 'href="/admin/jejak-nik?dari=2026-03-18"' in notice.group(1)
    assert "peringatan-nik" not in client.get("/kabupaten/", headers=HTMX).text  # the poll leaves it alone

    at(LATE_18 + timedelta(days=7))  # the 18th is now 8 days back: outside the last 7
    assert "peringatan-nik" not in client.get("/kabupaten/").text
    at(LATER_19)
    app.config["NIK_TRACE_THRESHOLD"] = 3  # 3 is not more than 3
    assert "peringatan-nik" not in client.get("/kabupaten/").text
    auth.logout()
    auth.login("supervisor")
    app.config["NIK_TRACE_THRESHOLD"] = 2
    assert "peringatan-nik" not in client.get("/kabupaten/").text  # the notice is the admin's


@pytest.mark.parametrize("role", ["supervisor", "bpjs", "dinsos"])
def test_only_the_admin_reads_the_trace(client, auth, world, role):
    auth.login(role)
    assert client.get("/admin/jejak-nik").status_code == 403


@pytest.mark.parametrize("query, says", [
    ({"dari": "2026-02-30"}, "Tanggal tidak sah"),
    ({"dari": "2026-03-10", "sampai": "2026-03-01"}, "sesudah tanggal akhir"),
    ({"dari": "2024-01-01", "sampai": "2026-03-01"}, "Rentang paling panjang 366 hari"),
])
def test_a_bad_range_is_refused_with_why(client, auth, world, query, says):
    auth.login("admin")
    response = client.get("/admin/jejak-nik", query_string=query)
    assert response.status_code == 422 and says in response.text


def test_figures_are_written_the_indonesian_way_and_the_default_is_the_last_30_days(client, auth, world, at):
    worker = world.worker("DINSOS")
    dinsos = world.users["dinsos"]
    at(LATER_19)
    audit.record_many(db.session, [dict(action="nik_view", user_id=dinsos.id, worker_id=worker.id, note="antrian",
                                        detail="", created_at=utcnow()) for _ in range(1234)])
    at(LATER_19 - timedelta(days=30))  # 31 days before the page is read: outside its default range
    audit.record_many(db.session, [dict(action="nik_view", user_id=dinsos.id, worker_id=worker.id, note="antrian",
                                        detail="", created_at=utcnow())])
    db.session.commit()
    at(LATER_19)
    auth.login("admin")
    page = client.get("/admin/jejak-nik").text
    assert '<td class="n"><strong>1.234</strong>' in page
    assert 'value="2026-02-18"' in page and 'value="2026-03-19"' in page
    assert nik_trace.default_range(date(2026, 3, 19)) == (date(2026, 2, 18), date(2026, 3, 19))
    assert "2026-02-17" not in page

"""The county view: every figure equals a direct count over workers."""
import re

from sqlalchemy import func, select

from portal.core import clock
from portal.core.models import Target, Worker
from portal.web.extensions import db
from tests.conftest import HTMX


def cell(html: str, opd: str, column: int) -> str:
    row = re.search(rf'<tr id="opd-{opd}">(.*?)</tr>', html, re.S).group(1)
    cells = re.findall(r'<td class="n"[^>]*>(.*?)</td>', row, re.S)
    return re.sub(r"<[^>]+>", "", cells[column]).strip()


def test_figures_match_direct_counts(client, auth, world):
    for state in ["pending"] * 3 + ["approved"] * 4 + ["rejected", "on_hold"]:
        world.worker("DINSOS", verification=state)
    world.worker("DINSOS", verification="approved", enrolment="enrolled")
    world.worker("DINSOS", verification="pending", enrolment="enrolled")  # approval withdrawn
    world.worker("KESRA", verification="approved", enrolment="enrolled")
    world.worker("KESRA")
    auth.login("supervisor")
    html = client.get("/kabupaten/").text
    count = lambda *where: db.session.scalar(select(func.count()).select_from(Worker).where(*where))
    dinsos = world.opd["DINSOS"].id
    enrolled = Worker.enrolment == "enrolled"
    assert cell(html, "DINSOS", 0) == str(count(Worker.opd_id == dinsos))  # received: 11
    assert cell(html, "DINSOS", 2) == str(count(Worker.opd_id == dinsos, Worker.verification == "approved"))
    assert cell(html, "DINSOS", 5) == str(count(Worker.opd_id == dinsos, enrolled, Worker.verification == "approved"))
    assert cell(html, "DINSOS", 6) == str(count(Worker.opd_id == dinsos, enrolled, Worker.verification != "approved"))
    assert cell(html, "DINSOS", 7) == "10,00\u00a0%"  # 1 enrolled and approved of 10 not rejected
    text = re.sub(r"<a [^>]*>|</a>", "", html)
    assert "<dt>Nama diterima</dt><dd>13</dd>" in text
    assert "<dt>Terdaftar dan disetujui</dt><dd>2</dd>" in text
    assert "<dt>Perlu tindak lanjut BPJS</dt><dd>1</dd>" in text
    # the target's measure: 2 enrolled and approved of 12 not rejected, beside this year's target
    year = clock.today().year
    db.session.merge(Target(year=year, coverage_bp=5500))
    db.session.commit()
    html = client.get("/kabupaten/").text
    assert re.search(rf"<dt>Cakupan</dt><dd>16,67\u00a0%\s*<small>target {year}: 55,00\u00a0%</small>", html)
    assert "<dt>Cakupan dari yang disetujui</dt><dd>33,33\u00a0%</dd>" in html  # 2 of 6 approved


def test_no_coverage_exceeds_100_percent_after_reopening_enrolled_names(client, auth, world):
    for _ in range(2):
        world.worker("DINSOS", verification="pending", enrolment="enrolled")  # approved, enrolled, reopened
    world.worker("DINSOS", verification="approved")
    auth.login("supervisor")
    html = client.get("/kabupaten/").text
    assert cell(html, "DINSOS", 7) == "0,00\u00a0%" and cell(html, "DINSOS", 6) == "2"
    assert "<dt>Cakupan dari yang disetujui</dt><dd>0,00\u00a0%</dd>" in html


def test_indonesian_number_format(client, auth, world, app):
    from portal.web.text import num, pct
    with app.test_request_context():
        assert num(3934) == "3.934" and pct(0.2577) == "25,77\u00a0%"


def test_polls_and_returns_fragment(client, auth, world, app):
    auth.login("supervisor")
    page = client.get("/kabupaten/").text
    assert f'hx-trigger="every {app.config["COUNTY_POLL_SECONDS"]}s"' in page
    fragment = client.get("/kabupaten/", headers=HTMX)
    assert fragment.text.lstrip().startswith('<div id="county"') and "<!doctype" not in fragment.text.lower()


def test_a_decision_shows_on_the_next_poll(app, world):
    w = world.worker("DINSOS")
    verifier, supervisor = app.test_client(), app.test_client()
    verifier.post("/masuk", data={"username": "dinsos", "password": "rahasia-uji-123"})
    supervisor.post("/masuk", data={"username": "supervisor", "password": "rahasia-uji-123"})
    assert cell(supervisor.get("/kabupaten/", headers=HTMX).text, "DINSOS", 2) == "0"
    verifier.post(f"/antrian/{w.id}/setujui", data={"version": 1}, headers=HTMX)
    assert cell(supervisor.get("/kabupaten/", headers=HTMX).text, "DINSOS", 2) == "1"


def strip(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


def test_breakdowns_equal_direct_counts(client, auth, world):
    from portal.core.models import Category
    from portal.county import dashboard
    for i, state in enumerate(["pending", "approved", "approved", "rejected", "on_hold"] * 3):
        world.worker(["DINSOS", "KESRA", "DLH"][i % 3], verification=state)
    for dimension, column in (("category", Worker.category_id), ("kecamatan", Worker.kecamatan_code)):
        rows = {r.code: r.figures for r in dashboard.breakdown(db.session, dimension)}
        direct = dict(db.session.execute(select(column, func.count()).group_by(column)).all())
        assert {k: f.received for k, f in rows.items() if f.received} == {str(k): n for k, n in direct.items()}
        approved = dict(db.session.execute(select(column, func.count()).where(
            Worker.verification == "approved").group_by(column)).all())
        assert {k: f.approved for k, f in rows.items() if f.approved} == {str(k): n for k, n in approved.items()}
    assert len(dashboard.breakdown(db.session, "category")) == db.session.scalar(select(func.count()).select_from(Category))


def test_dashboard_sections(client, auth, world):
    world.worker("DINSOS", verification="rejected", reject_reason_id=world.reason("MENINGGAL").id)
    world.worker("DINSOS", verification="rejected", reject_reason_id=world.reason("MENINGGAL").id)
    world.worker("KESRA", verification="rejected", reject_reason_id=world.reason("PINDAH").id)
    world.worker("KESRA")
    auth.login("supervisor")
    html = client.get("/kabupaten/").text
    for heading in ("Per OPD", "Per kategori pekerja", "Per kecamatan", "Alasan penolakan per OPD",
                    "Dari diterima sampai terdaftar", "Target dan laju"):
        assert heading in html
    reasons = re.search(r'id="h-reasons".*?</table>', html, re.S).group(0)
    dinsos = re.search(r"<th scope=\"row\">DINSOS</th>(.*?)</tr>", reasons, re.S).group(1)
    assert "2" in strip(dinsos) and reasons.index("DINSOS") < reasons.index("KESRA")  # most first
    assert "<svg" in html and 'role="img"' in html  # the trend chart


def test_breakdown_sorting_fragment_and_page(client, auth, world):
    for _ in range(3):
        world.worker("DINSOS")
    auth.login("supervisor")
    r = client.get("/kabupaten/rincian/kecamatan?sort=name&desc=0", headers=HTMX)
    assert r.status_code == 200 and r.text.lstrip().startswith('<section id="rincian-kecamatan"')
    names = re.findall(r'<th scope="row">([^<]+)</th>', r.text)
    assert names == sorted(names, key=str.lower) and 'aria-sort="ascending"' in r.text
    r = client.get("/kabupaten/rincian/kecamatan?sort=received&desc=1", headers=HTMX)
    counts = [int(strip(c)) for c in re.findall(r'<td class="n"><a [^>]*>(\d+)</a></td>', r.text)]
    assert counts == sorted(counts, reverse=True) and counts[0] == 3
    full = client.get("/kabupaten/rincian/kecamatan?sort=name&desc=0")
    assert "<!doctype html>" in full.text.lower() and 'id="county"' in full.text
    assert client.get("/kabupaten/rincian/desa", headers=HTMX).status_code == 404


def test_drill_down_lists_the_workers_behind_a_figure(client, auth, world):
    a = world.worker("DINSOS", verification="approved", full_name="Ani Disetujui")
    world.worker("DINSOS", full_name="Budi Menunggu")
    world.worker("KESRA", verification="approved", full_name="Cici Kesra")
    auth.login("supervisor")
    page = client.get("/kabupaten/daftar?opd=dinsos&status=approved")
    assert "Ani Disetujui" in page.text and "Budi Menunggu" not in page.text and "Cici Kesra" not in page.text
    assert a.nik not in page.text and a.nik[:4] in page.text  # read-only, NIK masked
    assert "Setujui" not in strip(page.text) and "<form method=\"post\" action=\"/antrian" not in page.text
    assert "1 nama" in strip(page.text) or "dari 1 nama" in strip(page.text)
    r = client.get("/kabupaten/daftar?status=nonsense&kat=abc", headers=HTMX)
    assert r.status_code == 200 and r.text.lstrip().startswith('<div id="results">')


def test_whatsapp_nudge_for_opds_with_pending_names(client, auth, world):
    from urllib.parse import unquote
    world.worker("DINSOS")
    world.worker("KESRA", verification="approved")
    auth.login("supervisor")
    html = client.get("/kabupaten/").text
    dinsos = re.search(r'<tr id="opd-DINSOS">(.*?)</tr>', html, re.S).group(1)
    link = re.search(r'href="(https://wa.me/\?text=[^"]+)"', dinsos).group(1)
    text = unquote(link.split("text=")[1].replace("&amp;", "&"))
    assert "Dinas Sosial" in text and "1 nama" in text and "http://localhost/antrian/" in text
    kesra = re.search(r'<tr id="opd-KESRA">(.*?)</tr>', html, re.S).group(1)
    assert "wa.me" not in kesra  # nothing waiting, nothing to chase

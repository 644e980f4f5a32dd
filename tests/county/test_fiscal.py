"""Fiscal projection: the arithmetic (month by month across dated rate changes), dated rates, the
county page against direct counts over workers, the scenario (fragment and page, refusals), and the admin's rate pages."""
import json
import re
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from portal.core import audit, clock
from portal.core.errors import Invalid, NotAllowed
from portal.core.measures import Figures
from portal.core.models import ContributionRate, Event, Worker
from portal.county import budget, fiscal
from portal.web.extensions import db
from tests.conftest import HTMX
from tests.factories import PASSWORD

RATE = 16_800
DEFAULT = (date(2019, 12, 2), RATE)
NBSP = "\u00a0"


def rp(amount: int) -> str:
    return f"Rp{NBSP}{amount:,}".replace(",", ".")


def row_cells(html: str, row_id: str) -> list[str]:
    row = re.search(rf'<tr id="{row_id}">(.*?)</tr>', html, re.S).group(1)
    return re.findall(r'<td class="n">([^<]*)</td>', row)


def scenario_block(html: str) -> str:
    return re.search(r'<div id="skenario".*?</div>\s*(?=</section>|$)', html, re.S).group(0)


@pytest.fixture
def rated(world):
    fiscal.seed_default_rate(db.session)
    db.session.commit()
    return world


def login(app, username):
    client = app.test_client()
    client.post("/masuk", data={"username": username, "password": PASSWORD})
    return client


# --- arithmetic --------------------------------------------------------------------------------

def test_the_reference_example():
    assert fiscal.monthly_cost(3934, RATE) == 66_091_200
    assert fiscal.Cost.of(3934, RATE, RATE * 12) == fiscal.Cost(3934, 66_091_200, 793_094_400)


@pytest.mark.parametrize("start, months", [(date(2025, 1, 1), 12), (date(2025, 1, 31), 12),
                                           (date(2025, 7, 15), 6), (date(2025, 12, 31), 1)])
def test_scenario_counts_months_from_the_start_month_through_december(start, months):
    s = budget.scenario(100, 50, start, [DEFAULT])
    assert (s.year, sum(run.months for run in s.added_runs)) == (2025, months)
    assert s.current == 100 * RATE * 12
    assert s.added == 50 * RATE * months
    assert s.this_year == s.current + s.added
    assert s.following[0].cost == 150 * RATE * 12


# (d) no rate change: the same figures as a single rate × months, and every year to 2029
def test_without_a_rate_change_month_by_month_equals_rate_times_months():
    s = budget.scenario(100, 50, date(2025, 7, 15), [DEFAULT])
    assert (s.current, s.added, s.this_year) == (20_160_000, 5_040_000, 25_200_000)  # 100×16.800×12; 50×16.800×6
    assert [(y.year, y.workers, y.cost) for y in s.following] == [
        (2026, 150, 30_240_000), (2027, 150, 30_240_000), (2028, 150, 30_240_000), (2029, 150, 30_240_000)]
    assert s.horizon_total == 25_200_000 + 4 * 30_240_000
    assert 3934 * budget.per_worker([DEFAULT], date(2025, 1, 1), date(2025, 12, 31)) == 793_094_400


# (a) a change in the middle of a year: Jan–Jun at the old rate, Jul–Dec at the new
def test_a_mid_year_change_applies_from_its_month():
    rates = [DEFAULT, (date(2026, 7, 1), 19_000)]
    assert budget.per_worker(rates, date(2026, 1, 1), date(2026, 12, 31)) == 16_800 * 6 + 19_000 * 6  # 214.800
    assert 100 * budget.per_worker(rates, date(2026, 1, 1), date(2026, 12, 31)) == 21_480_000
    assert [(r.first, r.last, r.months, r.per_month) for r in budget.year_runs(rates, 2026)] == [
        (date(2026, 1, 1), date(2026, 6, 30), 6, 16_800), (date(2026, 7, 1), date(2026, 12, 31), 6, 19_000)]
    s = budget.scenario(100, 10, date(2026, 9, 20), rates)
    assert s.current == 21_480_000
    assert s.added == 10 * 19_000 * 4  # September–December, all at the new rate: 760.000
    assert s.following[0].cost == 110 * 19_000 * 12  # 2027: 25.080.000


def test_a_change_after_the_first_of_a_month_applies_from_the_next_month():
    rates = [DEFAULT, (date(2026, 7, 15), 19_000)]
    assert budget.rate_in(rates, budget.month_index(date(2026, 7, 31))) == 16_800
    assert budget.rate_in(rates, budget.month_index(date(2026, 8, 1))) == 19_000
    assert budget.per_worker(rates, date(2026, 1, 1), date(2026, 12, 31)) == 16_800 * 7 + 19_000 * 5  # 212.600


# (b) a change on 1 January of the next year, across the year boundary
def test_a_change_on_the_first_of_january_applies_to_the_next_year():
    rates = [(date(2027, 1, 1), 20_000), DEFAULT]  # any order
    # 10 workers, October 2026–March 2027: 3 × 16.800 + 3 × 20.000 = 110.400 each
    assert 10 * budget.per_worker(rates, date(2026, 10, 15), date(2027, 3, 31)) == 1_104_000
    s = budget.scenario(5, 5, date(2026, 11, 1), rates)
    assert (s.current, s.added) == (5 * 16_800 * 12, 5 * 16_800 * 2)  # 1.008.000; 168.000
    assert [(y.year, y.cost) for y in s.following] == [(2027, 2_400_000), (2028, 2_400_000), (2029, 2_400_000)]
    assert s.following[0].runs == [budget.Run(date(2027, 1, 1), date(2027, 12, 31), 12, 20_000)]


# (c) two changes in one scenario, spanning years
def test_two_changes_in_one_scenario_spanning_years():
    rates = [DEFAULT, (date(2026, 7, 1), 19_000), (date(2027, 1, 1), 21_000)]
    s = budget.scenario(3934, 1000, date(2026, 4, 1), rates)
    assert s.current == 845_023_200  # 3.934 × (16.800 × 6 + 19.000 × 6) = 3.934 × 214.800
    assert s.added == 164_400_000  # 1.000 × (16.800 × 3 [Apr–Jun] + 19.000 × 6) = 1.000 × 164.400
    assert s.this_year == 1_009_423_200
    assert [(y.year, y.workers, y.cost) for y in s.following] == [
        (2027, 4934, 1_243_368_000), (2028, 4934, 1_243_368_000), (2029, 4934, 1_243_368_000)]  # 4.934 × 21.000 × 12
    assert s.horizon_total == 1_009_423_200 + 3 * 1_243_368_000  # 4.739.527.200


def test_months_before_any_rate_are_unpriced():
    runs = budget.year_runs([DEFAULT], 2019)
    assert [(r.months, r.per_month) for r in runs] == [(12, None)]  # December starts on the 2nd
    assert budget.unpriced(runs) == date(2019, 1, 1) and budget.unpriced(budget.year_runs([DEFAULT], 2020)) is None
    assert budget.following_years([DEFAULT], 1, 2098)[0].year == 2099  # past 2029: still the next year


def test_headcount_puts_inactive_in_the_gap_and_flagged_names_in_neither():
    # DINSOS: 5 approved (2 enrolled, 1 inactive), 2 pending of which 1 enrolled (approval
    # withdrawn), 1 on hold; 3 enrolled in all.
    figures = Figures(pending=2, approved=5, on_hold=1, enrolled=3, inactive=1, enrolled_approved=2)
    h = fiscal.headcount(figures, 1)
    assert h == fiscal.Headcount(enrolled=3, gap=3, undecided=2)
    assert fiscal.headcount(Figures(approved=4, enrolled=1, inactive=1, enrolled_approved=1)).gap == 3


def test_projection_totals_every_opd():
    p = fiscal.projection([("A", fiscal.Headcount(2, 3, 4)), ("B", fiscal.Headcount(1, 0, 5))], RATE, None,
                          budget.year_runs([DEFAULT], 2025), 2025)
    assert p.total.enrolled == fiscal.Cost(3, 3 * RATE, 3 * RATE * 12)
    assert p.total.gap == fiscal.Cost(3, 3 * RATE, 3 * RATE * 12)
    assert p.total.undecided == fiscal.Cost(9, 9 * RATE, 9 * RATE * 12)


# --- rates ---------------------------------------------------------------------------------------

def test_seed_default_rate_once_and_never_over_an_admins_rate(world):
    fiscal.seed_default_rate(db.session)
    fiscal.seed_default_rate(db.session)
    rates = db.session.scalars(select(ContributionRate)).all()
    assert [(r.effective_from, r.jkk, r.jkm) for r in rates] == [(date(2019, 12, 2), 10_000, 6_800)]
    assert "PP 82/2019" in rates[0].basis and fiscal.per_month(rates[0]) == RATE


def test_rate_on_picks_the_rate_in_force_across_an_effective_date(rated):
    fiscal.add_rate(db.session, rated.users["admin"], date(2026, 1, 1), 12_000, 7_000, "Contoh PP baru")
    db.session.commit()
    assert fiscal.rate_on(db.session, date(2019, 12, 1)) is None
    assert fiscal.rate_on(db.session, date(2019, 12, 2)).jkk == 10_000
    assert fiscal.rate_on(db.session, date(2025, 12, 31)).jkk == 10_000
    assert fiscal.rate_on(db.session, date(2026, 1, 1)).jkk == 12_000
    assert fiscal.per_month(fiscal.rate_on(db.session, date(2030, 6, 1))) == 19_000


def test_add_rate_is_audited(rated):
    admin = rated.users["admin"]
    fiscal.add_rate(db.session, admin, date(2026, 1, 1), 12_000, 7_000, "  Contoh PP baru ")
    db.session.commit()
    event = db.session.scalars(select(Event).where(Event.action == "rate_add")).one()
    assert event.user_id == admin.id
    assert json.loads(event.detail) == {"effective_from": "2026-01-01", "jkk": 12_000, "jkm": 7_000,
                                        "basis": "Contoh PP baru"}
    assert audit.verify(db.session)[1] == []


@pytest.mark.parametrize("day, jkk, jkm, basis, message", [
    (date(2026, 1, 1), -1, 6_800, "PP", "Iuran JKK harus bilangan bulat"),
    (date(2026, 1, 1), 10_000, 10_000_001, "PP", "Iuran JKM harus bilangan bulat"),
    (date(2026, 1, 1), "10000", 6_800, "PP", "Iuran JKK harus bilangan bulat"),
    (date(2026, 1, 1), 10_000.0, 6_800, "PP", "Iuran JKK harus bilangan bulat"),
    (date(2026, 1, 1), True, 6_800, "PP", "Iuran JKK harus bilangan bulat"),
    (date(2026, 1, 1), 10_000, 6_800, "   ", "Tulis dasar hukum"),
    (date(2026, 1, 1), 10_000, 6_800, "x" * 201, "Tulis dasar hukum"),
    (date(2013, 12, 31), 10_000, 6_800, "PP", "antara tahun 2014 dan 2099"),
    ("2026-01-01", 10_000, 6_800, "PP", "Tanggal mulai berlaku tidak sah"),
    (date(2019, 12, 2), 10_000, 7_000, "PP", "Sudah ada tarif yang berlaku mulai"),
])
def test_add_rate_refuses(rated, day, jkk, jkm, basis, message):
    with pytest.raises(Invalid) as refused:
        fiscal.add_rate(db.session, rated.users["admin"], day, jkk, jkm, basis)
    assert message in refused.value.message % refused.value.params
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(ContributionRate)) == 1
    assert not db.session.scalar(select(func.count()).select_from(Event).where(Event.action == "rate_add"))


def test_only_an_admin_adds_a_rate(rated):
    with pytest.raises(NotAllowed):
        fiscal.add_rate(db.session, rated.users["supervisor"], date(2026, 1, 1), 1, 1, "PP")


# --- the county page -----------------------------------------------------------------------------

def populate(world):
    for state, enrolment, n in [("approved", "not_enrolled", 4), ("approved", "enrolled", 2),
                                ("approved", "inactive", 1), ("pending", "not_enrolled", 2),
                                ("on_hold", "not_enrolled", 1), ("rejected", "not_enrolled", 1),
                                ("rejected", "inactive", 1), ("pending", "enrolled", 1)]:
        for _ in range(n):
            world.worker("DINSOS", verification=state, enrolment=enrolment)
    world.worker("KESRA", verification="approved")
    world.worker("KESRA", verification="approved", enrolment="enrolled")


def expected_cells(*where) -> list[str]:
    count = lambda *w: db.session.scalar(select(func.count()).select_from(Worker).where(*where, *w))
    enrolled = count(Worker.enrolment == "enrolled")
    gap = count(Worker.verification == "approved", Worker.enrolment != "enrolled")
    undecided = count(Worker.verification.in_(("pending", "on_hold")), Worker.enrolment != "enrolled")
    return [str(enrolled), rp(enrolled * RATE * 12), str(gap), rp(gap * RATE), rp(gap * RATE * 12),
            str(undecided), rp(undecided * RATE), rp(undecided * RATE * 12)]


def test_page_figures_match_direct_counts(client, auth, rated):
    populate(rated)
    auth.login("supervisor")
    r = client.get("/kabupaten/fiskal")
    assert r.status_code == 200
    dinsos = expected_cells(Worker.opd_id == rated.opd["DINSOS"].id)
    assert dinsos[:3] == ["3", rp(3 * RATE * 12), "5"]  # the world is what this test thinks it is
    assert row_cells(r.text, "fiskal-DINSOS") == dinsos
    assert row_cells(r.text, "fiskal-KESRA") == expected_cells(Worker.opd_id == rated.opd["KESRA"].id)
    assert row_cells(r.text, "fiskal-BPBD") == ["0", rp(0), "0", rp(0), rp(0), "0", rp(0), rp(0)]
    assert row_cells(r.text, "fiskal-total") == expected_cells()
    assert f"JKK {rp(10_000)} + JKM {rp(6_800)} = {rp(RATE)} per pekerja per bulan" in r.text
    assert "2 Desember 2019" in r.text and "PP 44/2015 jo. PP 82/2019" in r.text


@pytest.mark.parametrize("role, status", [("supervisor", 200), ("admin", 200), ("bpjs", 200),
                                          ("dinsos", 403), ("kesra", 403)])
def test_who_sees_the_projection(app, rated, role, status):
    assert login(app, role).get("/kabupaten/fiskal").status_code == status


def test_without_any_rate_the_page_says_so(client, auth, world):
    from sqlalchemy import delete

    from portal.core.models import ContributionRate
    db.session.execute(delete(ContributionRate))  # the seed adds the default rate
    db.session.commit()
    auth.login("admin")
    r = client.get("/kabupaten/fiskal")
    assert r.status_code == 200 and "Belum ada tarif iuran yang berlaku hari ini" in r.text
    assert "Belum ada tarif iuran yang tercatat" in scenario_block(r.text)


# --- the scenario --------------------------------------------------------------------------------

def test_scenario_fragment_for_htmx_and_full_page_otherwise(client, auth, rated):
    for _ in range(2):
        rated.worker("DINSOS", verification="approved", enrolment="enrolled")
    auth.login("supervisor")
    url = "/kabupaten/fiskal?n=10&mulai=2025-07-01"
    fragment = client.get(url, headers=HTMX)
    assert fragment.status_code == 200 and "HX-Request" in fragment.headers["Vary"]
    assert fragment.text.lstrip().startswith('<div id="skenario"') and "<!doctype" not in fragment.text.lower()
    this_year, full_year = 2 * RATE * 12 + 10 * RATE * 6, 12 * RATE * 12
    assert f"<dt>Anggaran tahun 2025</dt><dd>{rp(this_year)}</dd>" in fragment.text
    assert row_cells(fragment.text, "tahun-2026") == ["12", rp(full_year)]
    assert f"10 pekerja baru mulai 1 Juli 2025 × {rp(RATE)} × 6 bulan (1 Juli 2025–31 Desember 2025)" in fragment.text
    page = client.get(url)
    assert page.text.lower().startswith("<!doctype html>") and 'hx-target="#skenario"' in page.text
    assert 'hx-push-url="true"' in page.text and 'value="10"' in page.text
    assert f"<dd>{rp(this_year)}</dd>" in scenario_block(page.text)


def test_scenario_defaults_to_the_whole_gap_from_today(client, auth, rated):
    for _ in range(3):
        rated.worker("KESRA", verification="approved")
    auth.login("bpjs")
    page = client.get("/kabupaten/fiskal").text
    assert re.search(r'<input[^>]*id="n"[^>]*value="3"', page)
    assert re.search(r'<input[^>]*id="mulai"[^>]*min="2020-01-01"[^>]*value="\d{4}-\d{2}-\d{2}"', page)
    assert "3 pekerja baru" in scenario_block(page)


def test_scenario_uses_the_rate_in_force_each_month(client, auth, rated):
    fiscal.add_rate(db.session, rated.users["admin"], date(2099, 1, 1), 20_000, 10_000, "Peraturan masa depan")
    db.session.commit()
    auth.login("admin")
    before = client.get("/kabupaten/fiskal?n=1&mulai=2098-12-01", headers=HTMX).text
    after = client.get("/kabupaten/fiskal?n=1&mulai=2099-12-01", headers=HTMX).text
    assert f"<dt>Anggaran tahun 2098</dt><dd>{rp(RATE)}</dd>" in before
    assert row_cells(before, "tahun-2099") == ["1", rp(30_000 * 12)]
    assert f"<dt>Anggaran tahun 2099</dt><dd>{rp(30_000)}</dd>" in after
    assert row_cells(after, "tahun-2100") == ["1", rp(30_000 * 12)]


def test_the_page_sums_month_by_month_across_two_changes(client, auth, rated, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 3, 10, 3, 0, tzinfo=timezone.utc))  # 10:00 WIB
    admin = rated.users["admin"]
    fiscal.add_rate(db.session, admin, date(2026, 7, 1), 12_000, 7_000, "Contoh PP perubahan")
    fiscal.add_rate(db.session, admin, date(2027, 1, 1), 13_000, 8_000, "Contoh PP perubahan kedua")
    db.session.commit()
    for _ in range(2):
        rated.worker("DINSOS", verification="approved", enrolment="enrolled")
    for _ in range(3):
        rated.worker("DINSOS", verification="approved")
    rated.worker("KESRA", verification="pending")
    auth.login("supervisor")
    page = client.get("/kabupaten/fiskal").text
    year = 16_800 * 6 + 19_000 * 6  # one worker in 2026: 214.800
    assert row_cells(page, "fiskal-total") == ["2", rp(2 * year), "3", rp(3 * 16_800), rp(3 * year),
                                               "1", rp(16_800), rp(year)]
    assert rp(2 * year) == "Rp\u00a0429.600" and rp(3 * year) == "Rp\u00a0644.400"
    assert (f"{rp(16_800)} × 6 bulan (1 Januari 2026–30 Juni 2026) + {rp(19_000)} × 6 bulan "
            f"(1 Juli 2026–31 Desember 2026)] = {rp(214_800)}") in page
    block = scenario_block(page)  # the default: the gap of 3 from today, 10 March 2026
    this_year = 2 * year + 3 * (16_800 * 4 + 19_000 * 6)  # 429.600 + 3 × 181.200 = 973.200
    assert f"<dt>Anggaran tahun 2026</dt><dd>{rp(973_200)}</dd>" in block and this_year == 973_200
    assert f"= {rp(543_600)}" in block  # the 3 new ones, March–December
    for y in (2027, 2028, 2029):
        assert row_cells(block, f"tahun-{y}") == ["5", rp(5 * 21_000 * 12)]  # 1.260.000
    assert f"<dd>{rp(973_200 + 3 * 1_260_000)}</dd>" in block  # 2026–2029: 4.753.200


@pytest.mark.parametrize("query, message", [
    ("n=-1", "Tidak boleh negatif"),
    ("n=abc", "Isi dengan bilangan bulat"),
    ("n=1.5", "Isi dengan bilangan bulat"),
    ("n=", "Isi jumlah pekerja"),
    ("n=1000001", "paling banyak 1.000.000"),
    ("n=" + "9" * 40, "Angka terlalu besar"),
    ("mulai=2025-02-30", "Tanggal tidak dikenali"),
    ("mulai=1/7/2025", "Tanggal tidak dikenali"),
    ("mulai=", "Isi tanggal mulai"),
    ("mulai=2019-12-01",  # the enrolled are paid from January, and 2019 has no rate before December
     "Belum ada tarif iuran pada 1 Januari 2019; tarif paling awal berlaku mulai 2 Desember 2019"),
    ("mulai=2019-12-15", "Belum ada tarif iuran pada 1 Januari 2019"),
    ("mulai=9999-12-01", "Tahun mulai harus antara 2000 dan 2100"),  # its next year is past the calendar's end
])
def test_scenario_refusals_answer_422_with_the_reason(client, auth, rated, query, message):
    auth.login("supervisor")
    r = client.get(f"/kabupaten/fiskal?{query}", headers=HTMX)
    assert r.status_code == 422
    assert r.text.lstrip().startswith('<div id="skenario"') and message in r.text
    assert "Anggaran tahun" not in r.text


def test_a_refused_scenario_still_shows_the_whole_page(client, auth, rated):
    auth.login("supervisor")
    r = client.get("/kabupaten/fiskal?n=-5")
    assert r.status_code == 422 and r.text.lower().startswith("<!doctype html>")
    assert 'id="fiskal-total"' in r.text and "Tidak boleh negatif" in scenario_block(r.text)


# --- the admin's rate pages ----------------------------------------------------------------------

VALID = {"effective_from": "2026-01-01", "jkk": "12.000", "jkm": "Rp7000", "basis": "Contoh PP baru"}


@pytest.mark.parametrize("role", ["supervisor", "bpjs", "dinsos"])
def test_rate_pages_are_admin_only(app, rated, role):
    client = login(app, role)
    assert client.get("/admin/tarif").status_code == 403
    assert client.post("/admin/tarif", data=VALID).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(ContributionRate)) == 1


def test_anonymous_is_sent_to_login(client, rated):
    r = client.get("/admin/tarif")
    assert r.status_code == 302 and r.headers["Location"].startswith("/masuk")


def test_admin_lists_and_adds_a_rate(client, auth, rated):
    auth.login("admin")
    page = client.get("/admin/tarif")
    assert page.status_code == 200 and 'id="tarif-2019-12-02"' in page.text and "berlaku sekarang" in page.text
    r = client.post("/admin/tarif", data=VALID)
    assert r.status_code == 303 and r.headers["Location"] == "/admin/tarif"
    rate = db.session.scalar(select(ContributionRate).where(ContributionRate.effective_from == date(2026, 1, 1)))
    assert (rate.jkk, rate.jkm, rate.basis) == (12_000, 7_000, "Contoh PP baru")
    assert db.session.scalar(select(Event).where(Event.action == "rate_add")).user_id == rated.users["admin"].id
    listed = client.get("/admin/tarif").text
    assert "Tarif iuran baru tersimpan" in listed
    assert row_cells(listed, "tarif-2026-01-01") == [rp(12_000), rp(7_000), rp(19_000), rp(19_000 * 12)]


@pytest.mark.parametrize("change, message", [
    ({"effective_from": ""}, "Isi tanggal."),
    ({"effective_from": "1 Januari 2026"}, "Tanggal tidak dikenali"),
    ({"jkk": "abc"}, "Isi dengan bilangan bulat"),
    ({"jkk": "-10"}, "Tidak boleh negatif"),
    ({"jkm": "   "}, "Isi iuran JKM."),
    ({"jkm": "10000001"}, "Iuran JKM harus bilangan bulat rupiah dari 0 sampai 10.000.000"),
    ({"basis": ""}, "Tulis dasar hukum tarif."),
    ({"basis": "x" * 201}, "Dasar hukum paling banyak 200 karakter."),
    ({"effective_from": "2019-12-02"}, "Sudah ada tarif yang berlaku mulai 2 Desember 2019."),
])
def test_a_refused_rate_rerenders_with_422(client, auth, rated, change, message):
    auth.login("admin")
    r = client.post("/admin/tarif", data={**VALID, **change})
    assert r.status_code == 422 and message in r.text
    assert db.session.scalar(select(func.count()).select_from(ContributionRate)) == 1
    assert not db.session.scalar(select(func.count()).select_from(Event).where(Event.action == "rate_add"))


def test_rupiah_filter(app):
    from portal.web.text import rupiah
    with app.test_request_context():
        assert rupiah(793_094_400) == "Rp\u00a0793.094.400" and rupiah(0) == "Rp\u00a00"
        assert app.jinja_env.filters["rupiah"] is rupiah


def test_the_scenario_date_picker_offers_no_day_the_scenario_refuses(client, auth, world):
    auth.login("supervisor")
    page = client.get("/kabupaten/fiskal").text
    first = fiscal.first_scenario_day(db.session)
    assert first == date(2020, 1, 1)  # the default rate starts 2 December 2019: 2019 is not all priced
    assert f'min="{first.isoformat()}"' in page
    before = (first - timedelta(days=1)).isoformat()
    assert client.get(f"/kabupaten/fiskal?mulai={before}&n=1").status_code == 422
    assert client.get(f"/kabupaten/fiskal?mulai={first.isoformat()}&n=1").status_code == 200

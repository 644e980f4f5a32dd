"""Progress over time: snapshots, backfill from the audit trail, targets, outlook, the trend chart,
and the public page (aggregates only, small counts suppressed, cacheable)."""
import json
import re
from collections import Counter
from datetime import date, datetime, timedelta, timezone

import pytest
from flask import render_template_string
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from portal import demo
from portal.core import audit, clock, tallies
from portal.core.models import Event, Snapshot, Target, Worker
from portal.core.tallies import Figures
from portal.county import trend
from portal.county.chart import FONT, layout
from portal.county.commands import snapshot_command
from portal.queue import transitions
from portal.web.extensions import db

CHART = '{% from "_trend.html" import trend_chart %}{{ trend_chart(points, targets) }}'


def rows(day):
    return db.session.scalars(select(Snapshot).where(Snapshot.day == day).order_by(Snapshot.opd_id)).all()


def point(day, **figures):
    return trend.Point(day, Figures(**figures))


# Snapshots -------------------------------------------------------------------------------------

def test_take_twice_overwrites_the_day(world):
    day = date(2026, 3, 2)
    w = world.worker("DINSOS")
    world.worker("DINSOS", verification="approved", enrolment="enrolled")
    assert trend.take(db.session, day) == len(world.opd)
    db.session.commit()
    dinsos = world.opd["DINSOS"].id
    first = {r.opd_id: (r.pending, r.approved, r.enrolled) for r in rows(day)}
    assert first[dinsos] == (1, 1, 1) and len(first) == len(world.opd)
    transitions.approve(db.session, w, world.users["dinsos"], w.version)
    trend.take(db.session, day)
    db.session.commit()
    again = {r.opd_id: (r.pending, r.approved, r.enrolled) for r in rows(day)}
    assert len(again) == len(world.opd) and again[dinsos] == (0, 2, 1)
    assert db.session.scalar(select(func.count()).select_from(Snapshot)) == len(world.opd)
    [(when, figures)] = trend.series(db.session)
    assert when == day and figures.approved == 2 and figures.received == 2


def test_series_by_day_for_the_county_or_one_opd(world):
    world.worker("DINSOS")
    trend.take(db.session, date(2026, 3, 1))
    world.worker("KESRA", verification="approved")
    trend.take(db.session, date(2026, 3, 3))
    db.session.commit()
    county = trend.series(db.session)
    assert [p.day for p in county] == [date(2026, 3, 1), date(2026, 3, 3)]
    assert [p.figures.received for p in county] == [1, 2]
    kesra = trend.series(db.session, opd_id=world.opd["KESRA"].id)
    assert [p.figures.approved for p in kesra] == [0, 1]
    assert [p.day for p in trend.series(db.session, days=2, today=date(2026, 3, 3))] == [date(2026, 3, 3)]
    live = trend.with_today(county, Figures(pending=9), date(2026, 3, 3))
    assert len(live) == 2 and live[-1].figures.pending == 9


def test_snapshot_command(runner, world):
    world.worker("DINSOS")
    for _ in range(2):
        result = runner.invoke(snapshot_command, ["--date", "2026-01-05"])
        assert result.exit_code == 0, result.output
        assert "Cuplikan harian 05-01-2026 tersimpan untuk 8 OPD" in result.output
    assert len(rows(date(2026, 1, 5))) == 8
    assert runner.invoke(snapshot_command, ["--date", "2999-01-01"]).exit_code == 1
    assert runner.invoke(snapshot_command, ["--date", "kemarin"]).exit_code == 2
    assert runner.invoke(snapshot_command, []).exit_code == 0
    assert len(rows(clock.today())) == 8


# Backfill --------------------------------------------------------------------------------------

def test_backfill_from_the_demo_history_matches_an_independent_count(world):
    today = date(2025, 5, 31)  # demo enrolments fall in 2024-01 .. 2025-04
    demo.workers(db.session, 400, today=today)
    db.session.commit()
    assert trend.backfill(db.session, today, days=200) == 200 * len(world.opd)
    assert trend.backfill(db.session, today, days=200) == 200 * len(world.opd)  # replaces, no duplicates
    db.session.commit()
    points = trend.series(db.session)
    assert len(points) == 200 and points[-1].day == today - timedelta(days=1)
    assert points[-1].figures == tallies.total(db.session)  # no event today: the last day is now
    decided = Counter()
    for action, at in db.session.execute(select(Event.action, Event.created_at).where(Event.worker_id.is_not(None))):
        decided[action, clock.local_day(at)] += 1
    enrolled_on = [d for d in db.session.scalars(select(Worker.enrolled_on)) if d]
    for p in points:
        assert p.figures.approved == sum(n for (a, d), n in decided.items() if a == "approve" and d <= p.day)
        assert p.figures.rejected == sum(n for (a, d), n in decided.items() if a == "reject" and d <= p.day)
        assert p.figures.enrolled == sum(1 for d in enrolled_on if d <= p.day)
        assert p.figures.received == 400
    for before, after in zip(points, points[1:]):
        assert after.figures.verified >= before.figures.verified
        assert after.figures.enrolled >= before.figures.enrolled
    assert points[0].figures.verified < points[-1].figures.verified  # a real-looking trend


def test_backfill_unwinds_reopen_and_lapse(world):
    admin, today = world.users["admin"], date(2026, 6, 10)
    w = world.worker("DINSOS", verification="rejected", enrolment="inactive", enrolled_on=date(2026, 6, 3))
    at = lambda d, h=3: datetime(2026, 6, d, h, tzinfo=timezone.utc)  # 03:00 UTC is 10:00 WIB
    history = [("approve", "pending", "approved", at(2)),
               ("enrol", "not_enrolled", "enrolled", at(6)),  # recorded on the 6th, effective on the 3rd
               ("reopen", "approved", "pending", at(7)), ("lapse", "enrolled", "inactive", at(8)),
               ("reject", "pending", "rejected", at(9, 18))]  # 01:00 WIB on the 10th: today
    for action, was, to, moment in history:
        audit.record(db.session, action=action, user_id=admin.id, worker_id=w.id, from_state=was,
                     to_state=to, created_at=moment)
    trend.backfill(db.session, today, days=10)
    db.session.commit()
    dinsos = world.opd["DINSOS"].id
    seen = {s.day: (s.pending, s.approved, s.rejected, s.enrolled, s.inactive)
            for s in db.session.scalars(select(Snapshot).where(Snapshot.opd_id == dinsos))}
    assert sorted(seen) == [date(2026, 5, 31) + timedelta(days=i) for i in range(10)]
    june = lambda d: seen[date(2026, 6, d)]
    assert seen[date(2026, 5, 31)] == june(1) == (1, 0, 0, 0, 0)
    assert june(2) == (0, 1, 0, 0, 0)
    assert june(3) == june(6) == (0, 1, 0, 1, 0)  # enrolled from its effective date
    assert june(7) == (1, 0, 0, 1, 0)
    assert june(8) == june(9) == (1, 0, 0, 0, 1)  # the rejection is today's in WIB, not the 9th's


# Targets and outlook ---------------------------------------------------------------------------

def test_outlook_arithmetic():
    today = date(2026, 3, 1)
    assert trend.still_needed(5500, 1000, 300) == 250
    assert trend.still_needed(3333, 100, 0) == 34  # 33,33 names round up to a whole person
    assert trend.still_needed(4000, 1000, 900) == 0
    assert trend.pace_needed(70, today, today + timedelta(days=70)) == 7.0
    assert trend.pace_needed(5, today, today) == 35.0  # no day left: all of it this week
    month_old = [point(today - timedelta(days=45), enrolled=10), point(today - timedelta(days=30), enrolled=100),
                 point(today - timedelta(days=1), enrolled=150)]
    assert trend.recent_pace(month_old, 160, today) == pytest.approx(14.0)  # 60 in 30 days
    young = [point(today - timedelta(days=10), enrolled=100)]
    assert trend.recent_pace(young, 120, today) == pytest.approx(14.0)  # 20 in 10 days, scaled
    assert trend.recent_pace([], 120, today) == 0.0
    assert trend.forecast(today, 70, 14.0) == today + timedelta(days=35)
    assert trend.forecast(today, 71, 14.0) == today + timedelta(days=36)
    assert trend.forecast(today, 70, 0.0) is None and trend.forecast(today, 70, -3.0) is None
    assert trend.forecast(today, 0, 0.0) == today


def test_outlook_picks_the_next_unmet_target():
    today = date(2026, 3, 1)
    now = Figures(pending=200, approved=600, rejected=100, enrolled=600)  # eligible 800, 75 %
    goals = [(2025, 9000), (2026, 5000), (2027, 9000), (2028, 10000)]
    points = [point(today - timedelta(days=30), enrolled=540)]  # 60 in 30 days: 14 a week
    o = trend.outlook(points, now, goals, today)
    assert (o.year, o.deadline, o.target, o.needed) == (2027, date(2027, 12, 31), 0.9, 120)
    assert o.actual == 0.75 and o.pace_recent == pytest.approx(14.0)
    assert o.pace_needed == pytest.approx(120 * 7 / (date(2027, 12, 31) - today).days)
    assert o.forecast == today + timedelta(days=60) and o.on_track
    stalled = trend.outlook([point(today - timedelta(days=30), enrolled=600)], now, goals, today)
    assert stalled.forecast is None and not stalled.on_track
    assert trend.outlook(points, now, [(2026, 7500)], today) is None  # reached
    assert trend.outlook(points, now, [], today) is None


def test_set_target_validates_and_audits(world):
    admin = world.users["admin"]
    with pytest.raises(transitions.NotAllowed):
        trend.set_target(db.session, world.users["supervisor"], 2026, "50")
    for year in ("2023", "2046", "dua ribu", "", None, "20261"):
        with pytest.raises(transitions.Invalid) as refused:
            trend.set_target(db.session, admin, year, "50")
        assert refused.value.message % refused.value.params == "Tahun target harus antara 2024 dan 2045."
    for pct, message in (("101", "antara 0 dan 100"), ("-1", "antara 0 dan 100"), ("100,5", "antara 0 dan 100"),
                         ("12,345", "dua angka di belakang koma"), ("lima", "angka persen"), ("1e2", "angka persen")):
        with pytest.raises(transitions.Invalid, match=message):
            trend.set_target(db.session, admin, 2026, pct)
    assert db.session.scalar(select(func.count()).select_from(Event).where(Event.action == "target_set")) == 0
    before = len(trend.targets(db.session))
    trend.set_target(db.session, admin, "2031", "62,5")
    trend.set_target(db.session, admin, 2031, "65.25 %")
    db.session.commit()
    assert db.session.get(Target, 2031).coverage_bp == 6525 and len(trend.targets(db.session)) == before + 1
    events = db.session.scalars(select(Event).where(Event.action == "target_set").order_by(Event.seq)).all()
    assert [json.loads(e.detail) for e in events] == [{"year": 2031, "coverage_bp": 6250, "was": None},
                                                     {"year": 2031, "coverage_bp": 6525, "was": 6250}]
    assert all(e.user_id == admin.id for e in events)


def test_default_targets_only_when_none(world):
    db.session.query(Target).delete()
    trend.seed_default_targets(db.session)
    trend.seed_default_targets(db.session)
    assert [(t.year, t.coverage_bp) for t in trend.targets(db.session)] == [
        (2025, 4000), (2026, 5500), (2027, 7000), (2028, 8500), (2029, 10000)]
    db.session.query(Target).delete()
    db.session.add(Target(year=2030, coverage_bp=9000))
    trend.seed_default_targets(db.session)
    assert [t.year for t in trend.targets(db.session)] == [2030]


# The chart -------------------------------------------------------------------------------------

def test_chart_draws_every_day_without_style(app):
    start = date(2026, 1, 20)
    points = [point(start + timedelta(days=i), pending=2000 - 10 * i, approved=8 * i, rejected=2 * i,
                    enrolled=1000 + 3 * i) for i in range(60)]
    with app.test_request_context():
        svg = render_template_string(CHART, points=points, targets=[Target(year=2026, coverage_bp=5500)])
    polylines = re.findall(r'<polyline class="trend-(\w+)" points="([^"]+)"', svg)
    assert [key for key, _ in polylines] == ["verified", "approved", "enrolled"]
    assert all(len(coords.split()) == 60 for _, coords in polylines)
    assert " style=" not in svg and "<style" not in svg
    assert 'role="img"' in svg and 'width="100%"' in svg and 'viewBox="0 0 640 240"' in svg
    assert "<title>" in svg and "<desc>" in svg
    latest = points[-1].figures  # verified 590, approved 472, enrolled 1.177
    assert "terverifikasi 590, disetujui 472, terdaftar BPJS 1.177" in re.search(r'aria-label="([^"]+)"', svg).group(1)
    assert latest.enrolled == 1177 and ">1.177</text>" in svg
    assert re.search(r">Jan 2026</text>", svg) is None and ">Feb 2026</text>" in svg and ">Mar</text>" in svg
    assert "Target 2026: 55,00" in svg and 'stroke-dasharray="14 4 3 4"' in svg
    assert svg.count("stroke-dasharray=") >= 5  # approved and enrolled dashed, in the lines and the legend
    with app.test_request_context():
        assert "Belum ada data harian" in render_template_string(CHART, points=[], targets=None)
        one = render_template_string(CHART, points=points[:1], targets=None)
    assert one.count("<circle") == 3 and "Target" not in one


def test_chart_end_values_never_overlap():
    day = date(2026, 5, 1)
    chart = layout([point(day, approved=1000, rejected=1, enrolled=999)])
    ys = sorted(line.label_y for line in chart.lines)
    assert all(b - a >= FONT for a, b in zip(ys, ys[1:]))
    assert all(y <= chart.bottom + FONT for y in ys)


# Pages -----------------------------------------------------------------------------------------

def test_disclose_suppresses_small_counts_and_their_shares():
    shown = trend.disclose(Figures(pending=10, approved=4, rejected=1, enrolled=3))
    assert shown["received"] == 15 and shown["approved"] is None and shown["enrolled"] is None
    assert shown["verified"] == 5 and shown["verified_share"] == pytest.approx(1 / 3)
    assert shown["coverage"] is None
    assert trend.disclose(Figures(approved=10, enrolled=6))["coverage"] == 0.6


def test_public_page_for_anyone_without_names_or_small_counts(app, client, auth, world):
    small = [world.worker("DINSOS", verification="approved", enrolment="enrolled", full_name=f"Siti Kecil {i}")
             for i in range(3)]
    for i in range(12):
        world.worker("KESRA", verification="approved" if i < 8 else "pending",
                     enrolment="enrolled" if i < 6 else "not_enrolled", full_name=f"Ahmad Besar {i}")
    r = client.get("/publik")
    assert r.status_code == 200 and r.headers["Cache-Control"] == "public, max-age=300"
    assert "Set-Cookie" not in r.headers and "csrf" not in r.text.lower()
    html = r.text
    dinsos = re.search(r'<tr id="opd-DINSOS">(.*?)</tr>', html, re.S).group(1)
    assert dinsos.count("&lt; 5") == 4 and "%" not in dinsos  # received, verified, approved, enrolled; no share
    kesra = re.search(r'<tr id="opd-KESRA">(.*?)</tr>', html, re.S).group(1)
    assert re.findall(r'<td class="n">([^<]*)</td>', kesra) == ["12", "8", "8", "6", "50,00\u00a0%"]
    assert "Cakupan dari nama layak" in html and "<dd>15</dd>" in html  # county: 3 + 12 received
    for w in small + db.session.scalars(select(Worker)).all():
        assert w.nik not in html and w.full_name not in html and privacy_mask(w.nik) not in html
    assert " style=" not in html and "<script" not in html
    stranger = app.test_client()
    stranger.set_cookie("session", "anything")
    assert stranger.get("/publik").headers["Cache-Control"] == "private, max-age=300"
    auth.login("supervisor")
    r = client.get("/publik")
    assert r.status_code == 200 and r.headers["Cache-Control"] == "private, max-age=300"
    assert "supervisor" not in r.text  # nothing per user on the page


def privacy_mask(nik):
    from portal.core.privacy import mask
    return mask(nik)


def test_public_chart_only_once_every_line_reaches_five(client, world):
    for _ in range(4):
        world.worker("KESRA", verification="approved", enrolment="enrolled")
    assert "<svg" not in client.get("/publik").text
    for _ in range(2):
        world.worker("KESRA", verification="approved", enrolment="enrolled")
    trend.take(db.session, clock.today() - timedelta(days=1))
    trend.seed_default_targets(db.session)
    db.session.commit()
    html = client.get("/publik").text
    assert html.count("<polyline") == 3 and 'role="img"' in html
    assert re.search(r'<polyline class="trend-enrolled" points="\S+ \S+"', html)  # yesterday, and today live


@pytest.mark.parametrize("username, status", [("admin", 200), ("supervisor", 403), ("bpjs", 403), ("dinsos", 403)])
def test_target_page_is_admin_only(client, auth, world, username, status):
    auth.login(username)
    assert client.get("/admin/target").status_code == status
    assert client.post("/admin/target", data={"year": "2031", "coverage": "70"}).status_code in (status, 303)
    assert (db.session.get(Target, 2031) is not None) == (username == "admin")


def test_target_page_anonymous_goes_to_login(client, world):
    assert client.get("/admin/target").headers["Location"].startswith("/masuk")


def test_set_target_through_the_form(client, auth, world):
    auth.login("admin")
    r = client.post("/admin/target", data={"year": "2031", "coverage": "62,5"})
    assert r.status_code == 303 and r.headers["Location"] == "/admin/target"
    assert db.session.get(Target, 2031).coverage_bp == 6250
    page = client.get("/admin/target").text
    assert "Target 2031 disimpan: 62,50\u00a0%" in page and '<tr id="target-2031">' in page
    assert "cakupan dari nama layak" in page.lower()
    r = client.post("/admin/target", data={"year": "2031", "coverage": "120"})
    assert r.status_code == 422 and "antara 0 dan 100" in r.text and 'value="120"' in r.text
    r = client.post("/admin/target", data={"year": "1999", "coverage": "50"})
    assert r.status_code == 422 and "Tahun target harus antara 2024 dan 2045" in r.text
    r = client.post("/admin/target", data={"year": "", "coverage": ""})
    assert r.status_code == 422 and "Isi tahun target." in r.text
    assert db.session.get(Target, 2031).coverage_bp == 6250 and db.session.get(Target, 1999) is None


JUNK = st.one_of(st.text(max_size=12), st.sampled_from(
    ["", " ", "2030", "2045", "62,5", "100", "100,001", "1e309", "NaN", "\u0662\u0660\u0663\u0660", "\x00", "9" * 40,
     "<b>55</b>", "55 %", "-0", "0,00"]))


def test_junk_targets_are_refused_cleanly(client, auth, world):
    auth.login("admin")

    @settings(max_examples=60, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(year=JUNK, coverage=JUNK)
    def post(year, coverage):
        r = client.post("/admin/target", data={"year": year, "coverage": coverage})
        try:
            wanted = trend.parse_year(year), trend.parse_percent(coverage)
        except transitions.Invalid:
            assert r.status_code == 422, (year, coverage)
        else:
            assert r.status_code == 303 and db.session.get(Target, wanted[0]).coverage_bp == wanted[1]

    post()


def test_a_small_count_cannot_be_recovered_by_subtraction():
    from portal.core.tallies import Figures
    shown = trend.disclose(Figures(pending=20, approved=30, rejected=2, on_hold=0, enrolled=10))
    assert shown["verified"] == 32 and shown["received"] == 52
    assert shown["approved"] is None and shown["eligible"] is None  # else 32 − 30 = 2 rejected
    assert trend.disclose(Figures(pending=20, approved=30, rejected=0))["approved"] == 30

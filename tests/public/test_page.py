"""/publik as anyone sees it: no names, no NIKs, counts rounded to base 5 (1–4 as "< 5"), cached
for everyone but a browser with a session."""
import re
from datetime import date, timedelta

from sqlalchemy import select

from portal.core import clock
from portal.core.models import Target, Worker
from portal.county import history, trend
from portal.web.extensions import db


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
    # Kesra: 8 approved (→ 10), 4 pending (→ 5), 6 enrolled (→ 5): received 15, verified 10, coverage 5 / 15
    assert re.findall(r'<td class="n">([^<]*)</td>', kesra) == ["15", "10", "10", "5", "33,33\u00a0%"]
    assert "<dt>Cakupan</dt>" in html and "<dd>20</dd>" in html  # county: 5 (3 rounded) + 15 received
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
    history.take(db.session, clock.today() - timedelta(days=1))
    trend.seed_default_targets(db.session)
    db.session.commit()
    html = client.get("/publik").text
    assert html.count("<polyline") == 3 and 'role="img"' in html
    assert re.search(r'<polyline class="trend-enrolled_approved" points="\S+ \S+"', html)  # yesterday, and today live


def test_scorecard_says_a_future_year_has_not_started(client, world):
    year = clock.today().year
    db.session.query(Target).delete()
    db.session.add_all([Target(year=year - 1, coverage_bp=9000), Target(year=year, coverage_bp=9000),
                        Target(year=year + 1, coverage_bp=9500)])
    for _ in range(6):
        world.worker("KESRA", verification="approved", enrolment="enrolled")
    for _ in range(6):
        world.worker("KESRA", verification="approved")
    history.take(db.session, date(year - 1, 12, 31))
    db.session.commit()
    html = client.get("/publik").text
    status = dict(re.findall(r'<th scope="row">(\d{4})</th>.*?<td>([^<]+)</td></tr>', html, re.S))
    assert status == {str(year - 1): "Tidak tercapai", str(year): "Belum", str(year + 1): "Belum berjalan"}

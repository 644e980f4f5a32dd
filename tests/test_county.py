"""The county view: every figure equals a direct count over workers."""
import re

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Worker
from tests.conftest import HTMX


def cell(html: str, opd: str, column: int) -> str:
    row = re.search(rf'<tr id="opd-{opd}">(.*?)</tr>', html, re.S).group(1)
    return re.findall(r'<td class="n"[^>]*>([^<]*)</td>', row)[column]


def test_figures_match_direct_counts(client, auth, world):
    for state in ["pending"] * 3 + ["approved"] * 4 + ["rejected", "on_hold"]:
        world.worker("DINSOS", verification=state)
    world.worker("DINSOS", verification="approved", enrolment="enrolled")
    world.worker("KESRA", verification="approved", enrolment="enrolled")
    world.worker("KESRA")
    auth.login("supervisor")
    html = client.get("/kabupaten/").text
    count = lambda *where: db.session.scalar(select(func.count()).select_from(Worker).where(*where))
    dinsos = world.opd["DINSOS"].id
    assert cell(html, "DINSOS", 0) == str(count(Worker.opd_id == dinsos))  # received: 10
    assert cell(html, "DINSOS", 2) == str(count(Worker.opd_id == dinsos, Worker.verification == "approved"))
    assert cell(html, "DINSOS", 5) == str(count(Worker.opd_id == dinsos, Worker.enrolment == "enrolled"))
    assert cell(html, "DINSOS", 6) == "20,00\u00a0%"  # 1 enrolled of 5 approved
    assert "<dt>Nama diterima</dt><dd>12</dd>" in html
    assert "<dt>Terdaftar BPJS</dt><dd>2</dd>" in html
    # 2 enrolled of 12 received
    assert "<dt>Cakupan dari yang diterima</dt><dd>16,67\u00a0%</dd>" in html


def test_indonesian_number_format(client, auth, world, app):
    from portal.web import num, pct
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

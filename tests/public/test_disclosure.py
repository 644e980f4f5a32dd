"""/publik under attack: an outsider who knows the method and reads every figure on the page —
tables, totals, shares, the chart's lines and labels — today and yesterday, must recover no count
of 1–4 exactly. The true counts are taken from the database here, with SQL written in the test."""
import random
import re
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from sqlalchemy import func, select

from portal.core import clock
from portal.core.models import OPD, Snapshot, Worker
from portal.public import disclosure
from portal.web.extensions import db

STATES = ("pending", "on_hold", "approved", "rejected")
SIZES = (0, 1, 2, 3, 4, 4, 5, 6, 7, 8, 9, 12, 13, 22)  # plenty of small cells, and some that round at the edges


def _true(opd_id: int) -> dict[str, int]:
    """One OPD's true counts, by the definitions a reader would use."""
    def count(*where):
        return db.session.scalar(select(func.count()).select_from(Worker).where(Worker.opd_id == opd_id, *where))
    c = {s: count(Worker.verification == s) for s in STATES}
    return {"received": sum(c.values()), "verified": c["approved"] + c["rejected"], "approved": c["approved"],
            "rejected": c["rejected"], "pending": c["pending"], "on_hold": c["on_hold"],
            "eligible": sum(c.values()) - c["rejected"],
            "enrolled_approved": count(Worker.enrolment == "enrolled", Worker.verification == "approved"),
            "enrolled": count(Worker.enrolment == "enrolled")}


def _cells(html: str, row_id: str) -> list[str]:
    row = re.search(rf'<tr id="{row_id}">(.*?)</tr>', html, re.S).group(1)
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r'<td class="n">(.*?)</td>', row, re.S)]


def _number(text: str) -> int | None:
    """A count as printed ("1.234"), or None for "< 5"."""
    return None if text in ("< 5", "&lt; 5") else int(text.replace(".", ""))


def _svg_values(html: str) -> list[float]:
    """Every count the chart gives away: its printed labels, and each polyline point read back
    through the value axis (two ticks give the scale)."""
    svg = re.search(r"<svg.*?</svg>", html, re.S).group(0)
    values = [float(v.replace(".", "")) for v in re.findall(
        r"(?i:terverifikasi|disetujui) ([\d.]+)", svg)]
    values += [float(v) for v in re.findall(r'font-weight="700">([\d.]+)</text>', svg)]
    ticks = [(float(y) - 7, int(v.replace(".", ""))) for y, v in
             re.findall(r'<text x="[\d.]+" y="([\d.]+)" text-anchor="end" fill="#5b6474">([\d.]+)</text>', svg)]
    (y0, v0), (y1, v1) = ticks[0], ticks[-1]
    for points in re.findall(r'<polyline class="trend-\w+" points="([^"]+)"', svg):
        for pair in points.split():
            y = float(pair.split(",")[1])
            values.append(v0 + (y0 - y) / (y0 - y1) * (v1 - v0))
    return values


@pytest.fixture
def population(world):
    """Every OPD with random counts per state (many of them 1–4), some enrolled; yesterday's
    snapshot holds other true counts, so two days can be compared."""
    rng = random.Random(20261202)
    for code in world.opd:
        for state in STATES:
            for i in range(rng.choice(SIZES)):
                enrolled = state == "approved" and i % 2 == 0 or state == "pending" and i % 3 == 1  # withdrawn
                world.worker(code, verification=state, enrolment="enrolled" if enrolled else "not_enrolled")
    yesterday = clock.today() - timedelta(days=1)
    for opd in db.session.scalars(select(OPD)):
        now = _true(opd.id)
        db.session.add(Snapshot(day=yesterday, opd_id=opd.id, pending=max(now["pending"] - rng.choice((0, 1, 2)), 0),
                                approved=max(now["approved"] - rng.choice((0, 1, 3)), 0), rejected=now["rejected"],
                                on_hold=now["on_hold"], enrolled=max(now["enrolled"] - rng.choice((0, 1)), 0),
                                inactive=0, enrolled_approved=max(now["enrolled_approved"] - rng.choice((0, 1)), 0)))
    db.session.commit()
    return {opd.code: _true(opd.id) for opd in db.session.scalars(select(OPD))}


def test_the_attacker_recovers_no_small_count(client, population):
    html = client.get("/publik").text
    assert "kelipatan 5" in html  # the method is explained on the page
    columns = ("received", "verified", "approved", "enrolled_approved")
    shown = {code: [_number(c) for c in _cells(html, f"opd-{code}")[:4]] for code in population}
    county = [_number(c) for c in _cells(html, "kabupaten")[:4]]
    small = {(code, m) for code, true in population.items() for m, n in true.items() if 1 <= n <= 4}
    assert len(small) > 10  # the attack has targets

    # "< 5" stands exactly for the true counts 1–4; every other figure is a multiple of 5.
    for code, values in shown.items():
        for m, v in zip(columns, values, strict=True):
            assert (v is None) == (1 <= population[code][m] <= 4), (code, m)
            assert v is None or v % 5 == 0, (code, m, v)
    assert all(v is not None and v % 5 == 0 for v in county)

    # Subtraction: the county total less every other OPD, and within a row verified − approved
    # (the rejected), received − verified (pending and on hold), received − approved.
    guesses: dict[tuple[str, str], set[int]] = {}
    for i, m in enumerate(columns):
        for code in shown:
            others = [shown[o][i] for o in shown if o != code]
            if None not in others:
                guesses.setdefault((code, m), set()).add(county[i] - sum(others))
    for code, (received, verified, approved, _enrolled) in shown.items():
        if verified is not None and approved is not None:
            guesses.setdefault((code, "rejected"), set()).add(verified - approved)
        if received is not None and verified is not None:
            guesses.setdefault((code, "pending"), set()).add(received - verified)
        if received is not None and approved is not None:
            guesses.setdefault((code, "eligible"), set()).add(received - approved)
    assert guesses
    for (code, m), values in guesses.items():
        if (code, m) in small:
            assert population[code][m] not in values, (code, m)

    # The chart: labels and every polyline point read back are multiples of 5 (to the pixel).
    for value in _svg_values(html):
        assert abs(value - 5 * round(value / 5)) < 0.6, value

    # Shares are ratios of the printed counts, so they tell no more than the counts.
    for code, true in population.items():
        coverage = _cells(html, f"opd-{code}")[4]
        def to_five(n):  # the method, written again: nearest multiple of 5
            return (n + 2) // 5 * 5
        enrolled = to_five(true["enrolled_approved"])
        eligible = sum(to_five(true[s]) for s in ("pending", "on_hold", "approved"))
        if coverage != "—":
            hundredths = (Decimal(enrolled) * 100 / Decimal(eligible)).quantize(Decimal("0.01"), ROUND_HALF_UP)
            assert coverage == f"{hundredths}".replace(".", ",") + "\u00a0%"


def test_two_days_give_nothing_back(client, population):
    """Yesterday's published counts, from the chart, against today's: every difference is a
    multiple of 5."""
    html = client.get("/publik").text
    svg = re.search(r"<svg.*?</svg>", html, re.S).group(0)
    for points in re.findall(r'<polyline class="trend-\w+" points="([^"]+)"', svg):
        ys = [float(p.split(",")[1]) for p in points.split()]
        assert len(ys) == 2  # yesterday and today
    values = _svg_values(html)
    for a in values:
        for b in values:
            assert abs((a - b) - 5 * round((a - b) / 5)) < 1.2


@pytest.mark.parametrize("n, published", [(0, 0), (1, 0), (2, 0), (3, 5), (4, 5), (5, 5), (7, 5), (8, 10),
                                          (12, 10), (13, 15), (3934, 3935)])
def test_rounding_to_base_five(n, published):
    assert disclosure.rounded(n) == published

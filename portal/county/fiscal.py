"""Fiscal projection: what the APBD pays for BPU contributions (JKK + JKM) now, what closing the
coverage gap costs, and the contribution rates themselves as dated data an admin keeps.

Money is whole rupiah in ints throughout; no floats. Rates follow shared reference bpjs.md:
regencies pay JKK (1 % of a declared Rp1.000.000, so Rp10.000) + JKM (Rp6.800) = Rp16.800 per
worker per month unless an admin records a newer rate. Every cost is summed month by month at
the rate in force in that month (portal.county.budget), across year boundaries.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.core import N_, audit, tallies
from portal.core.errors import Invalid, NotAllowed
from portal.core.measures import Figures
from portal.core.models import OPD, ContributionRate, Tally, User
from portal.core.roles import ADMINS
from portal.county import budget
from portal.county.budget import Run, scenario

RATE_MAX = 10_000_000  # rupiah per programme per worker per month; far above any real tariff
SCENARIO_MAX = 1_000_000  # more workers than OKU Selatan has people of working age
BASIS_MAX = 200
YEARS = (2000, 2100)  # a scenario may start in these years
FIRST_DAY, LAST_DAY = date(2014, 1, 1), date(2099, 12, 31)  # BPJS Ketenagakerjaan began in 2014
DEFAULT_RATE = dict(effective_from=date(2019, 12, 2), jkk=10_000, jkm=6_800,  # PP 82/2019
                    basis="PP 44/2015 jo. PP 82/2019: JKK 1 % dari penghasilan Rp1.000.000, JKM Rp6.800")


# --- rates ---------------------------------------------------------------------------------

def per_month(rate: ContributionRate) -> int:
    """What one worker costs per month at `rate` (JKK + JKM)."""
    return rate.jkk + rate.jkm


def rate_on(session: Session, day: date) -> ContributionRate | None:
    """The rate in force on `day`: the latest whose effective date is not after it."""
    return session.scalars(select(ContributionRate).where(ContributionRate.effective_from <= day)
                           .order_by(ContributionRate.effective_from.desc()).limit(1)).first()


def rate_pairs(session: Session) -> list[tuple[date, int]]:
    """Every recorded rate as (effective_from, rupiah per worker per month), for portal.county.budget."""
    return [(r.effective_from, per_month(r)) for r in rates(session)]


def first_day(session: Session) -> date | None:
    """The earliest effective date recorded: no projection can start before it."""
    return session.scalar(select(func.min(ContributionRate.effective_from)))


def first_scenario_day(session: Session) -> date | None:
    """The earliest day a scenario may start: 1 January of the first year whose every month has a
    rate (the enrolled are paid from January); None without any rate."""
    first = first_day(session)
    if first is None:
        return None
    return date(first.year if (first.month, first.day) == (1, 1) else first.year + 1, 1, 1)


def rates(session: Session) -> list[ContributionRate]:
    """Every recorded rate, newest effective date first."""
    return list(session.scalars(select(ContributionRate).order_by(ContributionRate.effective_from.desc())))


def seed_default_rate(session: Session) -> None:
    """Insert the default rate (PP 82/2019) when no rate exists; never touches recorded rates."""
    if not session.scalar(select(func.count()).select_from(ContributionRate)):
        session.add(ContributionRate(**DEFAULT_RATE))
        session.flush()


def add_rate(session: Session, actor: User, effective_from: date, jkk: int, jkm: int,
             basis: str) -> ContributionRate:
    """Record a rate in force from `effective_from` on, audited as `rate_add`. Admin only
    (NotAllowed); amounts whole rupiah 0..RATE_MAX, a legal basis, one rate per date (Invalid).
    The caller commits, or rolls back on an error."""
    if actor.role not in ADMINS:
        raise NotAllowed(N_("Hanya administrator yang dapat mengubah tarif iuran."))
    if not isinstance(effective_from, date) or isinstance(effective_from, datetime):
        raise Invalid(N_("Tanggal mulai berlaku tidak sah."))
    if not FIRST_DAY <= effective_from <= LAST_DAY:
        raise Invalid(N_("Tanggal mulai berlaku harus antara tahun 2014 dan 2099."))
    for programme, amount in (("JKK", jkk), ("JKM", jkm)):
        if type(amount) is not int or not 0 <= amount <= RATE_MAX:
            raise Invalid(N_("Iuran %(programme)s harus bilangan bulat rupiah dari 0 sampai 10.000.000."),
                          programme=programme)
    basis = (basis or "").strip()
    if not basis or len(basis) > BASIS_MAX:
        raise Invalid(N_("Tulis dasar hukum tarif (paling banyak %(max)d karakter)."), max=BASIS_MAX)
    # The event comes first: it locks the audit head, so two admins adding the same date one
    # after the other get a clear refusal below instead of a unique-constraint crash.
    audit.record(session, action="rate_add", user_id=actor.id, detail=json.dumps(
        {"effective_from": effective_from.isoformat(), "jkk": jkk, "jkm": jkm, "basis": basis},
        ensure_ascii=False))
    if session.scalar(select(ContributionRate.id).where(ContributionRate.effective_from == effective_from)):
        raise Invalid(N_("Sudah ada tarif yang berlaku mulai %(day)s."), day=effective_from)
    rate = ContributionRate(effective_from=effective_from, jkk=jkk, jkm=jkm, basis=basis)
    session.add(rate)
    session.flush()
    return rate


# --- arithmetic (no database) ----------------------------------------------------------------

def monthly_cost(workers: int, rate_per_month: int) -> int:
    """Rupiah per month for `workers` at `rate_per_month` each."""
    return workers * rate_per_month


@dataclass(frozen=True)
class Cost:
    """A number of workers and what they cost the APBD per month and per year."""
    workers: int = 0
    monthly: int = 0
    yearly: int = 0

    @classmethod
    def of(cls, workers: int, rate_per_month: int, year_per_worker: int) -> Cost:
        """`workers` at `rate_per_month` this month, and for the year at `year_per_worker` (one
        worker's year summed month by month)."""
        return cls(workers, monthly_cost(workers, rate_per_month), workers * year_per_worker)

    def __add__(self, other: Cost) -> Cost:
        """The two costs together."""
        return Cost(self.workers + other.workers, self.monthly + other.monthly, self.yearly + other.yearly)


@dataclass(frozen=True)
class Headcount:
    """One OPD's workers as the budget sees them (measures: portal.core.measures).

    enrolled  — every active participant (`enrolled`), whatever their verification: the APBD
                pays for them today, the enrolled whose approval was withdrawn included.
    gap       — approved but not an active participant: approved − enrolled_approved (never
                enrolled, plus the inactive, whose contributions lapsed and need re-enrolling).
    undecided — pending or on hold and not enrolled: what approving them all would add.
    """
    enrolled: int = 0
    gap: int = 0
    undecided: int = 0


def headcount(figures: Figures, enrolled_undecided: int = 0) -> Headcount:
    """A Headcount from an OPD's Figures; `enrolled_undecided` are its active participants now
    pending or on hold (already paid for, so not in `undecided`)."""
    return Headcount(enrolled=figures.enrolled, gap=figures.approved - figures.enrolled_approved,
                     undecided=figures.pending + figures.on_hold - enrolled_undecided)


@dataclass(frozen=True)
class Line:
    """One OPD's row (opd None for the county total): costs of (a) enrolled, (b) gap, (c) undecided."""
    opd: OPD | None
    enrolled: Cost = field(default_factory=Cost)
    gap: Cost = field(default_factory=Cost)
    undecided: Cost = field(default_factory=Cost)


@dataclass(frozen=True)
class Projection:
    """Per-OPD lines and their total: per month at this month's rate (`rate` None when no rate
    applies: costs 0), per year over `runs`, the months of `year` grouped by rate."""
    rate: ContributionRate | None
    per_month: int
    lines: list[Line]
    total: Line
    year: int
    runs: list[Run]

    @property
    def year_per_worker(self) -> int:
        """One worker's year, month by month."""
        return sum(run.cost for run in self.runs)


def projection(rows: list[tuple[OPD, Headcount]], rate_per_month: int, rate: ContributionRate | None,
               runs: list[Run], year: int) -> Projection:
    """Monthly and yearly APBD cost per OPD and in total, for (a) enrolled, (b) the gap and
    (c) the undecided names: per month at `rate_per_month`, per year summed over `runs` (the
    months of `year`, grouped by rate)."""
    per_year = sum(run.cost for run in runs)
    lines = [Line(opd, Cost.of(h.enrolled, rate_per_month, per_year), Cost.of(h.gap, rate_per_month, per_year),
                  Cost.of(h.undecided, rate_per_month, per_year)) for opd, h in rows]
    total = Line(None, sum((x.enrolled for x in lines), Cost()), sum((x.gap for x in lines), Cost()),
                 sum((x.undecided for x in lines), Cost()))
    return Projection(rate, rate_per_month, lines, total, year, list(runs))


# --- from the database -----------------------------------------------------------------------

def headcounts(session: Session) -> list[tuple[OPD, Headcount]]:
    """Every OPD's Headcount, from the kept tallies (tallies.county plus the few active
    participants now pending or on hold)."""
    stmt = (select(Tally.opd_id, func.sum(Tally.n))
            .where(Tally.enrolment == "enrolled", Tally.verification.in_(("pending", "on_hold")))
            .group_by(Tally.opd_id))
    undecided = {opd_id: int(n or 0) for opd_id, n in session.execute(stmt)}
    _, rows = tallies.county(session)
    return [(opd, headcount(figures, undecided.get(opd.id, 0))) for opd, figures in rows]


def county_projection(session: Session, day: date) -> Projection:
    """The projection for day's month and year: per month at the rate that month is paid at (the
    one in force on its first day; costs 0 and `rate` None if there is none), per year month by
    month through day's year (months before any rate cost 0 and show as such)."""
    rate = rate_on(session, day.replace(day=1))
    runs = budget.year_runs(rate_pairs(session), day.year)
    return projection(headcounts(session), per_month(rate) if rate else 0, rate, runs, day.year)


def plan(session: Session, enrolled_now: int, n_more: int, start: date) -> budget.Scenario:
    """The scenario, each month at the rate in force then; Invalid for a count outside
    0..SCENARIO_MAX or a scenario year with a month before the first recorded rate (the enrolled
    are paid from January)."""
    if type(n_more) is not int or n_more < 0:
        raise Invalid(N_("Jumlah pekerja tambahan tidak boleh negatif."))
    if n_more > SCENARIO_MAX:
        raise Invalid(N_("Jumlah pekerja tambahan paling banyak 1.000.000."))
    if not YEARS[0] <= start.year <= YEARS[1]:  # beyond, the years after it would overflow the calendar
        raise Invalid(N_("Tahun mulai harus antara %(first)d dan %(last)d."), first=YEARS[0], last=YEARS[1])
    pairs = rate_pairs(session)
    if not pairs:
        raise Invalid(N_("Belum ada tarif iuran yang tercatat. Administrator perlu menambahkannya."))
    missing = budget.unpriced(budget.year_runs(pairs, start.year))
    if missing is not None:
        raise Invalid(N_("Belum ada tarif iuran pada %(day)s; tarif paling awal berlaku mulai %(first)s."),
                      day=missing, first=first_day(session))
    return scenario(enrolled_now, n_more, start, pairs)

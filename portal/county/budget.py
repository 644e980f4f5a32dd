"""Month-by-month contribution arithmetic (no database): which rate each month is paid at, and what
a span of months costs per worker when the rate changes inside it, across year boundaries.

A month is paid at the rate in force on its first day: BPJS bills a whole calendar month, so a
rate that takes effect on the 15th applies from the next month. Rates are (effective_from,
rupiah per worker per month) pairs, in any order; money is whole rupiah in ints. The scenario
(what enrolling more from a given month costs, that year and each year to HORIZON) is built here.
"""
from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

MONTHS = 12
HORIZON = 2029  # RPJMD 2025–2029: the years people plan the APBD for

Rates = Sequence[tuple[date, int]]


def month_index(day: date) -> int:
    """Months since year 0 for day's month, so that spans cross years by plain subtraction."""
    return day.year * MONTHS + day.month - 1


def month_start(index: int) -> date:
    """The first day of the month `month_index` numbered `index`."""
    return date(index // MONTHS, index % MONTHS + 1, 1)


def month_end(index: int) -> date:
    """The last day of the month `month_index` numbered `index`."""
    first = month_start(index)
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


def rate_in(rates: Rates, index: int) -> int | None:
    """Rupiah per worker for month `index`: the rate in force on its first day (None: no rate yet)."""
    first, found = month_start(index), None
    for effective_from, amount in sorted(rates):
        if effective_from > first:
            break
        found = amount
    return found


@dataclass(frozen=True)
class Run:
    """Consecutive months paid at one rate: first day of the first month to last day of the last."""
    first: date
    last: date
    months: int
    per_month: int | None  # None: months before any recorded rate

    @property
    def cost(self) -> int:
        """Rupiah for one worker over these months (0 where there is no rate)."""
        return (self.per_month or 0) * self.months


def schedule(rates: Rates, first: date, last: date) -> list[Run]:
    """The months from first's month through last's month (inclusive), grouped into runs of one
    rate each, in order; empty when last's month is before first's."""
    runs: list[Run] = []
    start = month_index(first)
    for index in range(start, month_index(last) + 1):
        amount = rate_in(rates, index)
        if runs and runs[-1].per_month == amount:
            prev = runs[-1]
            runs[-1] = Run(prev.first, month_end(index), prev.months + 1, amount)
        else:
            runs.append(Run(month_start(index), month_end(index), 1, amount))
    return runs


def per_worker(rates: Rates, first: date, last: date) -> int:
    """Rupiah for one worker from first's month through last's month, each month at its own rate."""
    return sum(run.cost for run in schedule(rates, first, last))


def year_runs(rates: Rates, year: int) -> list[Run]:
    """January through December of `year`, as runs of one rate each."""
    return schedule(rates, date(year, 1, 1), date(year, 12, 31))


def unpriced(runs: list[Run]) -> date | None:
    """The first day of the first month without a rate among `runs`, or None if every month has one."""
    return next((run.first for run in runs if run.per_month is None), None)


@dataclass(frozen=True)
class Year:
    """One calendar year of a plan: how many are paid for and what the APBD pays, month by month."""
    year: int
    workers: int
    runs: list[Run]
    cost: int


def year_cost(rates: Rates, workers: int, year: int) -> Year:
    """`workers` paid for every month of `year`, each month at its own rate."""
    runs = year_runs(rates, year)
    return Year(year, workers, runs, workers * sum(run.cost for run in runs))


def following_years(rates: Rates, workers: int, year: int) -> list[Year]:
    """Every year after `year` through HORIZON (at least the next one), `workers` all year."""
    return [year_cost(rates, workers, y) for y in range(year + 1, max(HORIZON, year + 1) + 1)]


@dataclass(frozen=True)
class Scenario:
    """The budget for start's calendar year when `n_more` are enrolled from start's month on,
    and for each year after it through HORIZON; every month at the rate in force then."""
    start: date
    year: int
    enrolled_now: int
    n_more: int
    current_runs: list[Run]  # January–December of `year`: the enrolled are paid all year
    added_runs: list[Run]  # start's month–December: the new ones
    current: int
    added: int
    following: list[Year]

    @property
    def this_year(self) -> int:
        """What `year` costs: the enrolled all year plus the new ones from start's month."""
        return self.current + self.added

    @property
    def horizon_total(self) -> int:
        """`year` and every following year shown, together."""
        return self.this_year + sum(y.cost for y in self.following)


def scenario(enrolled_now: int, n_more: int, start_date: date, rates: Rates) -> Scenario:
    """Budget needed for start_date's year: enrolled_now for 12 months plus n_more from
    start_date's month through December; then everyone in each following year. `rates` are
    (effective_from, rupiah per worker per month) pairs; each month is paid at its own."""
    current_runs = year_runs(rates, start_date.year)
    added_runs = schedule(rates, start_date, date(start_date.year, 12, 31))
    return Scenario(start_date, start_date.year, enrolled_now, n_more,
                    current_runs, added_runs, enrolled_now * sum(r.cost for r in current_runs),
                    n_more * sum(r.cost for r in added_runs),
                    following_years(rates, enrolled_now + n_more, start_date.year))

"""The regency's clock. Every "today" (import, NIK check, BPJS desk, budget, trend, Berita Acara,
file names) and every "now" comes from here, so a test can freeze time in one place and no
module falls back on the server's own date (UTC on most servers: 7 hours behind WIB).

Kabupaten OKU Selatan keeps WIB, UTC+7 all year (Indonesia has no daylight saving), so a fixed
offset needs no time-zone database."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

ZONE = timezone(timedelta(hours=7), "WIB")
TIME_ZONE = "Asia/Jakarta"  # the same zone by name, for Babel's formatting of times on pages


def now() -> datetime:
    """This moment, aware, in UTC."""
    return datetime.now(timezone.utc)


def local_time(moment: datetime) -> datetime:
    """`moment` on the regency's clock (naive means UTC, as SQLite returns it)."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(ZONE)


def local_day(moment: datetime) -> date:
    """The calendar day in the regency of `moment`."""
    return local_time(moment).date()


def today() -> date:
    """Today's date in the regency."""
    return local_day(now())


def day_start(day: date) -> datetime:
    """The first moment of `day` in the regency, in UTC."""
    return datetime.combine(day, datetime.min.time(), ZONE).astimezone(timezone.utc)

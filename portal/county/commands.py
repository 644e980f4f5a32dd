"""`flask --app wsgi snapshot [--date YYYY-MM-DD]`: store a day's figures for the trend chart;
`flask --app wsgi snapshot --rebuild [--days N]`: rebuild the history from the audit trail."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from portal.core import clock
from portal.county import history
from portal.web.extensions import db


@click.command("snapshot")
@click.option("--date", "day", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="The day to store (default: today in WIB). A past day is rebuilt from the audit "
                   "trail as at the end of that day; taking a day again overwrites it.")
@click.option("--rebuild", is_flag=True,
              help="Rebuild every past day from the audit trail (and today from the live figures).")
@click.option("--days", type=click.IntRange(min=1), default=None,
              help="With --rebuild: only the last N days before today (default: the whole history).")
@with_appcontext
def snapshot_command(day, rebuild: bool, days: int | None) -> None:
    """Store today's figures as its snapshot (run it every evening), a past --date's as they stood
    at the end of that day, or with --rebuild the whole history from the audit trail."""
    today = clock.today()
    if rebuild:
        if day is not None:
            raise click.UsageError("Pakai --date atau --rebuild, tidak keduanya.")
        n = history.rebuild(db.session, today, days)
        db.session.commit()
        click.echo(f"Riwayat harian dibangun ulang dari jejak audit: {n} baris cuplikan.")
        return
    if days is not None:
        raise click.UsageError("--days hanya berlaku bersama --rebuild.")
    day = day.date() if day else today
    if day > today:
        raise click.ClickException(f"Tanggal cuplikan {day:%d-%m-%Y} di masa depan (hari ini {today:%d-%m-%Y} WIB): "
                                   "cuplikan hanya untuk hari ini atau hari yang sudah lewat.")
    n = history.take(db.session, day)
    db.session.commit()
    source = "angka saat ini" if day == today else "jejak audit per akhir hari itu"
    click.echo(f"Cuplikan harian {day:%d-%m-%Y} tersimpan untuk {n} OPD ({source}).")

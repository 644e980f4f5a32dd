"""`flask --app wsgi snapshot [--date YYYY-MM-DD]`: store a day's figures for the trend chart."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from portal.core import clock
from portal.county import trend
from portal.web.extensions import db


@click.command("snapshot")
@click.option("--date", "day", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="The day to store (default: today in WIB). Taking a day again overwrites it.")
@with_appcontext
def snapshot_command(day) -> None:
    """Store each OPD's current figures as the snapshot of today (or --date); run it every evening."""
    today = clock.today()
    day = day.date() if day else today
    if day > today:
        raise click.ClickException("Tanggal cuplikan tidak boleh di masa depan.")
    n = trend.take(db.session, day)
    db.session.commit()
    click.echo(f"Cuplikan harian {day:%d-%m-%Y} tersimpan untuk {n} OPD.")

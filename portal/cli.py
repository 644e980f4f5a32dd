"""Command-line tasks: `flask --app wsgi demo | seed | audit-verify | backup | restore | snapshot |
purge-uploads`."""
from __future__ import annotations

import time

import click
from flask import Flask, current_app

from portal import demo, seed
from portal.backup import backup_command
from portal.core import anchor, audit, audit_state, clock
from portal.county import history
from portal.county.commands import snapshot_command
from portal.intake import staging
from portal.intake.commands import import_workers_command
from portal.restore import restore_command
from portal.web import uploads
from portal.web.extensions import db


def init_app(app: Flask) -> None:
    app.cli.add_command(demo_command)
    app.cli.add_command(seed_command)
    app.cli.add_command(audit_verify_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(snapshot_command)
    app.cli.add_command(import_workers_command)
    app.cli.add_command(purge_uploads_command)


@click.command("purge-uploads")
def purge_uploads_command() -> None:
    """Delete uploads waiting longer than a day (run it every evening): stashed BPJS files and
    decision sheets, and the files of import previews never confirmed (those expire)."""
    files = uploads.stash().purge()
    expired = staging.expire(db.session)
    db.session.commit()
    click.echo(f"Unggahan lebih dari 24 jam dihapus: {files} berkas tersimpan, {expired} pratinjau impor kedaluwarsa.")


@click.command("audit-verify")
def audit_verify_command() -> None:
    """Check the audit trail: its hash chain, its head against the anchor outside the database,
    every worker against what its events say and the kept tallies against a recount. Names each
    finding; exit 1 if there is any."""
    replay = audit_state.Replay()
    verdict = audit.verify(db.session, watch=replay)
    n_workers, about_workers = audit_state.workers(db.session, replay)
    n_cells, about_tallies = audit_state.tallies(db.session)
    for note in verdict.notes:
        click.echo(f"CATATAN: {note}")
    problems = verdict.problems + about_workers + about_tallies
    for problem in problems:
        click.echo(f"MASALAH: {problem}", err=True)
    if problems:
        click.echo(f"Audit gagal: {len(problems)} temuan.", err=True)
        raise SystemExit(1)
    click.echo(f"Rantai audit utuh: {verdict.checked} peristiwa diperiksa, ujungnya dibandingkan dengan "
               f"jangkar {anchor.path()}.")
    click.echo(f"Data sesuai peristiwanya: {n_workers} pekerja dan {n_cells} sel hitungan diperiksa.")


@click.command("seed")
def seed_command() -> None:
    """Insert the default OPDs, categories, reject reasons and regions that are missing."""
    seed.defaults(db.session)
    db.session.commit()
    click.echo("Data rujukan siap.")


@click.command("demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when workers already exist.")
@click.option("--size", default=demo.RECEIVED, show_default=True, help="How many workers.")
def demo_command(if_empty: bool, size: int) -> None:
    """Fill the database with synthetic demo data and demo accounts."""
    if not demo.is_empty(db.session):
        if if_empty:
            click.echo("Database sudah berisi data; demo tidak dimuat ulang.")
            return
        raise click.ClickException("Database sudah berisi data pekerja. Pakai database kosong.")
    started = time.perf_counter()
    password = current_app.config["DEMO_PASSWORD"]
    n = demo.load(db.session, password, current_app.config["PASSWORD_HASH_METHOD"], size)
    history.backfill(db.session, clock.today())
    db.session.commit()
    click.echo(f"Demo: {n} pekerja dalam {time.perf_counter() - started:.1f} detik.")
    click.echo(f"Akun: admin, supervisor, bpjs, dan satu verifikator per OPD (mis. dinsos, kesra, "
               f"damkar); kata sandi: {password}")

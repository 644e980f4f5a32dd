"""`flask --app wsgi import-workers FILE --opd CODE [--dry-run] [--report OUT.json] [--user NAME]`:
the same preview and commit as the /impor pages (portal.intake.staging), from a shell."""
from __future__ import annotations

import json
from pathlib import Path

import click
from sqlalchemy import func, select

from portal.core import sheets
from portal.core.errors import TransitionError
from portal.core.models import OPD, User
from portal.intake import staging
from portal.web.extensions import db

SHOWN = 50  # problem rows printed; the report lists them all


@click.command("import-workers")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--opd", "opd_code", required=True, help="Kode OPD tujuan, mis. KESRA (huruf besar/kecil sama).")
@click.option("--dry-run", is_flag=True, help="Hanya periksa; tidak ada yang disimpan.")
@click.option("--report", type=click.Path(dir_okay=False, path_type=Path), help="Tulis laporan JSON setiap baris ke file ini.")
@click.option("--user", "username", help="Akun yang tercatat mengimpor (bawaan: administrator pertama).")
def import_workers_command(file: Path, opd_code: str, dry_run: bool, report: Path | None, username: str | None) -> None:
    """Import an OPD's list (.xlsx or .csv). Exit status 1 when nothing could be imported."""
    opd = db.session.scalar(select(OPD).where(func.upper(OPD.code) == opd_code.strip().upper()))
    if opd is None:
        raise click.ClickException(f"OPD {opd_code!r} tidak ada.")
    actor = _actor(username)
    with open(file, "rb") as f:
        content = f.read(sheets.MAX_BYTES + 1)  # enough to know it is too big
    batch = None
    try:
        if dry_run:
            result = staging.preview(db.session, opd, file.name, content)
        else:
            result, batch = staging.stage(db.session, opd, actor, file.name, content)
            if batch is not None and (result.importable or result.counts["claim"]):
                result = staging.commit(db.session, batch, actor, checked=result)
                db.session.commit()
            else:
                db.session.rollback()
                batch = None
    except TransitionError as error:
        db.session.rollback()
        raise click.ClickException(error.message % error.params if error.params else error.message) from None
    data = {**result.report(), "opd": opd.code, "dry_run": dry_run, "user": actor.username,
            "batch": batch.id if batch is not None else None}
    if report is not None:
        report.write_text(json.dumps(data, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    _summarise(result, dry_run, batch)
    if result.refusal is not None or not (result.importable or result.counts["claim"]):
        raise SystemExit(1)


def _actor(username: str | None) -> User:
    """The named active account (an administrator, or a verifier of the OPD), else the first admin."""
    stmt = select(User).where(User.active)
    stmt = stmt.where(User.username == username) if username else \
        stmt.where(User.role == "admin").order_by(User.id)
    actor = db.session.scalars(stmt).first()
    if actor is None:
        raise click.ClickException(f"Akun {username!r} tidak ada atau tidak aktif." if username else
                                   "Belum ada akun administrator aktif; pakai --user.")
    return actor


def _summarise(result: staging.Preview, dry_run: bool, batch) -> None:
    if result.refusal is not None:
        click.echo(f"DITOLAK: {result.refusal.text()}", err=True)
        return
    for row in [r for r in result.rows if r.status in ("error", "warning", "claim")][:SHOWN]:
        reasons = "; ".join(p.text() for p in row.problems if p.level != "note")
        click.echo(f"baris {row.number}: {row.status}: {reasons}", err=True)
    c = result.counts
    click.echo(f"{len(result.rows)} baris: {c['ok']} ok, {c['warning']} peringatan, {c['error']} kesalahan, "
               f"{c['claim']} klaim, {c['skipped']} dilewati.")
    if dry_run:
        click.echo(f"Uji coba: {result.importable} nama dan {c['claim']} klaim akan diimpor; tidak ada yang disimpan.")
    elif batch is not None:
        click.echo(f"Impor #{batch.id}: {result.importable} nama masuk (Menunggu), {c['claim']} klaim dibuka.")
    else:
        click.echo("Tidak ada yang dapat diimpor.")

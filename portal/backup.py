"""Backup and restore of the portal's database: `flask --app wsgi backup OUT`,
`flask --app wsgi restore IN --yes`. SQLite through its online backup API, PostgreSQL through
pg_dump / pg_restore. Registered on `app.cli` by `portal.cli`."""
from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import tempfile
from contextlib import closing
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.engine import URL

from portal.core import anchor, audit
from portal.core.models import AuditHead, User
from portal.web.extensions import db


@click.command("backup")
@click.argument("out", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Overwrite OUT when it exists.")
@with_appcontext
def backup_command(out: str, force: bool) -> None:
    """Write a consistent copy of the database to OUT, safe while the portal is running."""
    if os.path.exists(out) and not force:
        raise click.ClickException(f"Berkas {out} sudah ada. Pakai --force untuk menimpanya.")
    url = db.engine.url
    # Write beside OUT and rename, so a failed backup never leaves a half-written OUT behind.
    fd, tmp = tempfile.mkstemp(prefix=".backup-", dir=os.path.dirname(os.path.abspath(out)))
    os.close(fd)
    try:
        if url.get_backend_name() == "sqlite":
            with closing(sqlite3.connect(_sqlite_file(url))) as src, closing(sqlite3.connect(tmp)) as dst:
                src.backup(dst)
        elif url.get_backend_name() == "postgresql":
            _pg("pg_dump", url, ["--format=custom", "--no-owner", "--file", tmp], "--dbname")
        else:
            raise click.ClickException(f"Basis data {url.get_backend_name()} tidak didukung.")
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    size = f"{os.path.getsize(out):,}".replace(",", ".")
    click.echo(f"Cadangan ditulis ke {out} ({size} byte).")


@click.command("restore")
@click.argument("source", metavar="IN", type=click.Path(dir_okay=False))
@click.option("--yes", is_flag=True, help="Confirm that all current data is replaced.")
@with_appcontext
def restore_command(source: str, yes: bool) -> None:
    """Replace the whole database with the backup IN; the live data is untouched if IN is unusable."""
    if not yes:
        raise click.ClickException("Pemulihan mengganti SELURUH data saat ini dengan isi cadangan. "
                                   "Ulangi dengan --yes bila yakin.")
    if not os.path.isfile(source):
        raise click.ClickException(f"Berkas cadangan {source} tidak ada.")
    url = db.engine.url
    backend = url.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise click.ClickException(f"Basis data {backend} tidak didukung.")
    live = _sqlite_file(url) if backend == "sqlite" else None
    if backend == "sqlite":
        _check_sqlite_backup(source)
    else:
        _check_pg_backup(source, url)
    head = db.session.execute(select(AuditHead.seq, AuditHead.last_hash)).first()
    # Our own open transactions would hold locks that block (or deadlock) the restore.
    db.session.remove()
    db.engine.dispose()
    if backend == "sqlite":
        with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(live)) as dst:
            src.backup(dst)
    else:
        _pg("pg_restore", url, ["--clean", "--if-exists", "--no-owner", "--single-transaction",
                                source], "--dbname")
    _after_restore(source, head)
    click.echo(f"Basis data dipulihkan dari {source}. Semua sesi masuk diakhiri.")


def _after_restore(source: str, head) -> None:
    """The restored trail ends at the backup's moment: say so in it, naming the head it replaced,
    and end every login session (the backup holds older session tokens)."""
    for user in db.session.scalars(select(User)):
        user.end_sessions()
    replaced = {"seq": head.seq, "hash": head.last_hash} if head else None
    restored = db.session.execute(select(AuditHead.seq, AuditHead.last_hash)).first()
    # The anchor now follows the restored chain, not the longer one it replaced.
    anchor.note_reset(tuple(restored) if restored else None, f"restore {os.path.basename(source)}",
                      (head.seq, head.last_hash) if head else None)
    audit.record(db.session, action="db_restore", user_id=None,
                 detail=json.dumps({"file": os.path.basename(source), "replaced_head": replaced}))
    db.session.commit()


def _sqlite_file(url: URL) -> str:
    """The path of the SQLite database file, which must exist (an in-memory database has none)."""
    path = url.database
    if not path or path == ":memory:" or path.startswith("file:"):
        raise click.ClickException("Basis data SQLite ini bukan berkas; tidak bisa dicadangkan.")
    if not os.path.isfile(path):
        raise click.ClickException(f"Berkas basis data {path} tidak ada.")
    return path


def _check_sqlite_backup(path: str) -> None:
    """Return only if `path` is an intact SQLite database with a `worker` table."""
    try:
        with closing(sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)) as conn:
            ok = conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
            has_worker = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'worker'").fetchone()
    except sqlite3.DatabaseError as exc:
        raise click.ClickException(f"{path} bukan cadangan basis data SQLite yang sah ({exc}).") from None
    if not ok or not has_worker:
        raise click.ClickException(f"{path} bukan cadangan portal ini (rusak atau tanpa tabel worker).")


def _check_pg_backup(path: str, url: URL) -> None:
    """Return only if `path` is a pg_dump archive that contains the `worker` table."""
    listing = _pg("pg_restore", url, ["--list", path], None, what=f"{path} bukan arsip pg_dump yang sah")
    if not re.search(r"^\d+; \d+ \d+ TABLE \S+ worker ", listing, re.MULTILINE):
        raise click.ClickException(f"{path} bukan cadangan portal ini (tanpa tabel worker).")


def _pg(program: str, url: URL, args: list[str], dbname_flag: str | None, what: str = "") -> str:
    """Run a PostgreSQL client against `url`'s server and return its stdout; any failure is a
    ClickException carrying the program's stderr. The password travels in PGPASSWORD only."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    cmd = [program]
    if url.host:
        cmd += ["--host", url.host]
    if url.port:
        cmd += ["--port", str(url.port)]
    if url.username:
        cmd += ["--username", url.username]
    if dbname_flag:
        cmd += [dbname_flag, url.database or ""]
    cmd += ["--no-password", *args]
    try:
        done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    except FileNotFoundError:
        raise click.ClickException(f"{program} tidak terpasang; pasang klien PostgreSQL "
                                   "yang versinya sama dengan server.") from None
    if done.returncode != 0:
        raise click.ClickException(f"{what or program + ' gagal'}: {done.stderr.strip()}")
    return done.stdout

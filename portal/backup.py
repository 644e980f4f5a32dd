"""Backups of the portal's database, `flask --app wsgi backup OUT`: SQLite through its online
backup API, PostgreSQL through pg_dump; encrypted with BACKUP_KEY when it is set (portal.core.backup_crypto). The helpers here
serve the restore too (portal.restore). Registered on `app.cli` by `portal.cli`."""
from __future__ import annotations

import os
import sqlite3
import subprocess
import tempfile
from contextlib import closing

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.engine import URL

from portal.core import backup_crypto
from portal.web.extensions import db


@click.command("backup")
@click.argument("out", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Overwrite OUT when it exists.")
@with_appcontext
def backup_command(out: str, force: bool) -> None:
    """Write a consistent copy of the database to OUT (mode 0600), safe while the portal is running;
    encrypted when BACKUP_KEY is set."""
    if os.path.exists(out) and not force:
        raise click.ClickException(f"Berkas {out} sudah ada. Pakai --force untuk menimpanya.")
    key = backup_key()
    write_backup(out, key)
    size = f"{os.path.getsize(out):,}".replace(",", ".")
    click.echo(f"Cadangan {'terenkripsi ' if key else ''}ditulis ke {out} ({size} byte).")
    if not key:
        click.echo("PERINGATAN: BACKUP_KEY tidak disetel; cadangan ini TIDAK terenkripsi.", err=True)


def backup_key() -> str | None:
    """BACKUP_KEY, checked: a malformed key is a clear refusal, not a traceback."""
    key = current_app.config.get("BACKUP_KEY")
    if key:
        try:
            backup_crypto.check_key(key)
        except backup_crypto.BackupKeyError as exc:
            raise click.ClickException(str(exc)) from None
    return key or None


def write_backup(out: str, key: str | None) -> None:
    """Write the live database to `out`, encrypted with `key` if given. Written beside `out` (mode
    0600) and renamed, so a failed backup never leaves a half-written `out` behind; the plaintext of
    an encrypted backup only passes through a private directory of the instance folder."""
    fd, tmp = tempfile.mkstemp(prefix=".backup-", dir=os.path.dirname(os.path.abspath(out)))
    os.close(fd)
    try:
        if key:
            with tempfile.TemporaryDirectory(prefix=".cadangan-", dir=current_app.instance_path) as work:
                plain = os.path.join(work, "plain")
                dump(db.engine.url, plain)
                backup_crypto.encrypt_file(plain, tmp, key)
        else:
            dump(db.engine.url, tmp)
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def dump(url: URL, out: str) -> None:
    """A consistent plaintext copy of the database at `url` in `out`."""
    if url.get_backend_name() == "sqlite":
        with closing(sqlite3.connect(sqlite_file(url))) as src, closing(sqlite3.connect(out)) as dst:
            src.backup(dst)
    elif url.get_backend_name() == "postgresql":
        pg("pg_dump", url, ["--format=custom", "--no-owner", "--file", out], "--dbname")
    else:
        raise click.ClickException(f"Basis data {url.get_backend_name()} tidak didukung.")


def sqlite_file(url: URL) -> str:
    """The path of the SQLite database file, which must exist (an in-memory database has none)."""
    path = url.database
    if not path or path == ":memory:" or path.startswith("file:"):
        raise click.ClickException("Basis data SQLite ini bukan berkas; tidak bisa dicadangkan.")
    if not os.path.isfile(path):
        raise click.ClickException(f"Berkas basis data {path} tidak ada.")
    return path


def pg(program: str, url: URL, args: list[str], dbname_flag: str | None, what: str = "") -> str:
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

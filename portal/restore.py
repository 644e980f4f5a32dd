"""`flask --app wsgi restore IN --yes`: a restore that cannot hurt the live data.

1. Stage: IN (decrypted with BACKUP_KEY) becomes a temporary database, a file in a private
   directory beside the live SQLite file or a database `<live>_pulih_<random>` on the PostgreSQL
   server (pg_restore --single-transaction). It is removed afterwards, whatever happens.
2. Check it there: an Alembic revision this code knows (an older one is migrated forward and
   seeded, as after an upgrade; a newer or unknown one is refused), exactly the tables, columns,
   indexes and constraints of the models, the append-only triggers, an intact audit chain.
3. Only then write an automatic backup of the live data and copy the checked database into the
   live one in ONE transaction. SQLite: the backup API writes every page inside one write
   transaction of the live file (other processes' connections see the old or the new data, a crash
   rolls back through the journal, and no stale -wal file can be paired with a replaced main file,
   as it could after renaming files under a running portal). PostgreSQL: pg_restore
   --single-transaction --clean of a dump of the checked database; DDL is transactional, so all of
   it commits or none (renaming databases would need every portal connection ended first).
Every refusal comes before step 3 and leaves the live database byte-identical.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager

import click
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError

from portal import seed
from portal.backup import backup_key, dump, pg, sqlite_file, write_backup
from portal.core import anchor, audit, backup_crypto, clock
from portal.core.models import APPEND_ONLY, AuditHead, Base, User
from portal.web.extensions import db, migrate


class Refused(click.ClickException):
    """The backup failed a check; nothing was changed."""

    def __init__(self, name: str, reason: str):
        super().__init__(f"Cadangan {name} ditolak: {reason}. Data saat ini tidak diubah.")


@click.command("restore")
@click.argument("source", metavar="IN", type=click.Path(dir_okay=False))
@click.option("--yes", is_flag=True, help="Confirm that all current data is replaced.")
@click.option("--allow-unencrypted", is_flag=True,
              help="Accept an unencrypted backup although BACKUP_KEY is set (one made before the key).")
@with_appcontext
def restore_command(source: str, yes: bool, allow_unencrypted: bool) -> None:
    """Replace the whole database with the backup IN after checking it in a temporary database;
    the live data is untouched unless every check passed."""
    if not yes:
        raise click.ClickException("Pemulihan mengganti SELURUH data saat ini dengan isi cadangan. "
                                   "Ulangi dengan --yes bila yakin.")
    if not os.path.isfile(source):
        raise click.ClickException(f"Berkas cadangan {source} tidak ada.")
    url = db.engine.url
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise click.ClickException(f"Basis data {url.get_backend_name()} tidak didukung.")
    key = backup_key()
    near = os.path.dirname(os.path.abspath(sqlite_file(url))) if url.get_backend_name() == "sqlite" \
        else current_app.instance_path
    with tempfile.TemporaryDirectory(prefix=".pulih-", dir=near) as work:
        plain = _plaintext(source, key, allow_unencrypted, work)
        with _staged(plain, os.path.basename(source), url, work) as staged:
            _check(staged, os.path.basename(source))
            head = db.session.execute(select(AuditHead.seq, AuditHead.last_hash)).first()
            click.echo(f"Cadangan otomatis data saat ini: {_automatic_backup(key)}")
            # Our own open transactions would hold locks that block (or deadlock) the copy.
            db.session.remove()
            db.engine.dispose()
            _swap(staged, url, work)
    restore_finished(source, head)
    click.echo(f"Basis data dipulihkan dari {source}. Semua sesi masuk diakhiri.")


def restore_finished(source: str, head) -> None:
    """The one place a restore ends, in the live database just restored. The restored trail ends
    at the backup's moment: say so in it, naming the head it replaced, and end every login session
    (the backup holds older session tokens)."""
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


def _plaintext(source: str, key: str | None, allow_unencrypted: bool, work: str) -> str:
    """The path of the backup's plaintext: `source` itself, or its decryption inside `work`."""
    name = os.path.basename(source)
    if backup_crypto.is_encrypted(source):
        if not key:
            raise Refused(name, "berkas ini terenkripsi; setel BACKUP_KEY ke kunci yang dipakai saat mencadangkan")
        plain = os.path.join(work, "cadangan")
        try:
            backup_crypto.decrypt_file(source, plain, key)
        except backup_crypto.BackupKeyError as exc:
            raise Refused(name, str(exc)) from None
        return plain
    if key and not allow_unencrypted:
        raise Refused(name, "berkas ini tidak terenkripsi padahal BACKUP_KEY disetel; bila ini memang cadangan "
                            "dari sebelum kunci dipakai, ulangi dengan --allow-unencrypted")
    if key:
        click.echo(f"PERINGATAN: {name} tidak terenkripsi; dipulihkan karena --allow-unencrypted.", err=True)
    return source


@contextmanager
def _staged(plain: str, name: str, live: URL, work: str) -> Iterator[URL]:
    """A temporary database holding the backup's content, on the live database's engine."""
    if live.get_backend_name() == "sqlite":
        path = os.path.join(work, "diperiksa.db")
        shutil.copyfile(plain, path)  # the backup itself is never opened for writing
        try:
            with closing(sqlite3.connect(path)) as conn:
                found = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        except sqlite3.DatabaseError as exc:
            raise Refused(name, f"bukan basis data SQLite yang sah ({exc})") from None
        if found != ["ok"]:
            raise Refused(name, f"berkas basis data rusak ({found[0]})")
        yield make_url(f"sqlite:///{path}")
        return
    try:
        pg("pg_restore", live, ["--list", plain], None)
    except click.ClickException as exc:
        raise Refused(name, f"bukan arsip pg_dump yang sah ({exc.message})") from None
    staged = live.set(database=f"{(live.database or '')[:40]}_pulih_{secrets.token_hex(4)}")
    admin = create_engine(live.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{staged.database}"'))
    except DBAPIError as exc:
        admin.dispose()
        raise click.ClickException("Basis data sementara untuk memeriksa cadangan tidak bisa dibuat (peran "
                                   f"basis data perlu hak CREATEDB): {exc.orig}") from None
    try:
        try:
            pg("pg_restore", staged, ["--no-owner", "--single-transaction", "--exit-on-error", plain], "--dbname")
        except click.ClickException as exc:
            raise Refused(name, f"arsip tidak bisa dipulihkan ({exc.message})") from None
        yield staged
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{staged.database}" WITH (FORCE)'))
        admin.dispose()


def _check(staged: URL, name: str) -> None:
    """Return only if the staged database is at this code's revision (migrating an older one
    forward), has the models' schema and the append-only triggers, and an intact audit chain."""
    app = Flask(__name__)
    app.config.update({k: v for k, v in current_app.config.items() if k.isupper()})
    app.config["SQLALCHEMY_DATABASE_URI"] = staged.render_as_string(hide_password=False)
    db.init_app(app)
    migrate.init_app(app, db, directory=current_app.extensions["migrate"].directory)
    with app.app_context():
        try:
            older = _older_revision(name)
            if older:
                upgrade()
                seed.defaults(db.session)  # what an upgrade is followed by (README)
                db.session.commit()
                click.echo(f"Cadangan dari revisi skema {older} dibawa ke revisi terbaru.")
            problems = _schema_problems()
            if problems:
                raise Refused(name, "skema tidak sesuai portal ini: " + "; ".join(problems[:10]))
            broken = audit.verify(db.session, against_anchor=False).problems
            if broken:
                raise Refused(name, "rantai audit cadangan tidak utuh: " + "; ".join(broken[:10]))
        finally:
            db.session.remove()
            db.engine.dispose()


def _older_revision(name: str) -> str | None:
    """The staged database's Alembic revision when it is older than this code's, None when it is
    this code's; refuses a database without one or with one this code does not know."""
    script = ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())
    heads = set(script.get_heads())
    with db.engine.connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
    if not current:
        raise Refused(name, "tidak ada catatan revisi skema (tabel alembic_version): bukan cadangan portal ini")
    if current == heads:
        return None
    if not current <= {r.revision for r in script.walk_revisions()}:
        raise Refused(name, f"revisi skema {', '.join(sorted(current))} tidak dikenal versi portal ini (terbaru di "
                            f"sini: {', '.join(sorted(heads))}); cadangan dari versi portal yang lebih baru atau bukan "
                            "cadangan portal ini, pulihkan dengan versi portal yang membuatnya")
    return ", ".join(sorted(current))


_WHAT = {"table": "tabel", "column": "kolom", "index": "indeks", "constraint": "batasan", "fk": "kunci asing"}


def _describe(diff) -> str:
    """One difference from alembic's compare_metadata, in words."""
    if isinstance(diff, list):  # the modify_* of one column
        _, _, table, column = diff[0][:4]
        return f"kolom {table}.{column} berbeda ({', '.join(d[0].removeprefix('modify_') for d in diff)})"
    change, _, what = diff[0].partition("_")
    if what == "column":
        thing = f"{diff[2]}.{diff[3].name}"
    else:
        thing = getattr(diff[1], "name", None) or str(diff[1])
    return f"{_WHAT.get(what, what)} {thing} {'tidak ada' if change == 'add' else 'tidak dikenal portal ini'}"


def _schema_problems() -> list[str]:
    """How the connected database's schema differs from the models' (empty when it does not)."""
    with db.engine.connect() as conn:
        problems = [_describe(d) for d in compare_metadata(MigrationContext.configure(conn), Base.metadata)]
        if conn.dialect.name == "sqlite":
            found = set(conn.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                                          "AND tbl_name = 'event'")))
        else:
            found = set(conn.scalars(text("SELECT tgname FROM pg_trigger WHERE tgrelid = to_regclass('event') "
                                          "AND NOT tgisinternal AND tgenabled <> 'D'")))
        wanted = set(re.findall(r"CREATE TRIGGER (\w+)", " ".join(APPEND_ONLY[conn.dialect.name])))
    problems += [f"pemicu {t} (jejak audit hanya-tambah) tidak ada" for t in sorted(wanted - found)]
    return problems


def _automatic_backup(key: str | None) -> str:
    """Back up the live data into BACKUP_FOLDER (default instance/cadangan) before it is replaced."""
    folder = current_app.config.get("BACKUP_FOLDER") or os.path.join(current_app.instance_path, "cadangan")
    os.makedirs(folder, mode=0o700, exist_ok=True)
    path = os.path.join(folder, f"sebelum-pulih-{clock.now():%Y%m%d-%H%M%S-%f}.backup")
    write_backup(path, key)
    return path


def _swap(staged: URL, live: URL, work: str) -> None:
    """Copy the checked database into the live one in one transaction (see the module's note)."""
    if live.get_backend_name() == "sqlite":
        with closing(sqlite3.connect(staged.database or "")) as src, \
                closing(sqlite3.connect(sqlite_file(live), timeout=30)) as dst:
            src.backup(dst)
        return
    archive = os.path.join(work, "diperiksa.dump")
    dump(staged, archive)
    pg("pg_restore", live, ["--clean", "--if-exists", "--no-owner", "--single-transaction", "--exit-on-error",
                            archive], "--dbname")

"""`backup` and `restore`: a restore brings back exactly the data at backup time, migrating an
older backup forward; every refused restore leaves the live database byte-identical (the SQLite
file's hash and, on both databases, the hash of an ordered dump of every table); backups are
encrypted with BACKUP_KEY when it is set. Runs on SQLite, and on PostgreSQL with TEST_DATABASE_URL."""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import stat
from contextlib import closing
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from flask_migrate import downgrade, stamp
from sqlalchemy import create_engine, func, inspect, select, text
from sqlalchemy.engine import make_url

from portal.backup import backup_command, pg
from portal.core import audit, backup_crypto, names
from portal.core.models import APPEND_ONLY, Event, Worker
from portal.queue.transitions import approve
from portal.restore import restore_command
from portal.web.extensions import db
from tests.factories import PASSWORD

PG = os.environ.get("TEST_DATABASE_URL")
HEAD = "0007"  # the newest migration; written again here so the test notices a new one


def _snapshot():
    db.session.expire_all()
    rows = set(db.session.execute(select(Worker.nik, Worker.verification, Worker.version)).all())
    return rows, db.session.scalar(select(func.count()).select_from(Event))


def _change(world):
    """Approve the first pending worker and add another one."""
    worker = db.session.scalars(select(Worker).where(Worker.verification == "pending")).first()
    approve(db.session, worker, world.users["dinsos"], worker.version)
    db.session.commit()
    world.worker()


def _fingerprint() -> str:
    """A hash of the live database: the SQLite file's bytes (after closing every connection, so
    nothing waits in a -wal file), then every table there is, its columns and its rows in order."""
    db.session.remove()
    db.engine.dispose()
    digest = hashlib.sha256()
    url = db.engine.url
    if url.get_backend_name() == "sqlite":
        digest.update(Path(url.database).read_bytes())
        assert not os.path.exists(url.database + "-wal")
    with db.engine.connect() as conn:
        tables = inspect(conn).get_table_names()
        for table in sorted(tables):
            columns = [c["name"] for c in inspect(conn).get_columns(table)]
            digest.update(repr((table, columns)).encode())
            order = ", ".join(f'"{c}"' for c in columns)
            for row in conn.execute(text(f'SELECT * FROM "{table}" ORDER BY {order}')):
                digest.update(repr(tuple(row)).encode())
    db.engine.dispose()
    return digest.hexdigest()


@pytest.fixture(autouse=True)
def migrated_live(app, tmp_path):
    """The live database as `flask db upgrade` leaves it (at the newest revision); automatic
    backups go to a folder of the test."""
    stamp()
    app.config["BACKUP_FOLDER"] = str(tmp_path / "otomatis")


def _automatic_backups(app) -> list[Path]:
    folder = Path(app.config["BACKUP_FOLDER"])
    return sorted(folder.iterdir()) if folder.exists() else []


@pytest.fixture
def backed_up(runner, world, tmp_path):
    """Two workers (one approved) backed up to a file; returns (path, snapshot at backup time)."""
    world.worker()
    world.worker()
    _change(world)
    out = tmp_path / "portal.backup"
    result = runner.invoke(backup_command, [str(out)])
    assert result.exit_code == 0, result.output
    assert f"Cadangan ditulis ke {out} (" in result.output
    return out, _snapshot()


def test_restore_brings_back_the_data_at_backup_time(runner, world, backed_up, app):
    out, at_backup = backed_up
    _change(world)
    assert _snapshot() != at_backup
    before = _snapshot()

    result = runner.invoke(restore_command, [str(out), "--yes"])
    assert result.exit_code == 0, result.output
    assert "dipulihkan" in result.output
    db.session.remove()
    rows, events = _snapshot()
    assert (rows, events) == (at_backup[0], at_backup[1] + 1)  # plus the restore's own event
    last = db.session.scalars(select(Event).order_by(Event.seq.desc())).first()
    assert last.action == "db_restore" and json.loads(last.detail)["replaced_head"]["seq"] > at_backup[1]
    assert audit.verify(db.session)[1] == []

    # The data it replaced was backed up first, and that backup restores too.
    [automatic] = _automatic_backups(app)
    assert f"Cadangan otomatis data saat ini: {automatic}" in result.output
    assert stat.S_IMODE(automatic.stat().st_mode) == 0o600
    assert runner.invoke(restore_command, [str(automatic), "--yes"]).exit_code == 0
    db.session.remove()
    assert _snapshot() == (before[0], before[1] + 1)

    # The portal keeps working on the restored data.
    worker = db.session.scalars(select(Worker).where(Worker.verification == "pending")).first()
    approve(db.session, worker, db.session.merge(world.users["dinsos"], load=True), worker.version)
    db.session.commit()
    assert _snapshot()[1] == before[1] + 2


def test_restore_ends_every_session(runner, world, backed_up, app):
    out, _ = backed_up
    client = app.test_client()
    client.post("/masuk", data={"username": "dinsos", "password": PASSWORD})
    assert client.get("/antrian/").status_code == 200
    assert runner.invoke(restore_command, [str(out), "--yes"]).exit_code == 0
    assert client.get("/antrian/").status_code == 302


def test_restore_without_yes_refuses_and_changes_nothing(runner, world, backed_up):
    out, _ = backed_up
    _change(world)
    changed = _snapshot()

    result = runner.invoke(restore_command, [str(out)])
    assert result.exit_code == 1
    assert "mengganti SELURUH data" in result.output and "--yes" in result.output
    assert _snapshot() == changed


def test_backup_refuses_to_overwrite_without_force(runner, backed_up):
    out, _ = backed_up
    out.write_text("jangan ditimpa")

    result = runner.invoke(backup_command, [str(out)])
    assert result.exit_code == 1
    assert "--force" in result.output
    assert out.read_text() == "jangan ditimpa"

    result = runner.invoke(backup_command, [str(out), "--force"])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() != b"jangan ditimpa"


def test_restore_of_a_missing_file_fails(runner, world, tmp_path):
    result = runner.invoke(restore_command, [str(tmp_path / "catatan.txt"), "--yes"])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert "catatan.txt tidak ada" in result.output


# --- Doctored backups: a real backup changed in a scratch database, or built from nothing ---

def _scratch_url() -> str:
    return PG.rsplit("/", 1)[0] + "/" + PG.rsplit("/", 1)[1] + "_scratch"


def _admin_engine():
    return create_engine(make_url(PG).set(database="postgres"), isolation_level="AUTOCOMMIT")


def _doctored(make_app, tmp_path, name, good=None, sql=(), downgrade_to=None) -> Path:
    """A backup file: `good`'s content (or an empty database) changed by `sql` and then, if
    asked, migrated down to `downgrade_to` with the real migrations."""
    out = tmp_path / name
    if PG:
        url = _scratch_url()
        admin = _admin_engine()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{make_url(url).database}"'))
        if good:
            pg("pg_restore", make_url(url), ["--no-owner", "--exit-on-error", str(good)], "--dbname")
    else:
        url = f"sqlite:///{tmp_path / (name + '.db')}"
        if good:
            shutil.copyfile(good, make_url(url).database)
    engine = create_engine(url)
    with engine.begin() as conn:
        for statement in sql:
            conn.execute(text(statement))
    engine.dispose()
    if downgrade_to:
        with make_app(schema=False, SQLALCHEMY_DATABASE_URI=url).app_context():
            downgrade(revision=downgrade_to)
            db.session.remove()
            db.engine.dispose()
    if PG:
        pg("pg_dump", make_url(url), ["--format=custom", "--no-owner", "--file", str(out)], "--dbname")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{make_url(url).database}" WITH (FORCE)'))
        admin.dispose()
    else:
        with closing(sqlite3.connect(make_url(url).database)) as src, closing(sqlite3.connect(out)) as dst:
            src.backup(dst)
    return out


def _encrypted(plain: Path, key: str) -> Path:
    out = plain.with_name(plain.name + ".enc")
    backup_crypto.encrypt_file(str(plain), str(out), key)
    return out


DIALECT = "postgresql" if PG else "sqlite"
ONE_TABLE = ["CREATE TABLE worker (id INTEGER PRIMARY KEY)"]
AT_HEAD = ["CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)",
           f"INSERT INTO alembic_version VALUES ('{HEAD}')"]
TAMPER = {"sqlite": ["DROP TRIGGER event_no_update", "UPDATE event SET note = 'diubah' WHERE seq = 1",
                     APPEND_ONLY["sqlite"][0]],
          "postgresql": ["ALTER TABLE event DISABLE TRIGGER event_append_only",
                         "UPDATE event SET note = 'diubah' WHERE seq = 1",
                         "ALTER TABLE event ENABLE TRIGGER event_append_only"]}[DIALECT]
NO_TRIGGER = {"sqlite": ["DROP TRIGGER event_no_delete"],
              "postgresql": ["DROP TRIGGER event_append_only ON event"]}[DIALECT]
KEY, OTHER_KEY = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def _source(case, make_app, tmp_path, good):
    """(file, BACKUP_KEY at restore) for each bad case."""
    if case == "not a database":
        path = tmp_path / "catatan.txt"
        path.write_text("bukan basis data\n" * 100)
        return path, None
    if case == "truncated":
        path = tmp_path / "terpotong.backup"
        path.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
        return path, None
    if case == "one table":
        return _doctored(make_app, tmp_path, "satu-tabel.backup", sql=ONE_TABLE + AT_HEAD), None
    if case == "no revision":
        return _doctored(make_app, tmp_path, "tanpa-revisi.backup", sql=ONE_TABLE), None
    if case == "missing column":
        return _doctored(make_app, tmp_path, "tanpa-kolom.backup", good, ["ALTER TABLE worker DROP COLUMN phone"]), None
    if case == "newer revision":
        return _doctored(make_app, tmp_path, "lebih-baru.backup", good,
                         ["UPDATE alembic_version SET version_num = '0099'"]), None
    if case == "broken audit chain":
        return _doctored(make_app, tmp_path, "audit-diubah.backup", good, TAMPER), None
    if case == "append-only trigger dropped":
        return _doctored(make_app, tmp_path, "tanpa-pemicu.backup", good, NO_TRIGGER), None
    if case == "wrong key":
        return _encrypted(good, OTHER_KEY), KEY
    if case == "encrypted, no key set":
        return _encrypted(good, KEY), None
    if case == "encrypted, truncated":
        sealed = _encrypted(good, KEY)
        sealed.write_bytes(sealed.read_bytes()[: sealed.stat().st_size // 2])
        return sealed, KEY
    if case == "unencrypted, key set":
        return good, KEY
    raise AssertionError(case)


REFUSED = {
    "not a database": r"bukan (basis data SQLite|arsip pg_dump) yang sah",
    "truncated": r"bukan basis data SQLite yang sah|rusak|tidak bisa dipulihkan|bukan arsip pg_dump",
    "one table": r"skema tidak sesuai portal ini: .*tabel (audit_head|event|opd|user) tidak ada",
    "no revision": r"tidak ada catatan revisi skema \(tabel alembic_version\)",
    "missing column": r"kolom worker\.phone tidak ada",
    "newer revision": r"revisi skema 0099 tidak dikenal versi portal ini \(terbaru di sini: 0007\)",
    "broken audit chain": r"rantai audit cadangan tidak utuh: seq 1: isi tidak cocok",
    "append-only trigger dropped": r"pemicu event_(no_delete|append_only) \(jejak audit hanya-tambah\) tidak ada",
    "wrong key": r"BACKUP_KEY tidak cocok dengan kunci cadangan ini",
    "encrypted, no key set": r"terenkripsi; setel BACKUP_KEY",
    "encrypted, truncated": r"bagian \d+ berkas cadangan rusak|terpotong",
    "unencrypted, key set": r"tidak terenkripsi padahal BACKUP_KEY disetel; .*--allow-unencrypted",
}


@pytest.mark.parametrize("case", REFUSED)
def test_a_refused_restore_leaves_the_live_data_byte_identical(case, runner, world, backed_up, make_app,
                                                               tmp_path, app):
    good, _ = backed_up
    source, key = _source(case, make_app, tmp_path, good)
    _change(world)  # the live data now differs from every backup
    app.config["BACKUP_KEY"] = key
    before = _fingerprint()

    result = runner.invoke(restore_command, [str(source), "--yes"])
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)  # a ClickException, not a traceback
    message = " ".join(result.output.split())
    assert f"Cadangan {source.name} ditolak: " in message and "Data saat ini tidak diubah." in message
    assert re.search(REFUSED[case], message), message
    assert _fingerprint() == before
    assert _automatic_backups(app) == []
    if PG:  # no staging database left behind
        admin = _admin_engine()
        with admin.connect() as conn:
            left = conn.scalars(text("SELECT datname FROM pg_database WHERE datname LIKE '%\\_pulih\\_%'")).all()
        admin.dispose()
        assert left == []


def test_an_older_backup_is_migrated_forward_and_the_queue_answers(runner, world, backed_up, make_app, tmp_path, app):
    good, at_backup = backed_up
    older = _doctored(make_app, tmp_path, "revisi-0003.backup", good, downgrade_to="0003")
    _change(world)

    result = runner.invoke(restore_command, [str(older), "--yes"])
    assert result.exit_code == 0, result.output
    assert "Cadangan dari revisi skema 0003 dibawa ke revisi terbaru." in result.output
    db.session.remove()
    assert db.session.scalar(text("SELECT version_num FROM alembic_version")) == HEAD
    assert _snapshot() == (at_backup[0], at_backup[1] + 1)
    # seed ran after the upgrade, as the README asks: the exact sort keys, not 0004's lower()
    assert all(w.sort_name == names.sort_key(w.full_name) for w in db.session.scalars(select(Worker)))
    client = app.test_client()
    client.post("/masuk", data={"username": "dinsos", "password": PASSWORD})
    assert client.get("/antrian/").status_code == 200


def test_an_encrypted_backup_is_unreadable_without_its_key_and_restores_with_it(runner, world, app, tmp_path):
    world.worker()
    _change(world)
    at_backup = _snapshot()
    nik = db.session.scalars(select(Worker.nik)).first()
    app.config["BACKUP_KEY"] = KEY
    out = tmp_path / "rahasia.backup"

    result = runner.invoke(backup_command, [str(out)])
    assert result.exit_code == 0, result.output
    assert f"Cadangan terenkripsi ditulis ke {out}" in result.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    content = out.read_bytes()
    assert content.startswith(backup_crypto.MAGIC) and nik.encode() not in content
    assert b"worker" not in content

    _change(world)
    result = runner.invoke(restore_command, [str(out), "--yes"])
    assert result.exit_code == 0, result.output
    db.session.remove()
    assert _snapshot() == (at_backup[0], at_backup[1] + 1)
    [automatic] = _automatic_backups(app)
    assert automatic.read_bytes().startswith(backup_crypto.MAGIC)
    assert stat.S_IMODE(automatic.stat().st_mode) == 0o600


def test_an_unencrypted_backup_restores_with_a_key_set_when_allowed(runner, world, backed_up, app):
    good, at_backup = backed_up
    _change(world)
    app.config["BACKUP_KEY"] = KEY

    result = runner.invoke(restore_command, [str(good), "--yes", "--allow-unencrypted"])
    assert result.exit_code == 0, result.output
    assert "PERINGATAN: portal.backup tidak terenkripsi" in result.output
    db.session.remove()
    assert _snapshot() == (at_backup[0], at_backup[1] + 1)


def test_an_unencrypted_backup_warns_and_is_private(runner, world, tmp_path):
    out = tmp_path / "polos.backup"
    result = runner.invoke(backup_command, [str(out)])
    assert result.exit_code == 0
    assert "PERINGATAN: BACKUP_KEY tidak disetel; cadangan ini TIDAK terenkripsi." in result.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_a_malformed_key_is_refused_clearly(runner, world, app, tmp_path):
    app.config["BACKUP_KEY"] = "rahasia"
    for command, args in ((backup_command, [str(tmp_path / "x.backup")]),
                          (restore_command, [str(tmp_path / "x.backup"), "--yes"])):
        (tmp_path / "x.backup").write_text("x")
        result = runner.invoke(command, [*args, "--force"] if command is backup_command else args)
        assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
        assert "BACKUP_KEY bukan kunci Fernet yang sah" in result.output
        assert "Fernet.generate_key()" in result.output

"""A fresh benchmark database of N synthetic workers, built in seconds.

Schema from the app's own migrations, reference data from `portal.seed.defaults`, accounts from
`demo.users`, workers by bulk insert (SQLite: executemany on one connection; PostgreSQL: COPY),
tallies from `tallies.rebuild`. Names come from Faker's id_ID word lists, combined at random
(calling Faker a million times would cost a minute by itself).
"""
from __future__ import annotations

import json
import os
import random
import time
from datetime import date, timedelta

import psycopg
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from portal import demo
from portal.core import audit, clock, nik, tallies
from portal.core.models import OPD, Category, Desa, RejectReason, Snapshot, User, Worker

# The demo's shares (portal.demo): 42 % approved, 6 % rejected, 3 % on hold, the rest pending;
# 25.77 % of all names enrolled (all of them approved).
SHARES = (("approved", 0.42), ("rejected", 0.06), ("on_hold", 0.03))
ENROLLED = 0.2577
COLUMNS = ("nik", "full_name", "sex", "birth_date", "category_id", "kecamatan_code", "desa_code", "address",
           "phone", "opd_id", "verification", "reject_reason_id", "decision_note", "enrolment", "kpj",
           "enrolled_on", "version")
CHUNK = 50_000


def fresh_database(url: str, create: bool = True) -> None:
    """Remove the SQLite file, or drop and (unless `create` is false) recreate the PostgreSQL
    database named in `url`."""
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(u.database + suffix):
                os.remove(u.database + suffix)
        return
    with psycopg.connect(host=u.host, port=u.port or 5432, user=u.username, password=u.password,
                         dbname="postgres", autocommit=True, connect_timeout=5) as conn:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                     (u.database,))
        conn.execute(f'DROP DATABASE IF EXISTS "{u.database}"')
        if create:
            conn.execute(f'CREATE DATABASE "{u.database}"')


def names(rng: random.Random):
    """A function giving a plausible Indonesian full name for a sex, from Faker's id_ID lists."""
    from faker.providers.person.id_ID import Provider as P
    first = {"L": P.first_names_male, "P": P.first_names_female}
    last = {"L": P.last_names_male, "P": P.last_names_female}

    def name(sex: str) -> str:
        f, l_ = first[sex], last[sex]
        if rng.random() < 0.4:
            return f"{f[rng.randrange(len(f))]} {f[rng.randrange(len(f))]} {l_[rng.randrange(len(l_))]}"
        return f"{f[rng.randrange(len(f))]} {l_[rng.randrange(len(l_))]}"
    return name


def worker_rows(n: int, categories, opd_ids: dict, reasons: list[int], desa: list, seed: int = 7):
    """Yield `n` worker tuples in COLUMNS order: valid NIKs (unique), real desa/kecamatan codes,
    categories with their OPD, decisions in the demo's shares."""
    rng = random.Random(seed)
    name = names(rng)
    serials: dict[tuple, int] = {}
    cuts = []
    upto = 0.0
    for state, share in SHARES:
        upto += share
        cuts.append((upto, state))
    kpj = 26_000_000_000
    base = date(1960, 1, 1)
    for i in range(n):
        category = categories[i % len(categories)]
        female = category.code not in demo.MALE_CATEGORIES and rng.random() < 0.55
        sex = "P" if female else "L"
        born = base + timedelta(days=rng.randrange(45 * 365))
        desa_code, kecamatan = desa[rng.randrange(len(desa))]
        key = (kecamatan, born, sex)
        serials[key] = serial = serials.get(key, 0) + 1
        r = rng.random()
        state = next((s for cut, s in cuts if r < cut), "pending")
        reason = reasons[rng.randrange(len(reasons))] if state == "rejected" else None
        enrolled = state == "approved" and rng.random() < ENROLLED / SHARES[0][1]
        if enrolled:
            kpj += rng.randint(1, 900)
        yield (nik.compose(kecamatan, born, sex, serial), name(sex), sex, born, category.id, kecamatan, desa_code,
               f"Dusun {rng.randint(1, 6)}, RT {rng.randint(1, 12):03d}/RW {rng.randint(1, 5):03d}",
               "08" + str(rng.randrange(10**9, 10**10)), category.opd_id or opd_ids["KESRA"], state, reason,
               "Menunggu konfirmasi kepala desa." if state == "on_hold" else "",
               "enrolled" if enrolled else "not_enrolled", str(kpj) if enrolled else None,
               date(2024, 1, 1) + timedelta(days=rng.randrange(480)) if enrolled else None,
               1 if state == "pending" else 2)


def _insert_sqlite(session, rows) -> None:
    raw = session.connection().connection.driver_connection
    # A fresh file nobody else reads yet: no fsync per chunk, a big page cache for the NIK index.
    raw.execute("PRAGMA synchronous=OFF")
    raw.execute("PRAGMA cache_size=-1000000")
    sql = f"INSERT INTO worker ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
    batch = []
    for row in rows:
        batch.append(row[:3] + (row[3].isoformat(),) + row[4:15] +
                     (row[15].isoformat() if row[15] else None, row[16]))
        if len(batch) >= CHUNK:
            raw.executemany(sql, batch)
            batch.clear()
    if batch:
        raw.executemany(sql, batch)


def _insert_postgres(session, rows) -> None:
    raw = session.connection().connection.driver_connection
    raw.execute("SET maintenance_work_mem = '512MB'")
    with raw.cursor() as cur, cur.copy(f"COPY worker ({', '.join(COLUMNS)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _plain_indexes(session, is_pg: bool) -> list[tuple[str, str]]:
    """(name, CREATE INDEX …) of the worker table's indexes that back no constraint, as the
    migrations made them: dropped for the load and built again after, which is much faster."""
    if is_pg:
        return list(session.execute(text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'worker' AND indexname NOT IN "
            "(SELECT conname FROM pg_constraint WHERE conrelid = 'worker'::regclass)")))
    return list(session.execute(text(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'worker' AND sql IS NOT NULL")))


def insert_workers(session, rows, is_pg: bool) -> None:
    """Bulk-load `rows` into worker with its plain indexes rebuilt afterwards."""
    indexes = _plain_indexes(session, is_pg)
    for name, _sql in indexes:
        session.execute(text(f'DROP INDEX "{name}"'))
    (_insert_postgres if is_pg else _insert_sqlite)(session, rows)
    for _name, sql in indexes:
        session.execute(text(sql))


def snapshots(session, today: date, days: int = 200) -> None:
    """A trend history for the dashboard chart: each OPD's figures growing linearly to today's."""
    per_opd = {opd.id: tallies.for_opd(session, opd.id) for opd in session.scalars(select(OPD))}
    rows = []
    for back in range(days, 0, -1):
        share = 1 - back / (days + 1)
        for opd_id, f in per_opd.items():
            decided = f.approved + f.rejected + f.on_hold
            rows.append(dict(day=today - timedelta(days=back), opd_id=opd_id, pending=f.received - round(share * decided),
                             approved=round(share * f.approved), rejected=round(share * f.rejected),
                             on_hold=round(share * f.on_hold), enrolled=round(share * f.enrolled),
                             inactive=round(share * f.inactive)))
    session.execute(Snapshot.__table__.insert(), rows)


def seed(app, n: int, password: str) -> dict:
    """Fill the (fresh, migrated) database of `app` with reference data, demo accounts, the audit
    head and `n` workers; returns timings in seconds."""
    from portal import seed
    from portal.web.extensions import db
    timings = {}
    with app.app_context():
        session = db.session
        is_pg = session.get_bind().dialect.name == "postgresql"
        started = time.perf_counter()
        seed.defaults(session)
        demo.users(session, password, app.config["PASSWORD_HASH_METHOD"])
        admin = session.scalar(select(User).where(User.username == "admin"))
        audit.record(session, action="bench_seed", user_id=admin.id, detail=json.dumps({"workers": n}))
        session.commit()
        timings["reference_users_s"] = time.perf_counter() - started

        started = time.perf_counter()
        categories = session.scalars(select(Category).order_by(Category.id)).all()
        opd_ids = dict(session.execute(select(OPD.code, OPD.id)).all())
        reasons = list(session.scalars(select(RejectReason.id).where(~RejectReason.note_required)))
        desa = session.execute(select(Desa.code, Desa.kecamatan_code).order_by(Desa.code)).all()
        rows = worker_rows(n, categories, opd_ids, reasons, desa)
        insert_workers(session, rows, is_pg)
        session.commit()
        timings["workers_s"] = time.perf_counter() - started

        started = time.perf_counter()
        tallies.rebuild(session)
        snapshots(session, clock.today())
        session.commit()
        timings["tallies_s"] = time.perf_counter() - started
        if is_pg:
            # What autovacuum does shortly after a bulk load: statistics and the visibility map.
            started = time.perf_counter()
            conn = session.connection().connection.driver_connection
            session.commit()
            conn.autocommit = True
            conn.execute("VACUUM ANALYZE")
            conn.autocommit = False
            timings["vacuum_analyze_s"] = time.perf_counter() - started
        count = session.scalar(select(text("count(*)")).select_from(Worker))
        assert count == n, (count, n)
    return timings

"""Synthetic demo data shaped like OKU Selatan's 2025 list: plainly fictitious people (Faker's
id_ID names), real kecamatan and desa codes, well-formed 1609… NIKs, about 26 % enrolled, and
the unevenness of a real list: categories of different sizes, a few hajj titles and degrees,
enrolments spread over the months before today."""
from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta, timezone
from typing import cast

from faker import Faker
from sqlalchemy import Table, func, insert, select
from sqlalchemy.orm import Session

from portal import seed
from portal.core import audit, clock, names, nik, tallies
from portal.core.models import OPD, Category, Desa, RejectReason, User, Worker

RECEIVED = 3934  # names BPJS received in 2025
ACTIVE_SHARE = 0.2577  # active participants among them, April 2025
MALE_CATEGORIES = {"MARBOT", "IMAM", "PEGAWAI_SYARA", "RELAWAN_DAMKAR", "LINMAS", "PEMANGKU_ADAT"}
# Relative sizes (weights, not counts): Linmas and guru ngaji are the big groups on such lists,
# pemangku adat a small one. A category added by an admin weighs OTHER_WEIGHT.
CATEGORY_WEIGHTS = {"LINMAS": 16, "GURU_NGAJI": 14, "KADER": 12, "MARBOT": 10, "INFORMAL": 8, "IMAM": 7,
                    "KEBERSIHAN": 7, "PEGAWAI_SYARA": 6, "PEKSOS": 6, "RELAWAN_DAMKAR": 6, "RELAWAN_BENCANA": 5,
                    "PEMANGKU_ADAT": 3}
OTHER_WEIGHT = 5
RELIGIOUS = {"MARBOT", "IMAM", "GURU_NGAJI", "PEGAWAI_SYARA"}
HAJJ_SHARE = {True: 0.12, False: 0.03}  # "H."/"Hj." before the name; more common among mosque staff
DEGREES, DEGREE_SHARE = ("S.Pd.", "S.Ag.", "S.E.", "A.Md.", "S.Pd.I."), 0.04  # after the name, few on such lists


def is_empty(session: Session) -> bool:
    return not session.scalar(select(func.count()).select_from(Worker))


def users(session: Session, password: str, method: str) -> list[User]:
    """admin, supervisor, bpjs, and one verifier per OPD named by its code in lower case."""
    made = []
    have = set(session.scalars(select(User.username)))
    specs = [("admin", "admin", None, "Administrator Portal"),
             ("supervisor", "supervisor", None, "Asisten I Pemerintahan dan Kesra"),
             ("bpjs", "bpjs", None, "BPJS Ketenagakerjaan Cabang OKU Raya")]
    specs += [(o.code.lower(), "verifier", o, f"Verifikator {o.name}")
              for o in session.scalars(select(OPD).order_by(OPD.code))]
    for username, role, opd, full_name in specs:
        if username in have:
            continue
        user = User(username=username, role=role, opd=opd, full_name=full_name)
        user.set_password(password, method)
        made.append(user)
    session.add_all(made)
    session.flush()
    return made


def workers(session: Session, n: int = RECEIVED, seed: int = 2025, today: date | None = None) -> int:
    """Insert `n` synthetic workers with decisions, enrolments and their audit events, then
    recount the tallies. Bulk inserts: seconds, not minutes."""
    rng, fake, today = random.Random(seed), Faker("id_ID"), today or clock.today()
    fake.seed_instance(seed)
    categories = session.scalars(select(Category).order_by(Category.id)).all()
    opd_ids = dict(session.execute(select(OPD.code, OPD.id)).all())
    verifier = dict(session.execute(select(User.opd_id, User.id).where(User.role == "verifier")).all())
    liaison = session.scalar(select(User.id).where(User.role == "bpjs").order_by(User.id))
    reasons = session.scalars(select(RejectReason).where(~RejectReason.note_required)).all()
    desa = session.execute(select(Desa.code, Desa.kecamatan_code)).all()
    serials: dict[str, int] = {}
    kpj = 26_000_000_000
    rows, events = [], []
    enrolled, approved = round(n * ACTIVE_SHARE), round(n * 0.42)
    rejected, on_hold = round(n * 0.06), round(n * 0.03)
    for category in _allot(categories, n, rng):
        opd_id = category.opd_id or opd_ids["KESRA"]
        female = category.code not in MALE_CATEGORIES and rng.random() < 0.55
        born = date(1960, 1, 1) + timedelta(days=rng.randrange(45 * 365))
        desa_code, kecamatan = desa[rng.randrange(len(desa))]
        key = f"{kecamatan}{born.isoformat()}{female}"
        serials[key] = serials.get(key, 0) + 1
        row = dict(
            nik=nik.compose(kecamatan, born, "P" if female else "L", serials[key]),
            full_name=_name(fake, rng, female, category.code in RELIGIOUS),
            sex="P" if female else "L", birth_date=born, category_id=category.id,
            kecamatan_code=kecamatan, desa_code=desa_code,
            address=f"Dusun {rng.randint(1, 6)}, RT {rng.randint(1, 12):03d}/RW {rng.randint(1, 5):03d}",
            phone="08" + "".join(str(rng.randrange(10)) for _ in range(rng.choice((9, 10)))),
            opd_id=opd_id, verification="pending", enrolment="not_enrolled", version=1,
            reject_reason_id=None, decision_note="", kpj=None, enrolled_on=None)
        rows.append(row)
    order = list(range(n))
    rng.shuffle(order)
    cut = {"approved": approved, "rejected": approved + rejected, "on_hold": approved + rejected + on_hold}
    decided_on: dict[str, date] = {}
    for rank, index in enumerate(order):
        row = rows[index]
        state = next((s for s, upto in cut.items() if rank < upto), "pending")
        if state == "pending":
            continue
        # Most of today's participants were verified and enrolled before the portal (2024–25);
        # the rest of the decisions come in over the last 200 days, so the trend has a slope.
        early = rank < enrolled * 0.85 or rng.random() < 0.25
        decided_on[row["nik"]] = today - timedelta(days=rng.randrange(220, 480) if early else rng.randrange(1, 200))
        row.update(verification=state, version=2)
        if state == "rejected":
            reason = reasons[rng.randrange(len(reasons))]
            row["reject_reason_id"] = reason.id
        if state == "on_hold":
            row["decision_note"] = "Menunggu konfirmasi kepala desa."
        if state == "approved" and rank < enrolled:
            kpj += rng.randint(1, 900)
            # Enrolled 5–60 days after the decision, by yesterday at the latest (no event today);
            # one decided lately gets a day since then, so the enrolments do not pile up on yesterday.
            if (today - decided_on[row["nik"]]).days < 2:  # room for an enrolment after the decision
                decided_on[row["nik"]] = today - timedelta(days=2)
            room, delay = (today - decided_on[row["nik"]]).days - 1, rng.randrange(5, 60)
            if delay > room:
                delay = rng.randint(min(1, room), room)
            on = decided_on[row["nik"]] + timedelta(days=delay)
            row.update(enrolment="enrolled", kpj=str(kpj), enrolled_on=on, version=3)
    for row in rows:
        row["sort_name"] = names.sort_key(row["full_name"])  # a bulk insert passes no validator
    # Core, not ORM: an ORM bulk insert resets the version counter to 1, and each decided row's
    # version must count its events (audit-verify checks it).
    session.execute(insert(cast(Table, Worker.__table__)), rows)
    ids = dict(session.execute(select(Worker.nik, Worker.id)).all())
    action = {"approved": "approve", "rejected": "reject", "on_hold": "hold"}
    codes = {r.id: r.code for r in reasons}
    for row in rows:
        if row["verification"] != "pending":
            moment = datetime.combine(decided_on[row["nik"]], time(2), tzinfo=timezone.utc) + \
                timedelta(minutes=rng.randrange(420))  # office hours, WIB
            events.append(dict(worker_id=ids[row["nik"]], user_id=verifier.get(row["opd_id"]),
                               action=action[row["verification"]], from_state="pending",
                               to_state=row["verification"], reason_code=codes.get(row.get("reject_reason_id")),
                               note=row.get("decision_note", ""), detail="", created_at=moment))
        if row["enrolment"] == "enrolled":
            events.append(dict(worker_id=ids[row["nik"]], user_id=liaison, action="enrol",
                               from_state="not_enrolled", to_state="enrolled", reason_code=None,
                               note=f"KPJ {row['kpj']}", detail="",
                               created_at=datetime.combine(row["enrolled_on"], time(3), tzinfo=timezone.utc)))
    events.sort(key=lambda e: e["created_at"])
    audit.record_many(session, events)
    tallies.rebuild(session)
    return n


def _allot(categories: list[Category], n: int, rng: random.Random) -> list[Category]:
    """`n` categories in proportion to their weights (largest remainder, so the total is exact),
    each at least once when `n` allows, in a shuffled order."""
    weights = [CATEGORY_WEIGHTS.get(c.code, OTHER_WEIGHT) for c in categories]
    total = sum(weights)
    counts = [n * w // total for w in weights]
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(n * weights[i] % total), i))
    for i in by_remainder[:n - sum(counts)]:
        counts[i] += 1
    for i, count in enumerate(counts):
        if count == 0 and n >= len(counts):
            counts[counts.index(max(counts))] -= 1
            counts[i] = 1
    picked = [c for c, count in zip(categories, counts) for _ in range(count)]
    rng.shuffle(picked)
    return picked


def _name(fake: Faker, rng: random.Random, female: bool, religious: bool) -> str:
    """A first and last name matching the sex, on a few a hajj title (H. for men, Hj. for women)
    and on a few an academic degree. Faker's own titles are not used: it gives one name in three
    a title, not always matching the sex."""
    if female:
        name = f"{fake.first_name_female()} {fake.last_name_female()}"
    else:
        name = f"{fake.first_name_male()} {fake.last_name_male()}"
    if rng.random() < HAJJ_SHARE[religious]:
        name = ("Hj. " if female else "H. ") + name
    if rng.random() < DEGREE_SHARE:
        name += ", " + rng.choice(DEGREES)
    return name


def load(session: Session, password: str, method: str, n: int = RECEIVED) -> int:
    """Reference data, demo accounts and workers, in the caller's transaction."""
    seed.defaults(session)
    users(session, password, method)
    return workers(session, n)

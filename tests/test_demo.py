"""`flask --app wsgi demo`: data shaped like the 2025 list, consistent NIKs, working accounts."""

import re
from collections import Counter

from sqlalchemy import func, select

from portal.core import nik, tallies
from portal.core.models import OPD, Category, Desa, Kecamatan, User, Worker
from portal.web.extensions import db


def test_demo_data_is_shaped_like_the_seed(runner, app):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "3934 pekerja" in result.output and "demo-oku-2025" in result.output
    count = lambda model: db.session.scalar(select(func.count()).select_from(model))
    assert count(Worker) == 3934
    assert count(OPD) >= 8 and count(Category) >= 8
    assert count(Kecamatan) == 19 and count(Desa) == 259
    used_opds = db.session.scalar(select(func.count(func.distinct(Worker.opd_id))))
    used_categories = db.session.scalar(select(func.count(func.distinct(Worker.category_id))))
    assert used_opds >= 8 and used_categories >= 8
    enrolled = db.session.scalar(select(func.count()).where(Worker.enrolment == "enrolled"))
    assert abs(enrolled / 3934 - 0.2577) < 0.005
    assert db.session.scalar(select(func.count()).where(Worker.enrolment == "enrolled",
                                                        Worker.verification != "approved")) == 0
    for w in db.session.scalars(select(Worker)):
        parsed = nik.parse(w.nik)
        assert parsed.regency == "1609" and parsed.kecamatan == w.kecamatan_code
        assert (parsed.birth_date, parsed.sex) == (w.birth_date, w.sex)
        assert w.desa.kecamatan_code == w.kecamatan_code
    assert tallies.kept(db.session) == tallies.counted(db.session)


def test_demo_data_is_uneven_like_a_real_list(runner, app):
    assert runner.invoke(args=["demo"]).exit_code == 0
    workers = db.session.scalars(select(Worker)).all()
    titled = [w for w in workers if re.match(r"Hj?\. ", w.full_name)]
    for w in titled:  # H. for a man who made the hajj, Hj. for a woman
        assert w.full_name.startswith("Hj. " if w.sex == "P" else "H. "), (w.full_name, w.sex)
    degrees = [w for w in workers if re.search(r", (S\.Pd\.(I\.)?|S\.Ag\.|S\.E\.|A\.Md\.)$", w.full_name)]
    assert 0.04 <= len(titled) / len(workers) <= 0.09 and 0.02 <= len(degrees) / len(workers) <= 0.06
    assert all(w.full_name.count(",") == (w in degrees) for w in workers)  # no other suffixes
    sizes = Counter(w.category.code for w in workers)
    assert len(sizes) == db.session.scalar(select(func.count()).select_from(Category))  # none empty
    assert max(sizes.values()) >= 2 * min(sizes.values())
    assert sizes["LINMAS"] > sizes["PEMANGKU_ADAT"] and sizes["GURU_NGAJI"] > sizes["PEMANGKU_ADAT"]
    mosque = [w for w in workers if w.category.code in ("MARBOT", "IMAM", "GURU_NGAJI", "PEGAWAI_SYARA")]
    share = lambda group: sum(w in titled for w in group) / len(group)  # noqa: E731
    assert share(mosque) > 2 * share([w for w in workers if w not in mosque])
    days = Counter(w.enrolled_on for w in workers if w.enrolled_on)
    assert max(days.values()) <= 0.02 * sum(days.values())  # a handful a day, not a pile
    assert len({(d.year, d.month) for d in days}) >= 10  # spread over the months before today


def test_demo_accounts(runner, app):
    runner.invoke(args=["demo", "--size", "50"])
    users = {u.username: u for u in db.session.scalars(select(User))}
    assert {"admin", "supervisor", "bpjs", "dinsos", "kesra", "damkar", "satpolpp"} <= set(users)
    assert users["dinsos"].opd.code == "DINSOS" and users["dinsos"].role == "verifier"
    assert users["kesra"].check_password("demo-oku-2025")
    client = app.test_client()
    r = client.post("/masuk", data={"username": "damkar", "password": "demo-oku-2025"})
    assert r.status_code == 303


def test_demo_if_empty_leaves_existing_data_alone(runner, app):
    runner.invoke(args=["demo", "--size", "20"])
    again = runner.invoke(args=["demo", "--if-empty"])
    assert again.exit_code == 0 and "tidak dimuat ulang" in again.output
    refused = runner.invoke(args=["demo"])
    assert refused.exit_code != 0 and "sudah berisi" in refused.output
    assert db.session.scalar(select(func.count()).select_from(Worker)) == 20


def test_seed_is_idempotent(runner, app):
    assert runner.invoke(args=["seed"]).exit_code == 0
    assert runner.invoke(args=["seed"]).exit_code == 0
    assert db.session.scalar(select(func.count()).select_from(OPD)) == 8

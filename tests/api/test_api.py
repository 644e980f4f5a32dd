"""/api/summary (session or bearer token, JSON) and the admin's API token pages."""
import hashlib
import json
import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import delete, func, select, text

from portal.api import report, tokens
from portal.core.errors import Invalid, NotAllowed, WrongState
from portal.core.models import OPD, ApiToken, Event, Target, Worker
from portal.web.extensions import db
from tests.conftest import HTMX
from tests.factories import PASSWORD

COUNTS = ("received", "pending", "approved", "rejected", "on_hold", "verified", "eligible", "enrolled_approved",
          "enrolled_withdrawn", "enrolled", "inactive")


def bearer(plain: str) -> dict:
    return {"Authorization": f"Bearer {plain}"}


def new_token(world, name: str = "Dasbor Bapperida") -> tuple[ApiToken, str]:
    token, plain = tokens.create(db.session, world.users["admin"], name)
    db.session.commit()
    return token, plain


def logged_in(app, username: str):
    client = app.test_client()
    client.post("/masuk", data={"username": username, "password": PASSWORD})
    return client


# --- who may read the summary ------------------------------------------------------------------

def test_anonymous_gets_401_json_not_a_login_redirect(client, world):
    r = client.get("/api/summary")
    assert r.status_code == 401 and r.is_json and r.json["error"]
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    assert r.headers["Cache-Control"] == "no-store" and "Location" not in r.headers
    assert client.get("/api/summary", headers=HTMX).status_code == 401  # htmx too: no HX-Redirect


@pytest.mark.parametrize("header", ["Bearer nope", "Bearer ", "Bearer", "bearer " + "x" * 500,
                                    "Basic YWRtaW46cmFoYXNpYQ==", "Token abc"])
def test_a_bad_token_is_401(client, world, header):
    new_token(world)
    r = client.get("/api/summary", headers={"Authorization": header})
    assert r.status_code == 401 and r.is_json
    assert 'error="invalid_token"' in r.headers["WWW-Authenticate"]


def test_a_revoked_token_is_401(client, world):
    token, plain = new_token(world)
    assert client.get("/api/summary", headers=bearer(plain)).status_code == 200
    tokens.revoke(db.session, world.users["admin"], token)
    db.session.commit()
    r = client.get("/api/summary", headers=bearer(plain))
    assert r.status_code == 401 and r.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("username", ["dinsos", "bpjs"])
def test_other_roles_get_403_json(app, world, username):
    r = logged_in(app, username).get("/api/summary")
    assert r.status_code == 403 and r.is_json and r.json["error"]
    assert "WWW-Authenticate" not in r.headers


@pytest.mark.parametrize("username", ["supervisor", "admin"])
def test_supervisor_and_admin_sessions_read_it(app, world, username):
    r = logged_in(app, username).get("/api/summary")
    assert r.status_code == 200 and r.is_json and r.headers["Cache-Control"] == "no-store"
    assert set(r.json) >= set(COUNTS) | {"coverage", "coverage_of_approved", "verified_share", "as_of", "by_opd",
                                         "targets", "target_measure", "definitions"}


def test_a_token_reads_it_without_starting_a_session(client, world):
    token, plain = new_token(world)
    r = client.get("/api/summary", headers=bearer(plain))
    assert r.status_code == 200 and r.is_json and r.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in r.headers
    assert client.get_cookie("session") is None
    assert db.session.get(ApiToken, token.id).last_used_at is not None


def test_a_sent_token_decides_even_with_a_session(app, world):
    _, plain = new_token(world)
    assert logged_in(app, "dinsos").get("/api/summary", headers=bearer(plain)).status_code == 200
    assert logged_in(app, "admin").get("/api/summary", headers=bearer("salah")).status_code == 401


def test_post_is_not_allowed(client, world):
    _, plain = new_token(world)
    assert client.post("/api/summary", headers=bearer(plain)).status_code == 405


def test_with_csrf_on_a_token_reads_and_a_post_needs_the_form_token(make_app):
    from tests.factories import World
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        world = World(db.session)
        _, plain = new_token(world)
        assert app.test_client().get("/api/summary", headers=bearer(plain)).status_code == 200
        admin = app.test_client()
        csrf = csrf_from(admin.get("/masuk").text)
        admin.post("/masuk", data={"username": "admin", "password": PASSWORD, "csrf_token": csrf})
        assert admin.post("/admin/token", data={"name": "Tanpa CSRF"}).status_code == 400
        csrf = csrf_from(admin.get("/admin/token").text)
        assert admin.post("/admin/token", data={"name": "Dengan CSRF", "csrf_token": csrf}).status_code == 303
        names = db.session.scalars(select(ApiToken.name).order_by(ApiToken.id)).all()
        assert names == ["Dasbor Bapperida", "Dengan CSRF"]


def csrf_from(html: str) -> str:
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)


# --- what it says ------------------------------------------------------------------------------

@pytest.fixture
def seeded(world):
    for _ in range(2):
        world.worker("DINSOS")
    world.worker("DINSOS", verification="approved")
    world.worker("DINSOS", verification="approved", enrolment="enrolled")
    world.worker("DINSOS", verification="approved", enrolment="inactive")
    world.worker("DINSOS", verification="rejected", reject_reason_id=world.reason("PINDAH").id)
    world.worker("DINSOS", verification="on_hold")
    world.worker("DINSOS", verification="pending", enrolment="enrolled")  # approval withdrawn
    for _ in range(2):
        world.worker("KESRA", verification="approved", enrolment="enrolled")
    world.worker("KESRA")
    db.session.execute(delete(Target))  # the seed's defaults; these are the test's own
    db.session.add_all([Target(year=2029, coverage_bp=10000), Target(year=2026, coverage_bp=5000)])
    db.session.commit()
    return world


def direct(opd_id: int | None = None) -> dict:
    """Counted straight from the workers, not from the tallies."""
    where = [Worker.opd_id == opd_id] if opd_id else []

    def n(*conditions):
        return db.session.scalar(select(func.count()).select_from(Worker).where(*where, *conditions))
    out = {s: n(Worker.verification == s) for s in ("pending", "approved", "rejected", "on_hold")}
    out |= {e: n(Worker.enrolment == e) for e in ("enrolled", "inactive")}
    out["received"] = n()
    out["verified"] = n(Worker.verification.in_(("approved", "rejected")))
    out["eligible"] = n(Worker.verification != "rejected")
    out["enrolled_approved"] = n(Worker.enrolment == "enrolled", Worker.verification == "approved")
    out["enrolled_withdrawn"] = n(Worker.enrolment == "enrolled", Worker.verification != "approved")
    out["coverage"] = round(out["enrolled_approved"] / out["eligible"], 4) if out["eligible"] else 0.0
    out["coverage_of_approved"] = round(out["enrolled_approved"] / out["approved"], 4) if out["approved"] else 0.0
    out["verified_share"] = round(out["verified"] / out["received"], 4) if out["received"] else 0.0
    return out


def test_figures_equal_a_direct_count(app, seeded):
    body = logged_in(app, "supervisor").get("/api/summary").json
    assert {k: body[k] for k in direct()} == direct()
    assert body["received"] == 11 and body["enrolled"] == 4 and body["enrolled_approved"] == 3
    assert body["enrolled_withdrawn"] == 1 and body["coverage_of_approved"] == 0.6 and body["coverage"] == 0.3
    opds = db.session.scalars(select(OPD).order_by(OPD.name)).all()
    assert [row["code"] for row in body["by_opd"]] == [o.code for o in opds]  # every OPD, by name
    for opd, row in zip(opds, body["by_opd"]):
        assert row["name"] == opd.name
        assert {k: row[k] for k in direct(opd.id)} == direct(opd.id), opd.code
    dinsos = next(row for row in body["by_opd"] if row["code"] == "DINSOS")
    assert dinsos["coverage_of_approved"] == 0.3333 and dinsos["coverage"] == 0.1429  # 1 of 7 not rejected


def test_every_field_is_defined_in_both_languages(app, seeded):
    body = logged_in(app, "supervisor").get("/api/summary").json
    fields = set(body) - {"as_of", "by_opd", "targets", "target_measure", "definitions"}
    assert set(body["definitions"]) == fields == set(body["by_opd"][0]) - {"code", "name"}
    coverage = body["definitions"]["coverage"]
    assert coverage["formula"] == "enrolled_approved / eligible" and coverage["kind"] == "share"
    assert coverage["label_id"] == "Cakupan" and coverage["label_en"] == "Coverage"
    assert all(d["definition_en"] != d["definition_id"] for d in body["definitions"].values())


def test_targets_and_time(app, seeded):
    before = datetime.now(timezone.utc).replace(microsecond=0)
    body = logged_in(app, "admin").get("/api/summary").json
    assert body["target_measure"] == "coverage"
    assert body["targets"] == [{"year": 2026, "coverage": 0.5}, {"year": 2029, "coverage": 1.0}]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", body["as_of"])
    as_of = datetime.fromisoformat(body["as_of"])
    assert before <= as_of <= datetime.now(timezone.utc)


def test_summary_of_an_empty_county(world):
    db.session.execute(delete(Target))
    body = report.summary(db.session, datetime(2025, 6, 30, 10, 15, tzinfo=timezone(timedelta(hours=7))), str)
    assert body["as_of"] == "2025-06-30T03:15:00Z"
    assert body["received"] == 0 and body["coverage"] == 0.0 and body["targets"] == []
    assert len(body["by_opd"]) == db.session.scalar(select(func.count()).select_from(OPD))
    json.dumps(body)  # plain data only


# --- the tokens themselves -----------------------------------------------------------------------

def test_only_the_hash_is_stored(world):
    token, plain = new_token(world)
    assert len(plain) >= 43 and token.token_hash == hashlib.sha256(plain.encode()).hexdigest()
    for table in ("api_token", "event"):
        rows = db.session.execute(text(f"SELECT * FROM {table}")).all()
        assert not any(plain in str(value) for row in rows for value in row), table


def test_authenticate(world):
    token, plain = new_token(world)
    assert tokens.authenticate(db.session, plain).id == token.id
    for wrong in (None, "", plain[:-1], plain + "x", plain.upper(), "x" * 1000):
        assert tokens.authenticate(db.session, wrong) is None
    token.active = False
    assert tokens.authenticate(db.session, plain) is None


def test_last_used_is_written_at_most_once_a_minute(world):
    token, plain = new_token(world)
    t0 = datetime(2025, 7, 1, 8, 0, tzinfo=timezone.utc)
    tokens.authenticate(db.session, plain, t0)
    db.session.commit()
    tokens.authenticate(db.session, plain, t0 + timedelta(seconds=59))
    assert not db.session.dirty
    db.session.commit()
    assert db.session.get(ApiToken, token.id).last_used_at.replace(tzinfo=timezone.utc) == t0
    tokens.authenticate(db.session, plain, t0 + timedelta(seconds=61))
    db.session.commit()
    assert db.session.get(ApiToken, token.id).last_used_at.replace(tzinfo=timezone.utc) == t0 + timedelta(seconds=61)


@pytest.mark.parametrize("name", ["", "   ", "x" * 81, "Dasbor\x00", "tab\there"])
def test_bad_names_are_invalid(world, name):
    with pytest.raises(Invalid):
        tokens.create(db.session, world.users["admin"], name)


@pytest.mark.parametrize("username", ["supervisor", "bpjs", "dinsos"])
def test_only_an_admin_makes_or_revokes(world, username):
    token, _ = new_token(world)
    with pytest.raises(NotAllowed):
        tokens.create(db.session, world.users[username], "Dasbor")
    with pytest.raises(NotAllowed):
        tokens.revoke(db.session, world.users[username], token)


def test_revoking_twice_is_refused(world):
    token, _ = new_token(world)
    tokens.revoke(db.session, world.users["admin"], token)
    with pytest.raises(WrongState):
        tokens.revoke(db.session, world.users["admin"], token)


# --- the admin's pages ---------------------------------------------------------------------------

def test_create_shows_the_token_once_and_audits(client, auth, world):
    auth.login("admin")
    r = client.post("/admin/token", data={"name": "  Dasbor Bapperida "})
    assert r.status_code == 303 and r.headers["Location"] == "/admin/token"
    page = client.get("/admin/token").text
    plain = re.search(r"ditampilkan lagi: ([A-Za-z0-9_-]{43})", page).group(1)
    assert "Dasbor Bapperida" in page
    assert plain not in client.get("/admin/token").text  # once only
    token = db.session.scalar(select(ApiToken))
    assert token.name == "Dasbor Bapperida" and token.created_by_id == world.users["admin"].id
    assert token.token_hash == hashlib.sha256(plain.encode()).hexdigest()
    event = db.session.scalar(select(Event).where(Event.action == "token_create"))
    assert event.user_id == world.users["admin"].id
    assert json.loads(event.detail) == {"token_id": token.id, "name": "Dasbor Bapperida"}
    assert client.application.test_client().get("/api/summary", headers=bearer(plain)).status_code == 200


def test_revoke_from_the_page(client, auth, world):
    token, plain = new_token(world)
    auth.login("admin")
    r = client.post(f"/admin/token/{token.id}/cabut")
    assert r.status_code == 303 and r.headers["Location"] == "/admin/token"
    assert not db.session.get(ApiToken, token.id).active
    event = db.session.scalar(select(Event).where(Event.action == "token_revoke"))
    assert event.user_id == world.users["admin"].id and json.loads(event.detail)["name"] == "Dasbor Bapperida"
    page = client.get("/admin/token").text
    assert "Dicabut" in page and f"/admin/token/{token.id}/cabut" not in page
    assert client.post(f"/admin/token/{token.id}/cabut").status_code == 409
    assert client.post("/admin/token/999999/cabut").status_code == 404
    assert client.get("/api/summary", headers=bearer(plain)).status_code == 401


@pytest.mark.parametrize("name, message", [("", "Tulis nama token"), ("   ", "Tulis nama token"),
                                           ("x" * 81, "paling banyak 80"), ("a\x07b", "karakter kendali")])
def test_a_bad_name_is_422_and_nothing_is_made(client, auth, world, name, message):
    auth.login("admin")
    r = client.post("/admin/token", data={"name": name})
    assert r.status_code == 422 and message in r.text and "<!doctype html>" in r.text
    assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 0
    assert db.session.scalar(select(func.count()).select_from(Event).where(Event.action == "token_create")) == 0


@pytest.mark.parametrize("username", ["supervisor", "bpjs", "dinsos"])
def test_admin_pages_are_403_for_others(app, world, username):
    token, _ = new_token(world)
    client = logged_in(app, username)
    assert client.get("/admin/token").status_code == 403
    assert client.post("/admin/token", data={"name": "Coba"}).status_code == 403
    assert client.post(f"/admin/token/{token.id}/cabut").status_code == 403
    assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 1
    assert db.session.get(ApiToken, token.id).active


def test_admin_pages_send_anonymous_to_login(client, world):
    r = client.get("/admin/token")
    assert r.status_code == 302 and r.headers["Location"].startswith("/masuk")


def test_a_token_does_not_open_the_admin_pages(client, world):
    _, plain = new_token(world)
    r = client.get("/admin/token", headers=bearer(plain))
    assert r.status_code == 302 and r.headers["Location"].startswith("/masuk")

"""Accounts: password rule, sessions that end, idle timeout, forced change, admin management."""
import re
import time

import pytest
from sqlalchemy import select

from portal.auth import accounts
from portal.core.models import Event, User
from portal.web.extensions import db
from tests.factories import PASSWORD


@pytest.mark.parametrize("password, problem", [
    ("pendek", "paling sedikit 10"),
    ("dinsos-kuat-sekali", "nama pengguna"),
    ("okuselatan", "mudah ditebak"),
    ("aaaaaaaaaaaa", "mudah ditebak"),
    ("x" * 201, "paling banyak 200"),
])
def test_password_rule(password, problem):
    assert any(problem in p for p in accounts.password_problems(password, "dinsos"))


def test_acceptable_password():
    assert accounts.password_problems("Sungai-Selabung-77", "dinsos") == []


def test_passwords_are_stored_hashed(world):
    user = world.users["dinsos"]
    assert PASSWORD not in user.password_hash and user.password_hash.startswith("pbkdf2:")
    real = User(username="x", role="admin")
    real.set_password("Sungai-Selabung-77")
    assert real.password_hash.startswith("scrypt:")


def test_old_session_cookie_is_dead_after_logout(client, auth, app):
    auth.login("dinsos")
    cookie = client.get_cookie("session").value
    auth.logout()
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    assert thief.get("/antrian/").status_code == 302


def test_idle_session_ends(client, auth, app):
    auth.login("dinsos")
    with client.session_transaction() as s:
        s["seen"] = time.time() - app.config["IDLE_TIMEOUT_SECONDS"] - 1
    r = client.get("/antrian/")
    assert r.status_code == 302 and r.headers["Location"].startswith("/masuk")
    assert "terlalu lama tidak ada kegiatan" in client.get(r.headers["Location"]).text
    assert client.get("/antrian/").status_code == 302


def test_polling_does_not_keep_a_session_alive(client, auth, app):
    auth.login("supervisor")
    with client.session_transaction() as s:
        s["seen"] = time.time() - 60
    client.get("/kabupaten/", headers={"HX-Request": "true", "X-Poll": "1"})
    with client.session_transaction() as s:
        assert time.time() - s["seen"] >= 60
    client.get("/kabupaten/")
    with client.session_transaction() as s:
        assert time.time() - s["seen"] < 5


def test_idle_htmx_request_redirects_the_window(client, auth, app):
    auth.login("dinsos")
    with client.session_transaction() as s:
        s["seen"] = 0
    r = client.get("/antrian/", headers={"HX-Request": "true"})
    assert r.status_code == 401 and r.headers["HX-Redirect"].startswith("/masuk")


def test_login_is_throttled_per_username(make_app):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_LOGIN="100 per minute", RATELIMIT_LOGIN_USERNAME="2 per minute")
    client = app.test_client()
    codes = [client.post("/masuk", data={"username": "dinsos", "password": "x"}).status_code for _ in range(3)]
    assert codes == [422, 422, 429]
    assert client.post("/masuk", data={"username": "kesra", "password": "x"}).status_code == 422


def test_admin_creates_user_who_must_change_password(client, auth, world, app):
    auth.login("admin")
    r = client.post("/admin/pengguna", data={"username": "Bapperida1", "full_name": "Staf Bapperida",
                                             "role": "supervisor", "opd": ""})
    assert r.status_code == 200
    temporary = re.search(r"wajib diganti\): (\S+)</p>", r.text).group(1)
    assert temporary not in client.get("/admin/pengguna").text  # shown once
    auth.logout()
    other = app.test_client()
    r = other.post("/masuk", data={"username": "bapperida1", "password": temporary})
    assert r.status_code == 303 and r.headers["Location"] == "/sandi"
    assert other.get("/kabupaten/").headers["Location"] == "/sandi"  # nothing else until changed
    r = other.post("/sandi", data={"current": temporary, "new": "Sungai-Selabung-77", "repeat": "Sungai-Selabung-77"})
    assert r.status_code == 303
    assert other.get("/kabupaten/").status_code == 200  # still logged in after the change
    user = db.session.scalar(select(User).where(User.username == "bapperida1"))
    assert not user.must_change_password and user.check_password("Sungai-Selabung-77")
    actions = db.session.scalars(select(Event.action).where(Event.action.in_(
        ["user_create", "password_change"])).order_by(Event.seq)).all()
    assert actions == ["user_create", "password_change"]


@pytest.mark.parametrize("data, message", [
    ({"username": "ab", "role": "supervisor", "opd": ""}, "3–40 karakter"),
    ({"username": "dinsos", "role": "supervisor", "opd": ""}, "sudah dipakai"),
    ({"username": "baru", "role": "verifier", "opd": ""}, "wajib punya OPD"),
    ({"username": "baru", "role": "bpjs", "opd": "DINSOS"}, "wajib punya OPD"),
])
def test_create_user_refusals(client, auth, world, data, message):
    auth.login("admin")
    r = client.post("/admin/pengguna", data=data)
    assert r.status_code == 422 and message in r.text


@pytest.mark.parametrize("full_name, message", [
    ("Staf\u200bBapperida", "Nama memuat karakter tak terlihat (U+200B)"),
    ("Staf \u2067Bapperida", "Nama memuat karakter pengatur arah teks (U+2067)"),
    ("=cmd|' /C calc'!A0", "Nama tidak boleh diawali “=”."),
])
def test_an_account_full_name_passes_the_name_rule(client, auth, world, full_name, message):
    auth.login("admin")
    r = client.post("/admin/pengguna", data={"username": "bapperida1", "full_name": full_name,
                                             "role": "supervisor", "opd": ""})
    assert r.status_code == 422 and message in r.text
    assert db.session.scalar(select(User).where(User.username == "bapperida1")) is None
    r = client.post("/admin/pengguna", data={"username": "bapperida1", "full_name": " Staf  Bapperida\u0301 ",
                                             "role": "supervisor", "opd": ""})
    assert r.status_code == 200
    assert db.session.scalar(select(User.full_name).where(User.username == "bapperida1")) == "Staf Bapperid\u00e1"


def test_reset_deactivate_and_reassign(client, auth, world, app):
    dinsos = app.test_client()
    dinsos.post("/masuk", data={"username": "dinsos", "password": PASSWORD})
    auth.login("admin")
    target = world.users["dinsos"]
    client.post(f"/admin/pengguna/{target.id}/opd", data={"opd": "KESRA"})
    world.worker("KESRA", full_name="Milik Kesra")
    assert "Milik Kesra" in dinsos.get("/antrian/").text  # access follows the new OPD at once
    client.post(f"/admin/pengguna/{target.id}/aktif", data={"active": "0"})
    assert dinsos.get("/antrian/").status_code == 302  # deactivation ends the session
    client.post(f"/admin/pengguna/{target.id}/aktif", data={"active": "1"})
    client.post(f"/admin/pengguna/{target.id}/sandi", data={})
    assert db.session.get(User, target.id).must_change_password
    assert not db.session.get(User, target.id).check_password(PASSWORD)
    actions = db.session.scalars(select(Event.action).where(Event.action.like("user%") | Event.action.like("password%"))
                                 .order_by(Event.seq)).all()
    assert actions == ["user_opd", "user_off", "user_on", "password_reset"]


def test_an_unknown_opd_names_the_field_and_a_broken_switch_says_to_reload(client, auth, world):
    auth.login("admin")
    target = world.users["dinsos"]
    r = client.post(f"/admin/pengguna/{target.id}/opd", data={"opd": "TIDAK-ADA"})
    assert r.status_code == 422 and "OPD untuk dinsos: Pilihan tidak sah." in r.text
    r = client.post(f"/admin/pengguna/{target.id}/aktif", data={"active": "mungkin"})
    assert r.status_code == 400 and "Muat ulang halaman" in r.text
    assert db.session.get(User, target.id).opd.code == "DINSOS" and db.session.get(User, target.id).active


def test_admin_cannot_lock_themselves_out(client, auth, world):
    auth.login("admin")
    r = client.post(f"/admin/pengguna/{world.users['admin'].id}/aktif", data={"active": "0"})
    assert r.status_code == 422 and db.session.get(User, world.users["admin"].id).active


def test_change_password_refusals(client, auth):
    auth.login("dinsos")
    r = client.post("/sandi", data={"current": "salah", "new": "Sungai-Selabung-77", "repeat": "Sungai-Selabung-77"})
    assert r.status_code == 422 and "sekarang salah" in r.text
    r = client.post("/sandi", data={"current": PASSWORD, "new": "Sungai-Selabung-77", "repeat": "lain-lain-lain"})
    assert r.status_code == 422 and "tidak sama" in r.text
    r = client.post("/sandi", data={"current": PASSWORD, "new": "okuselatan", "repeat": "okuselatan"})
    assert r.status_code == 422 and "mudah ditebak" in r.text


def test_throttle_counts_are_shared_through_redis(make_app):
    """With REDIS_URL set, every gunicorn worker sees the same attempt counts."""
    import os

    import redis
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    server = redis.Redis.from_url(url)
    try:
        server.flushdb()
    except redis.ConnectionError:
        if os.environ.get("REQUIRE_SERVICES"):
            raise
        pytest.skip("Redis not reachable")
    limits = dict(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=url, RATELIMIT_LOGIN="100 per minute",
                  RATELIMIT_LOGIN_USERNAME="2 per minute")
    first, second = make_app(**limits).test_client(), make_app(schema=False, **limits).test_client()
    assert first.post("/masuk", data={"username": "dinsos", "password": "x"}).status_code == 422
    assert second.post("/masuk", data={"username": "dinsos", "password": "x"}).status_code == 422
    assert first.post("/masuk", data={"username": "dinsos", "password": "x"}).status_code == 429
    assert server.keys("*login-user:dinsos*")
    server.flushdb()
    server.close()

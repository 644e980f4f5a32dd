"""Logging in and out, as each role, and the ways it is refused."""
import pytest

from portal.web.extensions import db
from tests.conftest import HTMX
from tests.factories import make_user


@pytest.mark.parametrize("username, home", [
    ("dinsos", "/antrian/"), ("kesra", "/antrian/"), ("supervisor", "/kabupaten/"),
    ("admin", "/kabupaten/"), ("bpjs", "/bpjs/"),
])
def test_each_role_lands_on_its_page(client, auth, username, home):
    r = auth.login(username)
    assert r.status_code == 303 and r.headers["Location"] == "/"
    r = client.get("/")
    assert r.status_code == 302 and r.headers["Location"] == home
    assert client.get(home).status_code == 200


def test_login_is_case_insensitive_on_username(client, auth):
    assert auth.login("DinSos").status_code == 303


@pytest.mark.parametrize("username, password", [("dinsos", "salah"), ("tidakada", "rahasia-uji-123"), ("", "")])
def test_wrong_credentials_are_refused_with_a_message(client, auth, username, password):
    r = auth.login(username, password)
    assert r.status_code == 422 and 'name="password"' in r.text
    assert client.get("/antrian/").status_code == 302


def test_wrong_password_message(client, auth):
    assert "Nama pengguna atau kata sandi salah." in auth.login("dinsos", "salah").text


def test_inactive_user_cannot_log_in(client, auth, world):
    make_user(db.session, "lama", "verifier", world.opd["DLH"], active=False)
    db.session.commit()
    assert auth.login("lama").status_code == 422


def test_next_goes_back_to_the_page_asked_for_but_never_off_site(client, auth):
    r = client.get("/kabupaten/")
    assert r.status_code == 302 and r.headers["Location"].startswith("/masuk?next=")
    r = client.post("/masuk?next=/kabupaten/", data={"username": "supervisor", "password": "rahasia-uji-123"})
    assert r.headers["Location"] == "/kabupaten/"
    auth.logout()
    for evil in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        r = client.post(f"/masuk?next={evil}", data={"username": "supervisor", "password": "rahasia-uji-123"})
        assert r.headers["Location"] == "/"
        auth.logout()


def test_logout_ends_the_session(client, auth):
    auth.login("dinsos")
    r = auth.logout()
    assert r.status_code == 303 and r.headers["Location"] == "/masuk"
    assert client.get("/antrian/").status_code == 302


def test_logout_is_post_only(client, auth):
    auth.login("dinsos")
    assert client.get("/keluar").status_code == 405
    assert client.get("/antrian/").status_code == 200


def test_expired_session_on_htmx_redirects_the_whole_window(client, auth):
    r = client.post("/antrian/1/setujui", data={"version": 1}, headers=HTMX)
    assert r.status_code == 401 and r.headers["HX-Redirect"].startswith("/masuk")
    r = client.get("/antrian/", headers=HTMX)
    assert r.status_code == 401 and r.headers["HX-Redirect"] == "/masuk?next=/antrian/?"


def test_deactivated_user_is_logged_out_on_next_request(client, auth, world):
    auth.login("dinsos")
    world.users["dinsos"].active = False
    db.session.commit()
    assert client.get("/antrian/").status_code == 302


def test_login_is_throttled_per_address(make_app):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_LOGIN="3 per minute")
    client = app.test_client()
    codes = [client.post("/masuk", data={"username": "x", "password": "y"}).status_code for _ in range(4)]
    assert codes == [422, 422, 422, 429]
    r = client.post("/masuk", data={"username": "x", "password": "y"})
    assert "Terlalu banyak percobaan" in r.text

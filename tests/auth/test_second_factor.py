"""The second factor: enrolment by QR code, the login's code step, recovery codes, switching it
off, an admin's reset — and who must have it (admin and bpjs in production only)."""
import json
import re
import time

import pyotp
import pytest
from sqlalchemy import func, select

from config import DevelopmentConfig, ProductionConfig
from portal.auth import second_factor
from portal.core.models import Event, RecoveryCode, User
from portal.web.extensions import db
from tests.conftest import HTMX
from tests.factories import PASSWORD
from tests.forms import form, parse


def code(secret: str, steps: int = 0) -> str:
    """The app's code `steps` periods of 30 s from now (a step already used is refused again)."""
    return pyotp.TOTP(secret).at(time.time() + steps * 30)


def wrong(secret: str) -> str:
    near = {code(secret, s) for s in (-1, 0, 1)}
    return next(c for c in (f"{n:06d}" for n in range(1000)) if c not in near)


def login(client, username):
    page = client.get("/masuk").text
    return client.post("/masuk", data=form(page, "/masuk", username=username, password=PASSWORD))


def send_code(client, value):
    page = client.get("/masuk/kode").text
    return client.post("/masuk/kode", data=form(page, "/masuk/kode", code=value))


def user(username) -> User:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.username == username))


def events(action):
    return db.session.scalars(select(Event).where(Event.action == action).order_by(Event.seq)).all()


def enrol(client, steps=0) -> tuple[str, list[str]]:
    """Enrol through the page: the secret as shown, then the code it gives; the recovery codes shown."""
    page = client.get("/akun/dua-langkah").text
    secret = parse(page).by_id["kunci-totp"].replace(" ", "")
    r = client.post("/akun/dua-langkah", data=form(page, "/akun/dua-langkah", code=code(secret, steps)))
    assert r.status_code == 200, r.text
    return secret, re.findall(r"<li><code>([a-z0-9-]+)</code></li>", r.text)


def test_enrol_then_log_in_in_two_steps(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)  # the forms carry their tokens as rendered
    with app.app_context():
        from tests.factories import World
        World(db.session)
        db.session.commit()
        client = app.test_client()
        assert login(client, "supervisor").status_code == 303
        page = client.get("/akun/dua-langkah").text
        assert "<svg" in page and 'class="segno"' in page and "<script" not in page.split("<main")[-1]
        secret = parse(page).by_id["kunci-totp"].replace(" ", "")
        assert secret == user("supervisor").totp_secret
        r = client.post("/akun/dua-langkah", data=form(page, "/akun/dua-langkah", code=wrong(secret)))
        assert r.status_code == 422 and "Kode salah" in r.text and user("supervisor").totp_enabled_at is None
        first = code(secret)
        r = client.post("/akun/dua-langkah", data=form(r.text, "/akun/dua-langkah", code=first))
        shown = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", r.text)
        assert r.status_code == 200 and len(shown) == 10 and len(set(shown)) == 10
        kept = db.session.scalars(select(RecoveryCode.code_hash)).all()
        assert len(kept) == 10 and not set(shown) & set(kept)  # stored hashed only
        assert user("supervisor").totp_enabled_at is not None and len(events("totp_on")) == 1
        assert shown[0] not in client.get("/akun/dua-langkah").text  # shown once
        client.post("/keluar", data=form(client.get("/kabupaten/").text, "/keluar"))

        r = login(client, "supervisor")
        assert r.status_code == 303 and r.headers["Location"] == "/masuk/kode"
        assert client.get("/kabupaten/").headers["Location"].startswith("/masuk")  # not logged in yet
        r = send_code(client, wrong(secret))
        assert r.status_code == 422 and "Kode salah" in r.text
        assert len(events("login_code_failed")) == 1
        r = send_code(client, first)  # the code that enrolled, again: a replay
        assert r.status_code == 422
        r = send_code(client, code(secret, 1))
        assert r.status_code == 303 and r.headers["Location"] == "/"
        assert client.get("/kabupaten/").status_code == 200
        assert json.loads(events("login")[-1].detail) == {"factor": "totp"}
        assert [e.action for e in events("login_password")] == ["login_password"]


@pytest.fixture
def enrolled(client, world):
    """bpjs with a second factor on (through the page), logged out again; its secret and codes."""
    login(client, "bpjs")
    secret, codes = enrol(client)
    client.post("/keluar")
    return secret, codes


def test_a_recovery_code_logs_in_once(client, enrolled):
    secret, codes = enrolled
    login(client, "bpjs")
    assert send_code(client, codes[3].upper().replace("-", " ")).status_code == 303  # as typed from paper
    assert json.loads(events("login")[-1].detail) == {"factor": "recovery"}
    client.post("/keluar")
    login(client, "bpjs")
    r = send_code(client, codes[3])
    assert r.status_code == 422 and "Kode salah" in r.text
    assert second_factor.unused_codes(db.session, user("bpjs")) == 9


def test_the_code_step_needs_a_recent_password_step(client, enrolled):
    r = client.get("/masuk/kode")
    assert r.status_code == 302 and r.headers["Location"] == "/masuk"
    login(client, "bpjs")
    with client.session_transaction() as s:
        s["pending"] = {**s["pending"], "at": time.time() - 301}
    assert client.get("/masuk/kode").headers["Location"] == "/masuk"


def test_the_code_step_is_throttled_per_account(make_app):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_LOGIN_CODE="2 per minute")
    with app.app_context():
        from tests.factories import World
        World(db.session)
        db.session.commit()
        client = app.test_client()
        login(client, "bpjs")
        secret, _ = enrol(client)
        client.post("/keluar")
        login(client, "bpjs")
        codes = [client.post("/masuk/kode", data={"code": wrong(secret)}).status_code for _ in range(3)]
        assert codes == [422, 422, 429]
        other = app.test_client()  # a fresh session, the same account: still counted
        login(other, "bpjs")
        assert other.post("/masuk/kode", data={"code": code(secret, 1)}).status_code == 429


def test_the_user_switches_it_off_with_a_valid_code(client, enrolled):
    secret, _ = enrolled
    login(client, "bpjs")
    send_code(client, code(secret, 1))
    page = client.get("/akun/dua-langkah").text
    r = client.post("/akun/dua-langkah/matikan", data=form(page, "/akun/dua-langkah/matikan", code=wrong(secret)))
    assert r.status_code == 422 and "Kode salah" in r.text and user("bpjs").totp_enabled_at is not None
    r = client.post("/akun/dua-langkah/matikan", data=form(page, "/akun/dua-langkah/matikan", code=code(secret, -1)))
    assert r.status_code == 422  # older than the step that logged in
    page = client.get("/akun/dua-langkah").text
    # The step after the login's cannot be waited for here; a recovery code proves it as well.
    r = client.post("/akun/dua-langkah/matikan", data=form(page, "/akun/dua-langkah/matikan",
                                                           code=enrolled[1][0]))
    assert r.status_code == 303
    assert user("bpjs").totp_secret is None and db.session.scalar(select(func.count()).select_from(RecoveryCode)) == 0
    assert json.loads(events("totp_off")[-1].detail) == {"username": "bpjs", "unused_codes": 9}
    client.post("/keluar")
    assert login(client, "bpjs").headers["Location"] == "/"  # one step again


def test_an_admin_resets_it_audited(app, client, enrolled, world):
    other = app.test_client()
    login(other, "bpjs")
    send_code(other, code(enrolled[0], 1))
    assert other.get("/bpjs/").status_code == 200
    login(client, "admin")
    page = client.get("/admin/pengguna").text
    bpjs, dinsos = world.users["bpjs"].id, world.users["dinsos"].id
    assert f"/admin/pengguna/{dinsos}/dua-langkah" not in page  # only for users who have one
    r = client.post(f"/admin/pengguna/{bpjs}/dua-langkah", data=form(page, f"/admin/pengguna/{bpjs}/dua-langkah"))
    assert r.status_code == 303
    reset = events("totp_reset")
    assert len(reset) == 1 and reset[0].user_id == world.users["admin"].id
    assert json.loads(reset[0].detail) == {"username": "bpjs", "was_on": True, "unused_codes": 10}
    assert user("bpjs").totp_secret is None and db.session.scalar(select(func.count()).select_from(RecoveryCode)) == 0
    assert other.get("/bpjs/").status_code == 302  # the user's sessions ended
    r = client.post(f"/admin/pengguna/{dinsos}/dua-langkah", data=form(page, f"/admin/pengguna/{bpjs}/dua-langkah"))
    assert r.status_code == 422 and "belum memakai verifikasi dua langkah" in r.text
    assert len(events("totp_reset")) == 1


def test_production_requires_it_of_admin_and_bpjs_only():
    assert ProductionConfig.REQUIRE_TOTP_ROLES == ("admin", "bpjs")
    assert DevelopmentConfig.REQUIRE_TOTP_ROLES == ()


@pytest.mark.parametrize("username, home, forced", [
    ("admin", "/kabupaten/", True), ("bpjs", "/bpjs/", True), ("supervisor", "/kabupaten/", False),
    ("dinsos", "/antrian/", False),
])
def test_in_production_admin_and_bpjs_enrol_before_anything_else(make_app, username, home, forced):
    app = make_app(REQUIRE_TOTP_ROLES=ProductionConfig.REQUIRE_TOTP_ROLES)
    with app.app_context():
        from tests.factories import World
        World(db.session)
        db.session.commit()
        client = app.test_client()
        assert login(client, username).status_code == 303
        r = client.get(home)
        if not forced:
            assert r.status_code == 200
            return
        assert r.status_code == 302 and r.headers["Location"] == "/akun/dua-langkah"
        r = client.get(home, headers=HTMX)
        assert r.status_code == 401 and r.headers["HX-Redirect"] == "/akun/dua-langkah"
        assert "wajib memakai verifikasi dua langkah" in client.get("/akun/dua-langkah").text
        enrol(client)
        assert client.get(home).status_code == 200


@pytest.mark.parametrize("username", ["admin", "bpjs"])
def test_in_development_it_is_offered_not_forced(client, auth, username):
    assert auth.login(username).headers["Location"] == "/"
    assert client.get("/sandi").status_code == 200 and 'href="/akun/dua-langkah"' in client.get("/sandi").text
    assert client.get("/ekspor").status_code == 200

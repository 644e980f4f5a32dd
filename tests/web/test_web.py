"""Cross-cutting behaviour: CSRF, security headers, no inline script, error pages."""
import re

import pytest

from tests.conftest import HTMX
from tests.factories import PASSWORD


@pytest.fixture
def csrf_app(make_app):
    from portal.web.extensions import db
    from tests.factories import World
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        world = World(db.session)
        world.worker(full_name="Siti Aminah")
    return app


def token_from(html: str) -> str:
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)


def test_csrf_refuses_posts_without_a_token(csrf_app):
    client = csrf_app.test_client()
    r = client.post("/masuk", data={"username": "dinsos", "password": PASSWORD})
    assert r.status_code == 400 and "Formulir kedaluwarsa" in r.text
    token = token_from(client.get("/masuk").text)
    r = client.post("/masuk", data={"username": "dinsos", "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 303


def test_csrf_token_in_htmx_header(csrf_app):
    client = csrf_app.test_client()
    token = token_from(client.get("/masuk").text)
    client.post("/masuk", data={"username": "dinsos", "password": PASSWORD, "csrf_token": token})
    page = client.get("/antrian/").text
    header_token = re.search(r"hx-headers='\{\"X-CSRFToken\": \"([^\"]+)\"\}'", page).group(1)
    worker_id = re.search(r'id="w-(\d+)"', page).group(1)
    r = client.post(f"/antrian/{worker_id}/setujui", data={"version": 1}, headers=HTMX)
    assert r.status_code == 400 and r.headers["HX-Retarget"] == "#pesan"
    r = client.post(f"/antrian/{worker_id}/setujui", data={"version": 1},
                    headers={**HTMX, "X-CSRFToken": header_token})
    assert r.status_code == 200 and "Disetujui" in r.text


def test_security_headers_on_every_response(client, auth):
    for url in ("/masuk", "/static/css/portal.css", "/tidak-ada"):
        r = client.get(url)
        r.close()
        assert "script-src 'self'" in r.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
        assert r.headers["X-Frame-Options"] == "DENY"
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize("username, url", [("dinsos", "/antrian/"), ("supervisor", "/kabupaten/"),
                                           ("admin", "/admin/rujukan"), (None, "/masuk")])
def test_pages_have_no_inline_script_or_style(client, auth, world, username, url):
    world.worker()
    if username:
        auth.login(username)
    html = client.get(url).text
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts and all("src=" in s for s in scripts)
    assert " style=" not in html and "<style" not in html  # CSP style-src 'self' holds too
    assert not re.search(r"<[^>]+\son[a-z]+=", html)  # no inline event handlers
    assert 'name="htmx-config"' in html and "htmx-2.0.11.min.js" in html


def test_not_found_page_is_indonesian(client, auth):
    r = client.get("/tidak-ada")
    assert r.status_code == 404 and "tidak ditemukan" in r.text and "<!doctype html>" in r.text.lower()
    r = client.get("/tidak-ada", headers=HTMX)
    assert r.status_code == 404 and "<!doctype" not in r.text.lower() and r.headers["HX-Retarget"] == "#pesan"


def test_crash_is_a_clear_500_and_rolls_back(client, auth, world, monkeypatch):
    from portal.core.models import Worker
    from portal.queue import transitions
    from portal.web.extensions import db
    w = world.worker()
    auth.login("dinsos")

    def boom(*args, **kwargs):
        raise RuntimeError("database went away")
    monkeypatch.setattr(transitions, "record_change", boom)
    r = client.post(f"/antrian/{w.id}/setujui", data={"version": 1}, headers=HTMX)
    assert r.status_code == 500 and "Tidak ada data yang berubah" in r.text
    assert db.session.get(Worker, w.id).verification == "pending"
    from portal.core import tallies
    assert tallies.kept(db.session) == tallies.counted(db.session)


def test_every_request_is_logged_as_json_without_query(client, auth, world, caplog):
    import json
    import logging
    caplog.set_level(logging.INFO, logger="portal.request")
    auth.login("dinsos")
    client.get("/antrian/?q=1609011203850002")
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "portal.request"]
    login, queue = lines[-2], lines[-1]
    assert login["method"] == "POST" and login["path"] == "/masuk" and login["status"] == 303
    assert queue["path"] == "/antrian/" and queue["status"] == 200 and queue["ms"] >= 0
    assert queue["user"] == login["user"] == str(world.users["dinsos"].id)
    assert all("1609011203850002" not in r.getMessage() for r in caplog.records)


def test_failure_after_every_write_rolls_all_back(client, auth, world, monkeypatch):
    """The audit write fails after the tallies and the worker were already written: all undone."""
    from portal.core import audit, tallies
    from portal.core.models import Event, Worker
    from portal.queue import transitions
    from portal.web.extensions import db
    w = world.worker()
    auth.login("dinsos")
    real = audit.record

    def fail_after_writing(session, **fields):
        if fields.get("worker_id") is None:
            return real(session, **fields)
        real(session, **fields)
        session.flush()
        raise RuntimeError("connection lost")
    monkeypatch.setattr(transitions.audit, "record", fail_after_writing)
    r = client.post(f"/antrian/{w.id}/setujui", data={"version": 1}, headers=HTMX)
    assert r.status_code == 500 and "Tidak ada data yang berubah" in r.text
    assert db.session.get(Worker, w.id).verification == "pending"
    assert db.session.query(Event).filter(Event.worker_id == w.id).count() == 0
    assert tallies.kept(db.session) == tallies.counted(db.session)


def test_production_refuses_to_start_without_secret_key(monkeypatch):
    from config import ProductionConfig
    from portal import create_app
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", None)
    monkeypatch.setattr(ProductionConfig, "RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/15")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(ProductionConfig)
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", "x" * 32)
    app = create_app(ProductionConfig)
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["SESSION_COOKIE_HTTPONLY"]
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    import logging
    logging.getLogger("portal.request").handlers.clear()  # a production app logs to stderr


def test_login_starts_a_fresh_session(client, auth):
    with client.session_transaction() as s:
        s["planted"] = "by someone else"
    auth.login("dinsos")
    with client.session_transaction() as s:
        assert "planted" not in s and s["_user_id"].startswith(f"{s['_user_id'].split(':')[0]}:")


def test_pages_with_personal_data_are_not_cached(client, auth, world):
    world.worker()
    auth.login("dinsos")
    assert client.get("/antrian/").headers["Cache-Control"] == "no-store"
    assert '"historyCacheSize": 0' in client.get("/antrian/").text  # nor in htmx's history cache


def test_behind_a_proxy_the_client_address_is_audited(make_app):
    from portal.core import audit
    from portal.core.models import Event
    from portal.web.extensions import db
    app = make_app(PROXY_HOPS=1)
    with app.app_context():
        client = app.test_client()
        client.post("/masuk", data={"username": "nobody", "password": "x"},
                    headers={"X-Forwarded-For": "10.20.30.40"}, environ_base={"REMOTE_ADDR": "127.0.0.1"})
        assert db.session.scalar(db.select(Event.ip)) == "10.20.30.40"
        assert audit.verify(db.session)[1] == []


def test_form_messages_are_indonesian(client, auth, world):
    r = client.post("/masuk", data={"username": "", "password": ""})
    assert r.status_code == 422 and "Wajib diisi." in r.text and "This field is required" not in r.text
    w = world.worker()
    auth.login("dinsos")
    r = client.post(f"/antrian/{w.id}/setujui", data={"version": "abc"}, headers=HTMX)
    assert r.status_code == 422 and "Harus berupa bilangan bulat." in r.text


@pytest.mark.parametrize("share, shown", [
    (0.03125, "3,13\u00a0%"), (0.02125, "2,13\u00a0%"),  # halves round up, not to even
    (0.2577, "25,77\u00a0%"), (1, "100,00\u00a0%"), (0, "0,00\u00a0%"), (1014 / 3934, "25,78\u00a0%"),
])
def test_percentages_round_half_up(app, share, shown):
    from portal.web.text import pct
    with app.test_request_context():
        assert pct(share) == shown


@pytest.fixture
def app_as(tmp_path):
    """An app built from a configuration class of config.py as its environment would pick it
    (PORTAL_ENV), on a database of its own."""
    import logging

    from portal import create_app
    from portal.web.extensions import db
    made = []

    def build(config_class):
        # Production wants a shared throttle store; these pages post nothing, so it is not contacted.
        config = type(config_class.__name__, (config_class,), {
            "SECRET_KEY": "x" * 32, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'env.db'}",
            "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/15"})
        app = create_app(config)
        with app.app_context():
            db.create_all()
        made.append(app)
        return app
    yield build
    logging.getLogger("portal.request").handlers.clear()  # a production app logs to stderr
    for app in made:
        with app.app_context():
            db.engine.dispose()


HSTS = "max-age=31536000; includeSubDomains"
HTML_PAGES = ("/masuk", "/tidak-ada", "/sandi")  # the login page, an error page, a redirect to login


@pytest.mark.parametrize("env, hsts", [("production", HSTS), ("development", None)])
def test_strict_transport_security_in_production_only(app_as, env, hsts):
    from config import CONFIGS
    client = app_as(CONFIGS[env]).test_client()
    for url in (*HTML_PAGES, "/static/css/portal.css", "/publik"):
        r = client.get(url)
        r.close()
        assert r.headers.get("Strict-Transport-Security") == hsts, url


@pytest.mark.parametrize("env", ["production", "development"])
def test_permissions_policy_turns_off_every_device_and_payment(app_as, env):
    from config import CONFIGS
    client = app_as(CONFIGS[env]).test_client()
    for url in (*HTML_PAGES, "/static/css/portal.css", "/publik"):
        r = client.get(url)
        r.close()
        policy = dict(item.strip().split("=", 1) for item in r.headers["Permissions-Policy"].split(","))
        for feature in ("camera", "microphone", "geolocation", "payment", "usb", "serial", "bluetooth", "hid"):
            assert policy[feature] == "()", (url, feature)


@pytest.mark.parametrize("env", ["production", "development"])
def test_html_pages_are_not_stored_and_public_and_static_keep_their_caching(app_as, env):
    from config import CONFIGS
    app = app_as(CONFIGS[env])
    for url in HTML_PAGES:
        r = app.test_client().get(url)
        assert r.mimetype == "text/html" and r.headers["Cache-Control"] == "no-store", url
    assert app.test_client().get("/publik").headers["Cache-Control"] == "public, max-age=300"
    static = app.test_client().get("/static/css/portal.css")
    static.close()
    assert static.headers["Cache-Control"] == "no-cache" and static.headers["ETag"]  # Flask's own: revalidate


def test_every_page_of_a_logged_in_user_and_the_api_stay_no_store(client, auth, world):
    world.worker()
    auth.login("dinsos")
    for url in ("/antrian/", "/antrian/unduh.xlsx", "/impor"):
        assert client.get(url).headers["Cache-Control"] == "no-store", url
    anonymous = client.application.test_client().get("/api/summary")
    assert anonymous.status_code == 401 and anonymous.headers["Cache-Control"] == "no-store"  # the API's own


def test_a_line_is_logged_as_each_request_starts(client, auth, world, caplog):
    """So that a request killed on the way (a worker timed out) still leaves its trace."""
    import json
    import logging
    caplog.set_level(logging.INFO, logger="portal.request")
    auth.login("dinsos")
    client.get("/antrian/?q=1609011203850002")
    starts = [json.loads(r.getMessage()) for r in caplog.records if r.name == "portal.request.start"]
    assert [(s["method"], s["path"]) for s in starts] == [("POST", "/masuk"), ("GET", "/antrian/")]
    assert starts[0]["user"] is None and starts[1]["user"] == str(world.users["dinsos"].id) and starts[1]["start"]
    assert all("1609011203850002" not in r.getMessage() for r in caplog.records)

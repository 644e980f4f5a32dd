"""Login throttling that cannot be split across workers nor turned against the account's owner,
and answers that take as long for an unknown username as for a real one."""
import pytest
from itsdangerous import URLSafeTimedSerializer

from config import ProductionConfig
from portal import create_app
from portal.core import models
from portal.web.extensions import db
from tests.factories import PASSWORD, make_user
from tests.forms import form


def _login(client, username, password=PASSWORD):
    """The login form as the page renders it, filled in."""
    page = client.get("/masuk").text
    return client.post("/masuk", data=form(page, "/masuk", username=username, password=password))


def test_production_refuses_in_process_throttle_counts(monkeypatch):
    """Each gunicorn worker would keep its own memory:// counts (5 guesses per worker)."""
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", "x" * 32)
    monkeypatch.setattr(ProductionConfig, "RATELIMIT_STORAGE_URI", "memory://")
    with pytest.raises(RuntimeError, match="REDIS_URL"):
        create_app(ProductionConfig)
    monkeypatch.setattr(ProductionConfig, "RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/15")
    assert create_app(ProductionConfig).config["RATELIMIT_STORAGE_URI"].startswith("redis://")
    import logging
    logging.getLogger("portal.request").handlers.clear()  # a production app logs to stderr


@pytest.fixture
def counted(monkeypatch):
    """Every password hash checked, by the method it was made with (the prefix before "$")."""
    calls = []
    real = models.check_password_hash

    def counting(hashed, password):
        calls.append(hashed.split("$", 1)[0])
        return real(hashed, password)
    monkeypatch.setattr(models, "check_password_hash", counting)
    return calls


@pytest.mark.parametrize("username, password, logged_in", [
    ("tidakada", PASSWORD, False),  # no such account
    ("lama", PASSWORD, False),  # a deactivated one, right password
    ("dinsos", "salah-sekali-99", False),  # a real one, wrong password
    ("dinsos", PASSWORD, True),
])
def test_every_answer_hashes_one_password_with_the_configured_method(app, client, world, counted, username,
                                                                     password, logged_in):
    make_user(db.session, "lama", "verifier", world.opd["DLH"], active=False)
    db.session.commit()
    counted.clear()
    r = _login(client, username, password)
    assert r.status_code == (303 if logged_in else 422)
    assert counted == [app.config["PASSWORD_HASH_METHOD"]]


def _throttled(make_app):
    return make_app(RATELIMIT_ENABLED=True, RATELIMIT_LOGIN="100 per minute", RATELIMIT_LOGIN_USERNAME="3 per minute")


def _hammer(client, username, times):
    return [client.post("/masuk", data={"username": username, "password": "tebakan-salah"}).status_code
            for _ in range(times)]


def test_owner_on_a_known_browser_logs_in_while_a_guesser_holds_the_username(make_app):
    app = _throttled(make_app)
    with app.app_context():
        from tests.factories import World
        World(db.session)
        db.session.commit()
    owner, attacker, stranger = app.test_client(), app.test_client(), app.test_client()
    assert _login(owner, "dinsos").status_code == 303  # this browser is now known for dinsos
    assert owner.get_cookie("perangkat") is not None
    owner.post("/keluar")
    assert _hammer(attacker, "dinsos", 4) == [422, 422, 422, 429]
    assert _login(stranger, "dinsos").status_code == 429  # no device cookie: the username's bucket
    assert _login(owner, "dinsos").status_code == 303  # the owner is not locked out
    owner.post("/keluar")
    # The known browser has a bucket of its own, not unlimited guesses.
    assert _hammer(owner, "dinsos", 4) == [422, 422, 422, 429]


def test_a_forged_or_foreign_device_cookie_does_not_open_the_bucket(make_app):
    app = _throttled(make_app)
    with app.app_context():
        from tests.factories import World
        World(db.session)
        db.session.commit()
    kesra, forger = app.test_client(), app.test_client()
    assert _login(kesra, "kesra").status_code == 303  # known for kesra, not for dinsos
    kesra.post("/keluar")
    assert _hammer(forger, "dinsos", 4)[-1] == 429
    assert _login(kesra, "dinsos").status_code == 429
    forged = URLSafeTimedSerializer("another-key", salt="login-device").dumps({"id": "x", "users": ["dinsos"]})
    forger.set_cookie("perangkat", forged)
    assert _login(forger, "dinsos").status_code == 429

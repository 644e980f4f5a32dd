"""Configuration classes. `create_app()` picks one from PORTAL_ENV unless given one."""
import os
from datetime import timedelta

BASE_DIR = os.path.abspath(os.path.dirname(__file__))


def _sqlite_default() -> str:
    return "sqlite:///" + os.path.join(BASE_DIR, "instance", "portal.db")


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL") or _sqlite_default()
    # Bound values (names, NIKs) stay out of error messages and logs.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"hide_parameters": True}
    # Keys the audit seals; keep it stable (a new key makes old seals fail audit-verify).
    AUDIT_KEY = os.environ.get("AUDIT_KEY")
    # Each new chain head is appended here (and to syslog, "/dev/log" or "host:514", if set), outside
    # the database, so audit-verify sees a cut tail or a wipe (default instance/audit-anchor.log).
    AUDIT_ANCHOR_PATH = os.environ.get("AUDIT_ANCHOR_PATH") or None
    AUDIT_ANCHOR_SYSLOG = os.environ.get("AUDIT_ANCHOR_SYSLOG") or None
    # The 30-minute idle timeout bounds a session; a page open longer must still post.
    WTF_CSRF_TIME_LIMIT = None
    # Proxies in front (nginx = 1): their X-Forwarded-For gives the real client address.
    PROXY_HOPS = int(os.environ.get("PROXY_HOPS", "0"))
    BABEL_DEFAULT_LOCALE = "id"
    LANGUAGES = ["id", "en"]
    BABEL_TRANSLATION_DIRECTORIES = os.path.join(BASE_DIR, "translations")
    # werkzeug's default (scrypt); tests lower the cost to stay fast.
    PASSWORD_HASH_METHOD = "scrypt"
    SESSION_COOKIE_HTTPONLY = True
    # Sent only where the site is served over HTTPS (production): browsers then refuse plain HTTP.
    STRICT_TRANSPORT_SECURITY: str | None = None
    SESSION_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = timedelta(hours=8)
    RATELIMIT_STORAGE_URI = os.environ.get("REDIS_URL") or "memory://"
    RATELIMIT_LOGIN = "20 per minute"  # per address: an office shares one address behind NAT
    RATELIMIT_LOGIN_USERNAME = "5 per minute"  # per username: guessing one account's password
    RATELIMIT_HEADERS_ENABLED = True
    IDLE_TIMEOUT_SECONDS = 30 * 60
    QUEUE_PAGE_SIZE = 50
    MAX_CONTENT_LENGTH = 8 * 1024 * 1024  # uploads: refused before CSRF reads a huge body
    # Where BPJS reports and decision sheets wait between preview and apply (instance/unggahan).
    UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER") or None
    COUNTY_POLL_SECONDS = 10
    DEMO_PASSWORD = os.environ.get("PORTAL_DEMO_PASSWORD", "demo-oku-2025")


class DevelopmentConfig(Config):
    SECRET_KEY = Config.SECRET_KEY or "dev-only-not-secret"


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "test-only"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL") or "sqlite://"
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"

    @classmethod
    def check(cls) -> None:
        if not cls.SECRET_KEY:
            raise RuntimeError("SECRET_KEY must be set in production (PORTAL_ENV=production).")


CONFIGS = {"development": DevelopmentConfig, "testing": TestingConfig, "production": ProductionConfig}

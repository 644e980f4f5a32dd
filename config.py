"""Configuration classes. `create_app()` picks one from PORTAL_ENV unless given one."""
import logging
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
    # Fernet key backups are encrypted with; kept outside the database and away from the backups.
    BACKUP_KEY = os.environ.get("BACKUP_KEY") or None
    # Where `restore` writes its automatic backup of the data it replaces (instance/cadangan).
    BACKUP_FOLDER = os.environ.get("BACKUP_FOLDER") or None
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
    # per username: guessing one account's password. A browser that logged in as that user before
    # (the device cookie) counts in a bucket of its own, so guessers cannot lock the owner out.
    RATELIMIT_LOGIN_USERNAME = "5 per minute"
    RATELIMIT_LOGIN_CODE = "5 per minute;20 per hour"  # per account: the second step's codes
    DEVICE_COOKIE_DAYS = 180
    # Roles that must set up a second factor (TOTP) before anything else; others may.
    REQUIRE_TOTP_ROLES: tuple[str, ...] = ()
    TOTP_ISSUER = "Portal Pekerja Rentan OKU Selatan"  # the name the authenticator app shows
    RATELIMIT_HEADERS_ENABLED = True
    IDLE_TIMEOUT_SECONDS = 30 * 60
    QUEUE_PAGE_SIZE = 50
    MAX_CONTENT_LENGTH = 8 * 1024 * 1024  # uploads: refused before CSRF reads a huge body
    # Where BPJS reports and decision sheets wait between preview and apply (instance/unggahan).
    UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER") or None
    COUNTY_POLL_SECONDS = 10
    # Full NIKs one user may open in a day before the admin's home says so (/admin/jejak-nik).
    NIK_TRACE_THRESHOLD = int(os.environ.get("NIK_TRACE_THRESHOLD", "200"))
    DEMO_PASSWORD = os.environ.get("PORTAL_DEMO_PASSWORD", "demo-oku-2025")


class DevelopmentConfig(Config):
    SECRET_KEY = Config.SECRET_KEY or "dev-only-not-secret"


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "test-only"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL") or "sqlite://"
    BACKUP_KEY = None  # tests that encrypt set their own
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"
    REQUIRE_TOTP_ROLES = ("admin", "bpjs")  # the roles that see full NIKs
    RATELIMIT_ENABLED = True

    @classmethod
    def check(cls) -> None:
        if not cls.SECRET_KEY:
            raise RuntimeError("SECRET_KEY must be set in production (PORTAL_ENV=production).")
        if cls.BACKUP_KEY:
            from portal.core.backup_crypto import BackupKeyError, check_key
            try:  # a malformed key would otherwise only show at the first backup
                check_key(cls.BACKUP_KEY)
            except BackupKeyError as exc:
                raise RuntimeError(str(exc)) from None
        else:
            logging.getLogger("portal").warning(
                "BACKUP_KEY is not set: backups of this production portal (NIKs of a whole regency) "
                "are written UNENCRYPTED. Set BACKUP_KEY to a Fernet key (README, Backups).")
        if cls.RATELIMIT_ENABLED and cls.RATELIMIT_STORAGE_URI.startswith("memory://"):
            # In-process counts: each gunicorn worker would allow its own share of guesses.
            raise RuntimeError("REDIS_URL must be set in production (PORTAL_ENV=production): login throttling "
                               "must count across every worker.")


CONFIGS = {"development": DevelopmentConfig, "testing": TestingConfig, "production": ProductionConfig}

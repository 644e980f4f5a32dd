"""Portal Verifikasi Pekerja Rentan — application factory."""
from __future__ import annotations

import logging
import os

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from config import CONFIGS, Config
from portal.core import audit
from portal.web.extensions import babel, csrf, db, limiter, login, migrate


def create_app(config_class: type[Config] | None = None) -> Flask:
    """Build the app with `config_class`, or the class named by PORTAL_ENV (development)."""
    if config_class is None:
        config_class = CONFIGS[os.environ.get("PORTAL_ENV", "development")]
    if hasattr(config_class, "check"):
        config_class.check()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    app = Flask(__name__, template_folder=os.path.join(root, "templates"),
                static_folder=os.path.join(root, "static"), instance_path=os.path.join(root, "instance"))
    app.config.from_object(config_class)
    if app.config["PROXY_HOPS"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_HOPS"], x_proto=app.config["PROXY_HOPS"])
    os.makedirs(app.instance_path, exist_ok=True)

    db.init_app(app)
    audit.set_key(app.config["AUDIT_KEY"] or app.config["SECRET_KEY"])
    migrate.init_app(app, db, directory=os.path.join(root, "migrations"))
    login.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)

    from portal.web import app as web
    babel.init_app(app, locale_selector=web.locale)
    web.init_app(app)

    from portal import admin, api, auth, berita_acara, bpjs, claims, county, duplicates, exports, intake, public, queue
    for package in (auth, queue, intake, claims, duplicates, bpjs, exports, county, public, berita_acara, api,
                    admin):
        app.register_blueprint(package.bp)

    from portal import cli
    cli.init_app(app)
    _request_log_to_stderr(app)
    return app


def _request_log_to_stderr(app: Flask) -> None:
    """Request lines go to stderr as they are (JSON), for gunicorn or journald to collect."""
    log = logging.getLogger("portal.request")
    if app.testing or log.handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)

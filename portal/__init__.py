"""Portal Verifikasi Pekerja Rentan — application factory.

Flask and the web layer are imported inside `create_app`, not here: importing a rules module
(portal.core, a feature's rules) runs this file first, and must not load the web stack."""
from __future__ import annotations

import importlib
import logging
import os
import pkgutil
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Blueprint, Flask

    from config import Config

# The feature packages, each serving one URL prefix (README, "Map of the code").
FEATURES = ("auth", "queue", "intake", "claims", "duplicates", "bpjs", "exports", "county", "public",
            "berita_acara", "api", "admin")


def create_app(config_class: type[Config] | None = None) -> Flask:
    """Build the app with `config_class`, or the class named by PORTAL_ENV (development)."""
    from flask import Flask
    from werkzeug.middleware.proxy_fix import ProxyFix

    from config import CONFIGS
    from portal.core import anchor, audit, clock
    from portal.web.extensions import babel, csrf, db, limiter, login, migrate

    if config_class is None:
        config_class = CONFIGS[os.environ.get("PORTAL_ENV", "development")]
    if hasattr(config_class, "check"):
        config_class.check()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    app = Flask(__name__, template_folder=os.path.join(root, "templates"),
                static_folder=os.path.join(root, "static"), instance_path=os.path.join(root, "instance"))
    app.config.from_object(config_class)
    app.config["BABEL_DEFAULT_TIMEZONE"] = clock.TIME_ZONE  # times on pages in the regency's zone
    if app.config["PROXY_HOPS"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_HOPS"], x_proto=app.config["PROXY_HOPS"])
    os.makedirs(app.instance_path, exist_ok=True)

    db.init_app(app)
    audit.set_key(app.config["AUDIT_KEY"] or app.config["SECRET_KEY"])
    anchor.configure(app.config["AUDIT_ANCHOR_PATH"] or os.path.join(app.instance_path, "audit-anchor.log"),
                     app.config["AUDIT_ANCHOR_SYSLOG"])
    migrate.init_app(app, db, directory=os.path.join(root, "migrations"))
    login.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)

    from portal.web import app as web
    babel.init_app(app, locale_selector=web.locale)
    web.init_app(app)
    for blueprint in _blueprints():
        app.register_blueprint(blueprint)

    from portal import cli
    cli.init_app(app)
    _request_log_to_stderr(app)
    return app


def _blueprints() -> list[Blueprint]:
    """Each feature's blueprint (defined in its views.py), after loading every `*views` module of
    the package so that their views join it."""
    found = []
    for name in FEATURES:
        package = importlib.import_module(f"portal.{name}")
        for module in pkgutil.iter_modules(package.__path__):
            if module.name.endswith("views"):
                importlib.import_module(f"portal.{name}.{module.name}")
        found.append(importlib.import_module(f"portal.{name}.views").bp)
    return found


def _request_log_to_stderr(app: Flask) -> None:
    """Request lines go to stderr as they are (JSON), for gunicorn or journald to collect."""
    log = logging.getLogger("portal.request")
    if app.testing or log.handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)

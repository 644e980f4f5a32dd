"""The portal as production runs it, for the benchmark only: `gunicorn bench.wsgi_bench:app`.

Differences from `wsgi.py`, and nothing else: the login throttle is off (the harness logs in
several sessions within seconds), and a GET for the queue's tallies block is added when the app
has none (the block an approve answers out-of-band; the harness measures it on its own).
"""
from __future__ import annotations

import os

from flask import Blueprint

from config import ProductionConfig
from portal import create_app


def bench_config(url: str | None = None) -> type:
    """ProductionConfig on `url` (default DATABASE_URL) with the login throttle off."""
    return type("BenchConfig", (ProductionConfig,), {
        "SQLALCHEMY_DATABASE_URI": url or os.environ["DATABASE_URL"],
        "RATELIMIT_ENABLED": False,
        "REQUIRE_TOTP_ROLES": (),  # the bench measures pages, not the login's second step
        # Read now, not when config.py was first imported (the harness sets them after that).
        "SECRET_KEY": os.environ.get("SECRET_KEY"),
        "AUDIT_KEY": os.environ.get("AUDIT_KEY"),
    })


TALLIES_ENDPOINTS = ("queue.tallies", "queue.figures")


def add_tallies_route(app) -> None:
    """GET /bench/tallies: the queue page's `tallies` block for the user's OPD, rendered as the
    approve response renders it (same template block, same `tallies.for_opd`)."""
    if any(e in app.view_functions for e in TALLIES_ENDPOINTS):
        return
    from jinja2_fragments.flask import render_block

    from portal.core import tallies
    from portal.web.extensions import db
    from portal.web.guards import roles_required

    bp = Blueprint("bench", __name__)

    @bp.get("/bench/tallies")
    @roles_required("verifier")
    def tallies_block():
        """The tallies block of the queue page (htmx fragment)."""
        from flask_login import current_user
        return render_block("queue/index.html", "tallies", figures=tallies.for_opd(db.session, current_user.opd_id))

    app.register_blueprint(bp)


def make_app(url: str | None = None):
    app = create_app(bench_config(url))
    add_tallies_route(app)
    return app


if os.environ.get("DATABASE_URL"):
    app = make_app()

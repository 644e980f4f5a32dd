"""Browser tests: Playwright drives Debian's Chromium against the portal served by a real WSGI
server (werkzeug's, threaded) on a free loopback port, with a fresh SQLite database per test,
copied from one seeded once per run by `flask demo --size 300`.

Without Chromium (or the playwright package) the tests are skipped, and the run says so at the
end; with REQUIRE_SERVICES=1 (CI) they fail instead."""
from __future__ import annotations

import logging
import os
import shutil
import threading
from dataclasses import dataclass

import pytest
from flask import Flask
from werkzeug.serving import make_server

from portal import create_app
from portal.web.extensions import db
from tests.e2e import support

WHY_NOT = support.missing()
REQUIRED = bool(os.environ.get("REQUIRE_SERVICES"))
_ran: list[str] = []
_version: list[str] = []


def pytest_configure(config):
    config.addinivalue_line("markers", "portal_config(**settings): settings of the browser tests' app")


def pytest_collection_modifyitems(config, items):
    if WHY_NOT and not REQUIRED:
        skip = pytest.mark.skip(reason=f"browser tests skipped: {WHY_NOT}")
        for item in items:
            if "tests/e2e/" in item.nodeid:
                item.add_marker(skip)


def pytest_runtest_logreport(report):
    if report.when == "call" and "tests/e2e/" in report.nodeid and report.passed:
        _ran.append(report.nodeid)


def pytest_terminal_summary(terminalreporter):
    if WHY_NOT:
        terminalreporter.write_line(f"== Browser tests SKIPPED: {WHY_NOT}", yellow=True, bold=True)
    else:
        terminalreporter.write_line(f"== Browser tests: {len(_ran)} passed on {support.CHROMIUM} "
                                    f"{' '.join(_version[:1])}".rstrip())


@pytest.fixture(scope="package")  # Chromium closes when the browser tests are done
def browser():
    if WHY_NOT:
        pytest.fail(f"browser tests required (REQUIRE_SERVICES) but {WHY_NOT}")
    with support.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=shutil.which(support.CHROMIUM) or support.CHROMIUM,
                                              args=support.CHROMIUM_ARGS)
        _version.append(chromium.version)
        yield chromium
        chromium.close()


@pytest.fixture(scope="package")
def seeded_database(tmp_path_factory):
    """A database file with the demo data (300 workers), made once; each test works on a copy."""
    path = tmp_path_factory.mktemp("e2e") / "seeded.db"
    app = create_app(support.config(path))
    with app.app_context():
        db.create_all()
        result = app.test_cli_runner().invoke(args=["demo", "--size", "300"])
        assert result.exit_code == 0, result.output
        db.session.remove()
        db.engine.dispose()
    return path


@dataclass
class Live:
    url: str
    app: Flask

    def query(self, fn):
        """Run `fn(db.session)` in an app context of the test app (to read what the browser did)."""
        with self.app.app_context():
            try:
                return fn(db.session)
            finally:
                db.session.remove()


@pytest.fixture
def live(seeded_database, tmp_path, request):
    """The portal on http://127.0.0.1:<free port>, on a fresh copy of the seeded database (with
    the settings of a `portal_config` mark, if any)."""
    path = tmp_path / "portal.db"
    shutil.copyfile(seeded_database, path)
    marker = request.node.get_closest_marker("portal_config")
    app = create_app(support.config(path, **(marker.kwargs if marker else {})))
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request in the output
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-server", daemon=True)
    thread.start()
    yield Live(f"http://127.0.0.1:{server.server_port}", app)
    server.shutdown()
    thread.join(timeout=10)
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def pages(browser, live):
    """`pages(username=None, **context_options)`: a page in a browser context of its own (its own
    cookies), logged in as `username`. Console errors (a CSP violation, a script error) fail the
    test at teardown; failed requests the test provoked on purpose (409, 422) are not errors."""
    contexts, problems = [], []

    def open_page(username: str | None = None, **options):
        options.setdefault("viewport", support.DESKTOP)
        options.setdefault("locale", "id-ID")  # as the office PCs: dates as 29/11/2025
        options.setdefault("timezone_id", "Asia/Jakarta")
        context = browser.new_context(**options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        page.on("console", lambda message: problems.append(f"console: {message.text}")
                if message.type == "error" and "Failed to load resource" not in message.text else None)
        if username:
            support.login(page, live.url, username)
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert problems == []


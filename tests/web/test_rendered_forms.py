"""Every form and htmx element the portal renders, submitted as a browser would, for each role.

The crawler (tests/forms.py) logs in through the login form, follows the role's links a few
clicks deep and submits what each page renders (hidden inputs and the CSRF token as given, with
CSRF checked as in production), first with a wrong value in each field that validates (a message
naming the field, nothing stored), then with valid values (it must go through). A form that
cannot be submitted as rendered — a hidden field it needs but does not render, a select whose
options the view refuses — fails here without anyone writing a test for that form."""
from __future__ import annotations

import pytest
from jinja2 import ChoiceLoader, DictLoader
from sqlalchemy import select
from wtforms.widgets import NumberInput

from portal.core.models import Worker
from portal.web import forms as web_forms
from portal.web.extensions import db
from tests.factories import World, every_state
from tests.forms import Crawler, Filler, parse, portal_crawler, request

ROLES = ("anonymous", "admin", "supervisor", "bpjs", "dinsos")


@pytest.fixture
def site(make_app):
    """CSRF on, as in production, and something for every action to act on."""
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        world = World(db.session)
        every_state(world)
        yield app, world


@pytest.mark.parametrize("role", ROLES)
def test_every_rendered_form_can_be_submitted(site, role):
    app, world = site
    crawler = portal_crawler(app, world, role, depth=4)
    crawler.crawl("/")
    sent = sorted({(o.target, o.mode) for o in crawler.outcomes})
    print(f"\n{role}: {len(crawler.visited)} pages, {len(sent)} targets, {len(crawler.outcomes)} submissions")
    for outcome in crawler.outcomes:
        print("  ", outcome)
    for untried in crawler.untried:
        print("   untried:", untried)
    assert not crawler.problems, "\n".join(map(str, crawler.problems))
    assert not crawler.missed, "give the walk more rows to act on: " + "; ".join(crawler.missed)
    assert ("auth.language", "form") in sent
    if role != "anonymous":
        assert ("auth.login", "form") in sent and len(crawler.visited) > 5


def crawl_one_page(app, world, role: str, url: str) -> Crawler:
    """Log in through the login form, then send every form of the page at `url`."""
    crawler = portal_crawler(app, world, role, depth=0)
    crawler.crawl("/")
    crawler.crawl(url)
    return crawler


def _without_row_version(app, monkeypatch):
    row = app.jinja_env.loader.get_source(app.jinja_env, "_row.html")[0]
    assert '<input type="hidden" name="version"' in row
    patched = "\n".join(line for line in row.splitlines() if 'name="version"' not in line)
    monkeypatch.setattr(app.jinja_env, "loader", ChoiceLoader([DictLoader({"_row.html": patched}),
                                                               app.jinja_env.loader]))


def _version_shown_as_a_number(app, monkeypatch):
    monkeypatch.setattr(web_forms.VersionField, "widget", NumberInput())  # hidden_tag() leaves it out


@pytest.mark.parametrize("break_it, page, refused", [
    (None, "/antrian/", set()),
    (_without_row_version, "/antrian/", {"queue.approve", "queue.reject", "queue.hold"}),
    (None, "/antrian/{w}", set()),
    (_version_shown_as_a_number, "/antrian/{w}", {"queue.correct"}),
])
def test_a_form_that_cannot_be_submitted_as_rendered_fails_the_crawl(site, monkeypatch, break_it, page, refused):
    """The crawl can fail: a template that forgets the row version, or the correction form as it
    was before VersionField (an IntegerField, which hidden_tag() does not render)."""
    app, world = site
    if break_it:
        break_it(app, monkeypatch)
    worker = db.session.scalars(select(Worker).where(Worker.verification == "pending")).first()
    crawler = crawl_one_page(app, world, "dinsos", page.format(w=worker.id))
    assert {o.target for o in crawler.problems} == refused
    assert {o.target for o in crawler.problems if o.attempt == "either"} == refused  # not one way worked


def test_the_parser_reads_a_page_as_a_browser_would():
    page = parse("""<!doctype html><body hx-headers='{"X-CSRFToken": "t1"}'>
      <form id="bulk" method="post" action="/a" hx-post="/a"><input type="hidden" name="csrf_token" value="c1">
        <label for="s">Status</label><select id="s" name="s"><option value="">—<option value="x" selected>X</select>
        <label>Catatan <textarea name="note">
isi</textarea></label>
        <button name="scope" value="one">1</button><button name="scope" value="all">2</button></form>
      <input type="checkbox" form="bulk" name="pilih" value="7">
      <input type="checkbox" form="bulk" name="pilih" value="8" disabled>
      <div hx-headers='{"X-Poll": "1"}'><a href="/b" hx-get="/b">b</a></div>
      <p class="flash error" role="alert">Ada yang salah.</p><p class="flash info" role="status">Tersimpan.</p>""")
    bulk, link = page.elements
    assert [(c.name, c.value, c.label) for c in bulk.controls if c.visible] == [
        ("s", "x", "Status"), ("note", "isi", "Catatan isi"), ("pilih", "7", ""), ("pilih", "8", "")]
    assert link.hx == ("GET", "/b") and link.headers == {"X-CSRFToken": "t1", "X-Poll": "1"}
    assert page.full and page.links == ["/b"] and page.messages == ["Ada yang salah."]
    sent = request(bulk, "htmx", "http://localhost/p", "queue.bulk_confirm", Filler(), "filled")
    assert sent.headers["X-CSRFToken"] == "t1" and sent.url == "http://localhost/a"
    assert sorted(sent.data.items(multi=True)) == [("csrf_token", "c1"), ("note", "isi"), ("pilih", "7"),
                                                   ("s", "x"), ("scope", "one")]  # the first button, one box

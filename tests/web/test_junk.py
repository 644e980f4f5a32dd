"""Generated junk posted to every POST route in app.url_map: never a 500, a refusal changes
nothing, a wrong row version is never applied, and nothing stored is lost.

The routes come from the URL map, so a new POST route is covered without editing this file. Each
is posted by a logged-in user of a role its guard admits (anonymous where no login is needed),
with a valid CSRF token, to a URL whose arguments are real ids of the test data (drawn per
example). The body starts from what the route's own form sent when the crawler of
tests/forms.py submitted it successfully, and is then broken: fields dropped, doubled, replaced
by random, huge, unicode or control text or wrong types, a wrong version, junk fields and junk
files added — as a plain post or as htmx.

Replay a failure with JUNK_SEED=<the seed printed with it>; JUNK_EXAMPLES sets the number of
examples per route (20)."""
from __future__ import annotations

import hashlib
import io
import os
import random

import pytest
from flask import url_for
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as use_seed
from hypothesis import strategies as st
from sqlalchemy import select, text
from werkzeug.datastructures import MultiDict

from config import TestingConfig
from portal import create_app
from portal.core import audit, tallies
from portal.core.models import ApiToken, Base, Category, Claim, ImportBatch, RejectReason, User, Worker
from portal.web.extensions import db
from tests.conftest import IsolatedClient, _config, _fresh_schema
from tests.factories import PASSWORD, World, every_state
from tests.forms import PortalFiller, form, parse, portal_crawler

SEED = int(os.environ.get("JUNK_SEED") or random.SystemRandom().randrange(2**32))
EXAMPLES = int(os.environ.get("JUNK_EXAMPLES") or 20)
# Who posts (username: role), the first one a route's guard admits: the narrowest role first.
POSTERS = {"dinsos": "verifier", "bpjs": "bpjs", "admin": "admin", "supervisor": "supervisor"}
# Rows no route ever deletes: everything but what is derived (tallies), the audit head, and the
# uploads a verifier may discard before importing them.
KEPT = [t for t in Base.metadata.sorted_tables if t.name not in ("tally", "audit_head", "import_batch")]


def _post_routes() -> list[str]:
    app = create_app(TestingConfig)
    return sorted({r.endpoint for r in app.url_map.iter_rules() if "POST" in (r.methods or ())})


JUNK_TEXT = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=8).map(lambda s: s * 700),
    st.sampled_from(["<script>alert(1)</script>", "\x00", "\x1f\x7f", "-1", "0", "1e309", "NaN", "9" * 40, "1.5",
                     "' OR 1=1 --", "%", "𝕏" * 50, " ", "[]", "{}", "null", "true", "x" * 200_000]),
)
FILE_NAMES = st.sampled_from(["daftar.csv", "laporan.xlsx", "a.txt", "", "../../etc/passwd", "𝕏.csv", "a" * 300])


def fingerprint() -> str:
    """Everything stored except the audit trail (a refused login, a look at a NIK append to it)."""
    h = hashlib.sha256()
    for table in Base.metadata.sorted_tables:
        if table.name in ("event", "audit_head"):
            continue
        pk = ", ".join(c.name for c in table.primary_key.columns)
        for row in db.session.execute(text(f"SELECT * FROM {table.name} ORDER BY {pk}")):
            h.update(repr(tuple(row)).encode())
    db.session.rollback()
    return h.hexdigest()


def keys() -> dict[str, set]:
    """The primary keys of every row that must never be lost."""
    found = {t.name: set(db.session.execute(select(*t.primary_key.columns)).all()) for t in KEPT}
    db.session.rollback()
    return found


@pytest.fixture(scope="module")
def harvest(tmp_path_factory) -> dict[str, dict[str, list[tuple[str, str | None]]]]:
    """For each POST endpoint and role, the fields (name, value; None for a file) its form sent
    when the crawler submitted it successfully, on a portal of its own with the same data."""
    app = create_app(_config(tmp_path_factory.mktemp("harvest"), WTF_CSRF_ENABLED=True))
    app.test_client_class = IsolatedClient
    bodies: dict[str, dict[str, list[tuple[str, str | None]]]] = {}
    with app.app_context():
        _fresh_schema()
        world = World(db.session)
        every_state(world)
        for role in ("admin", "dinsos", "bpjs"):
            crawler = portal_crawler(app, world, role, depth=4, wrong=False)
            crawler.crawl("/")
            for endpoint, sent in crawler.sent.items():
                bodies.setdefault(endpoint, {})[role] = [(k, None if isinstance(v, tuple) else v)
                                                         for k, v in sent.data.items(multi=True) if k != "csrf_token"]
        db.session.remove()
        db.engine.dispose()
    return bodies


class Poster:
    """A browser session of one user (None: nobody logged in) and the CSRF token its pages carry."""

    def __init__(self, app, username: str | None):
        self.client, self.username = app.test_client(), username
        self.login()

    def login(self) -> None:
        """Log in afresh (nobody: a new session with no login)."""
        self.client = self.client.application.test_client()
        page = self.client.get("/masuk").text
        if self.username:
            self.client.post("/masuk", data=form(page, "/masuk", username=self.username, password=PASSWORD))
            page = self.client.get("/", follow_redirects=True).text
        self.token = parse(page).controls("csrf_token")[0].value

    def post(self, url: str, data: MultiDict, htmx: bool):
        headers = {"X-CSRFToken": self.token, **({"HX-Request": "true"} if htmx else {})}
        files = any(isinstance(v, tuple) for v in data.values())
        return self.client.post(url, data=data, headers=headers,
                                **({"content_type": "multipart/form-data"} if files else {}))


def _stash(app, username: str, endpoint: str) -> str:
    """The token of a file `username` uploaded for preview at `endpoint` (queue.sheet_upload or
    bpjs.file_upload), as the upload form sends it."""
    poster = Poster(app, username)
    content, name = PortalFiller(poster.client, username).file(None, endpoint)
    with app.test_request_context():
        url = url_for(endpoint)
    r = poster.post(url, MultiDict([("csrf_token", poster.token), ("berkas", (io.BytesIO(content), name))]), False)
    assert r.status_code == 303, parse(r.text).messages
    return r.headers["Location"].rsplit("/", 1)[1]


@pytest.fixture
def junk_site(make_app):
    """CSRF on, something for every action to act on, and an upload of each kind waiting."""
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        world = World(db.session)
        every_state(world)
        stashed = {"dinsos": [_stash(app, "dinsos", "queue.sheet_upload")],
                   "bpjs": [_stash(app, "bpjs", "bpjs.file_upload")]}
        yield app, world, stashed


def _poster(app, endpoint: str) -> str | None:
    """Who posts: the first of POSTERS the view's role guard admits; with no role guard, nobody
    logged in unless the view sends anonymous users to the login page."""
    roles = getattr(app.view_functions[endpoint], "roles", None)
    if roles:
        return next(user for user, role in POSTERS.items() if role in roles)
    first = next(iter(POSTERS))
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    if rule.arguments:
        return first
    probe = Poster(app, None)
    with app.test_request_context():
        url = url_for(endpoint)
    r = probe.post(url, MultiDict({"csrf_token": probe.token}), False)
    return first if r.status_code == 302 and r.headers["Location"].startswith("/masuk") else None


def _arguments(world, stashed, poster: str | None) -> dict:
    """A strategy for each URL argument name, drawing real ids of the test data (the poster's own
    OPD for a verifier); `kind` and `item_id` go together (a reason or a category)."""
    me = world.users[poster] if poster else None
    workers = select(Worker.id).order_by(Worker.id)
    if me is not None and me.role == "verifier":
        workers = workers.where(Worker.opd_id == me.opd_id)
    ids = lambda query: st.sampled_from(db.session.scalars(query).all() or [1])
    return {
        "worker_id": ids(workers),
        "user_id": ids(select(User.id).where(User.id != (me.id if me else 0))),  # not one's own session
        "claim_id": ids(select(Claim.id)),
        "batch_id": ids(select(ImportBatch.id)),
        "token_id": ids(select(ApiToken.id)),
        "token": st.sampled_from(stashed.get(poster, []) + ["0" * 32]),
        ("kind", "item_id"): st.one_of(st.tuples(st.just("alasan"), ids(select(RejectReason.id))),
                                       st.tuples(st.just("kategori"), ids(select(Category.id)))),
    }


def _url(app, endpoint: str, arguments: dict, data) -> tuple[str, dict]:
    """The URL of `endpoint` with each argument drawn from `arguments`, and the values drawn."""
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    values = {}
    for names, strategy in arguments.items():
        names = names if isinstance(names, tuple) else (names,)
        if set(names) & rule.arguments:
            drawn = data.draw(strategy)
            values.update(zip(names, drawn if len(names) > 1 else (drawn,)))
    missing = rule.arguments - set(values)
    assert not missing, f"{rule.rule}: give _arguments a strategy for {sorted(missing)}"
    with app.test_request_context():
        return url_for(endpoint, **values), values


def _version(value: str) -> int | None:
    try:
        return int(value.strip())
    except (ValueError, AttributeError):
        return None


@pytest.mark.parametrize("endpoint", _post_routes())
def test_junk_never_breaks_a_post_route(junk_site, harvest, endpoint):
    print(f"seed={SEED}")  # JUNK_SEED=<this> replays the examples
    app, world, stashed = junk_site
    who = _poster(app, endpoint)
    poster = Poster(app, who)
    arguments = _arguments(world, stashed, who)
    sent = harvest.get(endpoint, {})
    base = sent.get(who) or next(iter(sent.values()), [])  # the poster's own form, else another role's
    state = {"before": fingerprint(), "keys": keys()}
    answers = []

    @use_seed(SEED)
    # Each example changes what the next one meets, so a failure is reported as found, not
    # shrunk (a replay would meet another state); the seed replays the whole run.
    @settings(max_examples=EXAMPLES, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                     HealthCheck.data_too_large])
    @given(data=st.data())
    def post(data):
        url, values = _url(app, endpoint, arguments, data)
        worker = db.session.get(Worker, values["worker_id"]) if "worker_id" in values else None
        current = worker.version if worker is not None else None
        db.session.rollback()
        body, sent_version = MultiDict({"csrf_token": poster.token}), None
        for name, value in (base if data.draw(st.sampled_from([True, True, True, False])) else []):
            how = data.draw(st.sampled_from(["keep", "keep", "keep", "drop", "junk", "twice"]))
            if name == "version" and current is not None and how != "drop":
                # drawn apart from the stored version (which the examples change), then applied to it
                wrong = data.draw(st.one_of(st.just(0), st.integers(-1, 3), st.sampled_from(["0", "-1", str(2**31), "1" * 40]),
                                            JUNK_TEXT))
                value = sent_version = str(current + wrong) if isinstance(wrong, int) else wrong
            elif value is None:  # a file input
                value = (io.BytesIO(data.draw(st.binary(max_size=4000))), data.draw(FILE_NAMES))
            elif how == "junk":
                value = data.draw(JUNK_TEXT)
            if how != "drop":
                body.add(name, value)
            if how == "twice" and value is not None and not isinstance(value, tuple):
                body.add(name, data.draw(JUNK_TEXT))
        for _ in range(data.draw(st.integers(0, 2))):
            body.add(data.draw(st.sampled_from(["", "zz", "version[]", "id", "opd", "q"]) | st.text(max_size=20)),
                     data.draw(JUNK_TEXT))
        htmx = data.draw(st.booleans())
        r = poster.post(url, body, htmx)
        answers.append(r.status_code)
        shown = {k: (v[:60] + "…" if isinstance(v, str) and len(v) > 60 else v) for k, v in body.items(multi=True)}
        assert r.status_code < 500, (url, shown, r.text[:300])
        if sent_version is not None and _version(sent_version) != current:
            assert r.status_code >= 400, f"a wrong version was applied: {url} {shown}"
        if r.status_code >= 400:
            assert fingerprint() == state["before"], f"refused, yet something changed: {url} {shown}"
        else:
            now = keys()
            lost = {name: state["keys"][name] - now[name] for name in now if state["keys"][name] - now[name]}
            assert not lost, f"stored rows lost: {lost} after {url} {shown}"
            state["before"], state["keys"] = fingerprint(), now
        if (who is None and r.status_code < 400) or r.headers.get("Location", "").startswith("/masuk"):
            poster.login()  # someone logged in, or the session ended: a session as it was, for the next one
            state["before"], state["keys"] = fingerprint(), keys()  # logging in again stores (session, last login)

    post()
    print(f"{endpoint} as {who or 'anonymous'}: " + ", ".join(f"{s}×{answers.count(s)}" for s in sorted(set(answers))))
    assert len(answers) == EXAMPLES
    assert audit.verify(db.session)[1] == [], "the audit chain no longer verifies"
    assert tallies.kept(db.session) == tallies.counted(db.session), "the kept tallies drifted from the workers"

"""What the harness measures against the portal: the requests of each scenario, built from logged-in
sessions and facts read from the seeded database (search terms, pending workers and versions)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlencode

from sqlalchemy import func, select

from bench.client import Client, raw_request
from portal.core.models import OPD, Worker

HTMX = {"HX-Request": "true"}
QUEUE_USER = "kesra"  # the largest queue: 5 of the 12 categories (about 42 % of all names)
APPROVERS = ("kesra", "dinsos", "damkar", "satpolpp", "bpbd", "dlh", "dpmd", "disnakertrans")


@dataclass
class Scenario:
    name: str
    what: str
    requests: list[str]
    path: callable  # which request-log paths belong to it
    cycle: bool = True
    expect: list[int] = field(default_factory=lambda: [200])


@dataclass
class Facts:
    """Inputs read from the database once per size."""
    name_terms: list[str]
    nik_prefixes: list[str]
    pool: list[tuple[str, int, int]]  # (username, worker id, version) of pending workers, interleaved


def facts(session, pool_size: int) -> Facts:
    """Search terms that hit the largest queue, and pending workers of each approver's OPD."""
    opds = dict(session.execute(select(OPD.code, OPD.id)).all())
    kesra = opds[QUEUE_USER.upper()]
    # Surnames of a few pending Kesra names: each matches a share of the queue like a real search.
    # From the far end of the ids: the approve pool takes the first ones, and the query plans run
    # after the approves.
    sample = session.execute(select(Worker.full_name, Worker.nik).where(
        Worker.opd_id == kesra, Worker.verification == "pending").order_by(Worker.id.desc()).limit(400)).all()
    # A surname (shared by about 1 % of names in this synthetic data) and a person's first two
    # names (what a verifier types to find one person), alternating.
    surnames = sorted({name.split()[-1].lower() for name, _ in sample[::40]})[:3]
    people = [" ".join(name.split()[:2]).lower() for name, _ in sample[7::97]][:3]
    terms = [t for pair in zip(surnames, people) for t in pair]
    prefixes = [nik[:12] for _, nik in sample[5::60]][:6]  # kecamatan + birth date: a typed lookup
    per_user = []
    for username in APPROVERS:
        rows = session.execute(select(Worker.id, Worker.version).where(
            Worker.opd_id == opds[username.upper()], Worker.verification == "pending")
            .order_by(Worker.id).limit(pool_size)).all()
        per_user.append([(username, wid, version) for wid, version in rows])
    pool = [item for group in _interleave(per_user) for item in group]
    return Facts(terms, prefixes, pool)


def _interleave(groups):
    for i in range(max(len(g) for g in groups)):
        yield [g[i] for g in groups if i < len(g)]


def portal_scenarios(port: int, sessions: dict[str, Client], f: Facts, approve_pool: list) -> list[Scenario]:
    """Reads first, then the approve (it changes what later reads would see)."""
    q = sessions[QUEUE_USER]
    sup = sessions["supervisor"]

    def get(client, path, headers=None):
        return raw_request("GET", path, port, client.cookie_header(), headers=headers)

    def queue(**args):
        return "/antrian/?" + urlencode(args)

    def approve(username, wid, version):
        c = sessions[username]
        body = urlencode({"csrf_token": c.csrf, "version": version, "status": "pending", "hal": 1})
        return raw_request("POST", f"/antrian/{wid}/setujui", port, c.cookie_header(), body, {
            **HTMX, "X-CSRFToken": c.csrf, "Content-Type": "application/x-www-form-urlencoded"})

    queue_path = lambda p: p == "/antrian/"  # noqa: E731
    approve_re = re.compile(r"^/antrian/\d+/setujui$")
    return [
        Scenario("queue_first_page", "Queue, first page (full page, pending, Kesra)",
                 [get(q, "/antrian/")], queue_path),
        Scenario("queue_search_name", "Queue search by name: a surname, or a first and second name (htmx, pending, Kesra)",
                 [get(q, queue(q=t, status="pending"), HTMX) for t in f.name_terms], queue_path),
        Scenario("queue_search_nik", "Queue search by NIK prefix, 12 digits (htmx)",
                 [get(q, queue(q=p, status="pending"), HTMX) for p in f.nik_prefixes], queue_path),
        Scenario("queue_filter_status", "Queue filtered to approved (htmx)",
                 [get(q, queue(status="approved"), HTMX)], queue_path),
        Scenario("tallies", "Tallies partial (the queue's tallies block)",
                 [get(q, "/bench/tallies", HTMX)], lambda p: p == "/bench/tallies"),
        Scenario("county_poll", "County dashboard, polled block (htmx)",
                 [get(sup, "/kabupaten/", {**HTMX, "X-Poll": "1"})], lambda p: p == "/kabupaten/"),
        Scenario("county_full", "County dashboard, full page",
                 [get(sup, "/kabupaten/")], lambda p: p == "/kabupaten/"),
        Scenario("api_summary", "JSON summary (supervisor session)",
                 [get(sup, "/api/summary")], lambda p: p == "/api/summary"),
        Scenario("approve", "Approve round trip (htmx POST: row + OOB tallies)",
                 [approve(*item) for item in approve_pool], lambda p: bool(approve_re.match(p)), cycle=False),
    ]


def reference_scenarios(port: int, pool: list) -> list[Scenario]:
    """The bare endpoint and the hand-written approve, on workers the portal's approve left alone."""
    def approve(_username, wid, version):
        return raw_request("POST", f"/ref/{wid}/approve", port, body=urlencode({"version": version}),
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    return [
        Scenario("ref_bare", "Bare Flask: return \"ok\"", [raw_request("GET", "/ok", port)], lambda p: False),
        Scenario("ref_raw_approve", "Hand-written approve (raw SQL, persistent connection)",
                 [approve(*item) for item in pool], lambda p: False, cycle=False),
    ]


def pending_count(session) -> int:
    return session.scalar(select(func.count()).select_from(Worker).where(Worker.verification == "pending"))

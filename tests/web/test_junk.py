"""Generated junk posted to every form route: never a 500, and nothing stored changes.

Each example starts from a valid post and breaks at least one field the route requires (missing,
over-long, wrong type, unknown value, markup, control characters), so a correct portal must
refuse it; other fields get random junk too."""
import hashlib
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text

from portal.core.models import Base, RejectReason
from portal.web.extensions import db
from tests.factories import PASSWORD

JUNK_TEXT = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=8).map(lambda s: s * 700),
    st.sampled_from(["<script>alert(1)</script>", "\x00", "-1", "0", "1e309", "NaN", "9" * 40,
                     "' OR 1=1 --", "%", "𝕏" * 50, " "]),
)


EXAMPLES = 20


def longer_than(n: int):
    return st.text(min_size=1, max_size=3).map(lambda t: (t * (n + 1))[: n + 1 + len(t)])


def invalid(kind: str, valid: str):
    """Values that can never be valid for a required field of this kind; None drops it."""
    blank = st.sampled_from(["", "   "])
    if kind.startswith("text:"):  # free text, required, at most n characters
        return st.one_of(st.none(), blank, longer_than(int(kind[5:])))
    if kind == "code":
        return st.one_of(st.none(), blank, longer_than(30), st.text(min_size=1).map(lambda t: t + "-!"))
    if kind == "username":
        return st.one_of(st.none(), JUNK_TEXT).filter(
            lambda v: v is None or not re.fullmatch(r"[a-z0-9._-]{3,40}", v.strip().lower()))
    if kind.startswith("one of:"):
        allowed = kind[7:].split(",")
        return st.one_of(st.none(), JUNK_TEXT).filter(lambda v: v is None or v not in allowed)
    return st.one_of(st.none(), JUNK_TEXT).filter(lambda v: v is None or v.strip() != valid)


# route: (who posts, URL, {required field: (kind, valid value)}, {optional field: valid value})
ROLES = "one of:admin,supervisor,verifier,bpjs"
ROUTES = {
    "approve": ("dinsos", "/antrian/{w}/setujui", {"version": ("exact", "1")}, {"note": ""}),
    "reject": ("dinsos", "/antrian/{w}/tolak", {"version": ("exact", "1"), "reason": ("one of:{reasons}", "{reason}")},
               {"note": ""}),
    "hold": ("dinsos", "/antrian/{w}/tunda", {"version": ("exact", "1"), "note": ("text:500", "cek KK")}, {}),
    "reopen": ("dinsos", "/antrian/{decided}/buka", {"version": ("exact", "2")}, {"note": ""}),
    "correct": ("dinsos", "/antrian/{w}/perbaiki", {"version": ("exact", "1"), "full_name": ("text:120", "Nama Baru")},
                {"address": "", "phone": "", "desa_code": ""}),
    "bulk_approve": ("dinsos", "/antrian/massal", {"items": ("exact", "{w}:1")}, {}),
    "bulk_confirm": ("dinsos", "/antrian/massal/konfirmasi", {}, {"scope": "selected", "pilih": "{w}"}),
    "add_reason": ("admin", "/admin/alasan", {"code": ("code", "BARU"), "label": ("text:120", "Alasan baru")},
                   {"note_required": ""}),
    "add_category": ("admin", "/admin/kategori", {"code": ("code", "BARU"), "name": ("text:120", "Kategori baru")},
                     {"opd": "DINSOS"}),
    "toggle": ("admin", "/admin/alasan/{reason}/aktif", {"active": ("one of:0,1", "0")}, {}),
    "create_user": ("admin", "/admin/pengguna", {"username": ("username", "baru"), "role": (ROLES, "supervisor")},
                    {"full_name": "", "opd": ""}),
    "user_active": ("admin", "/admin/pengguna/{target}/aktif", {"active": ("one of:0,1", "0")}, {}),
    "assign_opd": ("admin", "/admin/pengguna/{target}/opd", {"opd": ("one of:{opds}", "KESRA")}, {}),
    "change_password": ("dinsos", "/sandi", {"current": ("exact", PASSWORD), "new": ("exact", "Sungai-Selabung-77"),
                                             "repeat": ("exact", "Sungai-Selabung-77")}, {}),
    "add_rate": ("admin", "/admin/tarif", {"effective_from": ("exact", "2026-01-01"), "basis": ("text:200", "PP baru")},
                 {"jkk": "12000", "jkm": "7000"}),
    "create_token": ("admin", "/admin/token", {"name": ("text:80", "Dasbor Bapperida")}, {}),
    "login": (None, "/masuk", {"username": ("exact", "dinsos"), "password": ("exact", PASSWORD)}, {}),
}


def fingerprint() -> str:
    """Everything stored except the audit trail (logins and failed logins append to it)."""
    h = hashlib.sha256()
    for table in Base.metadata.sorted_tables:
        if table.name in ("event", "audit_head"):
            continue
        pk = ", ".join(c.name for c in table.primary_key.columns)
        for row in db.session.execute(text(f"SELECT * FROM {table.name} ORDER BY {pk}")):
            h.update(repr(tuple(row)).encode())
    return h.hexdigest()


@pytest.fixture
def setting(app, world):
    from portal.queue import transitions
    from tests.factories import make_user
    w = world.worker("DINSOS")
    decided = world.worker("DINSOS")
    transitions.approve(db.session, decided, world.users["dinsos"], 1)
    target = make_user(db.session, "sasaran", "verifier", world.opd["DLH"])
    db.session.commit()
    ids = {"w": w.id, "decided": decided.id, "reason": world.reason("PINDAH").id, "target": target.id,
           "reasons": ",".join(str(r) for r in db.session.scalars(select(RejectReason.id))),
           "opds": ",".join(world.opd)}
    clients = {}
    for username in ("dinsos", "admin"):
        clients[username] = app.test_client()
        clients[username].post("/masuk", data={"username": username, "password": PASSWORD})
    clients[None] = app.test_client()
    return ids, clients


@pytest.mark.parametrize("route", list(ROUTES))
def test_junk_is_refused_cleanly(setting, route):
    ids, clients = setting
    who, url, required, optional = ROUTES[route]
    url = url.format(**ids)
    fill = lambda v: v.format(**ids)
    kinds = {k: fill(kind) for k, (kind, _) in required.items()}
    required = {k: fill(v) for k, (_, v) in required.items()}
    optional = {k: fill(v) for k, v in optional.items()}
    before = fingerprint()
    tried = []

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(data=st.data())
    def post(data):
        form = dict(required, **optional)
        if required:  # break at least one required field
            for field in data.draw(st.lists(st.sampled_from(sorted(required)), min_size=1, unique=True)):
                value = data.draw(invalid(kinds[field], required[field]))
                if value is None:
                    form.pop(field)
                else:
                    form[field] = value
        for field in data.draw(st.lists(st.sampled_from(sorted(optional) or ["x"]), unique=True)):
            form[field] = data.draw(JUNK_TEXT)
        form[data.draw(st.sampled_from(["", "zz", "version[]", "csrf_token"]))] = data.draw(JUNK_TEXT)
        htmx = data.draw(st.booleans())
        r = clients[who].post(url, data=form, headers={"HX-Request": "true"} if htmx else {})
        tried.append(r.status_code)
        assert r.status_code < 500, (form, r.text[:300])
        if route not in ("bulk_confirm", "login"):  # those two change nothing even when valid
            assert r.status_code >= 400, form
        assert fingerprint() == before, form

    post()
    assert len(tried) == EXAMPLES

"""Who may reach what: every route in app.url_map, for anonymous, each role, and a verifier of
another OPD. A route added without an entry here fails this test."""
import re

import pytest
from flask import url_for

from portal.api import tokens
from portal.core.models import Claim, ImportBatch
from portal.web.extensions import db
from tests.factories import make_user

ROLES = ("anonymous", "admin", "supervisor", "bpjs", "dinsos", "kesra")  # the worker is Dinsos's
OK, LOGIN = "ok", "login"
EVERYONE = dict.fromkeys(ROLES[1:], OK)
DECIDER = {"admin": OK, "supervisor": 403, "bpjs": 403, "dinsos": OK, "kesra": OK}
OWN_WORKER = {**DECIDER, "kesra": 404}
WATCHER = {"admin": OK, "supervisor": OK, "bpjs": OK, "dinsos": 403, "kesra": 403}
ENROLLER = {"admin": OK, "supervisor": 403, "bpjs": OK, "dinsos": 403, "kesra": 403}
RESOLVER = {"admin": OK, "supervisor": OK, "bpjs": 403, "dinsos": 403, "kesra": 403}
ADMIN = {"admin": OK, "supervisor": 403, "bpjs": 403, "dinsos": 403, "kesra": 403}

EXPECTED = {  # endpoint: (method, {role: expected}); anonymous is sent to the login page unless stated
    "auth.home": ("GET", EVERYONE),
    "auth.login": ("GET", {**EVERYONE, "anonymous": OK}),
    "auth.logout": ("POST", EVERYONE),
    "auth.change_password": ("GET", EVERYONE),
    "auth.login_code": ("GET", {**EVERYONE, "anonymous": LOGIN}),  # no password step passed: back to /masuk
    "auth.totp": ("GET", EVERYONE),
    "auth.totp_confirm": ("POST", EVERYONE),
    "auth.totp_disable": ("POST", EVERYONE),
    "queue.index": ("GET", DECIDER),
    "queue.worker": ("GET", OWN_WORKER),
    "queue.nik": ("POST", OWN_WORKER),
    "queue.approve": ("POST", OWN_WORKER),
    "queue.reject": ("POST", OWN_WORKER),
    "queue.hold": ("POST", OWN_WORKER),
    "queue.reopen": ("POST", OWN_WORKER),
    "queue.correct": ("POST", OWN_WORKER),
    "queue.bulk_confirm": ("POST", DECIDER),
    "intake.index": ("GET", DECIDER),
    "intake.template_xlsx": ("GET", DECIDER),
    "intake.upload": ("POST", DECIDER),
    "intake.batch": ("GET", OWN_WORKER),
    "intake.rejected": ("GET", OWN_WORKER),
    "intake.confirm": ("POST", OWN_WORKER),
    "intake.discard": ("POST", OWN_WORKER),
    "queue.bulk_approve": ("POST", DECIDER),
    "queue.bulk_undo": ("POST", DECIDER),
    "claims.index": ("GET", {**RESOLVER, "dinsos": OK, "kesra": OK}),
    "claims.resolve": ("POST", RESOLVER),
    "duplicates.index": ("GET", RESOLVER),
    "duplicates.merge": ("POST", ADMIN),
    "duplicates.dismiss": ("POST", RESOLVER),
    "exports.index": ("GET", EVERYONE),
    "exports.bpjs_xlsx": ("GET", ENROLLER),
    "exports.queue_csv": ("GET", DECIDER),
    "exports.list_csv": ("GET", WATCHER),
    "exports.list_xlsx": ("GET", WATCHER),
    "exports.queue_xlsx": ("GET", DECIDER),
    "exports.county_csv": ("GET", WATCHER),
    "exports.events_csv": ("GET", ADMIN),
    "bpjs.file_upload": ("GET", ENROLLER),
    "bpjs.file_preview": ("GET", {**ENROLLER, "admin": 404, "bpjs": 404}),
    "bpjs.file_apply": ("POST", {**ENROLLER, "admin": 404, "bpjs": 404}),
    "queue.sheet_download": ("GET", DECIDER),
    "queue.sheet_upload": ("GET", DECIDER),
    "queue.sheet_preview": ("GET", {**DECIDER, "admin": 404, "dinsos": 404, "kesra": 404}),
    "queue.sheet_apply": ("POST", {**DECIDER, "admin": 404, "dinsos": 404, "kesra": 404}),
    "county.index": ("GET", WATCHER),
    "county.breakdown": ("GET", WATCHER),
    "county.workers": ("GET", WATCHER),
    "bpjs.index": ("GET", ENROLLER),
    "bpjs.enrol": ("POST", ENROLLER),
    "bpjs.lapse": ("POST", ENROLLER),
    "bpjs.restore": ("POST", ENROLLER),
    "bpjs.nik": ("POST", ENROLLER),
    "admin.reference_data": ("GET", ADMIN),
    "admin.add_reason": ("POST", ADMIN),
    "admin.add_category": ("POST", ADMIN),
    "admin.toggle": ("POST", ADMIN),
    "admin.users": ("GET", ADMIN),
    "admin.create_user": ("POST", ADMIN),
    "admin.reset_password": ("POST", ADMIN),
    "admin.reset_totp": ("POST", ADMIN),
    "admin.set_user_active": ("POST", ADMIN),
    "admin.assign_opd": ("POST", ADMIN),
    "admin.subject": ("GET", ADMIN),
    "admin.nik_trace_page": ("GET", ADMIN),
    "admin.subject_csv": ("POST", ADMIN),
    "berita_acara.index": ("GET", {"admin": OK, "supervisor": 403, "bpjs": OK, "dinsos": OK, "kesra": OK}),
    "berita_acara.document": ("GET", {"admin": OK, "supervisor": 403, "bpjs": OK, "dinsos": OK, "kesra": 404}),
    "county.budget": ("GET", WATCHER),
    "admin.rates": ("GET", ADMIN),
    "admin.add_rate": ("POST", ADMIN),
    "public.index": ("GET", {**EVERYONE, "anonymous": OK}),
    "admin.targets": ("GET", ADMIN),
    "admin.set_target": ("POST", ADMIN),
    "api.summary": ("GET", {"anonymous": 401, "admin": OK, "supervisor": OK, "bpjs": 403, "dinsos": 403, "kesra": 403}),
    "admin.tokens": ("GET", ADMIN),
    "admin.create_token": ("POST", ADMIN),
    "admin.revoke_token": ("POST", ADMIN),
    "auth.language": ("POST", {**EVERYONE, "anonymous": OK}),
}


def outcome(response) -> str | int:
    # The login guard answers 302; a view's own redirect after a POST (logout) is 303.
    if response.status_code == 302 and response.headers["Location"].startswith("/masuk"):
        return LOGIN
    if response.status_code in (401, 403, 404):
        return response.status_code
    assert response.status_code < 500, response.text
    return OK


def _claim(world, worker) -> Claim:
    claim = Claim(worker=worker, claimant_opd_id=world.opd["KESRA"].id, submitted="{}")
    db.session.add(claim)
    db.session.flush()
    return claim


def _batch(world) -> ImportBatch:
    batch = ImportBatch(opd_id=world.opd["DINSOS"].id, user_id=world.users["dinsos"].id, file_name="a.csv",
                        file_hash="0" * 64, content=b"NIK,Nama\n1609014507850001,Siti\n")
    db.session.add(batch)
    db.session.flush()
    return batch


def test_every_route_has_an_entry(app):
    endpoints = {r.endpoint for r in app.url_map.iter_rules() if r.endpoint != "static"}
    assert endpoints == set(EXPECTED), "add the new route to EXPECTED with who may use it"


def test_access_matrix(app, world):
    worker = world.worker("DINSOS")
    args = {"worker_id": worker.id, "kind": "alasan", "item_id": world.reason("PINDAH").id,
            "user_id": make_user(db.session, "sasaran", "verifier", world.opd["DLH"]).id,
            "opd_code": "DINSOS", "dimension": "kecamatan",
            "claim_id": _claim(world, worker).id, "batch_id": _batch(world).id, "token": "0" * 32,
            "token_id": tokens.create(db.session, world.users["admin"], "Matriks")[0].id}
    db.session.commit()
    form = {"admin.subject_csv": {"nik": worker.nik}, "auth.language": {"lang": "id"}}
    checked = 0
    for endpoint, (method, expected) in EXPECTED.items():
        rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
        with app.test_request_context():
            url = url_for(endpoint, **{k: v for k, v in args.items() if k in rule.arguments})
        for role in ROLES:
            client = app.test_client()
            if role != "anonymous":
                client.post("/masuk", data={"username": role, "password": "rahasia-uji-123"})
            response = client.open(url, method=method, data=form.get(endpoint, {}))
            want = expected.get(role, LOGIN) if role != "anonymous" else expected.get("anonymous", LOGIN)
            assert outcome(response) == want, f"{role} {method} {url}"
            checked += 1
            db.session.rollback()
    assert checked == len(EXPECTED) * len(ROLES)


MENU = ("/antrian/", "/impor", "/bpjs/", "/berita-acara", "/ekspor", "/klaim", "/ganda", "/kabupaten/",
        "/kabupaten/fiskal", "/admin/pengguna", "/admin/rujukan", "/admin/target", "/admin/tarif",
        "/admin/subjek", "/admin/jejak-nik", "/admin/token")


@pytest.mark.parametrize("role", ["admin", "supervisor", "bpjs", "dinsos"])
def test_the_menu_offers_exactly_the_pages_the_role_may_open(client, auth, world, role):
    auth.login(role)
    nav = re.search(r'<nav aria-label="Menu utama">(.*?)</nav>', client.get("/masuk", follow_redirects=True).text,
                    re.S).group(1)
    shown = {href for href in re.findall(r'href="([^"]+)"', nav) if href in MENU}
    opens = {path for path in MENU if client.get(path, follow_redirects=True).status_code == 200}
    assert shown == opens and opens

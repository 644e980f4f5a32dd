"""Name normalisation and likely duplicates (/ganda): the rules module directly, and the page as
each role uses it."""
from datetime import date

import pytest
from sqlalchemy import func, select

from portal.core import names, tallies
from portal.core.errors import NotAllowed, Stale, WrongState
from portal.core.models import DuplicateReview, Event, Worker
from portal.duplicates import rules
from portal.web.extensions import db
from tests.conftest import HTMX

BORN = date(1981, 5, 3)  # away from the factory's 1970 dates, so only our workers share a block


def person(world, opd: str, name: str, born: date = BORN, sex: str = "L", **fields) -> Worker:
    """A worker with a chosen birth date and sex (the factory derives them from a serial)."""
    worker = world.worker(opd, full_name=name, **fields)
    worker.birth_date, worker.sex = born, sex
    db.session.commit()
    return worker


def events(action: str) -> list[Event]:
    return db.session.scalars(select(Event).where(Event.action == action).order_by(Event.seq)).all()


def tallies_hold() -> bool:
    return tallies.kept(db.session) == tallies.counted(db.session)


# ---- names ---------------------------------------------------------------------------------

@pytest.mark.parametrize("raw, expected", [
    ("H. Muhammad Yusuf bin Ahmad", "muhammad yusuf"),
    ("Mohamad Yusuf", "muhammad yusuf"),
    ("MOCHAMAD YUSUF", "muhammad yusuf"),
    ("M. Yusuf", "muhammad yusuf"),
    ("Moh.Yusuf", "muhammad yusuf"),
    ("Hj. Siti Aminah, S.Pd.I", "siti aminah"),
    ("Hajjah Siti Nurbaya binti Abdul Karim", "siti nurbaya"),
    ("Dra. Hj. Nurhayati, M.Pd.", "nurhayati"),
    ("Ust. Abd. Rahman", "abdul rahman"),
    ("Ustadz Muhamad Ridwan S.Ag", "muhammad ridwan"),
    ("Ahmad Fauzi S. Pd. I", "ahmad fauzi"),
    ("AHMAD FAUZI SE", "ahmad fauzi"),
    ("Ir. H. Joko Widodo, M.M.", "joko widodo"),
    ("Soejono, A.Md.", "suyono"),
    ("Amd Sulaiman Amd", "amd sulaiman"),  # a title in front is a name; only behind is it a degree
    ("Drs. Soekarno", "sukarno"),
    ("Djoko Tjahjono", "joko cahyono"),
    ("Tjoet Nja' Dhien", "cut nya dhien"),
    ("Sjahrir", "syahrir"),
    ("K.H. Achmad Dahlan", "ahmad dahlan"),
    ("Abdullah", "abdulah"),
    ("Ma'ruf   Amin", "maruf amin"),
    ("Bin Laden", "bin laden"),  # "bin" as a first word is a name, not a patronymic
    ("H.", "h"),  # never emptied to nothing by title stripping
    ("  123 ", ""),
])
def test_normalise(raw, expected):
    assert names.normalise(raw) == expected


def test_normalise_is_stable():
    for raw in ("H. Muhammad Yusuf bin Ahmad", "Drs. Soekarno", "Djoko Tjahjono", "Abdullah"):
        once = names.normalise(raw)
        assert names.normalise(once) == once


@pytest.mark.parametrize("a, b, same", [
    ("H. Muhammad Yusuf bin Ahmad", "Mohamad Yusuf", True),
    ("Nurhayati", "Nur Hayati", True),  # split or joined compound names
    ("Ahmad Fauzi", "Fauzi Ahmad", True),  # word order
    ("Rudi Hartono", "Rudy Hartono", True),
    ("Slamet Riyadi", "Selamet Riyadi", True),
    ("Joko Susilo", "Djoko Soesilo, S.Pd.", True),
    ("Ahmad Fauzi", "Ahmad Fauzan", False),
    ("Siti Aminah", "Siti Aisyah", False),
    ("Budi Santoso", "Budi Susanto", False),
    ("Hendra Gunawan", "Hendra Kurniawan", False),
    ("Sri Wahyuni", "Sri Wahyuningsih", False),
])
def test_threshold_separates_variants_from_other_people(a, b, same):
    s = names.score(names.normalise(a), names.normalise(b))
    assert (s >= names.THRESHOLD) is same, s


# ---- likely duplicates: rules --------------------------------------------------------------

def test_candidates_found_through_titles_and_spelling(world):
    a = person(world, "KESRA", "H. Muhammad Yusuf bin Ahmad")
    b = person(world, "DINSOS", "Mohamad Yusuf")
    found = rules.candidates(db.session)
    assert found.total == 1
    pair = found.pairs[0]
    assert (pair.first.id, pair.second.id, pair.score) == (a.id, b.id, 100)
    assert {pair.first.opd.code, pair.second.opd.code} == {"KESRA", "DINSOS"}


@pytest.mark.parametrize("change", [{"born": date(1981, 5, 4)}, {"sex": "P"}])
def test_no_candidate_across_blocks(world, change):
    person(world, "KESRA", "H. Muhammad Yusuf bin Ahmad")
    person(world, "DINSOS", "Mohamad Yusuf", **change)
    assert rules.candidates(db.session).total == 0


def test_rejected_names_are_not_candidates(world):
    person(world, "KESRA", "Siti Aminah")
    person(world, "DINSOS", "Hj. Siti Aminah", verification="rejected",
           reject_reason_id=world.reason("MENINGGAL").id)
    assert rules.candidates(db.session).total == 0


def test_only_pairs_inside_a_block_are_compared(world, monkeypatch):
    for day in range(1, 25):  # 24 blocks of one: nothing to compare
        person(world, "DINSOS", f"Siti Aminah {day}", born=date(1982, 1, day))
    person(world, "KESRA", "Ahmad Dahlan")
    person(world, "DINSOS", "Achmad Dahlan")
    compared = []
    real = names.similar_pairs
    monkeypatch.setattr(names, "similar_pairs", lambda block, t: compared.append(block) or real(block, t))
    assert rules.candidates(db.session).total == 1
    assert compared == [["ahmad dahlan", "ahmad dahlan"]]


def test_a_big_block_finds_what_pairwise_scoring_finds(monkeypatch):
    crowd = [names.normalise(n) for n in (
        "Siti Aminah", "Hj. Siti Aminah", "Nurhayati", "Nur Hayati, S.Pd.", "Dewi Lestari", "Sri Wahyuni",
        "Rina Marlina", "Juwita Sari", "Ratna Sari", "Fatimah Zahra", "Aisyah Putri", "Kartini",
        "Yanti Suryani", "Sumarni", "Siti Aisyah", "Siti Amina")]
    pairwise = sorted(names.similar_pairs(crowd))
    monkeypatch.setattr(names, "SMALL_BLOCK", 2)
    assert sorted(names.similar_pairs(crowd)) == pairwise
    assert sorted((i, j) for _s, i, j in pairwise) == [(0, 1), (0, 15), (1, 15), (2, 3)]


def test_dismissed_pair_is_not_listed_again(world):
    a = person(world, "KESRA", "Muhammad Yusuf")
    b = person(world, "DINSOS", "M. Yusuf")
    review = rules.dismiss(db.session, world.users["supervisor"], b, a)
    db.session.commit()
    assert (review.first_id, review.second_id, review.outcome) == (a.id, b.id, "dismissed")
    assert rules.candidates(db.session).total == 0
    assert sorted(e.worker_id for e in events("duplicate_dismiss")) == [a.id, b.id]
    with pytest.raises(WrongState):
        rules.dismiss(db.session, world.users["admin"], a, b)


def test_merge_rejects_the_dropped_one_as_data_ganda(world):
    keep = person(world, "KESRA", "Muhammad Yusuf", verification="approved")
    drop = person(world, "DINSOS", "Mohamad Yusuf")
    rules.merge(db.session, world.users["admin"], keep, drop)
    db.session.commit()
    assert (drop.verification, drop.reject_reason.code) == ("rejected", "DATA_GANDA")
    assert drop.decision_note == f"ganda dengan NIK {keep.nik[:4]}{'•' * 8}{keep.nik[-4:]}"
    assert keep.verification == "approved"
    assert db.session.get(DuplicateReview, (keep.id, drop.id)).outcome == "merged"
    assert [(e.worker_id, e.reason_code) for e in events("reject")] == [(drop.id, "DATA_GANDA")]
    assert tallies_hold() and rules.candidates(db.session).total == 0


def test_merge_refusals(world):
    keep = person(world, "KESRA", "Muhammad Yusuf")
    drop = person(world, "DINSOS", "Mohamad Yusuf", verification="approved")
    with pytest.raises(NotAllowed):
        rules.merge(db.session, world.users["supervisor"], keep, drop)
    with pytest.raises(WrongState, match="buka kembali"):
        rules.merge(db.session, world.users["admin"], keep, drop)
    with pytest.raises(Stale):
        rules.merge(db.session, world.users["admin"], drop, keep, version=keep.version + 1)
    db.session.rollback()
    with pytest.raises(NotAllowed):
        rules.dismiss(db.session, world.users["dinsos"], keep, drop)
    assert db.session.scalar(select(func.count()).select_from(DuplicateReview)) == 0


# ---- likely duplicates: pages --------------------------------------------------------------

@pytest.mark.parametrize("role, status", [("admin", 200), ("supervisor", 200), ("dinsos", 403), ("bpjs", 403)])
def test_candidates_page_access(client, auth, world, role, status):
    auth.login(role)
    assert client.get("/ganda").status_code == status


def test_candidates_page_side_by_side(client, auth, world):
    a = person(world, "KESRA", "H. Muhammad Yusuf bin Ahmad")
    person(world, "DINSOS", "Mohamad Yusuf")
    auth.login("supervisor")
    page = client.get("/ganda")
    assert page.text.lstrip().lower().startswith("<!doctype html>")
    assert "H. Muhammad Yusuf bin Ahmad" in page.text and "Mohamad Yusuf" in page.text
    assert a.nik not in page.text and a.nik[-4:] in page.text
    assert "Bukan ganda" in page.text and "Gabungkan: pertahankan" not in page.text  # merging is the admin's
    fragment = client.get("/ganda", headers=HTMX)
    assert fragment.text.lstrip().startswith('<div id="ganda">') and "<!doctype" not in fragment.text.lower()
    assert "HX-Request" in fragment.headers["Vary"]
    auth.logout()
    auth.login("admin")
    assert client.get("/ganda").text.count("Gabungkan: pertahankan") == 2
    a.verification = "approved"  # only the other one can still be rejected as the duplicate
    db.session.commit()
    page = client.get("/ganda").text
    assert "Gabungkan: pertahankan H. Muhammad Yusuf" in page and "Gabungkan: pertahankan Mohamad" not in page
    assert "buka kembali di antrian" in page


def test_dismiss_and_merge_through_the_page(client, auth, world):
    a = person(world, "KESRA", "Muhammad Yusuf")
    b = person(world, "DINSOS", "Mohamad Yusuf")
    c = person(world, "DINSOS", "Siti Aminah", sex="P")
    d = person(world, "DAMKAR", "Hj. Siti Aminah", sex="P")
    auth.login("supervisor")
    assert client.post("/ganda/gabungkan", data={"keep": a.id, "drop": b.id, "version": 1}).status_code == 403
    r = client.post("/ganda/bukan-ganda", data={"first": c.id, "second": d.id}, headers=HTMX)
    assert r.status_code == 200 and r.text.lstrip().startswith('<div id="ganda">')
    assert "ditandai bukan ganda" in r.text and f'id="ganda-{c.id}-{d.id}"' not in r.text
    assert f'id="ganda-{a.id}-{b.id}"' in r.text
    auth.logout()
    auth.login("admin")
    r = client.post("/ganda/gabungkan", data={"keep": a.id, "drop": b.id, "version": b.version})
    assert r.status_code == 303 and r.headers["Location"] == "/ganda"
    assert db.session.get(Worker, b.id).verification == "rejected" and tallies_hold()
    assert "Tidak ada kemungkinan ganda" in client.get("/ganda").text


def test_merge_page_refusals(client, auth, world):
    a = person(world, "KESRA", "Muhammad Yusuf")
    b = person(world, "DINSOS", "Mohamad Yusuf")
    auth.login("admin")
    r = client.post("/ganda/gabungkan", data={"keep": a.id, "version": 1})
    assert r.status_code == 422 and "Pasangan nama tidak lengkap" in r.text
    r = client.post("/ganda/gabungkan", data={"keep": a.id, "drop": b.id, "version": b.version + 1})
    assert r.status_code == 409 and "berubah" in r.text
    assert client.post("/ganda/bukan-ganda", data={"first": a.id, "second": 999999}).status_code == 404
    assert db.session.get(Worker, b.id).verification == "pending"



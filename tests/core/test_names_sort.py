"""Where a name sorts: case, accents and titles do not decide the order."""
from sqlalchemy import select

from portal import seed
from portal.core import names
from portal.core.models import Worker
from portal.web.extensions import db


def test_sort_key_folds_case_accents_and_titles():
    assert names.sort_key("Hj. Siti Aminah, S.Pd.") == names.sort_key("siti aminah") == "siti aminah"
    assert names.sort_key("Drs. H. Ahmad Fauzi, M.Pd.I") == "ahmad fauzi"
    assert names.sort_key("K.H. Abdul Rahman") == "abdul rahman" and names.sort_key("Ustadz Ma'ruf") == "maruf"
    assert names.sort_key("ÉLIS") == "elis" and names.sort_key("M.Yusuf bin Hasan") == "m yusuf bin hasan"
    assert names.sort_key("Hj.") == "hj" and names.sort_key("") == ""


def test_queue_order_ignores_titles_and_case(client, auth, world):
    for name in ("zainal", "Hj. Siti Aminah", "budi", "Drs. Ahmad", "Ustadz Rahmat"):
        world.worker("DINSOS", full_name=name)
    auth.login("dinsos")
    page = client.get("/antrian/").text
    order = [n for n in ("Drs. Ahmad", "budi", "Ustadz Rahmat", "Hj. Siti Aminah", "zainal") if n in page]
    assert sorted(order, key=page.index) == ["Drs. Ahmad", "budi", "Ustadz Rahmat", "Hj. Siti Aminah", "zainal"]


def test_seed_brings_old_sort_keys_up_to_date(world):
    w = world.worker("DINSOS", full_name="Hj. Nur Aini")
    db.session.execute(Worker.__table__.update().values(sort_name="hj. nur aini"))  # as migration 0004 left it
    assert seed.sort_names(db.session) == 1 and seed.sort_names(db.session) == 0
    assert db.session.scalar(select(Worker.sort_name).where(Worker.id == w.id)) == "nur aini"

"""The audit trail's shared fixture."""
import pytest

from portal.core import audit
from portal.queue import transitions as t
from portal.web.extensions import db


@pytest.fixture
def trail(world):
    """A few decisions and a login: a chain of several events."""
    a, b = world.worker(), world.worker()
    db.session.info["ip"] = "10.1.2.3"
    t.approve(db.session, a, world.users["dinsos"], 1)
    t.reject(db.session, b, world.users["dinsos"], 1, world.reason("MENINGGAL"))
    t.reopen(db.session, b, world.users["admin"], 2)
    audit.record(db.session, action="login", user_id=world.users["supervisor"].id)
    db.session.commit()
    return world

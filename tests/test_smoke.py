from tests.conftest import HTMX


def test_queue_page_renders_for_verifier(client, auth, world):
    world.worker(full_name="Siti Aminah")
    auth.login("dinsos")
    r = client.get("/antrian/")
    assert r.status_code == 200, r.text
    assert "Siti Aminah" in r.text

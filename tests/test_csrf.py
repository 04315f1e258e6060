"""CSRF on every state change; no GET changes state (SECURITY C17)."""

import pytest

from accord.core.models import Lead, LoginThrottle, User
from tests.auth_world import build_users
from tests.web import csrf_token, login
from tests.world import PASSWORD


@pytest.fixture
def world(rt):
    """World W's users only (same emails and password): these tests need no records."""
    return build_users()


def logged_in(client):
    return client.get("/logout").status_code == 200


def test_c17_login_without_token_is_400(client, world):
    client.get("/login")  # a session exists, only the token is missing
    r = client.post("/login", data={"email": "a@world.test", "password": PASSWORD})
    assert r.status_code == 400
    assert "Traceback" not in r.get_data(as_text=True)
    assert not logged_in(client)
    assert User.get_by_id(world.A.id).last_login_at is None
    # Rejected before authentication: not even a failure is counted.
    assert LoginThrottle.select().count() == 0


def test_c17_login_with_a_forged_token_is_400(client, world):
    r = client.post(
        "/login",
        data={"email": "a@world.test", "password": PASSWORD, "csrf_token": "forged.token.value"},
    )
    assert r.status_code == 400
    assert not logged_in(client)


def test_c17_token_from_another_session_is_refused(app, world):
    attacker = app.test_client()
    token = csrf_token(attacker, "/login")
    victim = app.test_client()
    victim.get("/login")
    r = victim.post(
        "/login", data={"email": "a@world.test", "password": PASSWORD, "csrf_token": token}
    )
    assert r.status_code == 400
    assert not logged_in(victim)


def test_c17_logout_without_token_is_400_and_keeps_the_session(client, world):
    login(client, "n1@world.test")
    r = client.post("/logout")
    assert r.status_code == 400
    assert logged_in(client)
    assert User.get_by_id(world.N1.id).session_version == world.N1.session_version


def test_c17_admin_create_without_token_creates_nothing(client, world):
    login(client, "a@world.test")
    before = Lead.select().count()
    r = client.post(
        "/admin/lead/new/",
        data={"first_name": "Forged", "last_name": "Lead", "email": "forged@x.test"},
    )
    has_view = any(
        rule.rule == "/admin/lead/new/" for rule in client.application.url_map.iter_rules()
    )
    # 400 from CSRFProtect once the view exists; 404 until the back office is built.
    assert r.status_code == (400 if has_view else 404)
    assert Lead.select().count() == before
    assert not Lead.select().where(Lead.last_name == "Lead", Lead.first_name == "Forged").exists()

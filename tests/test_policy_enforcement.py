"""Plain routes (plugins' blueprints included) get their declared policy enforced centrally."""

import pytest
from flask import Blueprint

from accord.admin.app import create_app
from accord.admin.policy import declare
from tests.web import login


@pytest.fixture
def policy_app(session_runtime, rt):
    app = create_app(session_runtime.config, runtime=session_runtime)
    app.config["TESTING"] = True
    bp = Blueprint("probe", __name__)

    @bp.get("/open")
    @declare("public")
    def open_page():
        return "open"

    @bp.get("/members")
    @declare("authenticated")
    def members():
        return "members"

    @bp.get("/settings")
    @declare("admin")
    def settings():
        return "settings"

    @bp.get("/forgotten")
    def forgotten():  # no declared policy: must never be served
        return "leaked"

    app.register_blueprint(bp, url_prefix="/plugins/probe")
    return app


@pytest.fixture
def policy_client(policy_app):
    return policy_app.test_client()


def test_public_route_needs_no_login(policy_client):
    assert policy_client.get("/plugins/probe/open").get_data(as_text=True) == "open"


def test_authenticated_route_sends_anonymous_to_login(policy_client):
    response = policy_client.get("/plugins/probe/members")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_admin_route_refuses_a_normal_user_and_serves_an_admin(policy_app, world):
    normal, admin = policy_app.test_client(), policy_app.test_client()
    login(normal, "n1@world.test")
    assert normal.get("/plugins/probe/members").get_data(as_text=True) == "members"
    assert normal.get("/plugins/probe/settings").status_code == 403
    login(admin, "a@world.test")
    assert admin.get("/plugins/probe/settings").get_data(as_text=True) == "settings"


def test_undeclared_route_fails_closed(policy_client, world):
    login(policy_client, "a@world.test")
    response = policy_client.get("/plugins/probe/forgotten")
    assert response.status_code == 403
    assert "leaked" not in response.get_data(as_text=True)

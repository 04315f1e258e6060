"""The meta-test (DESIGN §5, SECURITY B7): every URL rule has a declared access policy.

Flask-Admin endpoints ("<view endpoint>.<method>") take the policy of their view
instance; every other endpoint's view function carries `access_policy` (see
accord.admin.policy.declare). Only the two static-file endpoints are exempt.
"""

import pytest
from flask_admin import BaseView, expose

from accord.admin.policy import POLICIES
from accord.admin.views import guard
from accord.admin.views.base import AccessModelView
from tests.web import login
from tests.world import make_user

STATIC_ENDPOINTS = {"static", "admin.static"}


def admin_views(app):
    admin = app.extensions["admin"][0]
    return {view.endpoint: view for view in admin._views}


def policy_of(app, endpoint):
    views = admin_views(app)
    prefix = endpoint.split(".", 1)[0]
    if "." in endpoint and prefix in views:
        return getattr(views[prefix], "access_policy", None)
    function = app.view_functions.get(endpoint)
    return getattr(function, "access_policy", None)


def test_every_endpoint_declares_a_policy(app):
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in STATIC_ENDPOINTS:
            continue
        policy = policy_of(app, rule.endpoint)
        if policy not in POLICIES:
            missing.append(f"{rule.rule} -> {rule.endpoint} ({policy!r})")
    assert not missing, "endpoints without a declared access policy:\n" + "\n".join(missing)


def test_the_sweep_covers_real_routes(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    # Sanity: the meta-test really walks the back office (and would catch a new view).
    for entity in ("lead", "contact", "company", "deal", "task", "appointment", "note"):
        for method in ("index_view", "details_view", "edit_view", "delete_view", "ajax_update"):
            assert f"{entity}.{method}" in endpoints
    assert "document.download_view" in endpoints
    assert "user.create_view" in endpoints


def test_records_views_carry_the_access_policy(app):
    views = admin_views(app)
    records = [v for v in views.values() if v.access_policy == "records"]
    assert {v.endpoint for v in records} >= {
        "lead",
        "contact",
        "company",
        "deal",
        "task",
        "appointment",
        "note",
        "document",
    }
    for view in records:
        assert isinstance(view, AccessModelView), view.endpoint
        # The scoping overrides must not be replaced by a subclass (B7).
        for name in ("get_query", "get_one", "ajax_update", "ajax_lookup", "export"):
            assert getattr(type(view), name) is getattr(AccessModelView, name), (view, name)


def test_settings_views_refuse_a_normal_user(app, client):
    normal = make_user("Plain", "normal")
    login(client, normal.email)
    views = admin_views(app)
    admin_only = [v for v in views.values() if v.access_policy == "admin"]
    assert {v.endpoint for v in admin_only} >= {
        "user",
        "team",
        "pipeline",
        "stage",
        "status",
        "action_type",
        "source",
        "tag",
        "loss_reason",
        "unqualified_reason",
        "custom_field",
        "trash",
        "activity",
        "outbox",
    }
    for view in admin_only:
        url = f"/admin/{view.endpoint}/"
        assert client.get(url).status_code == 403, url
    # The records views are open to the same user, and the home page too.
    assert client.get("/admin/lead/").status_code == 200
    assert client.get("/admin/").status_code == 200


def test_anonymous_visitors_go_to_the_login_page(app, client):
    views = admin_views(app)
    for endpoint in views:
        url = "/admin/" if endpoint == "admin" else f"/admin/{endpoint}/"
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/login"), url


def test_forms_never_offer_protected_fields(app):
    """B10: ids, timestamps, trash marks, custom JSON, creator, derived fields are
    never form fields (the owner is, and the services check it)."""
    from accord.core.services.records import PROTECTED

    offered = PROTECTED - {"owner"}
    with app.test_request_context():
        for view in admin_views(app).values():
            if getattr(view, "access_policy", None) != "records":
                continue
            for form_class in (view._create_form_class, view._edit_form_class):
                names = {name for name, _field in form_class()._fields.items()}
                assert not names & offered, (view.endpoint, names & offered)
            if view.column_editable_list:
                names = set(view._list_form_class()._fields)
                assert not names & (offered | {"owner"}), view.endpoint


def test_plugin_views_must_declare_a_policy(app):
    class Careless(BaseView):
        @expose("/")
        def index(self):
            return "open"

    with pytest.raises(RuntimeError, match="access_policy"):
        guard(Careless(name="Careless", endpoint="careless"))

    class Declared(Careless):
        access_policy = "admin"

    view = guard(Declared(name="Declared", endpoint="declared"))
    with app.test_request_context("/admin/declared/"):
        assert view.is_accessible() is False  # nobody logged in: the policy still applies

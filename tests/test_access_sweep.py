"""SECURITY B7/B10/B11: every user of world W x every record x every back-office surface
agrees with the oracle (tests/oracle.py, written from DESIGN §5, not from the code).

World W is built once for the module and every user logs in once; an allowed write is
undone right after it is checked, so every check starts from the same world.
"""

import datetime as dt
import json
import re
from dataclasses import dataclass
from decimal import Decimal

import pytest
from peewee import BooleanField, ForeignKeyField

from accord.core.db import database
from accord.core.models import Document, Lead, Status, User
from accord.core.seeds import seed_defaults
from accord.core.services import documents
from tests.conftest import clean_database
from tests.oracle import expected, expected_assign
from tests.web import csrf_token, login
from tests.world import ENTITIES, PASSWORD, build_world

USERS = ("A", "M", "N1", "N3", "N4", "R", "D")
CAN_EXPORT = {"admin", "manager", "normal"}  # DESIGN §5: import / export row

# A harmless field each edit form changes, and the value it posts.
EDIT_CHANGE = {
    "lead": ("title", "Swept"),
    "contact": ("city", "Sweepville"),
    "company": ("city", "Sweepville"),
    "deal": ("currency", "USD"),
    "task": ("reminder", "1h"),
    "appointment": ("location", "Sweep room"),
    "note": ("content", "Note swept"),
    "document": ("filename", "swept.txt"),
}
# The inline-editable column of each list (documents have none).
INLINE_CHANGE = {
    "lead": ("status", None),  # a lead status id, filled in by the fixture
    "contact": ("customer_status", "customer"),
    "company": ("customer_status", "customer"),
    "deal": ("hot", "1"),
    "task": ("done", "1"),
    "appointment": ("location", "Inline room"),
    "note": ("content", "Inline note"),
}
# Which ajax lookup offers records of each entity: (view, field name).
LOOKUP = {
    "lead": ("task", "lead"),
    "contact": ("task", "contact"),
    "company": ("deal", "organization"),
    "deal": ("task", "deal"),
}


@dataclass
class Env:
    app: object
    world: object
    clients: dict
    tokens: dict
    views: dict
    upload_dir: str


@pytest.fixture(scope="module")
def env(session_runtime, session_app):
    database.initialize(session_runtime.db)
    session_runtime.activate()
    database.connect(reuse_if_open=True)
    clean_database(session_runtime.db)
    seed_defaults()
    upload_dir = session_app.config["ACCORD_UPLOAD_DIR"]
    world = build_world(upload_dir=upload_dir)
    INLINE_CHANGE["lead"] = ("status", str(Status.get(entity_kind="lead", name="Active").id))
    clients, tokens = {}, {}
    for key in USERS:
        client = session_app.test_client()
        response = login(client, world.users[key].email)
        assert response.status_code == (200 if key == "D" else 302), key
        clients[key] = client
        tokens[key] = csrf_token(client, "/login" if key == "D" else "/admin/")
    admin = session_app.extensions["admin"][0]
    views = {view.endpoint: view for view in admin._views}
    yield Env(session_app, world, clients, tokens, views, upload_dir)
    if not database.is_closed():
        database.close()


# Helpers ----------------------------------------------------------------------------


def records(env):
    for entity in ENTITIES:
        for owner_key, record in env.world.of_entity(entity):
            yield entity, owner_key, record


def users(env):
    for key in USERS:
        yield key, env.world.users[key], env.clients[key]


def sweep(env):
    """(user key, user, client, entity, owner key, record) for every pair that matters.

    The deactivated user is not logged in at all: one record per entity shows that."""
    for key, user, client in users(env):
        for entity, owner_key, record in records(env):
            if key == "D" and owner_key is not None:
                continue
            yield key, user, client, entity, owner_key, record


def fresh(record):
    return type(record).get_or_none(type(record).id == record.id)


def snapshot(env, record):
    row = fresh(record)
    state = {"row": dict(row.__data__) if row else None}
    if isinstance(record, Document):
        state["file"] = documents.path_for(env.upload_dir, record.storage_key).read_bytes()
    return state


def restore(env, record, state):
    """Put the record (and its file) back exactly as the snapshot had it."""
    model = type(record)
    data = {k: v for k, v in state["row"].items() if k != "id"}
    if fresh(record) is None:
        model.insert(id=record.id, **data).execute()
    else:
        model.update(**data).where(model.id == record.id).execute()
    if "file" in state:
        path = documents.path_for(env.upload_dir, record.storage_key)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(state["file"])


def unchanged(env, record, state):
    return snapshot(env, record) == state


def secrets_of(record):
    """Field values that must never show on a refusal page."""
    values = [str(record)]
    for name in ("email", "filename"):
        value = getattr(record, name, "")
        if value:
            values.append(value)
    return values


def shown_values(record):
    """Values a datasheet or edit form of the record shows (its name or name fields)."""
    names = ("name", "last_name", "content", "title", "filename")
    return [str(getattr(record, n)) for n in names if getattr(record, n, None)]


def assert_refused_read(response, record, what):
    assert response.status_code == 404, (what, response.status_code)
    body = response.get_data(as_text=True)
    for value in secrets_of(record):
        assert value not in body, (what, value)


def anonymous_refusal(response):
    """The deactivated user is not logged in: to the login page (or 401 for scripts)."""
    if response.status_code == 302:
        return response.headers["Location"].startswith("/login")
    return response.status_code in (400, 401)


def form_value(field, value):
    if isinstance(field, ForeignKeyField):
        return "__None" if value is None else str(value)
    if isinstance(field, BooleanField):
        return "y" if value else None
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return "" if value is None else str(value)


def edit_form_data(view, record, change):
    fields = type(record)._meta.fields
    data = {}
    for name in view.form_columns:
        value = form_value(fields[name], record.__data__.get(name))
        if value is not None:
            data[name] = value
    data[change[0]] = change[1]
    return data


def details_marker(record):
    return re.compile(rf"details/\?id={record.id}&amp;")


# The sweep ---------------------------------------------------------------------------


def test_list_and_search(env):
    for key, user, client in users(env):
        for entity in ENTITIES:
            page = client.get(f"/admin/{entity}/")
            if key == "D":
                assert anonymous_refusal(page)
                continue
            assert page.status_code == 200, (key, entity)
            body = page.get_data(as_text=True)
            for owner_key, record in env.world.of_entity(entity):
                want = expected(user, "view", record)
                assert (str(record) in body) == want, (key, entity, owner_key)
                assert bool(details_marker(record).search(body)) == want
        if key == "D":
            continue  # not logged in: the lists above already sent D to the login page
        for entity, owner_key, record in records(env):
            found = client.get(f"/admin/{entity}/", query_string={"search": str(record)})
            body = found.get_data(as_text=True)
            assert found.status_code == 200
            assert bool(details_marker(record).search(body)) == expected(user, "view", record), (
                key,
                entity,
                owner_key,
            )


def test_details_and_edit_form(env):
    for key, user, client, entity, owner_key, record in sweep(env):
        what = (key, entity, owner_key)
        for surface in ("details", "edit"):
            response = client.get(f"/admin/{entity}/{surface}/?id={record.id}")
            if key == "D":
                assert anonymous_refusal(response), what
                continue
            action = "view" if surface == "details" else "edit"
            if expected(user, action, record):
                assert response.status_code == 200, (*what, surface)
                body = response.get_data(as_text=True)
                assert any(value in body for value in shown_values(record)), what
            elif not expected(user, "view", record):
                assert_refused_read(response, record, (*what, surface))
            else:
                assert response.status_code == 403, (*what, surface)


def test_edit_post(env):
    for key, user, client, entity, owner_key, record in sweep(env):
        what = (key, entity, owner_key)
        view = env.views[entity]
        change = EDIT_CHANGE[entity]
        state = snapshot(env, record)
        data = edit_form_data(view, fresh(record), change)
        data["csrf_token"] = env.tokens[key]
        response = client.post(f"/admin/{entity}/edit/?id={record.id}", data=data)
        if expected(user, "edit", record):
            assert response.status_code == 302, (*what, response.get_data(as_text=True)[-3000:])
            assert getattr(fresh(record), change[0]) == change[1], what
            restore(env, record, state)
        else:
            if key == "D":
                assert anonymous_refusal(response), what
            else:
                assert response.status_code in (403, 404), what
            assert unchanged(env, record, state), what


def test_delete_and_bulk_delete(env):
    for surface in ("delete", "action"):
        for key, user, client, entity, owner_key, record in sweep(env):
            what = (surface, key, entity, owner_key)
            state = snapshot(env, record)
            data = {"csrf_token": env.tokens[key]}
            if surface == "delete":
                data["id"] = str(record.id)
            else:
                data.update(action="delete", rowid=str(record.id))
            response = client.post(f"/admin/{entity}/{surface}/", data=data)
            if expected(user, "delete", record):
                assert response.status_code == 302, what
                row = fresh(record)
                assert row is None or row.deleted_at is not None, what
                restore(env, record, state)
            else:
                if key == "D":
                    assert anonymous_refusal(response), what
                else:
                    assert response.status_code in (403, 404), what
                    body = response.get_data(as_text=True)
                    assert not any(v in body for v in secrets_of(record)), what
                assert unchanged(env, record, state), what


def test_inline_ajax_update(env):
    for key, user, client, entity, owner_key, record in sweep(env):
        what = (key, entity, owner_key)
        state = snapshot(env, record)
        if entity not in INLINE_CHANGE:
            # Documents have no inline-editable column: the route answers 404.
            response = client.post(
                f"/admin/{entity}/ajax/update/",
                data={
                    "list_form_pk": record.id,
                    "filename": "x",
                    "csrf_token": env.tokens[key],
                },
            )
            assert response.status_code == 404 or (key == "D" and anonymous_refusal(response))
            assert unchanged(env, record, state)
            continue
        name, value = INLINE_CHANGE[entity]
        response = client.post(
            f"/admin/{entity}/ajax/update/",
            data={"list_form_pk": str(record.id), name: value, "csrf_token": env.tokens[key]},
        )
        if expected(user, "edit", record):
            assert response.status_code == 200, (*what, response.get_data(as_text=True))
            assert not unchanged(env, record, state), what
            restore(env, record, state)
        else:
            if key == "D":
                assert anonymous_refusal(response), what
            else:
                assert response.status_code in (403, 404), what
            assert unchanged(env, record, state), what


def test_export_csv(env):
    for key, user, client in users(env):
        for entity in ENTITIES:
            response = client.get(f"/admin/{entity}/export/csv/")
            if key == "D":
                assert anonymous_refusal(response)
                continue
            if user.role not in CAN_EXPORT:
                assert response.status_code == 403, (key, entity)
                continue
            assert response.status_code == 200, (key, entity)
            assert response.headers["Content-Disposition"].startswith("attachment")
            body = response.get_data(as_text=True)
            for owner_key, record in env.world.of_entity(entity):
                want = expected(user, "view", record)
                assert (str(record) in body) == want, (key, entity, owner_key)


def test_ajax_lookups(env):
    for key, user, client, entity, owner_key, record in sweep(env):
        if entity not in LOOKUP:
            continue
        view, field = LOOKUP[entity]
        response = client.get(
            f"/admin/{view}/ajax/lookup/", query_string={"name": field, "query": str(record)}
        )
        if key == "D":
            assert anonymous_refusal(response)
            continue
        assert response.status_code == 200, (key, entity)
        ids = [row[0] for row in json.loads(response.get_data(as_text=True))]
        assert (record.id in ids) == expected(user, "view", record), (key, entity, owner_key)
        # The owner lookup offers exactly the users this user may assign to.
        if key == "D":
            continue
        response = client.get(
            "/admin/lead/ajax/lookup/", query_string={"name": "owner", "limit": 50}
        )
        offered = {row[0] for row in json.loads(response.get_data(as_text=True))}
        everyone = list(User.select())
        want = {u.id for u in everyone if u.active and expected_assign(user, u.id, everyone)}
        assert offered == want, key


def test_document_download(env):
    for key, user, client in users(env):
        for owner_key, document in env.world.of_entity("document"):
            response = client.get(f"/admin/document/download/?id={document.id}")
            what = (key, owner_key)
            if key == "D":
                assert anonymous_refusal(response), what
            elif expected(user, "view", document):
                assert response.status_code == 200, what
                tag = owner_key or "nobody"
                assert response.get_data() == f"secret of {tag}".encode()
                assert response.headers["Content-Disposition"].startswith("attachment")
            else:
                assert_refused_read(response, document, what)
                assert b"secret of" not in response.get_data()


def test_company_and_person_views_do_not_mix(env):
    client = env.clients["A"]
    company = env.world.record("company", "N1")
    person = env.world.record("contact", "N1")
    assert client.get(f"/admin/contact/details/?id={company.id}").status_code == 404
    assert client.get(f"/admin/company/details/?id={person.id}").status_code == 404
    assert client.get(f"/admin/company/details/?id={company.id}").status_code == 200


def test_deactivated_user_cannot_log_in(env):
    client = env.app.test_client()
    response = login(client, env.world.users["D"].email, PASSWORD)
    assert response.status_code == 200  # the login page again, with an error
    assert client.get("/admin/").status_code == 302


# B10: mass assignment ------------------------------------------------------------------


OWNER_REFUSED = re.compile(r"cannot assign this record|not a choice you can make")


def _lead_form(lead, **changes):
    data = {
        "first_name": lead.first_name,
        "last_name": lead.last_name,
        "email": lead.email,
        "owner": "" if lead.owner_id is None else str(lead.owner_id),
    }
    data.update(changes)
    return data


def test_owner_beyond_rights_is_refused_on_create(env):
    w = env.world
    cases = [("N1", "N4"), ("R", "N1"), ("M", "N4"), ("N1", "M")]
    for actor, target in cases:
        before = Lead.select().count()
        data = _lead_form(
            Lead(first_name="Mass", last_name=f"Assign{actor}"), owner=w.users[target].id
        )
        data["csrf_token"] = env.tokens[actor]
        response = env.clients[actor].post("/admin/lead/new/", data=data)
        assert response.status_code in (200, 403), (actor, target)
        if response.status_code == 200:
            body = response.get_data(as_text=True)
            assert OWNER_REFUSED.search(body), (actor, target)
            assert f"Assign{actor}" in body  # what the user typed is kept
        assert Lead.select().count() == before, (actor, target)


def test_owner_within_rights_is_accepted(env):
    w = env.world
    for actor, target in (("M", "N3"), ("A", "N4"), ("R", "R")):
        data = _lead_form(Lead(first_name="Kept", last_name=f"By{actor}"), owner=w.users[target].id)
        data["csrf_token"] = env.tokens[actor]
        response = env.clients[actor].post("/admin/lead/new/", data=data)
        assert response.status_code == 302, (actor, response.get_data(as_text=True)[-2000:])
        lead = Lead.get(Lead.last_name == f"By{actor}")
        assert lead.owner_id == w.users[target].id
        lead.delete_instance()


def test_owner_change_beyond_rights_is_refused_on_edit(env):
    w = env.world
    for actor, record_owner, target in (("N1", "N1", "N4"), ("R", "R", "N1"), ("M", "N1", "N4")):
        lead = w.record("lead", record_owner)
        state = snapshot(env, lead)
        data = _lead_form(fresh(lead), owner=str(w.users[target].id), title="changed too")
        data["csrf_token"] = env.tokens[actor]
        response = env.clients[actor].post(f"/admin/lead/edit/?id={lead.id}", data=data)
        assert response.status_code in (200, 403), actor
        assert unchanged(env, lead, state), (actor, "nothing changes, not even the title")


def test_protected_fields_are_ignored(env):
    """id, created_at, deleted_at, custom, creator, converted_at posted through the form
    and inline edit change nothing."""
    w = env.world
    lead = w.record("lead", "N1")
    state = snapshot(env, lead)
    forged = {
        "id": "999",
        "created_at": "2001-01-01 00:00:00",
        "updated_at": "2001-01-01 00:00:00",
        "deleted_at": "2001-01-01 00:00:00",
        "custom": '{"x": 1}',
        "converted_at": "2001-01-01 00:00:00",
        "storage_key": "../../etc/passwd",
        "pipeline": "1",
    }
    data = _lead_form(fresh(lead), **forged)
    data["csrf_token"] = env.tokens["N1"]
    response = env.clients["N1"].post(f"/admin/lead/edit/?id={lead.id}", data=data)
    assert response.status_code == 302
    row = fresh(lead)
    for name in ("id", "created_at", "deleted_at", "custom", "converted_at", "owner"):
        assert row.__data__[name] == state["row"][name], name
    response = env.clients["N1"].post(
        "/admin/lead/ajax/update/",
        data={
            "list_form_pk": str(lead.id),
            "status": INLINE_CHANGE["lead"][1],
            "owner": str(w.users["N4"].id),
            "created_at": "2001-01-01 00:00:00",
            "csrf_token": env.tokens["N1"],
        },
    )
    assert response.status_code == 200
    row = fresh(lead)
    assert row.owner_id == w.users["N1"].id
    assert row.created_at == state["row"]["created_at"]
    restore(env, lead, state)


def test_forged_link_to_a_hidden_record_is_refused(env):
    """R may not link its task to N1's deal by posting its id (it would reveal it)."""
    w = env.world
    task = w.record("task", "R")
    state = snapshot(env, task)
    data = edit_form_data(env.views["task"], fresh(task), ("deal", str(w.record("deal", "N1").id)))
    data["csrf_token"] = env.tokens["R"]
    response = env.clients["R"].post(f"/admin/task/edit/?id={task.id}", data=data)
    assert response.status_code == 200
    assert "Deal of N1" not in response.get_data(as_text=True)
    assert unchanged(env, task, state)


# B11: role administration ------------------------------------------------------------


def test_non_admins_cannot_administer_users(env):
    w = env.world
    victim = w.users["N4"]
    for key in ("M", "N1", "R"):
        client = env.clients[key]
        assert client.get("/admin/user/").status_code == 403
        assert client.get("/admin/user/new/").status_code == 403
        assert client.get(f"/admin/user/edit/?id={victim.id}").status_code == 403
        before = User.select().count()
        response = client.post(
            "/admin/user/new/",
            data={
                "email": f"sneaky-{key.lower()}@x.test",
                "role": "admin",
                "password": "long enough password",
                "csrf_token": env.tokens[key],
            },
        )
        assert response.status_code == 403
        assert User.select().count() == before
        response = client.post(
            f"/admin/user/edit/?id={w.users[key].id}",
            data={"email": w.users[key].email, "role": "admin", "csrf_token": env.tokens[key]},
        )
        assert response.status_code == 403
        assert User.get_by_id(w.users[key].id).role == w.users[key].role


def test_last_admin_cannot_demote_self(env):
    admin = env.world.users["A"]
    data = {
        "email": admin.email,
        "first_name": admin.first_name,
        "last_name": admin.last_name,
        "role": "normal",
        "locale": "en",
        "timezone": "UTC",
        "manager": "__None",
        "team": "__None",
        "active": "y",
        "csrf_token": env.tokens["A"],
    }
    response = env.clients["A"].post(f"/admin/user/edit/?id={admin.id}", data=data)
    assert response.status_code == 200
    assert "last active administrator" in response.get_data(as_text=True)
    assert User.get_by_id(admin.id).role == "admin"
    data.update(role="admin")
    data.pop("active")  # deactivating the last admin is refused as well
    response = env.clients["A"].post(f"/admin/user/edit/?id={admin.id}", data=data)
    assert response.status_code == 200
    assert User.get_by_id(admin.id).active

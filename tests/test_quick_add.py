"""The universal Add button: a short form per kind that creates through the services
and goes back to where the user was (a same-origin path only)."""

import datetime as dt
import re
from decimal import Decimal

import pytest

from accord.core.models import Appointment, Contact, Deal, Lead, Note, Stage, Task, User
from tests.web import csrf_token, login
from tests.world import build_world

NEXT = "/admin/profile/?tab=1"

# kind -> (a valid short form, model, how to find the created record)
VALID = {
    "lead": (
        {
            "first_name": "Quick",
            "last_name": "Lead",
            "organization_name": "Qco",
            "email": "q@l.test",
        },
        Lead,
        lambda: Lead.get_or_none(Lead.name == "Quick Lead"),
    ),
    "contact": (
        {"first_name": "Quick", "last_name": "Person", "email": "qp@x.test", "phone": "+1 555"},
        Contact,
        lambda: Contact.get_or_none(Contact.name == "Quick Person"),
    ),
    "company": (
        {"name": "Quick Company Ltd", "phone": "+1 556"},
        Contact,
        lambda: Contact.get_or_none(Contact.name == "Quick Company Ltd"),
    ),
    "deal": (
        {"name": "Quick deal", "value": "1234.50", "currency": "usd"},
        Deal,
        lambda: Deal.get_or_none(Deal.name == "Quick deal"),
    ),
    "task": (
        {"content": "Quick task", "due_at": "2031-03-04T10:30"},
        Task,
        lambda: Task.get_or_none(Task.content == "Quick task"),
    ),
    "appointment": (
        {"title": "Quick meeting", "starts_at": "2031-03-05T14:00", "location": "Office"},
        Appointment,
        lambda: Appointment.get_or_none(Appointment.title == "Quick meeting"),
    ),
    "note": (
        {"content": "Quick note"},
        Note,
        lambda: Note.get_or_none(Note.content == "Quick note"),
    ),
}


def text(response):
    return response.get_data(as_text=True)


def add(client, kind, data, next_url=NEXT, token=None):
    url = f"/admin/add/{kind}/"
    query = {"next": next_url} if next_url is not None else {}
    payload = dict(data)
    if token is not False:
        payload["csrf_token"] = token or csrf_token(client, f"/admin/add/{kind}/")
    return client.post(url, query_string=query, data=payload)


@pytest.fixture
def w(rt):
    return build_world()


@pytest.mark.parametrize("kind", list(VALID))
def test_each_kind_creates_and_goes_back(w, client, kind):
    user = w.users["N1"]
    user.timezone = "Europe/Budapest"  # typed times are the user's own
    user.save()
    login(client, user.email)
    form = client.get(f"/admin/add/{kind}/", query_string={"next": NEXT})
    assert form.status_code == 200
    assert 'id="quick-add-form"' in text(form) and 'name="csrf_token"' in text(form)
    data, model, find = VALID[kind]
    response = add(client, kind, data)
    assert response.status_code == 302, text(response)
    assert response.headers["Location"] == NEXT
    record = find()
    assert record is not None and record.owner_id == user.id
    endpoint = "company" if kind == "company" else kind
    # The flash on the page we return to links to the new record.
    back = text(client.get(NEXT))
    assert re.search(rf'created\.|href="/admin/{endpoint}/details/\?id={record.id}"', back)
    assert f'href="/admin/{endpoint}/details/?id={record.id}"' in back
    if kind == "deal":
        assert record.value == Decimal("1234.50") and record.currency == "USD"
        assert record.stage.category == "active" and record.stage.pipeline.is_default
    if kind == "company":
        assert record.is_organization
    if kind == "contact":
        assert not record.is_organization and record.email == "qp@x.test"
    if kind == "task":
        assert record.due_at == dt.datetime(2031, 3, 4, 9, 30)  # 10:30 in Budapest (CET)
        assert record.creator_id == user.id
    if kind == "appointment":
        assert record.starts_at == dt.datetime(2031, 3, 5, 13, 0)
        assert record.ends_at == dt.datetime(2031, 3, 5, 14, 0)  # an hour unless told


def test_validation_errors_keep_the_input(w, client):
    login(client, w.users["N1"].email)
    before = Lead.select().count()
    response = add(client, "lead", {"first_name": "", "last_name": "", "email": "kept@x.test"})
    body = text(response)
    assert response.status_code == 200
    assert "A lead needs a name or an organization." in body
    assert 'value="kept@x.test"' in body
    assert Lead.select().count() == before
    bad_email = text(add(client, "lead", {"last_name": "Keeps Me", "email": "not-an-email"}))
    assert "Enter an email address." in bad_email and 'value="Keeps Me"' in bad_email
    deal = text(add(client, "deal", {"name": "Typed deal", "value": "-5", "currency": "EURO"}))
    assert 'value="Typed deal"' in deal and "Three letters" in deal
    assert not Deal.select().where(Deal.name == "Typed deal").exists()
    task = text(add(client, "task", {"content": "", "due_at": "tomorrow"}))
    assert "is-invalid" in task and not Task.select().where(Task.content == "").exists()


def test_unsafe_next_is_ignored(w, client):
    login(client, w.users["N1"].email)
    for n, target in enumerate(
        ("//evil.example/x", "https://evil.example/", "/\\evil", "%2F%2Fevil")
    ):
        response = add(client, "note", {"content": f"Next test {n}"}, next_url=target)
        assert response.status_code == 302
        note = Note.get(Note.content == f"Next test {n}")
        # Not the unsafe target: the new record's datasheet instead.
        assert response.headers["Location"] == f"/admin/note/details/?id={note.id}", target
    form = text(client.get("/admin/add/note/", query_string={"next": "//evil.example/"}))
    assert "evil.example" not in form


def test_csrf_token_is_required(w, client):
    login(client, w.users["N1"].email)
    response = add(client, "lead", {"last_name": "No token"}, token=False)
    assert response.status_code == 400
    forged = add(client, "lead", {"last_name": "Forged token"}, token="forged")
    assert forged.status_code == 400
    assert not Lead.select().where(Lead.last_name.in_(["No token", "Forged token"])).exists()
    assert client.get("/admin/add/lead/?last_name=Via+GET").status_code == 200
    assert not Lead.select().where(Lead.last_name == "Via GET").exists()


def test_restricted_user_creates_only_as_themselves(w, client):
    restricted, other = w.users["R"], w.users["N1"]
    login(client, restricted.email)
    form = text(client.get("/admin/add/deal/"))
    assert 'name="owner"' not in form
    response = add(client, "deal", {"name": "R's deal", "owner": str(other.id)})
    assert response.status_code == 302
    assert Deal.get(Deal.name == "R's deal").owner_id == restricted.id
    # A link to a record R cannot see is refused, not silently made.
    hidden = w.record("deal", "N1")
    refused = add(client, "task", {"content": "Sneaky", "linked": f"deal:{hidden.id}"})
    assert refused.status_code == 200 and "Not found" in text(refused)
    assert not Task.select().where(Task.content == "Sneaky").exists()
    assert "Deal of N1" not in text(refused)
    own = w.record("deal", "R")
    ok = add(client, "task", {"content": "Mine", "linked": f"deal:{own.id}"})
    assert ok.status_code == 302 and Task.get(Task.content == "Mine").deal_id == own.id
    # Contacts of others cannot be a deal's contact either.
    person = w.record("contact", "N4")
    refused = add(client, "deal", {"name": "R deal 2", "contact": str(person.id)})
    assert refused.status_code == 200 and not Deal.select().where(Deal.name == "R deal 2").exists()


def test_owner_choice_follows_assign_rights(w, client):
    manager, admin = w.users["M"], w.users["A"]
    login(client, manager.email)
    form = text(client.get("/admin/add/lead/"))
    options = dict(
        (int(v), n) for v, n in re.findall(r'<option[^>]*value="(\d+)"[^>]*>([^<]+)<', form)
    )
    assert set(options) == {manager.id, w.users["N1"].id, w.users["N2"].id, w.users["N3"].id}
    refused = add(client, "lead", {"last_name": "For N4", "owner": str(w.users["N4"].id)})
    assert refused.status_code == 200 and "Not a valid choice" in text(refused)
    assert not Lead.select().where(Lead.last_name == "For N4").exists()
    assert (
        add(client, "lead", {"last_name": "For N3", "owner": str(w.users["N3"].id)}).status_code
        == 302
    )
    assert Lead.get(Lead.last_name == "For N3").owner_id == w.users["N3"].id
    other = client.application.test_client()
    login(other, admin.email)
    assert (
        add(other, "lead", {"last_name": "For N4", "owner": str(w.users["N4"].id)}).status_code
        == 302
    )
    assert Lead.get(Lead.last_name == "For N4").owner_id == w.users["N4"].id
    assert add(other, "lead", {"last_name": "Nobody's", "owner": ""}).status_code == 302
    assert Lead.get(Lead.last_name == "Nobody's").owner_id is None
    inactive = w.users["D"]
    assert add(other, "lead", {"last_name": "For D", "owner": str(inactive.id)}).status_code == 200


def test_opened_from_a_datasheet_it_links_to_that_record(w, client):
    login(client, w.users["N1"].email)
    deal = w.record("deal", "N3")
    page = f"/admin/deal/details/?id={deal.id}"
    form = text(client.get("/admin/add/note/", query_string={"next": page}))
    assert f'value="deal:{deal.id}"' in form and "Deal of N3" in form
    assert (
        add(client, "note", {"content": "On the deal", "linked": f"deal:{deal.id}"}, page).headers[
            "Location"
        ]
        == page
    )
    assert Note.get(Note.content == "On the deal").deal_id == deal.id
    company = w.record("company", "N4")
    form = text(
        client.get(
            "/admin/add/deal/", query_string={"next": f"/admin/company/details/?id={company.id}"}
        )
    )
    assert f'value="{company.id}"' in form
    add(client, "deal", {"name": "Company deal", "contact": str(company.id)})
    made = Deal.get(Deal.name == "Company deal")
    assert made.organization_id == company.id and made.contact_id is None
    person = w.record("contact", "N4")  # works at company N4
    add(client, "deal", {"name": "Person deal", "contact": str(person.id)})
    made = Deal.get(Deal.name == "Person deal")
    assert made.contact_id == person.id and made.organization_id == company.id


def test_lookups_are_scoped(w, client):
    login(client, w.users["R"].email)
    hidden = client.get("/admin/add/lookup/record/", query_string={"query": "OfN1"}).get_json()
    assert hidden == []
    mine = client.get("/admin/add/lookup/record/", query_string={"query": "of R"}).get_json()
    values = {v for v, _label in mine}
    assert f"deal:{w.record('deal', 'R').id}" in values
    assert f"contact:{w.record('company', 'R').id}" in values
    companies = client.get(
        "/admin/add/lookup/company/", query_string={"query": "Company"}
    ).get_json()
    assert {int(v) for v, _l in companies} == {w.record("company", k).id for k in ("R", None)}
    assert client.get("/admin/add/lookup/user/?query=a").status_code == 404
    assert client.get("/admin/add/nothing/").status_code == 404


def test_add_menu_is_on_every_page_and_comes_back(w, client):
    assert client.get("/admin/add/lead/").status_code == 302  # login first
    assert client.get("/admin/add/lookup/record/?query=Of").status_code == 302
    login(client, w.users["N4"].email)
    body = text(client.get("/admin/profile/"))
    for kind in VALID:
        assert f'href="/admin/add/{kind}/?next=/admin/profile/"' in body, kind
    home = text(client.get("/admin/?kind=deal"))
    assert 'href="/admin/add/lead/?next=/admin/?kind%3Ddeal"' in home


def test_stage_must_be_an_active_stage(w, client):
    login(client, w.users["N1"].email)
    won = Stage.get(Stage.category == "won")
    response = add(client, "deal", {"name": "Won at once", "stage": str(won.id)})
    assert response.status_code == 200 and "Not a valid choice" in text(response)
    assert not Deal.select().where(Deal.name == "Won at once").exists()
    assert User.select().count() == len(w.users)

"""The datasheet of a lead, person, company and deal, as a sales person uses it: header,
to-dos, history, linked lists, documents, quick adds, plugins' panels — and what a
restricted user must not see there."""

import datetime as dt
import io
import re

import pytest

from accord.core.models import (
    ActionType,
    Appointment,
    Contact,
    Deal,
    Document,
    Note,
    Stage,
    Status,
    Task,
    User,
)
from accord.core.services import activity, deals, documents, records, tasks
from tests.oracle import expected
from tests.web import csrf_token, login
from tests.world import build_world, make_user

KINDS = ("lead", "contact", "company", "deal")
# The field of a to-do, note, appointment or document that points at each kind.
ENTITY_LINK = {"lead": "lead", "contact": "contact", "company": "contact", "deal": "deal"}
PAST = dt.datetime(2000, 1, 1, 9, 0)
NEXT_CARD = re.compile(r'<div class="card[ "]')
FUTURE = dt.datetime(2040, 1, 1, 9, 0)


def text(response):
    return response.get_data(as_text=True)


def sheet(client, entity, record, **args):
    query = "".join(f"&{k}={v}" for k, v in args.items())
    response = client.get(f"/admin/{entity}/details/?id={record.id}{query}")
    assert response.status_code == 200, (entity, response.status_code)
    return text(response)


def section(body, element_id):
    """The HTML of one card of the page (up to the next card)."""
    start = body.index(f'id="{element_id}"')
    found = NEXT_CARD.search(body, start + 1)
    return body[start : found.start() if found else len(body)]


def todo_items(body):
    """{task id: the <li> of that open to-do}."""
    found = re.findall(
        r'(<li class="[^"]*accord-todo[^"]*" data-task="(\d+)">.*?</li>)', body, re.S
    )
    return {int(task_id): html for html, task_id in found}


def test_deal_datasheet_header_todos_history_and_stage_history(app, client):
    world = build_world()
    user, admin = world.users["N1"], world.users["A"]
    deal = world.record("deal", "N1")
    company = world.record("company", "N1")
    records.update(admin, deal, {"organization": company.id, "hot": True, "currency": "EUR"})
    call = ActionType.get(ActionType.name == "Call")
    late = records.create(
        user,
        Task,
        {"content": "Call back late", "due_at": PAST, "deal": deal.id, "action_type": call.id},
    )
    soon = records.create(
        user, Task, {"content": "Send the offer", "due_at": FUTURE, "deal": deal.id}
    )
    finished = records.create(user, Task, {"content": "Qualify the budget", "deal": deal.id})
    tasks.complete(user, finished)
    note = records.create(user, Note, {"content": "They want a discount", "deal": deal.id})
    # One second apart at most: put the note and the done to-do clearly in the past.
    hour = dt.timedelta(hours=1)
    Note.update(created_at=note.created_at - 2 * hour).where(Note.id == note.id).execute()
    Task.update(done_at=finished.done_at - 3 * hour).where(Task.id == finished.id).execute()
    quote = Stage.get(Stage.name == "Quote")
    deals.move_stage(user, deal, quote)
    login(client, user.email)

    body = sheet(client, "deal", deal)
    header = section(body, "sheet-name")
    assert deal.name in header
    assert "€1,000.00" in body
    assert "Sales › Quote" in body
    assert "40% (from the stage)" in body
    assert "Hot" in header
    assert f'href="/admin/contact/details/?id={deal.contact_id}"' in body
    assert f'href="/admin/company/details/?id={company.id}"' in body
    assert "N1 World" in header  # the owner

    todos = todo_items(body)
    assert set(todos) == {late.id, soon.id, world.record("task", "N1").id}
    assert "accord-todo-overdue" in todos[late.id] and "overdue" in todos[late.id]
    assert "accord-todo-overdue" not in todos[soon.id]
    assert f"accord-actiontype-{call.id}" in todos[late.id]  # its coloured action badge
    assert finished.id not in todos

    history = section(body, "history")
    assert "They want a discount" in history
    assert '<s class="text-muted">Qualify the budget</s>' in history
    stage_change = re.search(r'<li data-field="stage">(.*?)</li>', history, re.S).group(1)
    assert re.search(r"Incoming</span>\s*→\s*<span class=\"accord-new\">Quote", stage_change)
    # Newest first: the stage move came after the note and the completed to-do.
    assert history.index("Quote") < history.index("They want a discount")
    assert history.index("They want a discount") < history.index("Qualify the budget")

    stages = section(body, "stage-history")
    assert "Incoming" in stages and "Quote" in stages
    assert stages.index("Incoming") < stages.index("<strong>Quote</strong>")


def test_probability_set_on_the_deal_wins_over_the_stage(app, client):
    world = build_world()
    deal = world.record("deal", "N1")
    records.update(world.users["A"], deal, {"probability": 75})
    login(client, world.users["N1"].email)
    assert "75% (set on the deal)" in sheet(client, "deal", deal)


def test_company_person_and_lead_datasheets(app, client):
    world = build_world()
    user, admin = world.users["N1"], world.users["A"]
    company = world.record("company", "N1")
    person = world.record("contact", "N1")
    records.update(admin, person, {"title": "Director", "phone": "+36 1 234 5678"})
    accountant = records.create(
        user,
        Contact,
        {
            "first_name": "Ada",
            "last_name": "Count",
            "title": "Accountant",
            "organization": company.id,
        },
    )
    company_deal = records.create(
        user, Deal, {"name": "Company-wide licence", "value": "5000", "organization": company.id}
    )
    login(client, user.email)

    body = sheet(client, "company", company)
    people = section(body, "linked-people")
    assert "Director" in people and "Accountant" in people
    assert f"/admin/contact/details/?id={accountant.id}" in people
    assert "Company-wide licence" in section(body, "linked-deals")

    body = sheet(client, "contact", person)
    assert f'href="mailto:{person.email}"' in body
    assert 'href="tel:+3612345678"' in body
    assert f'href="/admin/company/details/?id={company.id}"' in body  # its organization
    deals_html = section(body, "linked-deals")
    assert world.record("deal", "N1").name in deals_html
    assert company_deal.name not in deals_html  # the company's, not this person's
    # The seeded appointment and note of this person are on their sheet.
    assert world.record("appointment", "N1").title in section(body, "appointments")
    assert world.record("note", "N1").content in section(body, "history")

    lead = world.record("lead", "N1")
    status = Status.get(Status.entity_kind == "lead", Status.name == "New")
    body = sheet(client, "lead", lead)
    assert f"accord-status-{status.id}" in section(body, "sheet-name")
    assert f"/admin/lead/convert/?id={lead.id}" in body
    assert f'href="mailto:{lead.email}"' in body
    # A person's id is no company: the company view does not show it.
    assert client.get(f"/admin/company/details/?id={person.id}").status_code == 404


def test_history_names_owner_and_status_changes(app, client):
    world = build_world()
    admin = world.users["A"]
    lead = world.record("lead", "N1")
    active = Status.get(Status.entity_kind == "lead", Status.name == "Active")
    records.update(admin, lead, {"status": active.id}, owner=world.users["N3"].id)
    # Values of other kinds (custom-field JSON, dates) read as text, never as an error.
    activity.log(admin, "updated", lead, {"custom": ({}, {"rating": 3}), "title": ("", "CEO")})
    login(client, admin.email)
    history = section(sheet(client, "lead", lead), "history")
    custom = re.search(r'<li data-field="custom">(.*?)</li>', history, re.S).group(1)
    assert "changed" in custom
    assert re.search(r'<li data-field="title">.*?CEO', history, re.S)
    status = re.search(r'<li data-field="status">(.*?)</li>', history, re.S).group(1)
    assert "New" in status and "Active" in status
    owner = re.search(r'<li data-field="owner">(.*?)</li>', history, re.S).group(1)
    assert "N1 World" in owner and "N3 World" in owner
    assert "Created" in history


def test_restricted_user_sees_foreign_links_as_names_and_no_hidden_rows(app, client):
    world = build_world(upload_dir=app.config["ACCORD_UPLOAD_DIR"])
    admin, r = world.users["A"], world.users["R"]
    deal = world.record("deal", "R")
    foreign_org = world.record("company", "N1")
    foreign_person = world.record("contact", "N1")
    records.update(admin, deal, {"organization": foreign_org.id, "contact": foreign_person.id})
    foreign_rows = {
        "task": records.create(
            admin, Task, {"content": "Hidden task", "deal": deal.id}, owner=world.users["N1"]
        ),
        "note": records.create(
            admin, Note, {"content": "Hidden note", "deal": deal.id}, owner=world.users["N1"]
        ),
        "appointment": records.create(
            admin,
            Appointment,
            {"title": "Hidden meeting", "starts_at": FUTURE, "deal": deal.id},
            owner=world.users["N1"],
        ),
    }
    doc = documents.store(
        admin,
        app.config["ACCORD_UPLOAD_DIR"],
        "hidden.pdf",
        io.BytesIO(b"x"),
        link={"deal": deal.id},
    )
    records.assign(admin, doc, world.users["N1"].id)
    mine = records.create(r, Note, {"content": "My own note", "deal": deal.id})
    login(client, r.email)

    body = sheet(client, "deal", deal)
    assert foreign_org.name in body and foreign_person.name in body
    assert f"/admin/company/details/?id={foreign_org.id}" not in body
    assert f"/admin/contact/details/?id={foreign_person.id}" not in body
    for value in ("Hidden task", "Hidden note", "Hidden meeting", "hidden.pdf"):
        assert value not in body, value
    assert f"/admin/task/edit/?id={foreign_rows['task'].id}" not in body
    assert f"/admin/appointment/details/?id={foreign_rows['appointment'].id}" not in body
    assert f"/admin/document/download/?id={doc.id}" not in body
    assert mine.content in body

    # An unowned company R may see: N1's person there is not listed.
    company = world.record("company", None)
    records.update(admin, foreign_person, {"organization": company.id})
    visible_person = world.record("contact", None)
    body = sheet(client, "company", company)
    people = section(body, "linked-people")
    assert visible_person.name in people
    assert foreign_person.name not in people


@pytest.mark.parametrize("entity", ["lead", "contact", "company", "deal"])
def test_hidden_record_is_404_on_every_datasheet_route(app, client, entity):
    world = build_world()
    record = world.record(entity, "N1")
    login(client, world.users["R"].email)
    response = client.get(f"/admin/{entity}/details/?id={record.id}")
    assert response.status_code == 404
    assert record.name not in text(response)
    token = csrf_token(client, "/admin/")
    for route in ("add_todo", "add_note", "complete_todo", "upload_document", "delete_document"):
        response = client.post(
            f"/admin/{entity}/{route}/?id={record.id}",
            data={"csrf_token": token, "content": "sneaky", "task": "1", "document": "1"},
        )
        assert response.status_code == 404, route
    assert not Note.select().where(Note.content == "sneaky").exists()
    assert not Task.select().where(Task.content == "sneaky").exists()
    assert client.get(f"/admin/{entity}/details/?id=999999").status_code == 404
    assert client.get(f"/admin/{entity}/details/?id=abc").status_code == 404


def test_quick_add_note_and_task_without_leaving_the_page(app, client):
    world = build_world()
    user = world.users["N1"]
    User.update(timezone="Europe/Budapest").where(User.id == user.id).execute()
    contact = world.record("contact", "N1")
    login(client, user.email)
    url = f"/admin/contact/details/?id={contact.id}"
    token = csrf_token(client, url)

    response = client.post(
        f"/admin/contact/add_note/?id={contact.id}",
        data={"csrf_token": token, "content": "Met at the fair.\nLikes the blue model."},
    )
    assert response.status_code == 302
    assert response.headers["Location"].startswith(url)
    note = Note.get(Note.content.startswith("Met at the fair"))
    assert (note.contact_id, note.owner_id) == (contact.id, user.id)
    assert "Likes the blue model." in section(text(client.get(url)), "history")

    meeting = ActionType.get(ActionType.name == "Meeting")
    response = client.post(
        f"/admin/contact/add_todo/?id={contact.id}",
        data={
            "csrf_token": token,
            "content": "Show the demo",
            "due": "2031-06-01T10:00",
            "action_type": str(meeting.id),
        },
    )
    assert response.status_code == 302
    task = Task.get(Task.content == "Show the demo")
    assert task.contact_id == contact.id and task.owner_id == user.id
    assert task.due_at == dt.datetime(2031, 6, 1, 8, 0)  # typed in Budapest, stored in UTC
    assert task.action_type_id == meeting.id
    body = text(client.get(url))
    assert "Show the demo" in todo_items(body)[task.id]
    assert "6/1/31, 10:00" in todo_items(body)[task.id]  # shown in the user's zone

    # Bad input: a clear message, and what was typed is still there.
    response = client.post(
        f"/admin/contact/add_todo/?id={contact.id}",
        data={"csrf_token": token, "content": "", "due": "2031-07-01T09:30"},
    )
    assert response.status_code == 200
    assert "A task needs a text." in text(response)
    assert 'value="2031-07-01T09:30"' in text(response)
    response = client.post(
        f"/admin/contact/add_todo/?id={contact.id}",
        data={"csrf_token": token, "content": "Keep me", "due": "next tuesday"},
    )
    assert "Enter the due time as YYYY-MM-DD HH:MM." in text(response)
    assert 'value="Keep me"' in text(response)
    response = client.post(
        f"/admin/contact/add_note/?id={contact.id}", data={"csrf_token": token, "content": "  "}
    )
    assert response.status_code == 200 and "This field is required." in text(response)
    assert Task.select().where(Task.contact == contact.id).count() == 1
    assert Note.select().where(Note.contact == contact.id).count() == 2  # seeded + added


def test_documents_upload_download_and_delete_from_the_datasheet(app, client):
    world = build_world()
    user = world.users["N1"]
    deal = world.record("deal", "N1")
    login(client, user.email)
    url = f"/admin/deal/details/?id={deal.id}"
    token = csrf_token(client, url)
    response = client.post(
        f"/admin/deal/upload_document/?id={deal.id}",
        data={"csrf_token": token, "file": (io.BytesIO(b"%PDF-1.4 offer"), "offer.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    document = Document.get(Document.filename == "offer.pdf")
    assert (document.deal_id, document.owner_id) == (deal.id, user.id)
    panel = section(text(client.get(url)), "documents")
    download = f"/admin/document/download/?id={document.id}"
    assert download in panel
    response = client.get(download)
    assert response.get_data() == b"%PDF-1.4 offer"
    assert response.headers["Content-Disposition"].startswith("attachment")

    # Without a file: a message, nothing stored.
    response = client.post(f"/admin/deal/upload_document/?id={deal.id}", data={"csrf_token": token})
    assert response.status_code == 200 and "Choose a file." in text(response)
    assert Document.select().count() == 1

    # R may see nothing of it; N4 (normal, not the owner) sees it but may not delete it.
    other = app.test_client()
    login(other, world.users["N4"].email)
    assert "offer.pdf" in text(other.get(url))
    assert "delete_document" not in section(text(other.get(url)), "documents")
    response = other.post(
        f"/admin/deal/delete_document/?id={deal.id}",
        data={"csrf_token": csrf_token(other, url), "document": str(document.id)},
    )
    assert response.status_code == 403
    # A document of another record cannot be deleted through this one.
    other_deal = world.record("deal", "N3")
    response = client.post(
        f"/admin/deal/delete_document/?id={other_deal.id}",
        data={"csrf_token": token, "document": str(document.id)},
    )
    assert response.status_code == 404

    response = client.post(
        f"/admin/deal/delete_document/?id={deal.id}",
        data={"csrf_token": token, "document": str(document.id)},
    )
    assert response.status_code == 302
    assert Document.get_or_none(Document.id == document.id) is None
    assert not documents.path_for(app.config["ACCORD_UPLOAD_DIR"], document.storage_key).exists()
    assert "offer.pdf" not in text(client.get(url))


def test_every_datasheet_post_needs_the_csrf_token(app, client):
    world = build_world()
    deal = world.record("deal", "N1")
    task = world.record("task", "N1")
    login(client, world.users["N1"].email)
    posts = {
        "add_note": {"content": "forged note"},
        "add_todo": {"content": "forged task"},
        "complete_todo": {"task": str(task.id)},
        "upload_document": {"file": (io.BytesIO(b"x"), "forged.txt")},
        "delete_document": {"document": "1"},
        "move_stage": {"stage": str(Stage.get(Stage.name == "Won").id)},
        "claim": {},
        "delete": {"id": str(deal.id)},
    }
    for route, data in posts.items():
        path = f"/admin/deal/{route}/?id={deal.id}" if route != "delete" else "/admin/deal/delete/"
        response = client.post(path, data=data, content_type="multipart/form-data")
        assert response.status_code == 400, route
    lead = world.record("lead", "N1")
    assert client.post(f"/admin/lead/convert/?id={lead.id}", data={}).status_code == 400
    assert not Note.select().where(Note.content == "forged note").exists()
    assert not Task.select().where(Task.content == "forged task").exists()
    assert not Task.get_by_id(task.id).done
    assert not Document.select().where(Document.filename == "forged.txt").exists()
    fresh = Deal.get_by_id(deal.id)
    assert fresh.stage_id == deal.stage_id and fresh.deleted_at is None


def test_datasheet_queries_do_not_grow_with_its_lists(app, client, rt, monkeypatch):
    world = build_world(upload_dir=app.config["ACCORD_UPLOAD_DIR"])
    user, admin = world.users["N1"], world.users["A"]
    owners = [world.users[k] for k in ("N1", "N3", "N4", "M")]
    upload_dir = app.config["ACCORD_UPLOAD_DIR"]
    stages = list(Stage.select().where(Stage.category == "active").order_by(Stage.position))

    def fill(deal, count):
        """`count` notes, open and done to-dos, documents and stage moves on `deal`."""
        for index in range(count):
            owner = owners[index % len(owners)]
            link = {"deal": deal.id}
            records.create(admin, Note, {"content": f"note {index}", **link}, owner=owner)
            records.create(
                admin, Task, {"content": f"t {index}", "due_at": FUTURE, **link}, owner=owner
            )
            done = records.create(admin, Task, {"content": f"d {index}", **link}, owner=owner)
            tasks.complete(admin, done)
            documents.store(admin, upload_dir, f"f{index}.txt", io.BytesIO(b"x"), link=link)
            deals.move_stage(admin, deal, stages[(index + 1) % len(stages)])

    small, big = world.record("deal", "N1"), world.record("deal", "N3")
    fill(small, 1)
    fill(big, 12)
    login(client, user.email)
    counted = []
    original = rt.db.execute_sql

    def counting(sql, params=None, *args, **kwargs):
        counted.append(sql)
        return original(sql, params, *args, **kwargs)

    def queries(deal):
        sheet(client, "deal", deal)  # warm-up: the login and the session
        counted.clear()
        monkeypatch.setattr(rt.db, "execute_sql", counting)
        try:
            sheet(client, "deal", deal)
        finally:
            monkeypatch.setattr(rt.db, "execute_sql", original)
        return len(counted)

    assert queries(big) == queries(small), "a query per row somewhere on the datasheet"


@pytest.fixture
def example_app(rt, monkeypatch, tmp_path):
    from accord.admin.app import create_app
    from tests.plugin_example.support import example_runtime, install_example

    install_example(monkeypatch, tmp_path)
    with example_runtime(rt) as runtime:
        app = create_app(runtime.config, runtime=runtime)
        app.config["TESTING"] = True
        yield app


def test_plugin_panels_appear_on_the_datasheet(example_app):
    owner = make_user("Owner", "normal")
    contact = records.create(owner, Contact, {"first_name": "<b>Eve", "last_name": "Evil</b>"})
    client = example_app.test_client()
    login(client, owner.email)
    body = sheet(client, "contact", contact)
    assert "accord-plugin-panel" in body
    assert "<p class='example-panel'>&lt;b&gt;Eve Evil&lt;/b&gt; has 1 event(s)</p>" in body
    assert "<b>Eve" not in body


def test_sweep_every_user_every_datasheet_agrees_with_the_oracle(app):
    """B7 for the datasheet: every user x every lead, person, company and deal of world W,
    with work of every owner hung off the unowned ones: a page (and its panels) shows a
    to-do, note, appointment or document exactly when the oracle lets the user see it."""
    upload_dir = app.config["ACCORD_UPLOAD_DIR"]
    world = build_world(upload_dir=upload_dir)
    admin = world.users["A"]
    children = []  # (text shown on the sheet, child record)
    for entity, link in (
        ("lead", "lead"),
        ("contact", "contact"),
        ("company", "contact"),
        ("deal", "deal"),
    ):
        parent = world.record(entity, None)
        for owner_key in ("R", "N1", None):
            owner = world.users[owner_key] if owner_key else None
            tag = f"{owner_key or 'nobody'} on {entity}"
            made = [
                records.create(
                    admin, Task, {"content": f"Todo {tag}", link: parent.id}, owner=owner
                ),
                records.create(
                    admin, Note, {"content": f"Jot {tag}", link: parent.id}, owner=owner
                ),
                records.create(
                    admin,
                    Appointment,
                    {"title": f"Visit {tag}", "starts_at": FUTURE, link: parent.id},
                    owner=owner,
                ),
            ]
            doc = documents.store(
                admin, upload_dir, f"file {tag}.txt", io.BytesIO(b"x"), link={link: parent.id}
            )
            made.append(records.assign(admin, doc, owner.id if owner else None))
            children += [(str(child), child) for child in made]
    for key in ("A", "M", "N1", "N4", "R"):
        user = world.users[key]
        client = app.test_client()
        login(client, user.email)
        for entity in KINDS:
            for owner_key, record in world.of_entity(entity):
                response = client.get(f"/admin/{entity}/details/?id={record.id}")
                if not expected(user, "view", record):
                    assert response.status_code == 404, (key, entity, owner_key)
                    assert record.name not in text(response)
                    continue
                assert response.status_code == 200, (key, entity, owner_key)
                if owner_key is not None:
                    continue
                body = text(response)
                for shown, child in children:
                    if getattr(child, ENTITY_LINK[entity] + "_id") != record.id:
                        continue
                    assert (shown in body) == expected(user, "view", child), (key, entity, shown)

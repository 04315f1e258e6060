"""The to-do flow on a datasheet (MiniCRM's rule: the sales process never stops):
completing a to-do moves it to the history and asks for the next one, prefilled; the
user accepts (a new to-do on the same record) or declines (nothing is created)."""

import datetime as dt
import re

from accord.core.models import ActionType, Task, User
from accord.core.services import records
from tests.web import csrf_token, login
from tests.world import build_world

FUTURE = dt.datetime(2040, 1, 1, 9, 0)


def text(response):
    return response.get_data(as_text=True)


def open_todo_ids(body):
    return {int(i) for i in re.findall(r'class="[^"]*accord-todo[^"]*" data-task="(\d+)"', body)}


def prompt(body):
    match = re.search(r'id="next-todo">(.*?)</form>', body, re.S)
    return match.group(1) if match else None


def complete(client, entity, record, task, token):
    return client.post(
        f"/admin/{entity}/complete_todo/?id={record.id}",
        data={"csrf_token": token, "task": str(task.id)},
    )


def test_completing_a_todo_moves_it_to_the_history_and_asks_for_the_next(app, client):
    world = build_world()
    user = world.users["N1"]
    User.update(timezone="Europe/Budapest").where(User.id == user.id).execute()
    deal = world.record("deal", "N1")
    call = ActionType.get(ActionType.name == "Call")
    task = records.create(
        user,
        Task,
        {
            "content": "Call about the offer",
            "due_at": FUTURE,
            "deal": deal.id,
            "action_type": call.id,
        },
    )
    login(client, user.email)
    url = f"/admin/deal/details/?id={deal.id}"
    assert task.id in open_todo_ids(text(client.get(url)))
    assert prompt(text(client.get(url))) is None

    response = complete(client, "deal", deal, task, csrf_token(client, url))
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(f"{url}&completed={task.id}") and location.endswith("#next-todo")
    done = Task.get_by_id(task.id)
    assert done.done and done.done_at is not None

    body = text(client.get(location))
    assert task.id not in open_todo_ids(body)
    history = body[body.index('id="history"') :]
    assert '<s class="text-muted">Call about the offer</s>' in history
    asked = prompt(body)
    assert asked is not None and "What is the next step?" in asked
    assert 'value="Call about the offer"' in asked  # prefilled from the done one
    assert re.search(rf'<option value="{call.id}" selected>', asked)
    due = re.search(r'name="due"[^>]*value="(\d{4}-\d\d-\d\dT09:00)"', asked)
    assert due, "a due time tomorrow (or Monday) at 9:00 is proposed"
    assert f'href="/admin/deal/details/?id={deal.id}"' in asked  # "No next to-do"


def test_accepting_the_prompt_creates_the_next_todo_on_the_same_record(app, client):
    world = build_world()
    user = world.users["N3"]
    User.update(timezone="Europe/Budapest").where(User.id == user.id).execute()
    contact = world.record("contact", "N3")
    task = records.create(user, Task, {"content": "Send samples", "contact": contact.id})
    login(client, user.email)
    url = f"/admin/contact/details/?id={contact.id}"
    token = csrf_token(client, url)
    location = complete(client, "contact", contact, task, token).headers["Location"]
    assert prompt(text(client.get(location)))

    email = ActionType.get(ActionType.name == "Email")
    response = client.post(
        f"/admin/contact/add_todo/?id={contact.id}",
        data={
            "csrf_token": token,
            "next": "1",
            "content": "Ask how the samples went",
            "due": "2031-03-02T09:00",
            "action_type": str(email.id),
        },
    )
    assert response.status_code == 302
    follow_up = Task.get(Task.content == "Ask how the samples went")
    assert follow_up.contact_id == contact.id
    assert (follow_up.deal_id, follow_up.lead_id) == (None, None)
    assert not follow_up.done and follow_up.owner_id == user.id
    assert follow_up.action_type_id == email.id
    assert follow_up.due_at == dt.datetime(2031, 3, 2, 8, 0)  # 9:00 in Budapest, as UTC
    body = text(client.get(response.headers["Location"]))
    assert follow_up.id in open_todo_ids(body)
    assert prompt(body) is None  # asked once: the next to-do is there


def test_declining_the_prompt_creates_nothing(app, client):
    world = build_world()
    user = world.users["N1"]
    lead = world.record("lead", "N1")
    task = records.create(user, Task, {"content": "Qualify", "lead": lead.id})
    login(client, user.email)
    url = f"/admin/lead/details/?id={lead.id}"
    location = complete(client, "lead", lead, task, csrf_token(client, url)).headers["Location"]
    asked = prompt(text(client.get(location)))
    before = Task.select().count()
    decline = re.search(r'id="decline-next-todo" href="([^"]+)"', asked).group(1)
    body = text(client.get(decline.replace("&amp;", "&")))
    assert prompt(body) is None
    assert Task.select().count() == before
    assert "No next step planned" in body  # the sheet still says nothing is planned


def test_completing_from_the_task_page_also_asks_for_the_next_todo(app, client):
    world = build_world()
    user = world.users["N1"]
    task = world.record("task", "N1")  # hangs off N1's deal
    login(client, user.email)
    token = csrf_token(client, f"/admin/task/details/?id={task.id}")
    response = client.post(
        f"/admin/task/complete/?id={task.id}", data={"done": "1", "csrf_token": token}
    )
    location = response.headers["Location"]
    assert location.startswith(f"/admin/deal/details/?id={task.deal_id}&completed={task.id}")
    assert prompt(text(client.get(location)))
    # Opening it again stays on the task page.
    response = client.post(
        f"/admin/task/complete/?id={task.id}", data={"done": "0", "csrf_token": token}
    )
    assert response.headers["Location"].startswith(f"/admin/task/details/?id={task.id}")


def test_a_todo_is_completed_only_through_its_own_record_and_by_who_may(app, client):
    world = build_world()
    n1_task = world.record("task", "N1")
    other_deal = world.record("deal", "N3")
    login(client, world.users["N1"].email)
    token = csrf_token(client, "/admin/")
    # Another record's to-do through this record's route: not found, not done.
    assert complete(client, "deal", other_deal, n1_task, token).status_code == 404
    assert not Task.get_by_id(n1_task.id).done
    assert (
        client.post(
            f"/admin/deal/complete_todo/?id={other_deal.id}", data={"csrf_token": token}
        ).status_code
        == 400
    )

    # R sees the unowned deal, but not N1's to-do hanging off it.
    unowned = world.record("deal", None)
    hidden = records.create(
        world.users["A"], Task, {"content": "N1 only", "deal": unowned.id}, owner=world.users["N1"]
    )
    restricted = app.test_client()
    login(restricted, world.users["R"].email)
    url = f"/admin/deal/details/?id={unowned.id}"
    body = text(restricted.get(url))
    assert "N1 only" not in body and hidden.id not in open_todo_ids(body)
    assert (
        complete(restricted, "deal", unowned, hidden, csrf_token(restricted, url)).status_code
        == 404
    )
    assert not Task.get_by_id(hidden.id).done
    # A "completed" id of a task that is not this record's asks nothing.
    body = text(restricted.get(f"{url}&completed={hidden.id}"))
    assert prompt(body) is None


def test_overdue_todos_are_marked_in_the_users_zone(app, client):
    world = build_world()
    user = world.users["N4"]
    User.update(timezone="America/New_York").where(User.id == user.id).execute()
    company = world.record("company", "N4")
    late = records.create(
        user,
        Task,
        {
            "content": "Overdue call",
            "due_at": dt.datetime(2001, 2, 3, 15, 0),
            "contact": company.id,
        },
    )
    login(client, user.email)
    body = text(client.get(f"/admin/company/details/?id={company.id}"))
    item = re.search(rf'<li class="([^"]*)" data-task="{late.id}">(.*?)</li>', body, re.S)
    assert "accord-todo-overdue" in item.group(1)
    assert "2/3/01, 10:00" in item.group(2)  # 15:00 UTC is 10:00 in New York
    assert "overdue" in item.group(2)

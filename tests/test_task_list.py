"""The task list (issue 5): quick tabs Mine / Overdue / Today / This week in the user's
time zone, combined with the action type, status and assignee filters, always within
the access policy; overdue tasks in red (`accord-overdue`) on every surface; to-dos made
from a record, the task list or the Add menu with a reminder and an assignee the role
allows."""

import datetime as dt
import html
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel import Locale

from accord.core import access
from accord.core.models import ActionType, Deal, Lead, Status, Task, User, utcnow
from accord.core.services import records
from tests.web import csrf_token, login
from tests.world import make_user

ZONE = "Asia/Tokyo"  # far from UTC: "today" differs from the UTC day for hours each day


def text(response):
    return response.get_data(as_text=True)


def listed(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return {int(i) for i in re.findall(r"/admin/task/details/\?id=(\d+)", text(response))}


def tab_urls(client, url="/admin/task/"):
    body = text(client.get(url))
    found = re.findall(r'<a class="nav-link[^"]*" href="([^"]+)" data-tab="(\w+)"', body)
    return {key: html.unescape(href) for href, key in found}


@pytest.fixture
def team(rt):
    """Manager M over N1 (over N3); N4 outside; restricted R; admin A; all in Tokyo."""
    users = {"A": make_user("A", "admin"), "M": make_user("M", "manager")}
    users["N1"] = make_user("N1", "normal", manager=users["M"])
    users["N3"] = make_user("N3", "normal", manager=users["N1"])
    users["N4"] = make_user("N4", "normal")
    users["R"] = make_user("R", "restricted")
    User.update(timezone=ZONE).execute()
    return {k: User.get_by_id(u.id) for k, u in users.items()}


def local_day_start(days=0):
    zone = ZoneInfo(ZONE)
    today = dt.datetime.now(zone).date() + dt.timedelta(days=days)
    start = dt.datetime.combine(today, dt.time(0, 0), tzinfo=zone)
    return start.astimezone(dt.UTC).replace(tzinfo=None)


@pytest.fixture
def tasks(team):
    """Tasks of several owners, due at times around now, with action types and statuses."""
    admin = team["A"]
    call = ActionType.get(ActionType.name == "Call")
    email = ActionType.get(ActionType.name == "Email")
    status = Status.select().where(Status.entity_kind == "task").first()
    now = utcnow()
    plan = [
        # (owner key, content, due, done, action type, status)
        ("N1", "late call", now - dt.timedelta(days=3), False, call, None),
        ("N1", "late but done", now - dt.timedelta(days=3), True, call, None),
        ("N1", "early today", local_day_start() + dt.timedelta(minutes=1), False, email, None),
        ("N1", "late today", local_day_start(1) - dt.timedelta(minutes=1), False, call, status),
        ("N1", "tomorrow", local_day_start(1) + dt.timedelta(hours=12), False, None, None),
        ("N1", "in six days", local_day_start(6) + dt.timedelta(hours=12), False, None, None),
        ("N1", "next month", now + dt.timedelta(days=30), False, call, status),
        ("N1", "someday", None, False, None, None),
        ("N3", "n3 late", now - dt.timedelta(hours=2), False, call, None),
        ("N3", "n3 today", local_day_start() + dt.timedelta(hours=12), False, None, status),
        ("R", "r late", now - dt.timedelta(days=1), False, call, None),
        ("R", "r week", local_day_start(2) + dt.timedelta(hours=1), False, None, None),
        (None, "nobody late", now - dt.timedelta(days=1), False, email, None),
        (None, "nobody today", local_day_start() + dt.timedelta(hours=20), False, None, None),
    ]
    made = []
    for owner_key, content, due, done, action_type, task_status in plan:
        data = {"content": content, "due_at": due, "done": done}
        if action_type:
            data["action_type"] = action_type.id
        if task_status:
            data["status"] = task_status.id
        owner = team[owner_key] if owner_key else None
        made.append(records.create(admin, Task, data, owner=owner))
    return made


# The oracle: written from the issue's words, not from the filters' code ------------------


def local_date(value):
    return value.replace(tzinfo=dt.UTC).astimezone(ZoneInfo(ZONE)).date()


def expected(user, tasks, mine=False, due=None, action_type=None, status=None, owner=None):
    now = utcnow()
    today = dt.datetime.now(ZoneInfo(ZONE)).date()
    first = Locale.parse(user.locale or "en").first_week_day
    week_start = today - dt.timedelta(days=(today.weekday() - first) % 7)
    result = set()
    for task in tasks:
        task = Task.get_by_id(task.id)
        if not access.can_see(user, task):
            continue
        if mine and task.owner_id != user.id:
            continue
        if due == "overdue" and (task.done or task.due_at is None or task.due_at >= now):
            continue
        if due == "today" and (task.due_at is None or local_date(task.due_at) != today):
            continue
        if due == "week" and (
            task.due_at is None
            or not week_start <= local_date(task.due_at) < week_start + dt.timedelta(days=7)
        ):
            continue
        if action_type is not None and task.action_type_id != action_type:
            continue
        if status is not None and task.status_id != status:
            continue
        if owner is not None and task.owner_id != owner:
            continue
        result.add(task.id)
    return result


def filter_arg(app, cls_name, label=None):
    """The URL argument name of one of the task list's filters."""
    view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == "task")
    for arg, (_index, flt) in view._filter_args.items():
        if type(flt).__name__ == cls_name and (label is None or str(flt.name) == label):
            return arg
    raise AssertionError(cls_name)


@pytest.mark.parametrize("who", ["N1", "M", "R"])
def test_each_tab_lists_exactly_the_right_tasks(app, client, team, tasks, who):
    user = team[who]
    login(client, user.email)
    urls = tab_urls(client)
    assert set(urls) == {"all", "mine", "overdue", "today", "week"}
    assert listed(client, urls["all"]) == expected(user, tasks)
    for key in ("overdue", "today", "week"):
        assert listed(client, urls[key]) == expected(user, tasks, due=key), key
    assert listed(client, urls["mine"]) == expected(user, tasks, mine=True)
    # Tabs combine: Mine, then Overdue keeps Mine on.
    mine_overdue = tab_urls(client, urls["mine"])["overdue"]
    assert listed(client, mine_overdue) == expected(user, tasks, mine=True, due="overdue")
    # Clicking the active tab again turns it off.
    assert listed(client, tab_urls(client, urls["today"])["today"]) == expected(user, tasks)


def test_tabs_combine_with_action_type_status_and_assignee_filters(app, client, team, tasks):
    user = team["M"]
    login(client, user.email)
    call = ActionType.get(ActionType.name == "Call").id
    status = Status.select().where(Status.entity_kind == "task").first().id
    action_arg = filter_arg(app, "ChoiceFilter", "Action")
    status_arg = filter_arg(app, "ChoiceFilter", "Status")
    owner_arg = filter_arg(app, "ChoiceFilter", "Owner")
    overdue = tab_urls(client)["overdue"]
    url = f"{overdue}&flt1_{action_arg}={call}"
    assert listed(client, url) == expected(user, tasks, due="overdue", action_type=call)
    assert len(expected(user, tasks, due="overdue", action_type=call)) >= 3
    # The tabs keep the other filters when switching.
    today_with_call = tab_urls(client, url)["today"]
    assert f"flt1_{action_arg}={call}" in today_with_call
    assert listed(client, today_with_call) == expected(user, tasks, due="today", action_type=call)
    url = f"/admin/task/?flt1_{owner_arg}={team['N3'].id}&flt2_{status_arg}={status}"
    assert listed(client, url) == expected(user, tasks, owner=team["N3"].id, status=status)
    week = tab_urls(client, url)["week"]
    assert listed(client, week) == expected(
        user, tasks, owner=team["N3"].id, status=status, due="week"
    )


def test_today_and_this_week_follow_the_users_zone(app, client, team, tasks):
    # Move N1 to UTC-11: the same stored times fall on other local days.
    user = team["N1"]
    User.update(timezone="Pacific/Pago_Pago").where(User.id == user.id).execute()
    login(client, user.email)
    zone = ZoneInfo("Pacific/Pago_Pago")
    today = dt.datetime.now(zone).date()
    want = {
        t.id
        for t in Task.select()
        if t.due_at and t.due_at.replace(tzinfo=dt.UTC).astimezone(zone).date() == today
    }
    assert listed(client, tab_urls(client)["today"]) == want


# Overdue in red on every surface ----------------------------------------------------------


def test_overdue_is_marked_on_every_surface(app, client, team, tasks):
    user = team["N1"]
    late = next(t for t in tasks if t.content == "late call")
    done = next(t for t in tasks if t.content == "late but done")
    future = next(t for t in tasks if t.content == "next month")
    deal = records.create(user, Deal, {"name": "Sheet deal"})
    records.update(team["A"], Task.get_by_id(late.id), {"deal": deal.id})
    records.update(team["A"], Task.get_by_id(future.id), {"deal": deal.id})
    login(client, user.email)

    # The task list: the overdue row's text and due time carry the class.
    body = text(client.get("/admin/task/?page_size=100"))
    rows = {
        int(m.group(2)): m.group(1)
        for m in re.finditer(r"<tr>(.*?/admin/task/details/\?id=(\d+).*?)</tr>", body, re.S)
    }
    assert "accord-overdue" in rows[late.id]
    assert "accord-overdue" not in rows[done.id] and "accord-overdue" not in rows[future.id]

    # The datasheet's to-dos.
    sheet = text(client.get(f"/admin/deal/details/?id={deal.id}"))
    items = dict(
        (int(i), c) for c, i in re.findall(r'<li class="([^"]*)" data-task="(\d+)"', sheet)
    )
    assert "accord-overdue" in items[late.id].split()
    assert "accord-overdue" not in items[future.id].split()

    # The dashboard's "My tasks".
    home = text(client.get("/admin/"))
    panel = re.search(r'id="my-tasks".*?id="my-appointments"', home, re.S).group(0)
    late_item = re.search(rf'<li class="([^"]*)">\s*<a href="[^"]*id={late.id}"', panel)
    assert late_item and "accord-overdue" in late_item.group(1).split()
    future_item = re.search(rf'<li class="([^"]*)">\s*<a href="[^"]*id={future.id}"', panel)
    assert future_item is None or "accord-overdue" not in future_item.group(1).split()

    # One style for all of them (calendar pages use the same class).
    css = Path(__file__).parents[1] / "admin" / "static" / "accord" / "accord.css"
    assert re.search(r"\.accord-overdue\s*\{[^}]*color:\s*#dc3545", css.read_text())


# Creating tasks: reminder and assignee -------------------------------------------------


def add_todo(client, entity, record, **data):
    url = f"/admin/{entity}/details/?id={record.id}"
    payload = {"csrf_token": csrf_token(client, url), "content": "Call back", **data}
    return client.post(f"/admin/{entity}/add_todo/?id={record.id}", data=payload)


def assignee_options(body):
    match = re.search(r'<select id="todo-owner" name="owner"[^>]*>(.*?)</select>', body, re.S)
    return None if match is None else set(re.findall(r'<option value="(\d*)"', match.group(1)))


def test_datasheet_to_do_with_reminder_action_type_and_due(app, client, team):
    user = team["N1"]
    lead = records.create(user, Lead, {"last_name": "Sheet lead"})
    login(client, user.email)
    body = text(client.get(f"/admin/lead/details/?id={lead.id}"))
    reminders = re.search(r'<select id="todo-reminder"[^>]*>(.*?)</select>', body, re.S).group(1)
    assert set(re.findall(r'<option value="(\w*)"', reminders)) == {
        "",
        "1w",
        "1d",
        "1h",
        "30m",
        "15m",
        "5m",
        "due",
    }
    email = ActionType.get(ActionType.name == "Email")
    response = add_todo(
        client, "lead", lead, due="2031-03-02T09:00", reminder="1h", action_type=str(email.id)
    )
    assert response.status_code == 302
    task = Task.get(Task.content == "Call back")
    assert task.due_at == dt.datetime(2031, 3, 2, 0, 0)  # 9:00 in Tokyo
    assert task.remind_at == dt.datetime(2031, 3, 1, 23, 0)
    assert task.action_type_id == email.id and task.lead_id == lead.id
    assert task.owner_id == user.id


def test_a_reminder_without_a_due_time_is_a_clear_error_and_keeps_the_input(app, client, team):
    user = team["N1"]
    lead = records.create(user, Lead, {"last_name": "Reminder lead"})
    login(client, user.email)
    before = Task.select().count()
    response = add_todo(client, "lead", lead, content="Ring them", reminder="15m", due="")
    assert response.status_code == 200
    body = text(response)
    assert "A reminder needs a due time." in body
    assert 'value="Ring them"' in body
    assert re.search(r'<option value="15m" selected>', body)
    assert Task.select().count() == before
    # An unknown reminder is refused the same way.
    response = add_todo(client, "lead", lead, reminder="3y", due="2031-01-01T10:00")
    assert response.status_code == 200 and Task.select().count() == before

    # The task list's own create form says the same and keeps the text.
    token = csrf_token(client, "/admin/task/new/")
    response = client.post(
        "/admin/task/new/",
        data={"csrf_token": token, "content": "From the list", "reminder": "1d", "due_at": ""},
    )
    assert response.status_code == 200
    assert "A reminder needs a due time." in text(response)
    assert "From the list" in text(response)
    assert Task.select().count() == before

    # And the Add menu's task form.
    token = csrf_token(client, "/admin/add/task/")
    response = client.post(
        "/admin/add/task/",
        data={"csrf_token": token, "content": "From the menu", "reminder": "5m"},
    )
    assert response.status_code == 200
    assert "A reminder needs a due time." in text(response)
    assert "From the menu" in text(response)
    assert Task.select().count() == before
    response = client.post(
        "/admin/add/task/",
        data={
            "csrf_token": token,
            "content": "From the menu",
            "reminder": "5m",
            "due_at": "2031-05-05T10:00",
            "action_type": str(ActionType.get(ActionType.name == "Call").id),
        },
    )
    assert response.status_code == 302
    made = Task.get(Task.content == "From the menu")
    assert made.remind_at == made.due_at - dt.timedelta(minutes=5)
    assert made.action_type.name == "Call"


def test_assignee_choices_follow_the_role(app, team):
    deal = records.create(team["A"], Deal, {"name": "Shared deal"}, owner=None)
    ids = {k: str(u.id) for k, u in team.items()}

    # Restricted and normal users get no choice: the to-do is theirs, whatever is posted.
    for key in ("R", "N4"):
        client = app.test_client()
        login(client, team[key].email)
        body = text(client.get(f"/admin/deal/details/?id={deal.id}"))
        assert assignee_options(body) is None
        assert (
            add_todo(client, "deal", deal, content=f"for {key}", owner=ids["N1"]).status_code == 302
        )
        assert Task.get(Task.content == f"for {key}").owner_id == team[key].id

    # A manager chooses within the team (and may leave it unassigned), not outside it.
    manager = app.test_client()
    login(manager, team["M"].email)
    body = text(manager.get(f"/admin/deal/details/?id={deal.id}"))
    assert assignee_options(body) == {ids["M"], ids["N1"], ids["N3"], ""}
    refused = add_todo(manager, "deal", deal, content="outside", owner=ids["N4"])
    assert refused.status_code == 200
    assert "You cannot assign this to that user." in text(refused)
    assert 'value="outside"' in text(refused)
    assert not Task.select().where(Task.content == "outside").exists()
    assert add_todo(manager, "deal", deal, content="for n3", owner=ids["N3"]).status_code == 302
    assert Task.get(Task.content == "for n3").owner_id == team["N3"].id

    # The task list's form: the owner lookup offers the same people, and the service
    # refuses anyone else.
    found = manager.get("/admin/task/ajax/lookup/?name=owner&query=World").get_json()
    assert {str(row[0]) for row in found} == {ids["M"], ids["N1"], ids["N3"]}
    token = csrf_token(manager, "/admin/task/new/")
    response = manager.post(
        "/admin/task/new/", data={"csrf_token": token, "content": "via list", "owner": ids["N4"]}
    )
    assert response.status_code == 200
    assert not Task.select().where(Task.content == "via list").exists()
    restricted = app.test_client()
    login(restricted, team["R"].email)
    found = restricted.get("/admin/task/ajax/lookup/?name=owner&query=World").get_json()
    assert {str(row[0]) for row in found} == {ids["R"]}

    # An admin assigns anyone.
    admin = app.test_client()
    login(admin, team["A"].email)
    assert add_todo(admin, "deal", deal, content="for n4", owner=ids["N4"]).status_code == 302
    assert Task.get(Task.content == "for n4").owner_id == team["N4"].id

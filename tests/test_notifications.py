"""Notifications end to end: events -> kinds -> the user's channels, through a real SMTP
server (aiosmtpd) and the web list; exactly once per key; header injection (C19); the
policy decides who hears about what (B12); the bell, the list and the channel choices."""

import re

import pytest

from accord.core import events, notifications, outbox
from accord.core.db import write
from accord.core.models import Deal, Lead, OutboxEvent, Task, User
from accord.core.models.notifications import Notification
from accord.core.services import records
from tests.oracle import expected
from tests.web import csrf_token, login, post
from tests.world import make_user


def web_titles(user):
    return [
        n.title
        for n in Notification.select().where(Notification.user == user.id).order_by(Notification.id)
    ]


def mails(box, kind=None):
    return [(r, m) for r, m in box.messages if kind is None or m["X-Accord-Kind"] == kind]


@pytest.fixture
def people(rt):
    boss = make_user("Boss", "admin")
    boss.signature = "Boss World\nAcme Ltd"
    boss.save()
    ann = make_user("Ann", "normal")
    both = ["web", "email"]
    notifications.set_preferences(
        rt,
        ann,
        {k: both for k in ("lead_assigned", "deal_assigned", "task_assigned", "capture_lead")},
    )
    return boss, ann


# Assignment ------------------------------------------------------------------------------


def test_a_task_assigned_to_someone_else_reaches_them_by_web_and_email(rt, smtp, people):
    boss, ann = people
    task = records.create(boss, Task, {"content": "Call the bank"}, owner=ann.id)
    assert web_titles(ann) == ["Task assigned to you: Call the bank"]
    [(rcpts, msg)] = mails(smtp, "task_assigned")
    assert rcpts == ["ann@world.test"]
    assert msg["Subject"] == "Task assigned to you: Call the bank"
    assert "Boss World via Accord" in msg["From"]
    text = msg.get_content().replace("\r\n", "\n")
    assert f"{rt.config.base_url}/admin/task/details/?id={task.id}" in text
    # The body ends with the signature of the person it comes from.
    assert text.rstrip().endswith("-- \nBoss World\nAcme Ltd")
    # Nobody is told about what they did to themselves.
    records.create(ann, Task, {"content": "Note to self"})
    assert web_titles(ann) == ["Task assigned to you: Call the bank"]
    assert web_titles(boss) == []


def test_owner_changes_notify_the_new_owner_of_leads_and_deals(rt, smtp, people):
    boss, ann = people
    lead = records.create(boss, Lead, {"first_name": "Lea", "last_name": "Mond"})
    deal = records.create(boss, Deal, {"name": "Big deal", "value": "10"})
    assert web_titles(ann) == []
    records.assign(boss, lead, ann.id)
    records.assign(boss, deal, ann.id)
    assert web_titles(ann) == ["Lead assigned to you: Lea Mond", "Deal assigned to you: Big deal"]
    assert [m["X-Accord-Kind"] for _r, m in smtp.messages] == ["lead_assigned", "deal_assigned"]


def test_a_redelivered_event_notifies_once(rt, smtp, people):
    boss, ann = people
    task = records.create(boss, Task, {"content": "Once only"}, owner=ann.id)
    row = OutboxEvent.get((OutboxEvent.type == "task.created") & (OutboxEvent.record_id == task.id))
    # The outbox hands the same event out again (a lease expired, a retry).
    OutboxEvent.update(status="pending", lease_until=None).where(OutboxEvent.id == row.id).execute()
    assert outbox.process(rt, row.id) == "done"
    rt.pm.hook.accord_event(event=events.Event.from_row(row), runtime=rt)
    assert web_titles(ann) == ["Task assigned to you: Once only"]
    assert len(mails(smtp, "task_assigned")) == 1


def test_a_failed_email_is_retried_and_the_web_copy_is_not_doubled(rt, smtp, people):
    boss, ann = people
    good = rt.config.smtp_url
    rt.config.smtp_url = "smtp://127.0.0.1:9"  # nothing listens: the email fails
    try:
        task = records.create(boss, Task, {"content": "Flaky mail"}, owner=ann.id)
    finally:
        rt.config.smtp_url = good
    row = OutboxEvent.get((OutboxEvent.type == "task.created") & (OutboxEvent.record_id == task.id))
    assert row.status == "pending" and "sending email failed" in row.last_error
    assert web_titles(ann) == ["Task assigned to you: Flaky mail"]
    OutboxEvent.update(lease_until=None).where(OutboxEvent.id == row.id).execute()
    assert outbox.process(rt, row.id) == "done"
    assert web_titles(ann) == ["Task assigned to you: Flaky mail"]
    assert len(mails(smtp, "task_assigned")) == 1


def test_a_user_without_a_usable_address_gets_the_web_copy_and_no_retry(rt, smtp, people):
    boss, ann = people
    User.update(email="not-an-address").where(User.id == ann.id).execute()
    task = records.create(boss, Task, {"content": "No mail"}, owner=ann.id)
    row = OutboxEvent.get((OutboxEvent.type == "task.created") & (OutboxEvent.record_id == task.id))
    assert row.status == "done"
    assert web_titles(ann) == ["Task assigned to you: No mail"]
    assert mails(smtp) == []


# Contracts with the other helpers' events -------------------------------------------------


def test_a_captured_lead_notifies_its_owner_once(rt, smtp, people):
    boss, ann = people
    # What the capture-form service does: create the lead and emit lead.captured in the
    # same transaction (no actor: a visitor filled the form).
    with write():
        lead = Lead.create(first_name="Web", last_name="Visitor", name="Web Visitor", owner=ann.id)
        events.emit("lead.created", lead, None)
        events.emit("lead.captured", lead, None, form_id=3, form_name="Contact us")
    # Told once, as a captured lead (not also as "a lead was assigned to you").
    assert web_titles(ann) == ["New lead from Contact us: Web Visitor"]
    [(rcpts, msg)] = mails(smtp)
    assert rcpts == ["ann@world.test"] and msg["X-Accord-Kind"] == "capture_lead"


def test_import_and_export_finished_notify_the_user_who_ran_them(rt, smtp, people):
    boss, ann = people
    with write():
        events.emit(
            "import.finished",
            None,
            ann,
            job_id=7,
            entity="contacts",
            created=5,
            updated=2,
            failed=1,
            url="/plugins/import_csv/jobs/7",
        )
        events.emit(
            "export.finished",
            None,
            ann,
            job_id=8,
            entity="deals",
            rows=40,
            url="https://evil.example/steal",
        )
    rows = list(Notification.select().where(Notification.user == ann.id).order_by(Notification.id))
    assert [(n.kind, n.title) for n in rows] == [
        ("import_finished", "Import of contacts finished"),
        ("export_finished", "Export of deals finished"),
    ]
    assert rows[0].body == "5 created, 2 updated, 1 failed"
    assert rows[0].url == "/plugins/import_csv/jobs/7"
    assert rows[1].url == ""  # never a link off-site
    assert mails(smtp) == []  # web only by default


def test_defaults_web_for_events_and_email_too_for_reminders(rt, smtp):
    boss, bob = make_user("Boss", "admin"), make_user("Bob", "normal")
    records.create(boss, Task, {"content": "Quiet"}, owner=bob.id)
    assert web_titles(bob) == ["Task assigned to you: Quiet"]
    assert mails(smtp) == []
    chosen = notifications.preferences(rt, bob)
    assert chosen["task_reminder"] == chosen["appointment_reminder"] == ["web", "email"]
    assert "rule" not in chosen  # rules carry their own channels


# The user's choices ----------------------------------------------------------------------


def test_per_kind_choice_email_only_web_only_or_off(rt, smtp, people):
    boss, ann = people
    notifications.set_preferences(
        rt, ann, {"task_assigned": ["email"], "deal_assigned": ["web"], "lead_assigned": []}
    )
    records.create(boss, Task, {"content": "T"}, owner=ann.id)
    records.create(boss, Deal, {"name": "D", "value": "1"}, owner=ann.id)
    records.create(boss, Lead, {"first_name": "L", "last_name": "L"}, owner=ann.id)
    assert web_titles(ann) == ["Deal assigned to you: D"]
    assert [m["X-Accord-Kind"] for _r, m in smtp.messages] == ["task_assigned"]
    assert notifications.preferences(rt, ann)["lead_assigned"] == []
    with pytest.raises(Exception, match="Unknown channel"):
        notifications.set_preferences(rt, ann, {"task_assigned": ["pigeon"]})


def test_profile_page_saves_the_channel_choices(client, rt, people):
    boss, ann = people
    login(client, "ann@world.test")
    page = client.get("/admin/notifications/settings/").get_data(as_text=True)
    assert 'name="task_reminder:email"' in page and 'name="rule:web"' not in page
    response = post(
        client,
        "/admin/notifications/settings/",
        {"task_reminder:email": "1", "capture_lead:web": "1", "capture_lead:email": "1"},
        token_from="/admin/notifications/settings/",
    )
    assert response.status_code == 302
    chosen = notifications.preferences(rt, User.get_by_id(ann.id))
    assert chosen["task_reminder"] == ["email"]
    assert chosen["capture_lead"] == ["web", "email"]
    assert chosen["task_assigned"] == []  # nothing ticked: off
    # Without the CSRF token nothing changes.
    bad = client.post("/admin/notifications/settings/", data={"task_assigned:web": "1"})
    assert bad.status_code == 400
    assert notifications.preferences(rt, User.get_by_id(ann.id))["task_assigned"] == []


# C19: header injection through names -----------------------------------------------------


def test_names_with_line_breaks_cannot_add_recipients_or_headers(rt, smtp):
    boss = make_user("Boss", "admin")
    boss.first_name = "Eve\r\nBcc: spy@evil.test"
    boss.save()
    victim = make_user("Vic", "normal")
    victim.first_name = "Vic\r\nCc: spy2@evil.test\r\n"
    victim.save()
    notifications.set_preferences(rt, victim, {"task_assigned": ["email"]})
    records.create(boss, Task, {"content": "Task\r\nBcc: spy3@evil.test"}, owner=victim.id)
    [(rcpts, msg)] = smtp.messages
    assert rcpts == ["vic@world.test"]
    for header in ("Bcc", "Cc"):
        assert msg[header] is None
    raw = msg.as_string()
    assert "spy" not in "".join(
        f"{k}: {v}" for k, v in msg.items() if k not in ("From", "To", "Subject")
    )
    assert "\r\nBcc:" not in raw.split("\n\n", 1)[0]
    assert msg["Subject"] == "Task assigned to you: Task Bcc: spy3@evil.test"
    assert msg["To"].addresses[0].addr_spec == "vic@world.test"
    assert msg["From"].addresses[0].addr_spec == "accord@localhost"


# B12: the policy decides ------------------------------------------------------------------


def test_notify_never_tells_a_user_about_a_record_the_oracle_hides(rt, world, smtp):
    users = [world.A, world.M, world.N1, world.N4, world.R, world.D]
    for entity in ("lead", "deal", "task", "appointment"):
        for owner_key in ("R", "N1", None):
            record = world.record(entity, owner_key)
            for user in users:
                sent = notifications.notify(
                    rt,
                    user,
                    "task_reminder",
                    f"About {record}",
                    key=f"b12:{entity}:{owner_key}:{user.id}",
                    record=record,
                )
                assert bool(sent) == expected(user, "view", record), (entity, owner_key, user.email)
    # Every email went to someone the oracle lets see the record.
    assert smtp.messages
    assert all(re.fullmatch(r"About .*", m["Subject"]) for _r, m in smtp.messages)
    assert not [n for n in Notification.select() if n.user_id in (world.D.id,)]


def test_a_record_reassigned_away_before_delivery_is_not_shown_to_a_restricted_user(rt, world):
    # R was made owner, then the record moved to N1 before the event was delivered:
    # at delivery R may no longer see it, so R is not told.
    Notification.delete().execute()  # what building the world sent
    deal = world.record("deal", "N1")
    with write():
        events.emit("deal.owner_changed", deal, world.A, old=world.N1.id, new=world.R.id)
    assert web_titles(world.R) == []
    mine = world.record("deal", "R")
    with write():
        events.emit("deal.owner_changed", mine, world.A, old=None, new=world.R.id)
    assert web_titles(world.R) == [f"Deal assigned to you: {mine.name}"]


# The bell and the list ---------------------------------------------------------------------


def test_bell_counts_unread_and_the_list_marks_read(client, rt, people):
    boss, ann = people
    for n in range(3):
        records.create(boss, Task, {"content": f"Job {n}"}, owner=ann.id)
    records.create(boss, Task, {"content": "For boss"}, owner=ann.id)  # made unread below
    Notification.update(user=boss.id).where(Notification.title.contains("For boss")).execute()
    login(client, "ann@world.test")
    home = client.get("/admin/").get_data(as_text=True)
    assert re.search(r'id="accord-bell-count">3<', home)
    page = client.get("/admin/notifications/").get_data(as_text=True)
    assert page.count("accord-mark-read") == 3
    assert "For boss" not in page  # only one's own
    first = (
        Notification.select().where(Notification.user == ann.id).order_by(Notification.id).first()
    )
    token = csrf_token(client, "/admin/notifications/")
    # Someone else's notification cannot be marked through its id.
    boss_note = Notification.get(Notification.user == boss.id)
    client.post("/admin/notifications/read/", data={"id": boss_note.id, "csrf_token": token})
    assert Notification.get_by_id(boss_note.id).read_at is None
    client.post("/admin/notifications/read/", data={"id": first.id, "csrf_token": token})
    assert Notification.get_by_id(first.id).read_at is not None
    assert re.search(r'id="accord-bell-count">2<', client.get("/admin/").get_data(as_text=True))
    # A GET never changes state; without a token the POST is refused.
    assert client.get("/admin/notifications/read-all/").status_code == 405
    assert client.post("/admin/notifications/read-all/").status_code == 400
    client.post("/admin/notifications/read-all/", data={"csrf_token": token})
    assert notifications.unread_count(ann) == 0
    assert "accord-bell-count" not in client.get("/admin/").get_data(as_text=True)
    assert notifications.unread_count(boss) == 1


def test_the_bell_caps_its_count(rt, people):
    boss, ann = people
    Notification.insert_many(
        [{"user": ann.id, "kind": "rule", "title": f"n{i}"} for i in range(120)]
    ).execute()
    assert notifications.unread_count(ann) == 100  # 99 and "more"


def test_the_list_links_only_to_what_the_user_may_still_see(client, rt, world):
    Notification.delete().execute()
    deal = world.record("deal", "R")
    with write():
        events.emit("deal.owner_changed", deal, world.A, old=None, new=world.R.id)
    records.assign(world.A, deal, world.N1.id)  # R loses sight of it
    login(client, "r@world.test")
    page = client.get("/admin/notifications/").get_data(as_text=True)
    assert f"Deal assigned to you: {deal.name}" in page
    assert f"/admin/deal/details/?id={deal.id}" not in page
    assert client.get("/admin/notifications/").status_code == 200

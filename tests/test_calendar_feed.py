"""The private iCalendar feed: a secret URL per user (stored hashed, revocable) listing
their appointments (owner or attendee) and open tasks, only what the policy oracle lets
them see; parseable by icalendar. A revoked, wrong or deactivated token -> 404."""

import datetime as dt
import re

from icalendar import Calendar

from accord.core.models import Appointment, Task
from accord.core.models.calendar import CalendarFeedToken
from accord.core.services import appointments, records, tasks
from tests.oracle import expected
from tests.web import login, post


def new_feed(client):
    html = post(client, "/admin/calendar_feed/", {"do": "new"}, token_from="/admin/calendar_feed/")
    text = html.get_data(as_text=True)
    match = re.search(r'id="feed-url" value="([^"]+)"', text)
    assert match, text
    return match.group(1).split("127.0.0.1:5000", 1)[1]


def uids(app, path):
    response = app.test_client().get(path)  # no session: the token alone
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    cal = Calendar.from_ical(response.data)
    return {str(e["UID"]) for e in cal.walk("VEVENT")}, cal


def test_feed_lists_own_and_attended_items_within_the_policy(app, client, world):
    r = world.R
    # R attends N1's meeting (which R may not see) and the unowned one (which R may).
    appointments.set_attendees(world.A, world.record("appointment", "N1"), [r.id], [])
    appointments.set_attendees(world.A, world.record("appointment", None), [r.id], [])
    tasks_done = records.create(r, Task, {"content": "Done one", "due_at": dt.datetime(2030, 2, 1)})
    tasks.complete(r, tasks_done, True)
    records.create(r, Task, {"content": "No due time"})
    login(client, r.email)
    path = new_feed(client)
    found, cal = uids(app, path)
    want = set()
    for owner_key in ("R", "N1", None, "N3", "N4"):
        appointment = world.record("appointment", owner_key)
        mine = appointment.owner_id == r.id or owner_key in ("N1", None)
        if mine and expected(r, "view", appointment):
            want.add(appointment.ical_uid)
    want.add(f"task-{world.record('task', 'R').id}@accord")
    assert found == want
    assert world.record("appointment", "N1").ical_uid not in found  # attendee, but hidden
    assert world.record("appointment", None).ical_uid in found
    # Every event imports: start, summary.
    for event in cal.walk("VEVENT"):
        assert event.decoded("DTSTART") and str(event["SUMMARY"])


def test_regenerate_revokes_the_old_address_and_off_turns_it_off(app, client, world):
    login(client, world.N1.email)
    first = new_feed(client)
    assert app.test_client().get(first).status_code == 200
    second = new_feed(client)
    assert second != first
    assert app.test_client().get(first).status_code == 404
    assert app.test_client().get(second).status_code == 200
    post(client, "/admin/calendar_feed/", {"do": "off"}, token_from="/admin/calendar_feed/")
    assert app.test_client().get(second).status_code == 404


def test_token_is_stored_hashed_and_wrong_tokens_fail(app, client, world):
    login(client, world.N1.email)
    path = new_feed(client)
    token = path.rsplit("/", 1)[1][: -len(".ics")]
    row = CalendarFeedToken.get()
    assert token not in row.token_hash and len(row.token_hash) == 64
    anonymous = app.test_client()
    for bad in (token[:-1] + ("A" if token[-1] != "A" else "B"), "x", "../" + token):
        assert anonymous.get(f"/calendar/feed/{bad}.ics").status_code == 404


def test_a_deactivated_users_feed_is_gone(app, client, world):
    login(client, world.N4.email)
    path = new_feed(client)
    world.N4.active = False
    world.N4.save()
    assert app.test_client().get(path).status_code == 404


def test_profile_links_to_the_feed(client, world):
    login(client, world.N1.email)
    html = client.get("/admin/profile/").get_data(as_text=True)
    assert "/admin/calendar_feed/" in html
    # A GET never creates or changes a token (SECURITY C17).
    client.get("/admin/calendar_feed/")
    assert CalendarFeedToken.select().count() == 0


def test_manager_feed_has_all_day_dates(app, client, world):
    records.create(
        world.M,
        Appointment,
        {
            "title": "Offsite",
            "starts_at": dt.datetime(2030, 3, 1),
            "ends_at": dt.datetime(2030, 3, 2),
            "all_day": True,
        },
    )
    login(client, world.M.email)
    _found, cal = uids(app, new_feed(client))
    offsite = next(e for e in cal.walk("VEVENT") if str(e["SUMMARY"]) == "Offsite")
    assert offsite.decoded("DTSTART") == dt.date(2030, 3, 1)
    assert offsite.decoded("DTEND") == dt.date(2030, 3, 3)

"""The dashboard (/admin/): pipeline figures, the activity feed and my work, per role.

Every figure is recomputed here from the database with the oracle's report scope
(tests/oracle.expected_report_ids), independently of accord.core.reports, and compared
with what the page shows a logged-in user of world W.
"""

import datetime as dt
import re
from decimal import Decimal

import pytest

from accord.core import i18n
from accord.core.models import (
    RECORD_MODELS,
    Activity,
    Appointment,
    Attendee,
    Deal,
    Lead,
    LossReason,
    Note,
    Pipeline,
    Stage,
    Status,
    Task,
    Team,
    UnqualifiedReason,
    User,
    utcnow,
)
from accord.core.services import deals, records, tasks
from tests.oracle import expected, expected_report_ids
from tests.web import login
from tests.world import build_world

ROLES = ("A", "M", "N1", "N3", "N4", "R")
CENT = Decimal("0.01")


def text(response):
    return response.get_data(as_text=True)


def stage(name):
    pipeline = Pipeline.get(Pipeline.is_default == True)  # noqa: E712
    return Stage.get((Stage.pipeline == pipeline) & (Stage.name == name))


@pytest.fixture
def w(rt):
    """World W plus deals in several stages, currencies and closing states."""
    world = build_world()
    admin = world.users["A"]
    for key in ("R", "N1", "N3", "N4", None):
        owner = world.users[key] if key else None
        tag = key or "nobody"
        records.create(
            admin,
            Deal,
            {
                "name": f"Big of {tag}",
                "value": "2500.50",
                "stage": stage("Proposal").id,
                "probability": 35,
            },
            owner=owner,
        )
    for key in ("R", "N1"):
        records.create(
            admin,
            Deal,
            {
                "name": f"Dollars of {key}",
                "value": "700",
                "currency": "USD",
                "stage": stage("Quote").id,
            },
            owner=world.users[key],
        )
    won = records.create(
        admin, Deal, {"name": "Won of N1", "value": "900"}, owner=world.users["N1"]
    )
    deals.move_stage(admin, won, stage("Won"))
    lost = records.create(
        admin, Deal, {"name": "Lost of N4", "value": "300"}, owner=world.users["N4"]
    )
    deals.move_stage(admin, lost, stage("Lost"), LossReason.select().first())
    unq = records.create(admin, Deal, {"name": "Unq of R", "value": "50"}, owner=world.users["R"])
    deals.move_stage(admin, unq, stage("Unqualified"), UnqualifiedReason.select().first())
    old = records.create(
        admin, Deal, {"name": "Old win of N3", "value": "5000"}, owner=world.users["N3"]
    )
    deals.move_stage(admin, old, stage("Won"))
    Deal.update(closed_at=utcnow() - dt.timedelta(days=40)).where(Deal.id == old.id).execute()
    trashed = records.create(
        admin, Deal, {"name": "Trashed of N1", "value": "10000"}, owner=world.users["N1"]
    )
    records.delete(admin, trashed)
    return world


def all_users():
    return list(User.select())


# Expected figures, recomputed from the database with the oracle's scope --------------------


def in_scope(owner_id, ids):
    return ids is None or owner_id in ids


def expected_pipeline(user):
    ids = expected_report_ids(user, all_users())
    pipeline = Pipeline.get(Pipeline.is_default == True)  # noqa: E712
    figures = {}  # (stage id, currency) -> [count, total, weighted]
    for deal in Deal.select().where(Deal.pipeline == pipeline):
        if deal.deleted_at is not None or deal.stage.category != "active":
            continue
        if not in_scope(deal.owner_id, ids):
            continue
        probability = deal.probability if deal.probability is not None else deal.stage.likelihood
        entry = figures.setdefault((deal.stage_id, deal.currency), [0, Decimal(0), Decimal(0)])
        entry[0] += 1
        entry[1] += Decimal(deal.value)
        entry[2] += Decimal(deal.value) * probability / 100
    return figures


def expected_closed(user):
    ids = expected_report_ids(user, all_users())
    since = utcnow() - dt.timedelta(days=30)
    figures = {}  # (category, currency) -> [count, total]
    for deal in Deal.select():
        category = deal.stage.category
        if deal.deleted_at is not None or category == "active" or deal.closed_at < since:
            continue
        if not in_scope(deal.owner_id, ids):
            continue
        entry = figures.setdefault((category, deal.currency), [0, Decimal(0)])
        entry[0] += 1
        entry[1] += Decimal(deal.value)
    return figures


def money(value, currency):
    return i18n.format_money(Decimal(value).quantize(CENT), currency, "en")


# What the page shows ----------------------------------------------------------------------


def shown_money(chunk, css):
    match = re.search(rf'{css}">\s*<span title="([^"]+)"', chunk)
    return match.group(1) if match else None


def shown_pipeline(body):
    rows = {}
    for match in re.finditer(r'<tr data-stage="(\d+)">(.*?)</tr>', body, re.S):
        chunk = match.group(2)
        count = int(re.search(r'accord-count">(\d+)<', chunk).group(1))
        rows[int(match.group(1))] = (
            count,
            shown_money(chunk, "accord-total"),
            shown_money(chunk, "accord-weighted"),
        )
    return rows


def shown_closed(body, category):
    chunk = re.search(rf'id="closed-{category}">(.*?)</div>\s*</div>', body, re.S).group(1)
    count = int(re.search(r'accord-count">(\d+)<', chunk).group(1))
    return count, shown_money(chunk, "accord-total")


def feed_ids(body):
    return [int(i) for i in re.findall(r'data-activity="(\d+)"', body)]


def older_link(body):
    match = re.search(r'href="([^"]+)" id="feed-older"', body)
    return match.group(1).replace("&amp;", "&") if match else None


def whole_feed(client, url="/admin/"):
    """Every activity id the feed shows, following the "older" links."""
    ids, pages = [], 0
    while url:
        body = text(client.get(url))
        ids += feed_ids(body)
        url = older_link(body)
        pages += 1
        assert pages < 50
    return ids


def expected_feed(user, owner_ids=None):
    """Activity ids the viewer's feed must show (newest first) under the oracle."""
    ids = expected_report_ids(user, all_users()) if owner_ids is None else owner_ids
    rows = Activity.select().order_by(Activity.created_at.desc(), Activity.id.desc())
    wanted = []
    for row in rows:
        model = RECORD_MODELS.get(row.entity_kind)
        if model is None:
            continue
        if ids is not None and not (
            row.owner_id in ids or (row.owner_id is None and row.actor_id in ids)
        ):
            continue
        if user.role == "restricted":
            record = model.get_or_none(model.id == row.record_id)
            if record is None or not expected(user, "view", record):
                continue
        wanted.append(row.id)
    return wanted


def client_for(app, user):
    client = app.test_client()
    login(client, user.email)
    return client


# The figures -------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ROLES)
def test_pipeline_figures_match_the_oracle(app, w, key):
    user = w.users[key]
    client = client_for(app, user)
    figures = expected_pipeline(user)
    closed = expected_closed(user)
    body = text(client.get("/admin/"))
    total = sum(entry[0] for entry in figures.values())
    assert re.search(rf'id="open-deals">{total}<', body), key
    currencies = {c for _s, c in figures} | {c for _k, c in closed} or {"EUR"}
    active = list(
        Stage.select().where(
            (Stage.pipeline == Pipeline.get(Pipeline.is_default == True))  # noqa: E712
            & (Stage.category == "active")
        )
    )
    for currency in sorted(currencies):
        page = text(client.get("/admin/", query_string={"currency": currency}))
        shown = shown_pipeline(page)
        assert set(shown) == {s.id for s in active}
        for s in active:
            count, value, weighted = figures.get((s.id, currency), [0, None, None])
            assert shown[s.id] == (
                count,
                money(value, currency) if count else None,
                money(weighted, currency) if count else None,
            ), (key, currency, s.name)
        for category in ("won", "lost", "unqualified"):
            count, value = closed.get((category, currency), [0, None])
            assert shown_closed(page, category) == (
                count,
                money(value, currency) if count else None,
            ), (key, currency, category)


def test_weighted_uses_the_deals_own_probability(app, w):
    user = w.users["N4"]
    body = text(client_for(app, user).get("/admin/"))
    proposal = shown_pipeline(body)[stage("Proposal").id]
    # 2,500.50 at the deal's own 35 %, not the stage's 60 %.
    assert proposal == (1, "€2,500.50", "€875.18")
    incoming = shown_pipeline(body)[stage("Incoming").id]
    assert incoming == (1, "€1,000.00", "€100.00")  # the stage's 10 %


def test_currencies_are_never_added_up(app, w):
    body = text(client_for(app, w.users["N1"]).get("/admin/", query_string={"currency": "USD"}))
    assert shown_pipeline(body)[stage("Quote").id] == (1, "$700.00", "$280.00")
    assert 'data-currency="EUR"' in body and 'data-currency="USD"' in body
    assert "$3," not in body and "€3,2" not in body  # no 700 + 2,500.50 anywhere


# The restricted user ---------------------------------------------------------------------


def test_restricted_user_sees_nothing_about_others(app, w):
    restricted = w.users["R"]
    client = client_for(app, restricted)
    hidden = [r for (entity, owner), r in w.records.items() if owner in ("N1", "N3", "N4")]
    hidden += list(Deal.select().where(Deal.owner.in_([w.users[k].id for k in ("N1", "N3", "N4")])))
    ids = whole_feed(client)
    assert ids == expected_feed(restricted)
    rows = Activity.select().where(Activity.id.in_(ids or [0]))
    assert rows.count() and all(r.owner_id in (restricted.id, None) for r in rows)
    pages = [text(client.get("/admin/")), text(client.get("/admin/?currency=USD"))]
    pages += [text(client.get(f"/admin/?kind={kind}")) for kind in RECORD_MODELS]
    for body in pages:
        for record in hidden:
            assert str(record) not in body, str(record)
    # Even a forged user filter cannot widen the scope.
    forged = text(client.get("/admin/", query_string={"user": w.users["N1"].id}))
    assert 'name="user"' not in forged
    assert shown_pipeline(forged) == shown_pipeline(pages[0])
    assert feed_ids(forged) == feed_ids(pages[0])


def test_restricted_user_does_not_see_rows_of_records_taken_away(app, w):
    """A record R handled while it was unowned, then given to N4: its old rows go."""
    restricted, admin = w.users["R"], w.users["A"]
    lead = records.create(admin, Lead, {"last_name": "Shared"}, owner=None)
    records.update(restricted, lead, {"title": "Looked at"})
    client = client_for(app, restricted)
    assert "Shared" in text(client.get("/admin/"))
    records.assign(admin, lead, w.users["N4"].id)
    body = text(client.get("/admin/"))
    assert "Shared" not in body


# Manager, user and team filters ----------------------------------------------------------


def test_manager_filters_stay_inside_the_tree(app, w):
    manager = w.users["M"]
    client = client_for(app, manager)
    body = text(client.get("/admin/"))
    options = set(re.findall(r'<option value="(\d+)"[^>]*>[^<]*World</option>', body))
    tree = {str(w.users[k].id) for k in ("M", "N1", "N2", "N3")}
    assert options == tree
    everyone = shown_pipeline(body)
    # N4 is outside the tree: the filter is ignored, never widened.
    forged = text(client.get("/admin/", query_string={"user": w.users["N4"].id}))
    assert shown_pipeline(forged) == everyone
    assert "Deal of N4" not in forged and "Big of N4" not in forged
    assert feed_ids(forged) == feed_ids(body)
    # N1 alone: N1's figures and N1's activity.
    only = text(client.get("/admin/", query_string={"user": w.users["N1"].id}))
    assert shown_pipeline(only) == shown_pipeline(
        text(client_for(app, w.users["N1"]).get("/admin/"))
    )
    n1 = w.users["N1"].id
    rows = Activity.select().where(Activity.id.in_(feed_ids(only) or [0]))
    assert rows.count() and all(r.owner_id == n1 or r.actor_id == n1 for r in rows)
    assert "Deal of N3" not in only


def test_team_filter(app, w):
    team = Team.create(name="East")
    for key in ("N1", "N4"):
        User.update(team=team).where(User.id == w.users[key].id).execute()
    manager = client_for(app, w.users["M"])
    body = text(manager.get("/admin/", query_string={"team": team.id}))
    assert f'<option value="{team.id}" selected>East</option>' in body
    n1_only = text(manager.get("/admin/", query_string={"user": w.users["N1"].id}))
    assert shown_pipeline(body) == shown_pipeline(n1_only)  # N4 is in East but not M's
    assert "Deal of N4" not in body
    admin = client_for(app, w.users["A"])
    body = text(admin.get("/admin/", query_string={"team": team.id}))
    ids = {w.users["N1"].id, w.users["N4"].id}
    assert feed_ids(body) == expected_feed(w.users["A"], owner_ids=ids)[:25]
    proposal = shown_pipeline(body)[stage("Proposal").id]
    assert proposal[0] == 2  # Big of N1 and Big of N4
    # A normal user has no one to filter on.
    assert 'name="team"' not in text(client_for(app, w.users["N3"]).get("/admin/"))


# The feed -------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ("A", "M", "N1", "N4"))
def test_feed_is_the_oracles_scope(app, w, key):
    user = w.users[key]
    assert whole_feed(client_for(app, user)) == expected_feed(user)


def test_feed_pagination_and_filters(app, w):
    user = w.users["N1"]
    for n in range(30):
        records.create(
            user, Note, {"content": f"Call note {n:02d}", "deal": w.record("deal", "N1").id}
        )
    deal = w.record("deal", "N1")
    deals.move_stage(user, deal, stage("Quote"))
    tasks.complete(user, w.record("task", "N1"))
    client = client_for(app, user)
    first = text(client.get("/admin/"))
    assert len(feed_ids(first)) == 25
    assert older_link(first)
    everything = whole_feed(client)
    assert everything == expected_feed(user)
    assert len(everything) == len(set(everything)) > 25
    assert "N1 World moved Deal of N1 from Incoming to Quote" in re.sub(r"<[^>]+>", "", first)
    assert "N1 World completed Task of N1" in re.sub(r"<[^>]+>", "", first)
    # Type filters.
    stage_only = text(client.get("/admin/?event=stage"))
    moves = [
        a.id
        for a in Activity.select().order_by(Activity.id.desc())
        if a.owner_id == user.id and "stage" in a.changes
    ]
    assert len(moves) == 2  # this move and the world's "Won of N1"
    assert feed_ids(stage_only) == moves and "from Incoming to Quote" in stage_only
    completed = text(client.get("/admin/?event=completed"))
    assert len(feed_ids(completed)) == 1
    assert "completed Task of N1" in re.sub(r"<[^>]+>", "", completed)
    notes = whole_feed(client, "/admin/?kind=note")
    assert len(notes) == 31  # 30 new + the world's "Note of N1"
    kinds = {Activity.get_by_id(i).entity_kind for i in notes}
    assert kinds == {"note"}
    # The older link keeps the filters.
    assert "kind=note" in older_link(text(client.get("/admin/?kind=note")))
    # Garbage parameters are ignored, not errors.
    for junk in ("?before=xyz", "?kind=user", "?event=drop", "?pipeline=abc", "?user=-1"):
        assert client.get("/admin/" + junk).status_code == 200, junk


def test_owner_and_status_changes_read_as_sentences(app, w):
    manager = w.users["M"]
    lead = w.record("lead", "N3")
    records.assign(manager, lead, w.users["N1"].id)
    active = Status.get((Status.entity_kind == "lead") & (Status.name == "Active"))
    records.update(manager, w.record("lead", "N1"), {"status": active.id})
    body = re.sub(r"<[^>]+>", "", text(client_for(app, manager).get("/admin/")))
    assert "M World assigned Lead OfN3 to N1 World" in body
    assert "M World changed the status of Lead OfN1 from New to Active" in body


def test_feed_names_are_fetched_once_per_kind(app, w, session_runtime, monkeypatch):
    """The feed resolves stage/status/user names and record links in batches: a page of
    25 rows costs no more queries than a page of a dozen."""
    user = w.users["N1"]
    client = client_for(app, user)
    db = session_runtime.db
    calls = []
    real = db.execute_sql

    def counting(sql, *args, **kwargs):
        calls.append(sql)
        return real(sql, *args, **kwargs)

    def queries():
        calls.clear()
        monkeypatch.setattr(db, "execute_sql", counting)
        body = text(client.get("/admin/"))
        monkeypatch.setattr(db, "execute_sql", real)
        return len(calls), len(feed_ids(body))

    deals.move_stage(user, w.record("deal", "N1"), stage("Quote"))
    few, few_rows = queries()
    for n in range(12):
        deal = records.create(user, Deal, {"name": f"Many {n}", "value": "10"})
        deals.move_stage(user, deal, stage("Qualified"))
    many, many_rows = queries()
    assert few_rows < 15 and many_rows == 25
    assert many <= few, (few, many)


def test_html_in_names_is_text(app, w):
    user = w.users["N1"]
    records.create(user, Deal, {"name": '<img src=x onerror="alert(1)">'})
    body = text(client_for(app, user).get("/admin/"))
    assert "<img src=x" not in body and "&lt;img src=x" in body


# My work ------------------------------------------------------------------------------------


def test_my_tasks_and_appointments(app, w):
    user = w.users["N3"]
    User.update(timezone="Asia/Tokyo").where(User.id == user.id).execute()
    records.create(user, Task, {"content": "Overdue call", "due_at": dt.datetime(2000, 1, 1, 9, 0)})
    records.create(w.users["N4"], Task, {"content": "Not mine"})
    meeting = records.create(
        w.users["N4"],
        Appointment,
        {
            "title": "N4 invites N3",
            "starts_at": dt.datetime(2031, 5, 1, 8),
            "ends_at": dt.datetime(2031, 5, 1, 9),
        },
    )
    Attendee.create(appointment=meeting, email=user.email, user=user)
    Attendee.create(appointment=meeting, email=w.users["R"].email, user=w.users["R"])
    records.create(
        user, Appointment, {"title": "Long past", "starts_at": dt.datetime(2001, 1, 1, 8)}
    )
    body = text(client_for(app, user).get("/admin/"))
    tasks_panel = re.search(r'id="my-tasks".*?id="my-appointments"', body, re.S).group(0)
    assert re.search(r'id="open-tasks">2<', tasks_panel)
    assert "1 overdue" in tasks_panel
    overdue = re.search(r'accord-task-overdue">(.*?)</li>', tasks_panel, re.S).group(1)
    assert "Overdue call" in overdue and "6:00" in overdue and "PM" in overdue  # 09:00 UTC in Tokyo
    assert "Task of N3" in tasks_panel and "Not mine" not in tasks_panel
    appointments = body.split('id="my-appointments"')[1]
    assert "N4 invites N3" in appointments and "Meeting of N3" in appointments
    assert "Long past" not in appointments and "Meeting of N4" not in appointments
    # The restricted attendee does not see an appointment the policy hides from them.
    restricted = text(client_for(app, w.users["R"]).get("/admin/"))
    assert "N4 invites N3" not in restricted


def test_dashboard_needs_a_login_and_works_without_deals(app, rt, client):
    assert client.get("/admin/").status_code == 302
    from tests.world import make_user

    lonely = make_user("Lonely", "normal")
    login(client, lonely.email)
    body = text(client.get("/admin/"))
    assert 'id="open-deals">0<' in body and "Nothing here yet" in body


@pytest.mark.parametrize("owners", (0, 1, 20))
def test_feed_read_per_owner_or_in_one_query_is_the_same(app, w, monkeypatch, owners):
    """The feed merges each owner's newest rows (up to FEED_OWNERS owners) or reads them
    with one IN query: a manager's whole feed, page after page, is the oracle's either way."""
    from accord.core import reports

    monkeypatch.setattr(reports, "FEED_OWNERS", owners)
    for key in ("M", "R"):
        user = w.users[key]
        assert whole_feed(client_for(app, user)) == expected_feed(user), key


def test_my_appointments_are_the_oracles(app, w):
    """Owned ones past, under way and to come, attended ones, other people's, more than
    fit: the panel's list is the soonest ten not yet over that the viewer may see."""
    from accord.core import reports

    now = dt.datetime(2030, 6, 1, 12, 0)
    user, other = w.users["N3"], w.users["N4"]
    hours = [-50, -3, -1, 0, 1, 2, 5, 8, 13, 21, 34, 55, 89]
    for n, start in enumerate(hours):
        owner = user if n % 3 else other
        appointment = records.create(
            owner,
            Appointment,
            {
                "title": f"Slot {n}",
                "starts_at": now + dt.timedelta(hours=start),
                "ends_at": now + dt.timedelta(hours=start + (60 if n == 0 else 2)),
            },
        )
        if owner is other and n % 2:
            Attendee.create(appointment=appointment, email=user.email, user=user)
    for key in ("N3", "R"):
        viewer = User.get_by_id(w.users[key].id)
        attending = {a.appointment_id for a in Attendee.select() if a.user_id == viewer.id}
        wanted = sorted(
            (
                a
                for a in Appointment.select()
                if (a.owner_id == viewer.id or a.id in attending)
                and a.ends_at >= now
                and expected(viewer, "view", a)
            ),
            key=lambda a: (a.starts_at, a.id),
        )[:10]
        got = reports.my_appointments(viewer, now)
        assert [a.id for a in got] == [a.id for a in wanted], key

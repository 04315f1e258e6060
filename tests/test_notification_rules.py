"""Custom notification rules: the filter, the triggers, the channels; the policy decides
(B12); the rules pages create, change and delete only the user's own rules."""

import pytest

from accord.core import events
from accord.core.db import write
from accord.core.models import Deal, Lead, Note, Pipeline, Source, Stage, Status, Task, Team
from accord.core.models.notifications import Notification, NotificationRule
from accord.core.services import ValidationError, custom_fields, deals, records
from accord.core.services import notification_rules as rules
from tests.oracle import expected
from tests.web import csrf_token, login
from tests.world import make_user

CHANNELS = ["web", "email"]


def titles(user):
    query = Notification.select().where(Notification.user == user.id).order_by(Notification.id)
    return [n.title for n in query]


def stage(name):
    return Stage.get(
        (Stage.name == name) & (Stage.pipeline == Pipeline.get(Pipeline.is_default).id)
    )


@pytest.fixture
def team(rt):
    boss = make_user("Boss", "admin")
    watcher = make_user("Wat", "normal")
    seller = make_user("Sel", "normal")
    return boss, watcher, seller


def make_rule(user, **data):
    data.setdefault("name", "Watch")
    data.setdefault("channels", ["web"])
    return rules.save(user, data, CHANNELS)


def active_stages():
    pipeline = Pipeline.get(Pipeline.is_default)
    return list(
        Stage.select()
        .where((Stage.pipeline == pipeline.id) & (Stage.category == "active"))
        .order_by(Stage.position)
    )


def test_a_stage_rule_fires_on_its_stage_only(rt, team):
    boss, watcher, seller = team
    first, second, third = active_stages()[:3]
    make_rule(watcher, record_entity="deal", stage_id=third.id, triggers=["stage_changed"])
    deal = records.create(boss, Deal, {"name": "Alpha", "value": "5"}, owner=seller.id)
    assert titles(watcher) == []  # "created" is not among the rule's triggers
    deals.move_stage(boss, deal, second)
    assert titles(watcher) == []  # another stage
    deals.move_stage(boss, deal, third)
    assert titles(watcher) == [f"Alpha moved to stage {third.name}"]
    records.update(boss, deal, {"name": "Alpha 2"})
    records.assign(boss, deal, watcher.id)
    # Neither an edit nor an owner change is a stage change (the assignment has its own kind).
    assert titles(watcher) == [
        f"Alpha moved to stage {third.name}",
        "Deal assigned to you: Alpha 2",
    ]


def test_triggers_created_owner_changed_task_and_note_added(rt, team):
    boss, watcher, seller = team
    make_rule(
        watcher,
        record_entity="deal",
        owner_id=seller.id,
        triggers=["created", "owner_changed", "task_added", "note_added"],
    )
    mine = records.create(boss, Deal, {"name": "Seller's", "value": "1"}, owner=seller.id)
    other = records.create(boss, Deal, {"name": "Boss's", "value": "1"}, owner=boss.id)
    records.create(boss, Task, {"content": "Call", "deal": mine.id}, owner=boss.id)
    records.create(boss, Task, {"content": "Call", "deal": other.id}, owner=boss.id)
    records.create(boss, Note, {"content": "Met them", "deal": mine.id})
    records.create(boss, Note, {"content": "Met them", "deal": other.id})
    assert titles(watcher) == [
        "New deal: Seller's",
        "Task added to Seller's",
        "Note added to Seller's",
    ]
    records.assign(boss, other, seller.id)  # now it matches the owner filter
    assert titles(watcher)[-1] == "Boss's has a new owner"


def test_lead_status_and_source_filters(rt, team):
    boss, watcher, seller = team
    web = Source.create(name="Web form X")
    fair = Source.create(name="Trade fair X")
    # Not the first status: a new lead starts with that one.
    hot = Status.select().where(Status.entity_kind == "lead").order_by(-Status.position).first()
    make_rule(
        watcher,
        record_entity="lead",
        source_id=web.id,
        status_id=hot.id,
        triggers=["status_changed", "created"],
    )
    records.create(boss, Lead, {"first_name": "A", "last_name": "Fair", "source": fair.id})
    records.create(boss, Lead, {"first_name": "B", "last_name": "Web", "source": web.id})
    assert titles(watcher) == []  # right source, not the status yet
    lead = Lead.get(Lead.last_name == "Web")
    records.update(boss, lead, {"status": hot.id})
    assert titles(watcher) == ["B Web changed status"]


def test_team_and_custom_field_filters(rt, team):
    boss, watcher, seller = team
    north = Team.create(name="North")
    seller.team = north
    seller.save()
    custom_fields.define(boss, "deal", "region", "Region", "text")
    make_rule(
        watcher,
        record_entity="deal",
        team_id=north.id,
        custom_key="region",
        custom_value="Alsace",
        triggers=["created"],
    )
    records.create(
        boss, Deal, {"name": "In", "value": "1", "custom": {"region": "alsace"}}, owner=seller.id
    )
    records.create(
        boss,
        Deal,
        {"name": "Out1", "value": "1", "custom": {"region": "Bretagne"}},
        owner=seller.id,
    )
    records.create(
        boss, Deal, {"name": "Out2", "value": "1", "custom": {"region": "Alsace"}}, owner=boss.id
    )
    assert titles(watcher) == ["New deal: In"]


def test_rules_carry_their_channels_and_can_be_turned_off(rt, smtp, team):
    boss, watcher, seller = team
    rule = make_rule(watcher, record_entity="deal", triggers=["created"], channels=["email"])
    records.create(boss, Deal, {"name": "By mail", "value": "1"}, owner=seller.id)
    assert titles(watcher) == []
    [(rcpts, msg)] = [(r, m) for r, m in smtp.messages if m["X-Accord-Kind"] == "rule"]
    assert rcpts == ["wat@world.test"] and msg["Subject"] == "New deal: By mail"
    assert "Rule: Watch" in msg.get_content()
    rules.save(watcher, {**_data(rule), "active": False}, CHANNELS, rule=rule)
    records.create(boss, Deal, {"name": "Silent", "value": "1"}, owner=seller.id)
    assert len([m for _r, m in smtp.messages if m["X-Accord-Kind"] == "rule"]) == 1


def _data(rule):
    return {
        "name": rule.name,
        "record_entity": rule.record_entity,
        "triggers": rule.triggers,
        "channels": rule.channels,
        **{f: getattr(rule, f) for f in rules.ID_FIELDS},
    }


def test_a_redelivered_event_fires_a_rule_once(rt, team):
    boss, watcher, seller = team
    make_rule(watcher, record_entity="deal", triggers=["created"])
    records.create(boss, Deal, {"name": "Once", "value": "1"}, owner=seller.id)
    from accord.core.models import OutboxEvent

    row = OutboxEvent.get(OutboxEvent.type == "deal.created")
    rt.pm.hook.accord_event(event=events.Event.from_row(row), runtime=rt)
    assert titles(watcher) == ["New deal: Once"]


# B12 ---------------------------------------------------------------------------------------


def test_rules_never_reveal_what_the_oracle_hides(rt, world):
    """Every world user watches every deal, lead and contact on every trigger (rules made
    straight in the table, so even a rule the form would refuse is tried)."""
    Notification.delete().execute()
    users = [world.A, world.M, world.N1, world.N3, world.N4, world.R, world.D]
    for user in users:
        for entity in ("deal", "lead", "contact"):
            NotificationRule.create(
                user=user.id,
                name="all",
                record_entity=entity,
                triggers=["created", "owner_changed", "task_added", "note_added"],
                channels=["web"],
            )
    for entity in ("deal", "lead", "contact"):
        for owner_key in ("R", "N1", "N4", None):
            record = world.record(entity, owner_key)
            with write():
                events.emit(
                    f"{entity}.owner_changed", record, world.A, old=None, new=record.owner_id
                )
            for user in users:
                told = (
                    Notification.select()
                    .where(
                        (Notification.user == user.id)
                        & (Notification.kind == "rule")
                        & (Notification.record_kind == entity)
                        & (Notification.record_id == record.id)
                    )
                    .exists()
                )
                assert told == expected(user, "view", record), (entity, owner_key, user.email)


def test_a_task_added_rule_does_not_reveal_a_hidden_task(rt, world):
    Notification.delete().execute()
    NotificationRule.create(
        user=world.R.id,
        name="mine",
        record_entity="deal",
        triggers=["task_added"],
        channels=["web"],
    )
    deal = world.record("deal", "R")
    # A task owned by N1 on R's deal: R may see the deal but not the task.
    records.create(world.A, Task, {"content": "Secret plan", "deal": deal.id}, owner=world.N1.id)
    assert titles(world.R) == []
    records.create(world.A, Task, {"content": "Your call", "deal": deal.id}, owner=world.R.id)
    assert [t for t in titles(world.R) if t.startswith("Task added")] == [
        f"Task added to {deal.name}"
    ]


# The service's checks ----------------------------------------------------------------------


def test_choices_are_limited_to_what_the_user_may_see(rt, world):
    opts = rules.options(world.R)
    assert [row[0] for row in opts["owner_id"]] == [world.R.id]
    with pytest.raises(ValidationError) as error:
        make_rule(world.R, record_entity="deal", owner_id=world.N1.id, triggers=["created"])
    assert "owner_id" in error.value.errors
    # A restricted user's rule always watches their own records.
    rule = make_rule(world.R, record_entity="deal", triggers=["created"])
    assert rule.owner_id == world.R.id
    assert {row[0] for row in rules.options(world.N1)["owner_id"]} >= {world.N4.id, world.R.id}


def test_bad_rules_are_refused_with_clear_messages(rt, team):
    boss, watcher, seller = team
    other = Pipeline.create(name="Other", position=5)
    foreign = Stage.create(pipeline=other.id, name="Elsewhere", position=1, category="active")
    default = Pipeline.get(Pipeline.is_default)
    with pytest.raises(ValidationError) as error:
        make_rule(
            watcher,
            name=" ",
            record_entity="deal",
            pipeline_id=default.id,
            stage_id=foreign.id,
            triggers=["status_changed"],
            channels=["pigeon"],
        )
    assert set(error.value.errors) == {"name", "stage_id", "triggers", "channels"}
    with pytest.raises(ValidationError) as error:
        make_rule(watcher, record_entity="lead", stage_id=foreign.id, triggers=[])
    assert set(error.value.errors) == {"stage_id", "triggers"}
    with pytest.raises(ValidationError) as error:
        make_rule(watcher, record_entity="task", triggers=["created"])
    assert "record_entity" in error.value.errors
    assert NotificationRule.select().count() == 0


# The pages ------------------------------------------------------------------------------


def test_rules_pages_create_change_and_delete_own_rules_only(client, rt, team):
    boss, watcher, seller = team
    login(client, "wat@world.test")
    assert client.get("/admin/notification-rules/").status_code == 200
    token = csrf_token(client, "/admin/notification-rules/new/")
    form = {
        "csrf_token": token,
        "name": "Big deals",
        "record_entity": "deal",
        "owner_id": str(seller.id),
        "triggers": ["created", "stage_changed"],
        "channels": ["web"],
        "active": "1",
    }
    response = client.post("/admin/notification-rules/new/", data=form)
    assert response.status_code == 302
    rule = NotificationRule.get(NotificationRule.user == watcher.id)
    assert (rule.name, rule.owner_id, rule.triggers) == (
        "Big deals",
        seller.id,
        ["created", "stage_changed"],
    )
    # Bad input: the form comes back with the message and nothing is lost.
    bad = client.post("/admin/notification-rules/new/", data={**form, "triggers": []})
    assert bad.status_code == 400
    page = bad.get_data(as_text=True)
    assert "Choose at least one trigger." in page and 'value="Big deals"' in page
    assert NotificationRule.select().count() == 1
    edit = client.post(
        f"/admin/notification-rules/edit/?id={rule.id}", data={**form, "name": "Renamed"}
    )
    assert edit.status_code == 302
    assert NotificationRule.get_by_id(rule.id).name == "Renamed"
    # Someone else's rule: not found, unchanged.
    theirs = make_rule(boss, record_entity="lead", triggers=["created"])
    assert client.get(f"/admin/notification-rules/edit/?id={theirs.id}").status_code == 404
    assert (
        client.post(f"/admin/notification-rules/edit/?id={theirs.id}", data=form).status_code == 404
    )
    assert (
        client.post(
            "/admin/notification-rules/delete/", data={"csrf_token": token, "id": theirs.id}
        ).status_code
        == 404
    )
    assert NotificationRule.get_by_id(theirs.id).name == "Watch"
    # Without the CSRF token nothing is deleted; with it, the own rule goes.
    assert client.post("/admin/notification-rules/delete/", data={"id": rule.id}).status_code == 400
    client.post("/admin/notification-rules/delete/", data={"csrf_token": token, "id": rule.id})
    assert NotificationRule.get_or_none(NotificationRule.id == rule.id) is None

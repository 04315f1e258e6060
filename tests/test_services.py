"""The service layer: every write, its activity row, its outbox event, one transaction."""

import datetime as dt
import threading
from decimal import Decimal

import pytest

from accord.core.db import database, write
from accord.core.hookspecs import hookimpl
from accord.core.models import (
    Activity,
    Appointment,
    Contact,
    Deal,
    Lead,
    LossReason,
    Note,
    OutboxEvent,
    Stage,
    Task,
    UnqualifiedReason,
    utcnow,
)
from accord.core.seeds import create_pipeline
from accord.core.services import (
    Forbidden,
    NotFound,
    ValidationError,
    deals,
    leads,
    records,
    tasks,
)
from tests.world import make_user

LONG_AGO = dt.datetime(2001, 1, 1)


@pytest.fixture
def admin(rt):
    return make_user("A", "admin")


@pytest.fixture
def recorder(rt):
    """An `accord_event` plugin on the session runtime that notes what it saw and when."""

    class Recorder:
        def __init__(self):
            self.seen = []

        @hookimpl
        def accord_event(self, event, runtime):
            committed = {}

            # Another connection sees only committed rows: proof the hook runs after commit.
            def look():
                database.connect(reuse_if_open=True)
                try:
                    committed["row"] = OutboxEvent.get_or_none(OutboxEvent.id == event.id)
                finally:
                    database.close()

            reader = threading.Thread(target=look)
            reader.start()
            reader.join()
            self.seen.append((event.type, database.in_transaction(), committed["row"] is not None))

    plugin = Recorder()
    rt.pm.register(plugin, name="recorder")
    yield plugin
    rt.pm.unregister(plugin)


def activities(record):
    return list(
        Activity.select()
        .where((Activity.entity_kind == record.entity) & (Activity.record_id == record.id))
        .order_by(Activity.id)
    )


def events_of(record):
    return list(
        OutboxEvent.select()
        .where((OutboxEvent.entity_kind == record.entity) & (OutboxEvent.record_id == record.id))
        .order_by(OutboxEvent.id)
    )


def fresh(record):
    return type(record).get_by_id(record.id)


# Create, update, delete, restore -------------------------------------------------------


def test_create_logs_activity_and_emits_an_event(admin):
    contact = records.create(admin, Contact, {"first_name": "Ada", "last_name": "Lovelace"})
    stored = fresh(contact)
    assert (stored.name, stored.owner_id) == ("Ada Lovelace", admin.id)
    assert [(a.verb, a.actor_id, a.owner_id) for a in activities(contact)] == [
        ("created", admin.id, admin.id)
    ]
    assert [(e.type, e.actor_id, e.status) for e in events_of(contact)] == [
        ("contact.created", admin.id, "done")
    ]


def test_update_records_the_field_diff(admin):
    contact = records.create(admin, Contact, {"first_name": "Ada", "last_name": "Lovelace"})
    records.update(admin, contact, {"title": "Analyst", "city": "London"})
    updated = activities(contact)[-1]
    assert updated.verb == "updated"
    assert updated.changes == {"title": ["", "Analyst"], "city": ["", "London"]}
    event = events_of(contact)[-1]
    assert (event.type, event.payload) == ("contact.updated", {"changes": ["city", "title"]})
    assert fresh(contact).title == "Analyst"
    # Nothing changed: no history row, no event.
    before = (Activity.select().count(), OutboxEvent.select().count())
    records.update(admin, contact, {"title": "Analyst"})
    assert (Activity.select().count(), OutboxEvent.select().count()) == before


def test_update_of_owner_stage_status_emits_the_specific_events(admin):
    other = make_user("N", "normal")
    deal = records.create(admin, Deal, {"name": "Deal"})
    won = Stage.get((Stage.pipeline == deal.pipeline_id) & (Stage.category == "won"))
    records.update(admin, deal, {"stage": won.id}, owner=other.id)
    types = [e.type for e in events_of(deal)]
    assert types == ["deal.created", "deal.updated", "deal.owner_changed", "deal.stage_changed"]
    owner_event = events_of(deal)[2]
    assert owner_event.payload == {"old": admin.id, "new": other.id}


def test_delete_trashes_and_admin_restores(admin):
    manager = make_user("M", "manager")
    contact = records.create(admin, Contact, {"is_organization": True, "name": "Acme"})
    records.delete(admin, contact)
    assert fresh(contact).deleted_at is not None
    with pytest.raises(NotFound):
        records.get(Contact, contact.id, admin)  # trashed records are hidden from everyone
    with pytest.raises(Forbidden):
        records.restore(manager, contact)  # restoring is a setting: admins only
    assert fresh(contact).deleted_at is not None
    records.restore(admin, fresh(contact))
    assert fresh(contact).deleted_at is None
    assert records.get(Contact, contact.id, admin).id == contact.id
    assert [a.verb for a in activities(contact)] == ["created", "deleted", "restored"]
    assert [e.type for e in events_of(contact)] == [
        "contact.created",
        "contact.deleted",
        "contact.restored",
    ]


def test_delete_of_a_dependent_record_removes_it(admin):
    task = records.create(admin, Task, {"content": "Call back"})
    records.delete(admin, task)
    assert Task.get_or_none(Task.id == task.id) is None
    assert [a.verb for a in activities(task)] == ["created", "deleted"]


# The outbox row and the change share one transaction ------------------------------------


def test_an_exception_after_emit_leaves_neither_record_nor_event(admin, recorder):
    before = {m: m.select().count() for m in (Contact, OutboxEvent, Activity)}
    with pytest.raises(RuntimeError, match="after emit"), write():
        records.create(admin, Contact, {"first_name": "Ghost", "last_name": "Writer"})
        assert OutboxEvent.select().count() == before[OutboxEvent] + 1
        raise RuntimeError("after emit")
    assert {m: m.select().count() for m in before} == before
    assert recorder.seen == []


def test_accord_event_runs_only_after_commit(admin, recorder):
    with write():
        records.create(admin, Contact, {"first_name": "Ada", "last_name": "Lovelace"})
        records.create(admin, Contact, {"is_organization": True, "name": "Engines Ltd"})
        # Inside the transaction: the outbox has the rows, no hook has run.
        assert recorder.seen == []
    # After commit: each event once, outside any transaction, visible to other connections.
    assert recorder.seen == [("contact.created", False, True), ("contact.created", False, True)]
    assert {e.status for e in OutboxEvent.select()} == {"done"}


# Deals -----------------------------------------------------------------------------------


def test_stage_move_sets_pipeline_and_timestamps(admin):
    deal = records.create(admin, Deal, {"name": "Deal", "value": "250.50"})
    first = Stage.get_by_id(deal.stage_id)
    assert (first.category, first.position) == ("active", 0)
    assert deal.pipeline_id == first.pipeline_id
    assert deal.last_stage_change_at is not None and deal.closed_at is None

    Deal.update(last_stage_change_at=LONG_AGO).where(Deal.id == deal.id).execute()
    other = create_pipeline("Partners")
    target = Stage.get((Stage.pipeline == other) & (Stage.position == 2))
    deals.move_stage(admin, fresh(deal), target)
    moved = fresh(deal)
    assert (moved.stage_id, moved.pipeline_id) == (target.id, other.id)
    assert moved.last_stage_change_at > LONG_AGO
    assert moved.closed_at is None

    won = Stage.get((Stage.pipeline == other) & (Stage.category == "won"))
    deals.move_stage(admin, moved, won.id)
    assert fresh(deal).closed_at is not None
    # Reopened: no longer closed.
    deals.move_stage(admin, fresh(deal), target)
    assert fresh(deal).closed_at is None
    changes = [e.payload for e in events_of(deal) if e.type == "deal.stage_changed"]
    assert changes == [
        {"old": first.id, "new": target.id},
        {"old": target.id, "new": won.id},
        {"old": won.id, "new": target.id},
    ]


def test_lost_needs_a_loss_reason_and_unqualified_its_reason(admin):
    deal = records.create(admin, Deal, {"name": "Deal"})
    lost = Stage.get((Stage.pipeline == deal.pipeline_id) & (Stage.category == "lost"))
    unqualified = Stage.get(
        (Stage.pipeline == deal.pipeline_id) & (Stage.category == "unqualified")
    )
    with pytest.raises(ValidationError) as failure:
        deals.move_stage(admin, deal, lost)
    assert set(failure.value.errors) == {"loss_reason"}
    with pytest.raises(ValidationError) as failure:
        deals.move_stage(admin, deal, unqualified, reason=12345)
    assert set(failure.value.errors) == {"unqualified_reason"}
    with pytest.raises(ValidationError) as failure:
        deals.move_stage(admin, deal, 987654)
    assert set(failure.value.errors) == {"stage"}
    assert fresh(deal).stage_id == deal.stage_id and fresh(deal).closed_at is None

    reason = LossReason.select().first()
    deals.move_stage(admin, fresh(deal), lost, reason=reason.id)
    stored = fresh(deal)
    assert (stored.stage_id, stored.loss_reason_id) == (lost.id, reason.id)
    assert stored.closed_at is not None
    why = UnqualifiedReason.select().first()
    deals.move_stage(admin, stored, unqualified, reason=why)
    assert fresh(deal).unqualified_reason_id == why.id


# Leads ------------------------------------------------------------------------------------


def test_lead_conversion_matches_the_organization_and_moves_the_work(admin):
    acme = records.create(admin, Contact, {"is_organization": True, "name": "Acme"})
    lead = records.create(
        admin,
        Lead,
        {
            "first_name": "Wile",
            "last_name": "Coyote",
            "organization_name": " Acme ",
            "email": "wile@acme.test",
            "title": "Engineer",
        },
    )
    task = records.create(admin, Task, {"content": "Call Wile", "lead": lead.id})
    note = records.create(admin, Note, {"content": "Likes rockets", "lead": lead.id})
    when = dt.datetime(2030, 5, 1, 10, 0)
    meeting = records.create(
        admin, Appointment, {"title": "Demo", "starts_at": when, "lead": lead.id}
    )
    contacts_before = Contact.select().count()

    contact, organization, deal = leads.convert(
        admin, lead, deal={"name": "Rockets", "value": "5000"}
    )
    assert organization.id == acme.id  # matched by name, not duplicated
    assert Contact.select().count() == contacts_before + 1
    assert (contact.name, contact.email, contact.title) == (
        "Wile Coyote",
        "wile@acme.test",
        "Engineer",
    )
    assert contact.organization_id == acme.id and not contact.is_organization
    stored_deal = fresh(deal)
    assert (stored_deal.contact_id, stored_deal.organization_id) == (contact.id, acme.id)
    for item in (task, note, meeting):
        moved = fresh(item)
        assert (moved.lead_id, moved.contact_id) == (None, contact.id)
    stored_lead = fresh(lead)
    assert stored_lead.converted_at is not None
    assert stored_lead.converted_contact_id == contact.id
    event = events_of(lead)[-1]
    assert event.type == "lead.converted"
    assert event.payload == {
        "contact_id": contact.id,
        "organization_id": acme.id,
        "deal_id": deal.id,
    }
    # Irreversible: a second conversion is refused and creates nothing.
    with pytest.raises(ValidationError, match="already converted"):
        leads.convert(admin, stored_lead)
    assert Contact.select().count() == contacts_before + 1


def test_lead_conversion_creates_a_missing_organization_and_no_deal(admin):
    lead = records.create(admin, Lead, {"last_name": "Roadrunner", "organization_name": "NewCo"})
    contact, organization, deal = leads.convert(admin, lead)
    assert deal is None
    assert (organization.name, organization.is_organization) == ("NewCo", True)
    assert contact.organization_id == organization.id
    assert organization.owner_id == admin.id


def test_lead_conversion_keeps_the_lead_owner(admin):
    # Carrying the owner over is not an assignment: a normal user, who may edit any lead
    # but assign only to self, converts a colleague's lead and the colleague keeps it all.
    colleague = make_user("N4", "normal")
    converter = make_user("N1", "normal")
    lead = records.create(
        admin, Lead, {"last_name": "Shared", "organization_name": "Org"}, owner=colleague
    )
    contact, organization, deal = leads.convert(converter, lead, deal={"name": "Deal"})
    owners = {fresh(r).owner_id for r in (contact, organization, deal)}
    assert owners == {colleague.id}
    # An unowned lead goes to whoever converts it (a restricted user may).
    restricted = make_user("R", "restricted")
    unowned = records.create(admin, Lead, {"last_name": "Free"}, owner=None)
    contact, _org, _deal = leads.convert(restricted, unowned)
    assert fresh(contact).owner_id == restricted.id


def test_lead_conversion_follows_the_policy(admin):
    owner = make_user("N", "normal")
    restricted = make_user("R", "restricted")
    lead = records.create(admin, Lead, {"last_name": "Owned"}, owner=owner)
    with pytest.raises(Forbidden):
        leads.convert(restricted, lead)
    assert fresh(lead).converted_at is None
    assert Contact.select().count() == 0


# Tasks ------------------------------------------------------------------------------------


def test_task_complete_sets_done_at_and_reopen_clears_it(admin):
    task = records.create(admin, Task, {"content": "Send quote"})
    assert (task.done, task.done_at) == (False, None)
    tasks.complete(admin, task)
    stored = fresh(task)
    assert stored.done is True and stored.done_at is not None
    assert activities(task)[-1].changes["done"] == [False, True]
    tasks.complete(admin, stored, done=False)
    assert (fresh(task).done, fresh(task).done_at) == (False, None)


def test_task_reminder_is_computed_from_due(admin):
    due = dt.datetime(2030, 1, 2, 9, 0)
    task = records.create(admin, Task, {"content": "Ring", "due_at": due, "reminder": "1h"})
    assert fresh(task).remind_at == due - dt.timedelta(hours=1)


# Validation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "model,data,keys",
    [
        (Contact, {"title": "Nobody"}, {"last_name"}),
        (Contact, {"is_organization": True}, {"name"}),
        (Contact, {"last_name": "X", "nonsense": 1, "also": 2}, {"nonsense", "also"}),
        (Lead, {"email": "a@b.test"}, {"last_name"}),
        (Deal, {"name": "Neg", "value": "-1"}, {"value"}),
        (Deal, {"name": "Pct", "probability": 101}, {"probability"}),
        (Deal, {"name": "   "}, {"name"}),
        (Deal, {"name": "Ghost stage", "stage": 99999}, {"stage"}),
        (Task, {"content": ""}, {"content"}),
        (Task, {"content": "x", "reminder": "1d"}, {"reminder"}),
        (Task, {"content": "x", "reminder": "2y"}, {"reminder"}),
        (Note, {"content": "  "}, {"content"}),
        (Appointment, {"title": "No start"}, {"starts_at"}),
        (
            Appointment,
            {"title": "Back", "starts_at": LONG_AGO, "ends_at": LONG_AGO - dt.timedelta(1)},
            {"ends_at"},
        ),
    ],
)
def test_validation_errors_name_their_fields(admin, model, data, keys):
    before = (model.select().count(), OutboxEvent.select().count(), Activity.select().count())
    with pytest.raises(ValidationError) as failure:
        records.create(admin, model, data)
    assert set(failure.value.errors) == keys
    assert all(failure.value.errors.values())  # every field has a message
    assert (model.select().count(), OutboxEvent.select().count(), Activity.select().count()) == (
        before
    )


def test_a_person_cannot_be_used_as_an_organization(admin):
    person = records.create(admin, Contact, {"last_name": "Person"})
    with pytest.raises(ValidationError) as failure:
        records.create(admin, Contact, {"last_name": "Other", "organization": person.id})
    assert set(failure.value.errors) == {"organization"}


def test_a_failed_update_changes_nothing_stored(admin):
    deal = records.create(admin, Deal, {"name": "Stable", "value": "10"})
    with pytest.raises(ValidationError):
        records.update(admin, fresh(deal), {"value": "-5", "hot": True})
    stored = fresh(deal)
    assert (stored.value, stored.hot) == (Decimal("10"), False)
    assert [a.verb for a in activities(deal)] == ["created"]


def test_get_hides_what_the_policy_hides(admin):
    owner = make_user("N", "normal")
    restricted = make_user("R", "restricted")
    deal = records.create(admin, Deal, {"name": "Secret"}, owner=owner)
    assert records.get(Deal, deal.id, owner).id == deal.id
    assert records.get(Deal, str(deal.id), admin).id == deal.id
    for bad in (deal.id + 1000, "nope", None):
        with pytest.raises(NotFound):
            records.get(Deal, bad, admin)
    with pytest.raises(NotFound):
        records.get(Deal, deal.id, restricted)


def test_created_at_and_updated_at_are_set(admin):
    start = utcnow()
    contact = records.create(admin, Contact, {"last_name": "Clock"})
    stored = fresh(contact)
    assert stored.created_at >= start and stored.updated_at >= start

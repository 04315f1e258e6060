"""The automation engine: every built-in trigger and action, the seeds' four examples,
idempotency, the depth limit, dry runs and the author's rights (SECURITY B12)."""

import datetime as dt
from decimal import Decimal

import pytest

from accord.core import effects
from accord.core import outbox as core_outbox
from accord.core.automation import engine
from accord.core.automation.base import Context
from accord.core.db import write
from accord.core.events import Event
from accord.core.models import (
    Contact,
    Deal,
    Effect,
    Lead,
    OutboxEvent,
    Source,
    Status,
    Tag,
    Task,
    Team,
    User,
    utcnow,
)
from accord.core.models.automations import Automation, AutomationRun, EmailTemplate
from accord.core.seeds import create_pipeline
from accord.core.services import automations, custom_fields, deals, records, tags, tasks
from accord.core.services.errors import Forbidden, ValidationError
from tests.automation_support import emit_captured, make, outbox, runs, stage
from tests.world import make_user


@pytest.fixture
def admin(rt):
    return make_user("Ada", "admin")


@pytest.fixture
def seller(rt):
    return make_user("Sam", "normal")


def task_texts():
    return sorted(t.content for t in Task.select())


# The four examples from the issue ---------------------------------------------------------


def test_example_1_deal_moves_to_proposal_creates_a_task_for_its_owner(rt, admin, seller):
    proposal = stage("Proposal")
    auto = make(
        rt,
        admin,
        "deal.stage_changed",
        [("create_tasks", {"content": "Send proposal", "due_in": 2, "due_unit": "days"})],
        trigger_params={"stage": proposal.id},
    )
    deal = records.create(admin, Deal, {"name": "Roof repair", "value": "900"}, owner=seller)
    deals.move_stage(admin, deal, stage("Quote"))
    assert Task.select().count() == 0  # another stage: nothing
    before = utcnow()
    deals.move_stage(admin, deal, proposal)
    task = Task.get()
    assert (task.content, task.owner_id, task.deal_id) == ("Send proposal", seller.id, deal.id)
    assert before + dt.timedelta(days=2) <= task.due_at <= utcnow() + dt.timedelta(days=2)
    (run,) = runs(auto)
    assert run.status == "done"
    assert run.record_kind == "deal" and run.record_id == deal.id
    assert run.results[0]["status"] == "done"
    assert "Send proposal" in run.results[0]["result"]


def test_example_2_new_deal_in_services_sets_onboarding_pending(rt, admin):
    services = create_pipeline("Services", [("Discovery", "active", 10), ("Won", "won", 100)])
    custom_fields.define(
        admin, "deal", "onboarding", "Onboarding", "dropdown",
        options={"choices": ["Pending", "In progress", "Done"]},
    )  # fmt: skip
    make(
        rt,
        admin,
        "deal.created",
        [("update_field", {"field": "custom.deal.onboarding", "value": "Pending"})],
        conditions={
            "match": "all",
            "rules": [{"field": "pipeline", "op": "eq", "value": "Services"}],
        },
    )
    in_sales = records.create(admin, Deal, {"name": "Sales deal"})
    in_services = records.create(
        admin, Deal, {"name": "Services deal", "stage": stage("Discovery", "Services").id}
    )
    assert in_services.pipeline_id == services.id
    assert Deal.get_by_id(in_services.id).custom == {"onboarding": "Pending"}
    assert Deal.get_by_id(in_sales.id).custom == {}


def test_example_3_deal_for_payment_emails_the_contact_the_invoice(rt, admin, smtp):
    invoice = automations.save_template(
        admin,
        {
            "name": "Invoice",
            "subject": "Invoice for {{ deal.name }}",
            "body": "Dear {{ contact.first_name }},\nplease pay {{ deal.value }} {{ deal.currency }}.",
        },
    )
    make(
        rt,
        admin,
        "deal.stage_changed",
        [("send_email", {"template": invoice.id, "to": "contact"})],
        trigger_params={"stage": stage("For payment").id},
    )
    person = records.create(
        admin, Contact, {"first_name": "Grace", "last_name": "Hopper", "email": "grace@x.test"}
    )
    deal = records.create(admin, Deal, {"name": "Compiler", "value": "1200", "contact": person.id})
    deals.move_stage(admin, deal, stage("For payment"))
    (message,) = smtp.to("grace@x.test")
    assert message["Subject"] == "Invoice for Compiler"
    assert "Dear Grace,\nplease pay 1200.00 EUR." in message.get_content().replace("\r\n", "\n")
    assert message["X-Accord-Idempotency-Key"].startswith("event:")


def test_example_4_captured_lead_gets_a_call_back_task_in_one_hour(rt, admin, seller):
    make(
        rt,
        admin,
        "lead.captured",
        [("create_tasks", {"content": "Call back {{ lead.name }}", "due_in": 1, "due_unit": "hours", "assignee": "owner"})],
    )  # fmt: skip
    lead = records.create(admin, Lead, {"first_name": "Lin", "last_name": "Web"}, owner=seller)
    assert Task.select().count() == 0  # a lead typed in by hand is not "captured"
    emit_captured(lead)
    task = Task.get()
    assert (task.content, task.owner_id, task.lead_id) == ("Call back Lin Web", seller.id, lead.id)
    assert task.due_at - utcnow() <= dt.timedelta(hours=1)
    assert task.due_at - utcnow() > dt.timedelta(minutes=58)


# Every built-in trigger -------------------------------------------------------------------


@pytest.mark.parametrize(
    "trigger, params, act, expect",
    [
        ("lead.created", {}, lambda a, w: records.create(a, Lead, {"last_name": "L"}), 1),
        ("contact.created", {}, lambda a, w: records.create(a, Contact, {"last_name": "C"}), 1),
        ("deal.created", {}, lambda a, w: records.create(a, Deal, {"name": "D"}), 1),
        ("deal.stage_changed", {}, lambda a, w: deals.move_stage(a, w["deal"], stage("Quote")), 1),
        (
            "lead.status_changed",
            {},
            lambda a, w: records.update(a, w["lead"], {"status": Status.get(name="Active", entity_kind="lead").id}),
            1,
        ),
        ("task.completed", {}, lambda a, w: tasks.complete(a, w["task"]), 1),
        ("record.owner_changed", {"entity": "deal"}, lambda a, w: records.assign(a, w["deal"], w["other"]), 1),
        # Owner change of a lead does not fire an automation about deals.
        ("record.owner_changed", {"entity": "deal"}, lambda a, w: records.assign(a, w["lead"], w["other"]), 0),
        ("lead.captured", {}, lambda a, w: emit_captured(w["lead"]), 1),
    ],
)  # fmt: skip
def test_every_built_in_trigger_fires_on_its_event(rt, admin, seller, trigger, params, act, expect):
    w = {
        "deal": records.create(admin, Deal, {"name": "Base deal"}),
        "lead": records.create(admin, Lead, {"last_name": "Base lead"}),
        "other": seller,
    }
    w["task"] = records.create(admin, Task, {"content": "Base task", "deal": w["deal"].id})
    auto = make(rt, admin, trigger, [("create_tasks", {"content": "Fired"})], trigger_params=params)
    act(admin, w)
    assert Task.select().where(Task.content == "Fired").count() == expect
    assert len(runs(auto)) == expect


def test_stage_and_status_triggers_only_fire_for_the_chosen_one(rt, admin):
    lead = records.create(admin, Lead, {"last_name": "Status"})
    active = Status.get(name="Active", entity_kind="lead")
    make(
        rt,
        admin,
        "lead.status_changed",
        [("create_tasks", {"content": "S"})],
        trigger_params={"status": active.id},
    )
    records.update(admin, lead, {"status": Status.get(name="Unqualified", entity_kind="lead").id})
    assert Task.select().count() == 0
    records.update(admin, lead, {"status": active.id})
    assert Task.select().count() == 1


def test_contact_created_can_be_limited_to_people_or_companies(rt, admin):
    make(
        rt,
        admin,
        "contact.created",
        [("create_tasks", {"content": "company"})],
        trigger_params={"kind": "company"},
    )
    make(
        rt,
        admin,
        "contact.created",
        [("create_tasks", {"content": "person"})],
        trigger_params={"kind": "person"},
    )
    records.create(admin, Contact, {"is_organization": True, "name": "Acme"})
    records.create(admin, Contact, {"last_name": "Doe"})
    assert task_texts() == ["company", "person"]


def test_task_completed_fires_once_and_not_when_reopened(rt, admin):
    task = records.create(admin, Task, {"content": "Do it"})
    make(
        rt, admin, "task.completed", [("create_tasks", {"content": "Follow up {{ task.content }}"})]
    )
    tasks.complete(admin, task)
    tasks.complete(admin, task, done=False)
    assert len(outbox("task.completed")) == 1
    assert task_texts() == ["Do it", "Follow up Do it"]


# Every condition type ---------------------------------------------------------------------


def fires(rt, admin, rules, match="all", **deal_data):
    """Does a deal.created automation with these conditions fire for a deal like this?"""
    Task.delete().execute()
    auto = make(
        rt, admin, "deal.created", [("create_tasks", {"content": "hit"})],
        conditions={"match": match, "rules": rules},
    )  # fmt: skip
    deal_tags = deal_data.pop("tags", None)
    owner = deal_data.pop("owner", admin)
    data = {"name": "Cond", **deal_data}
    if deal_tags:
        data["tags"] = deal_tags
    records.create(admin, Deal, data, owner=owner)
    automations.delete(admin, auto)
    return Task.select().where(Task.content == "hit").count() == 1


def test_conditions_on_company_pipeline_stage_owner_team_source(rt, admin, seller):
    acme = records.create(admin, Contact, {"is_organization": True, "name": "Acme"})
    other = records.create(admin, Contact, {"is_organization": True, "name": "Other"})
    team = Team.create(name="North")
    seller.team = team
    seller.save()
    web = Source.get(name="Website")
    assert fires(
        rt, admin, [{"field": "company", "op": "eq", "value": "Acme"}], organization=acme.id
    )
    assert not fires(
        rt, admin, [{"field": "company", "op": "eq", "value": "Acme"}], organization=other.id
    )
    assert fires(rt, admin, [{"field": "company", "op": "empty"}])
    assert fires(rt, admin, [{"field": "pipeline", "op": "eq", "value": "Sales"}])
    assert not fires(rt, admin, [{"field": "pipeline", "op": "ne", "value": "Sales"}])
    assert fires(
        rt,
        admin,
        [{"field": "stage", "op": "eq", "value": "Sales › Quote"}],
        stage=stage("Quote").id,
    )
    assert not fires(
        rt, admin, [{"field": "stage", "op": "eq", "value": "Quote"}], stage=stage("Proposal").id
    )
    assert fires(
        rt,
        admin,
        [{"field": "stage", "op": "any_of", "value": "Quote, Proposal"}],
        stage=stage("Proposal").id,
    )
    assert fires(rt, admin, [{"field": "owner", "op": "eq", "value": seller.email}], owner=seller)
    assert not fires(
        rt, admin, [{"field": "owner", "op": "eq", "value": seller.email}], owner=admin
    )
    assert fires(rt, admin, [{"field": "team", "op": "eq", "value": "North"}], owner=seller)
    assert not fires(rt, admin, [{"field": "team", "op": "eq", "value": "North"}], owner=admin)
    assert fires(rt, admin, [{"field": "source", "op": "eq", "value": "Website"}], source=web.id)
    assert not fires(rt, admin, [{"field": "source", "op": "not_empty"}])


def test_conditions_on_value_range_tags_and_any(rt, admin):
    vip = Tag.create(name="vip")
    Tag.create(name="cold")
    assert fires(rt, admin, [{"field": "value", "op": "between", "value": "100..500"}], value="250")
    assert not fires(
        rt, admin, [{"field": "value", "op": "between", "value": "100..500"}], value="501"
    )
    assert fires(rt, admin, [{"field": "value", "op": "gt", "value": "1000"}], value="1000.01")
    assert not fires(rt, admin, [{"field": "value", "op": "lt", "value": "10"}], value="10")
    assert fires(
        rt, admin, [{"field": "tags", "op": "any_of", "value": "vip, cold"}], tags=[vip.id]
    )
    assert not fires(
        rt, admin, [{"field": "tags", "op": "all_of", "value": "vip, cold"}], tags=[vip.id]
    )
    assert fires(rt, admin, [{"field": "tags", "op": "none_of", "value": "cold"}], tags=[vip.id])
    assert fires(rt, admin, [{"field": "tags", "op": "empty"}])
    rules = [
        {"field": "value", "op": "gt", "value": "1000"},
        {"field": "tags", "op": "any_of", "value": "vip"},
    ]
    assert not fires(rt, admin, rules, match="all", value="5", tags=[vip.id])
    assert fires(rt, admin, rules, match="any", value="5", tags=[vip.id])


@pytest.mark.parametrize(
    "ftype, options, rule_op, rule_value, stored_input, expected",
    [
        ("text", {}, "contains", "ROOF", "flat roof", True),
        ("text", {}, "eq", "flat", "flat roof", False),
        ("paragraph", {}, "not_empty", None, "x", True),
        ("number", {}, "between", "1..10", "5", True),
        ("number", {}, "gt", "10", "5", False),
        ("checkbox", {}, "eq", "yes", "yes", True),
        ("checkbox", {}, "eq", "yes", "no", False),
        ("date", {}, "lt", "2030-01-01", "2029-12-31", True),
        ("date", {}, "gt", "2030-01-01", "2029-12-31", False),
        ("dropdown", {"choices": ["Pending", "Done"]}, "eq", "Pending", "Pending", True),
        ("dropdown", {"choices": ["Pending", "Done"]}, "any_of", "Done", "Pending", False),
        ("multiselect", {"choices": ["A", "B", "C"]}, "all_of", "A, B", "A; B; C", True),
        ("multiselect", {"choices": ["A", "B", "C"]}, "any_of", "C", "A; B", False),
        ("email", {}, "contains", "@acme", "x@acme.test", True),
        ("phone", {"region": "GB"}, "eq", "+44 20 7946 0958", "020 7946 0958", True),
        ("address", {}, "contains", "Paris", "1 Rue X\nParis", True),
        ("url", {}, "eq", "example.com", "https://example.com", True),
        ("currency", {"currency": "EUR"}, "gt", "100", "150 EUR", True),
        ("currency", {"currency": "EUR"}, "empty", None, "", True),
    ],
)
def test_conditions_on_every_custom_field_type(
    rt, admin, ftype, options, rule_op, rule_value, stored_input, expected
):
    custom_fields.define(admin, "deal", "f", "F", ftype, options=options)
    custom = {"f": stored_input} if stored_input else {}
    rule = {"field": "custom.f", "op": rule_op, "value": rule_value}
    assert fires(rt, admin, [rule], custom=custom) is expected


def test_bad_conditions_are_refused_with_a_message_per_row(rt, admin):
    with pytest.raises(ValidationError) as caught:
        make(
            rt, admin, "deal.created", [("create_tasks", {"content": "x"})],
            conditions={"rules": [
                {"field": "stage", "op": "eq", "value": "Won"},  # exists in one pipeline: fine
                {"field": "pipeline", "op": "eq", "value": "Nope"},
                {"field": "value", "op": "between", "value": "abc"},
                {"field": "status", "op": "eq", "value": "New"},  # deals have no status
            ]},
        )  # fmt: skip
    errors = caught.value.errors
    assert set(errors) == {"cond-1", "cond-2", "cond-3"}
    assert "Nope" in errors["cond-1"]


# Every built-in action --------------------------------------------------------------------


def test_create_several_tasks_with_assignee_reminder_and_action_type(rt, admin, seller):
    from accord.core.models import ActionType

    call = ActionType.get(name="Call")
    make(
        rt, admin, "deal.created",
        [("create_tasks", {
            "content": "Call {{ deal.name }}\n\nEmail {{ deal.owner.first_name }}",
            "assignee": f"user:{seller.id}", "due_in": 30, "due_unit": "minutes",
            "reminder": "15m", "action_type": call.id,
        })],
    )  # fmt: skip
    deal = records.create(seller, Deal, {"name": "Boat"})
    made = list(Task.select().order_by(Task.id))
    assert [t.content for t in made] == ["Call Boat", "Email Sam"]
    for task in made:
        assert (task.owner_id, task.action_type_id, task.reminder, task.deal_id) == (
            seller.id, call.id, "15m", deal.id,
        )  # fmt: skip
        assert task.remind_at == task.due_at - dt.timedelta(minutes=15)
        assert task.creator_id == admin.id  # the run acts as the author


def test_task_assignee_can_be_the_user_who_triggered(rt, admin, seller):
    make(rt, admin, "deal.created", [("create_tasks", {"content": "x", "assignee": "actor"})])
    records.create(seller, Deal, {"name": "By Sam"})
    assert Task.get().owner_id == seller.id


def test_update_core_fields_assign_owner_add_tag_move_stage(rt, admin, seller):
    vip = Tag.create(name="vip")
    make(
        rt, admin, "deal.created",
        [
            ("update_field", {"field": "value", "value": "4200"}),
            ("update_field", {"field": "source", "value": "Referral"}),
            ("assign_owner", {"user": f"user:{seller.id}"}),
            ("add_tag", {"tag": vip.id}),
            ("move_stage", {"stage": stage("Negotiation").id}),
        ],
    )  # fmt: skip
    deal = records.create(admin, Deal, {"name": "Many"})
    deal = Deal.get_by_id(deal.id)
    assert deal.value == Decimal("4200")
    assert deal.source.name == "Referral"
    assert deal.owner_id == seller.id
    assert tags.tag_ids(deal) == [vip.id]
    assert deal.stage.name == "Negotiation"
    (run,) = runs()
    assert [r["status"] for r in run.results] == ["done"] * 5


def test_update_field_on_a_lead_status_and_a_custom_field(rt, admin):
    custom_fields.define(admin, "lead", "budget", "Budget", "number")
    make(
        rt, admin, "lead.created",
        [
            ("update_field", {"field": "status", "value": "Active"}),
            ("update_field", {"field": "custom.lead.budget", "value": "12.5"}),
        ],
    )  # fmt: skip
    lead = Lead.get_by_id(records.create(admin, Lead, {"last_name": "Budget"}).id)
    assert lead.status.name == "Active"
    assert lead.custom == {"budget": 12.5}


def test_a_failing_action_is_logged_and_the_next_ones_still_run(rt, admin):
    custom_fields.define(admin, "deal", "size", "Size", "number")
    make(
        rt, admin, "deal.created",
        [
            ("update_field", {"field": "custom.deal.size", "value": "{{ deal.name }}"}),
            ("create_tasks", {"content": "after"}),
        ],
    )  # fmt: skip
    records.create(admin, Deal, {"name": "not a number"})
    (run,) = runs()
    assert run.status == "failed"
    assert run.results[0]["status"] == "error"
    assert "number" in run.results[0]["result"].lower()
    assert run.results[1]["status"] == "done"
    assert task_texts() == ["after"]


def test_send_email_skips_with_a_reason_when_there_is_no_address(rt, admin, smtp):
    template = automations.save_template(admin, {"name": "Hi", "subject": "Hi", "body": "Hello"})
    make(rt, admin, "deal.created", [("send_email", {"template": template.id})])
    records.create(admin, Deal, {"name": "No contact"})
    (run,) = runs()
    assert run.status == "done"
    assert run.results[0] == {
        "action": "send_email",
        "status": "skipped",
        "result": "no contact to email",
    }
    assert smtp.messages == []


def test_webhook_action_body_carries_the_event_and_visible_fields(rt, admin):
    from accord.core.default_automations import webhook_body

    person = records.create(
        admin, Contact, {"first_name": "Ann", "last_name": "Lee", "email": "ann@x.test"}
    )
    deal = records.create(admin, Deal, {"name": "Hooked", "value": "10", "contact": person.id})
    auto = make(rt, admin, "deal.created", [("create_tasks", {"content": "x"})])
    row = outbox("deal.created")[0]
    body = webhook_body(Context(Event.from_row(row), deal, auto, admin, rt))
    assert body["event_id"] == f"event:{row.id}:automation:{auto.id}:0"
    assert body["event"] == "deal.created"
    assert body["record"]["name"] == "Hooked"
    assert body["record"]["contact"]["email"] == "ann@x.test"
    assert body["automation"] == {"id": auto.id, "name": auto.name}


# Idempotency, depth, dry run --------------------------------------------------------------


def test_a_redelivered_event_does_each_action_once(rt, admin):
    auto = make(rt, admin, "deal.created", [("create_tasks", {"content": "Once"})])
    records.create(admin, Deal, {"name": "Twice"})
    row = outbox("deal.created")[0]
    # The outbox hands the same event out again (a retried job): nothing new happens.
    OutboxEvent.update(status="pending", lease_until=None).where(OutboxEvent.id == row.id).execute()
    assert core_outbox.process(rt, row.id) == "done"
    # And the engine is handed the same event directly once more.
    engine.handle(Event.from_row(row), rt)
    assert task_texts() == ["Once"]
    assert len(runs(auto)) == 1


def test_an_interrupted_run_finishes_the_remaining_actions_only(rt, admin):
    auto = make(
        rt,
        admin,
        "deal.created",
        [("create_tasks", {"content": "First"}), ("create_tasks", {"content": "Second"})],
    )
    automations.set_enabled(admin, auto, False)
    deal = records.create(admin, Deal, {"name": "Half"})
    event = Event.from_row(outbox("deal.created")[0])
    ctx = Context(event, deal, auto, admin, rt)
    # As if a worker died after the first action committed: its key and task exist.
    first = Context(event, deal, auto, admin, rt, index=0)
    with write():
        assert effects.once(first.key)
        records.create(admin, Task, {"content": "First", "deal": deal.id})
    run, retry = engine.execute(ctx)
    assert (run.status, retry) == ("done", False)
    assert task_texts() == ["First", "Second"]
    assert run.results[0]["result"] == "already done"


def test_automations_that_trigger_each_other_stop_at_the_depth_limit(rt, admin):
    # Two automations that keep moving a deal back and forth: a loop.
    quote, proposal = stage("Quote"), stage("Proposal")
    make(
        rt,
        admin,
        "deal.stage_changed",
        [("move_stage", {"stage": proposal.id})],
        trigger_params={"stage": quote.id},
        name="to proposal",
    )
    make(
        rt,
        admin,
        "deal.stage_changed",
        [("move_stage", {"stage": quote.id})],
        trigger_params={"stage": proposal.id},
        name="to quote",
    )
    deal = records.create(admin, Deal, {"name": "Ping pong"})
    deals.move_stage(admin, deal, quote)
    moves = outbox("deal.stage_changed")
    # The admin's move (depth 0) and three automated moves (depth 1, 2, 3), then it stops.
    assert [m.payload.get("automation_depth", 0) for m in moves] == [0, 1, 2, 3]
    statuses = [(r.depth, r.status) for r in runs()]
    assert statuses == [(0, "done"), (1, "done"), (2, "done"), (3, "stopped")]
    assert "depth limit" in runs()[-1].error
    assert all(e.status == "done" for e in OutboxEvent.select())


def test_test_against_a_record_describes_and_writes_nothing(rt, admin, seller, smtp):
    template = automations.save_template(
        admin, {"name": "T", "subject": "About {{ deal.name }}", "body": "b"}
    )
    person = records.create(admin, Contact, {"last_name": "Dry", "email": "dry@x.test"})
    deal = records.create(
        admin, Deal, {"name": "Dry deal", "value": "50", "contact": person.id}, owner=seller
    )
    auto = make(
        rt, admin, "deal.stage_changed",
        [
            ("create_tasks", {"content": "Send proposal", "due_in": 2}),
            ("send_email", {"template": template.id}),
            ("move_stage", {"stage": stage("Won").id}),
        ],
        conditions={"rules": [{"field": "value", "op": "gt", "value": "10"}]},
    )  # fmt: skip
    counts = {m: m.select().count() for m in (Task, OutboxEvent, Effect, AutomationRun, Deal)}
    result = engine.dry_run(auto, deal, rt, user=admin)
    assert result.problem == "" and result.matched
    assert [held for _rule, held in result.conditions] == [True]
    texts = [text for _label, text, ok in result.actions]
    assert texts[0].startswith("create task “Send proposal” for Sam World, due ")
    assert texts[1] == "email “About Dry deal” (template T) to dry@x.test"
    assert texts[2] == "move the deal to Sales › Won"
    assert {m: m.select().count() for m in counts} == counts
    assert smtp.messages == []
    assert Deal.get_by_id(deal.id).stage.name != "Won"


def test_a_disabled_automation_does_not_run(rt, admin):
    auto = make(rt, admin, "deal.created", [("create_tasks", {"content": "x"})])
    automations.set_enabled(admin, auto, False)
    records.create(admin, Deal, {"name": "Quiet"})
    assert Task.select().count() == 0 and runs() == []


# Saving -------------------------------------------------------------------------------------


def test_saving_checks_trigger_actions_params_and_templates(rt, admin, seller):
    with pytest.raises(ValidationError) as caught:
        automations.save(
            admin, rt,
            {"name": "", "trigger": "deal.stage_changed", "trigger_params": {"stage": "99999"},
             "actions": [
                 {"type": "create_tasks", "params": {"content": "Hi {{ deal.name "}},
                 {"type": "create_tasks", "params": {"content": "ok", "due_in": "soon"}},
                 {"type": "nope", "params": {}},
                 {"type": "move_stage", "params": {"stage": stage("Won").id}},
             ]},
        )  # fmt: skip
    errors = caught.value.errors
    assert set(errors) == {
        "name",
        "trigger-stage",
        "action-0-content",
        "action-1-due_in",
        "action-2",
    }
    assert errors["action-0-content"].startswith("Placeholder error on line 1")
    with pytest.raises(ValidationError) as caught:
        make(rt, admin, "lead.created", [("move_stage", {"stage": stage("Won").id})])
    assert "action-0" in caught.value.errors  # leads have no stage
    with pytest.raises(Forbidden):
        make(rt, seller, "lead.created", [("create_tasks", {"content": "x"})])


# The author's rights (SECURITY B12) ----------------------------------------------------------


def test_a_run_acts_with_the_authors_rights_and_skips_what_they_cannot_see(rt, admin, seller, smtp):
    other = make_user("Olga", "normal")
    template = automations.save_template(
        admin, {"name": "Leak", "subject": "{{ deal.name }}", "body": "contact: {{ contact.name }} / {{ contact.email }} / {{ contact.phone }}"}
    )  # fmt: skip
    auto = make(
        rt, admin, "deal.stage_changed", [("send_email", {"template": template.id, "to": "owner"})]
    )
    # The author is demoted to restricted: they see only their own or unowned records.
    admin.role = "restricted"
    admin.save()
    boss = make_user("Boss", "admin")
    hidden = records.create(boss, Deal, {"name": "Hidden deal"}, owner=other)
    theirs_contact = records.create(
        boss,
        Contact,
        {"last_name": "Secret", "email": "secret@x.test", "phone": "+44 20 7946 0958"},
        owner=other,
    )
    own = records.create(
        boss, Deal, {"name": "Own deal", "contact": theirs_contact.id}, owner=admin
    )
    deals.move_stage(boss, hidden, stage("Quote"))
    deals.move_stage(boss, own, stage("Quote"))
    hidden_run, own_run = runs(auto)
    assert hidden_run.status == "skipped"
    assert "may not see this record" in hidden_run.error
    (message,) = smtp.messages
    body = message[1].get_content()
    assert message[1]["Subject"] == "Own deal"
    # The contact belongs to someone else: its name only, never its email or phone.
    assert "contact: Secret /  / " in body
    assert "secret@x.test" not in body and "7946" not in body


def test_a_deactivated_or_deleted_author_runs_nothing(rt, admin):
    auto = make(rt, admin, "deal.created", [("create_tasks", {"content": "x"})])
    admin.active = False
    admin.save()
    boss = make_user("Boss", "admin")
    records.create(boss, Deal, {"name": "Nobody acts"})
    (run,) = runs(auto)
    assert run.status == "skipped" and "deactivated" in run.error
    assert Task.select().count() == 0


def test_email_to_a_contact_the_author_cannot_see_is_skipped(rt, admin, smtp):
    other = make_user("Olga", "normal")
    template = automations.save_template(admin, {"name": "Hi", "subject": "Hi", "body": "x"})
    auto = make(rt, admin, "deal.stage_changed", [("send_email", {"template": template.id})])
    admin.role = "restricted"
    admin.save()
    boss = make_user("Boss", "admin")
    person = records.create(
        boss, Contact, {"last_name": "Hidden", "email": "hidden@x.test"}, owner=other
    )
    deal = records.create(boss, Deal, {"name": "Mine", "contact": person.id}, owner=admin)
    deals.move_stage(boss, deal, stage("Quote"))
    (run,) = runs(auto)
    assert run.results[0]["status"] == "skipped"
    assert "no email address the author may see" in run.results[0]["result"]
    assert smtp.messages == []


# The demo data ------------------------------------------------------------------------------


def test_demo_has_the_four_examples_and_they_work(rt, smtp):
    from accord.core.demo import generate

    admin = make_user("Ada", "admin")
    generate(contacts=30, deals=10, seed=3, log=lambda *a: None)
    generate(contacts=0, deals=0, seed=3, log=lambda *a: None)  # a rerun adds no duplicate
    autos = list(Automation.select().order_by(Automation.position))
    assert [a.trigger for a in autos] == [
        "deal.stage_changed", "deal.created", "deal.stage_changed", "lead.captured",
    ]  # fmt: skip
    assert {a.author_id for a in autos} == {admin.id} and all(a.enabled for a in autos)
    assert EmailTemplate.select().where(EmailTemplate.name == "Invoice").count() == 1
    seller = User.get(User.role == "normal")
    person = records.create(
        admin, Contact, {"first_name": "Dora", "last_name": "Demo", "email": "dora@x.test"}
    )
    deal = records.create(admin, Deal, {"name": "Demo deal", "contact": person.id}, owner=seller)
    deals.move_stage(admin, deal, stage("Proposal", "Sales"))
    assert [(t.content, t.owner_id) for t in Task.select().where(Task.deal == deal.id)] == [
        ("Send proposal", seller.id)
    ]
    deals.move_stage(admin, deal, stage("For payment", "Sales"))
    (message,) = smtp.to("dora@x.test")
    assert message["Subject"] == "Invoice for Demo deal"
    services = records.create(
        admin, Deal, {"name": "Svc", "stage": stage("Discovery", "Services").id}
    )
    assert Deal.get_by_id(services.id).custom == {"onboarding": "Pending"}
    lead = records.create(admin, Lead, {"last_name": "Captured"}, owner=seller)
    emit_captured(lead)
    assert Task.get(Task.lead == lead.id).content == "Call back Captured"
    assert all(run.status == "done" for run in runs())


def test_webhook_body_never_carries_what_the_author_cannot_see(rt, admin):
    """SECURITY B12: the body is built with the author's rights, not the system's."""
    from accord.core.default_automations import webhook_body

    other = make_user("Olga", "normal")
    author = make_user("Rita", "restricted")
    custom_fields.define(admin, "contact", "salary", "Salary", "number")
    person = records.create(
        admin, Contact, {"last_name": "Private", "email": "p@x.test", "custom": {"salary": "9000"}},
        owner=other,
    )  # fmt: skip
    deal = records.create(admin, Deal, {"name": "Rita's deal", "contact": person.id}, owner=author)
    auto = make(rt, admin, "deal.created", [("create_tasks", {"content": "x"})])
    event = Event.from_row(outbox("deal.created")[-1])
    body = webhook_body(Context(event, deal, auto, author, rt))
    assert body["record"]["name"] == "Rita's deal"
    assert body["record"]["contact"] == {"name": "Private"}
    assert "p@x.test" not in str(body) and "9000" not in str(body)
    # The same deal seen by an admin author carries the contact's fields.
    full = webhook_body(Context(event, deal, auto, admin, rt))
    assert full["record"]["contact"]["email"] == "p@x.test"
    assert full["record"]["contact"]["custom"] == {"salary": "9,000"}

"""Helpers for the automation tests: build automations through the service, read runs."""

from accord.core import events
from accord.core.models import OutboxEvent, Pipeline, Stage
from accord.core.models.automations import AutomationRun
from accord.core.services import automations


def make(rt, author, trigger, actions, trigger_params=None, conditions=None, name="Auto", **kw):
    spec = {
        "name": name,
        "trigger": trigger,
        "trigger_params": trigger_params or {},
        "conditions": conditions or {},
        "actions": [{"type": t, "params": p} for t, p in actions],
        **kw,
    }
    return automations.save(author, rt, spec)


def stage(name, pipeline=None):
    query = Stage.select().join(Pipeline).where(Stage.name == name)
    if pipeline:
        query = query.where(Pipeline.name == pipeline)
    return query.get()


def runs(automation=None):
    query = AutomationRun.select().order_by(AutomationRun.id)
    if automation is not None:
        query = query.where(AutomationRun.automation == automation.id)
    return list(query)


def outbox(event_type):
    return list(OutboxEvent.select().where(OutboxEvent.type == event_type).order_by(OutboxEvent.id))


def emit_captured(lead):
    """What the capture-form service emits with a new lead (helper "capture")."""
    from accord.core.db import write

    with write():
        events.emit("lead.captured", lead, None, form_id=1, form_name="Website")

"""Automations, their run log and the email templates they send (issue 6)."""

from peewee import BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from accord.core.models.base import BaseModel, JSONField, Timestamped, utcnow
from accord.core.models.users import User


class Automation(Timestamped):
    """When `trigger` fires and `conditions` hold, run `actions` in order as `author`."""

    entity = "automation"
    name = CharField()
    # The run acts with the author's rights; no author (deleted user) → the run is skipped.
    author = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    trigger = CharField()  # a name from the trigger registry
    trigger_params = JSONField(default=dict)
    # {"match": "all"|"any", "rules": [{"field": ..., "op": ..., "value": ...}]}
    conditions = JSONField(default=dict)
    # [{"type": <action name>, "params": {...}}] in run order
    actions = JSONField(default=list)
    enabled = BooleanField(default=True, index=True)
    position = IntegerField(default=0)


class AutomationRun(BaseModel):
    """One automation run for one event: what each action did, or why nothing ran."""

    automation = ForeignKeyField(Automation, on_delete="CASCADE", backref="runs")
    event_id = IntegerField(null=True)
    event_type = CharField(default="")
    record_kind = CharField(default="")
    record_id = IntegerField(null=True)
    depth = IntegerField(default=0)
    # running | done | failed | stopped (depth limit) | skipped (author may not act)
    status = CharField(default="running", index=True)
    started_at = DateTimeField(default=utcnow, index=True)
    finished_at = DateTimeField(null=True)
    results = JSONField(default=list)  # [{"action", "status", "result"}] per action
    error = TextField(default="")

    class Meta:
        # A redelivered event updates its run instead of logging a second one.
        indexes = ((("automation", "event_id"), True),)


class EmailTemplate(Timestamped):
    """A subject and body with placeholders, sent by the "send email" action."""

    entity = "email_template"
    name = CharField(unique=True)
    subject = CharField()
    body = TextField()


# In dependency order; appended to CORE_MODELS.
MODELS = [Automation, AutomationRun, EmailTemplate]

"""Accord's example plugin: every hook implemented once, with an effect a test can check.

It is installed only by the tests (a dist-info with an `accord` entry point written into a
temporary folder), never imported by the core. It doubles as a template for plugin
authors: docs/plugins.md quotes it.
"""

import click
from markupsafe import Markup, escape
from peewee import CharField, DateTimeField, IntegerField

from accord.core import access, effects
from accord.core.automation import Action, Param, Trigger
from accord.core.db import write
from accord.core.fields import FieldError, FieldType
from accord.core.hookspecs import hookimpl
from accord.core.migrate import Migration
from accord.core.models import BaseModel, utcnow

PLUGIN = "example"


# accord_models / accord_migrations -----------------------------------------------------


class ExampleMarker(BaseModel):
    """One row per thing the plugin did: an event seen, a job run, a notification sent."""

    kind = CharField()  # "event", "job", "action", "notification"
    event_type = CharField(default="")
    event_id = IntegerField(null=True)
    record_id = IntegerField(null=True)
    note = CharField(default="")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        # Tables are prefixed with the plugin's name (DESIGN.md §6).
        table_name = "example_marker"


def _create_marker(db):
    db.create_tables([ExampleMarker])


MIGRATIONS = [Migration(PLUGIN, 1, "create marker", _create_marker)]


@hookimpl
def accord_models():
    return [ExampleMarker]


@hookimpl
def accord_migrations():
    return MIGRATIONS


# accord_field_types ---------------------------------------------------------------------


class RatingField(FieldType):
    """A 1-5 star rating, stored as an int and shown as stars."""

    name = "rating"
    label = "Rating (1-5)"
    operators = ("eq", "ne", "lt", "gt", "empty", "not_empty")
    STAR, EMPTY = "\u2605", "\u2606"

    def parse_value(self, raw):
        if isinstance(raw, bool):
            raise FieldError("Enter a rating from 1 to 5.")
        text = str(raw)
        # Accept what format() and to_csv() produce, so export then import round-trips.
        value = text.count(self.STAR) if self.STAR in text else text
        try:
            value = int(value)
        except (TypeError, ValueError):
            raise FieldError("Enter a rating from 1 to 5.") from None
        if not 1 <= value <= 5:
            raise FieldError("Enter a rating from 1 to 5.")
        return value

    def format(self, value, locale="en"):
        return "" if value is None else self.STAR * value + self.EMPTY * (5 - value)

    def to_csv(self, value):
        return "" if value is None else str(value)


@hookimpl
def accord_field_types():
    return [RatingField]


# accord_automation_triggers / accord_automation_actions / accord_notification_channels --


class DealWonTrigger(Trigger):
    """Fires when a deal moves into a won stage."""

    name = "example.deal_won"
    label = "A deal is won (example)"
    event_types = ("deal.stage_changed",)
    entity = "deal"  # what the automation's conditions and placeholders look at

    def matches(self, ctx):
        from accord.core.models import Stage

        stage = Stage.get_or_none(Stage.id == ctx.event.payload.get("new"))
        return stage is not None and stage.category == "won"


class WriteMarkerAction(Action):
    """Writes a marker for the event, with a note that may hold placeholders."""

    name = "example.write_marker"
    label = "Write an example marker"
    params = (Param("note", "Note", "text", template=True, help="e.g. Won {{ deal.name }}"),)

    def run(self, ctx):
        # The engine runs this inside write(), after taking ctx.key: once per event.
        marker = ExampleMarker.create(
            kind="action",
            event_type=ctx.event.type,
            event_id=ctx.event.id,
            record_id=ctx.event.record_id,
            note=ctx.render(ctx.params.get("note") or "")[:255],
        )
        return f"marker #{marker.id}"

    def describe(self, ctx):
        return f"write a marker “{ctx.render(ctx.params.get('note') or '')}”"


class MarkerChannel:
    """A notification channel that "delivers" by writing a marker row.

    notify() calls send() inside a write transaction guarded by the message's key, once
    per (key, user, channel): the channel itself needs no idempotency bookkeeping.
    """

    name = "example_marker"
    label = "Example marker"

    def send(self, user, message, runtime):
        ExampleMarker.create(
            kind="notification",
            event_type=message.kind,
            record_id=user.id,
            note=message.title[:255],
        )


@hookimpl
def accord_automation_triggers():
    return [DealWonTrigger]


@hookimpl
def accord_automation_actions():
    return [WriteMarkerAction]


@hookimpl
def accord_notification_channels():
    return [MarkerChannel]


# accord_notification_kinds --------------------------------------------------------------


@hookimpl
def accord_notification_kinds():
    from accord.core.notifications import NotificationKind

    # Users choose channels for it in My profile -> Notifications; default: web and marker.
    return [NotificationKind("example.pinged", "Example ping", ("web", "example_marker"))]


# accord_admin_views / accord_blueprints -------------------------------------------------


@hookimpl
def accord_admin_views(app):
    # Imported here: a worker or the CLI loads this module without needing Flask-Admin.
    from flask_admin import BaseView, expose

    from accord.admin.views.gate import GateMixin

    class ExampleView(GateMixin, BaseView):
        # GateMixin turns the declared policy into is_accessible: anonymous -> login page.
        access_policy = "authenticated"

        @expose("/")
        def index(self):
            count = ExampleMarker.select().count()
            return f"<h1>Example plugin</h1><p id='markers'>{count} marker(s)</p>"

    return [ExampleView(name="Example", endpoint="example_admin", url="/admin/example")]


@hookimpl
def accord_blueprints(app):
    from flask import Blueprint, abort, jsonify

    from accord.admin.policy import declare
    from accord.admin.views.gate import allowed, current_user

    bp = Blueprint(PLUGIN, __name__)

    @bp.get("/hello")
    @declare("authenticated")
    def hello():
        # Flask calls a blueprint's view directly: it applies its declared policy itself.
        user = current_user()
        if not allowed(hello.access_policy, user):
            abort(401 if user is None else 403)
        return jsonify(plugin=PLUGIN, user=user.email)

    return [bp]


# accord_cli_commands --------------------------------------------------------------------


@hookimpl
def accord_cli_commands():
    @click.command("example-markers")
    @click.option("--kind", default=None, help="Only markers of this kind.")
    def example_markers(kind):
        """Print how many example markers exist."""
        from accord.admin.cli import current_runtime

        current_runtime()  # binds the database this `accord` invocation is configured for
        query = ExampleMarker.select()
        if kind:
            query = query.where(ExampleMarker.kind == kind)
        click.echo(f"{query.count()} marker(s)")

    return [example_markers]


# accord_record_panels -------------------------------------------------------------------


@hookimpl
def accord_record_panels(record, user):
    # A panel must never show what the policy hides from this user.
    if not access.can_see(user, record):
        return []
    count = (
        ExampleMarker.select()
        .where(
            (ExampleMarker.record_id == record.id)
            & ExampleMarker.event_type.startswith(f"{record.entity}.")
        )
        .count()
    )
    html = Markup("<p class='example-panel'>{} has {} event(s)</p>").format(
        escape(str(record)), count
    )
    return [("Example", html)]


# accord_jobs ----------------------------------------------------------------------------


@hookimpl
def accord_jobs(huey, runtime):
    @huey.task(name="example.touch")
    def touch(record_id, note=""):
        with write():
            ExampleMarker.create(kind="job", record_id=record_id, note=note)

    # Exposed so other code can enqueue it: runtime.tasks["example.touch"](id).
    runtime.tasks["example.touch"] = touch


# accord_event ---------------------------------------------------------------------------


@hookimpl
def accord_event(event, runtime):
    # The key and the row commit together: a redelivered event writes nothing new.
    with write():
        if effects.once(event.key("example.marker")):
            ExampleMarker.create(
                kind="event",
                event_type=event.type,
                event_id=event.id,
                record_id=event.record_id,
            )

"""Built-in notifications, written as a plugin: the kinds, the web and email channels,
the events that notify (assignment, capture forms, import/export, reminders, custom
rules) and the periodic reminder job."""

import datetime as dt
import logging

from huey import crontab

from accord.core import notification_rules, notifications, reminders
from accord.core.hookspecs import hookimpl
from accord.core.i18n import lazy_gettext as _
from accord.core.models import OutboxEvent, Task, User
from accord.core.notification_channels import BUILT_IN as CHANNELS
from accord.core.notifications import NotificationKind

log = logging.getLogger(__name__)

KINDS = [
    # Email only where waiting for the next look at the bell would be too late; each
    # user turns email on for the others in My profile -> Notifications.
    NotificationKind("lead_assigned", _("A lead was assigned to me")),
    NotificationKind("deal_assigned", _("A deal was assigned to me")),
    NotificationKind("task_assigned", _("A task was assigned to me")),
    NotificationKind("task_reminder", _("Task reminder"), ("web", "email")),
    NotificationKind("appointment_reminder", _("Appointment reminder"), ("web", "email")),
    NotificationKind("import_finished", _("An import finished")),
    NotificationKind("export_finished", _("An export finished")),
    NotificationKind("capture_lead", _("New lead from a capture form")),
    # Custom rules carry their own channels.
    NotificationKind("rule", _("My notification rules"), ("web",), configurable=False),
]

ASSIGNED = {"lead": "lead_assigned", "deal": "deal_assigned", "task": "task_assigned"}
ASSIGNED_TEXT = {
    "lead": "Lead assigned to you: {name}",
    "deal": "Deal assigned to you: {name}",
    "task": "Task assigned to you: {name}",
}


@hookimpl
def accord_notification_kinds():
    return KINDS


@hookimpl
def accord_notification_channels():
    return CHANNELS


@hookimpl
def accord_jobs(huey, runtime):
    @huey.periodic_task(crontab(minute="*"), name="accord.send_reminders")
    def send_reminders():
        reminders.run()

    runtime.tasks["send_reminders"] = send_reminders


@hookimpl
def accord_event(event, runtime):
    entity, _dot, what = event.type.partition(".")
    if what in ("created", "owner_changed") and entity in ASSIGNED:
        _assigned(event, runtime, entity, what)
    elif event.type == "lead.captured":
        _captured(event, runtime)
    elif event.type in ("import.finished", "export.finished"):
        _job_finished(event, runtime, entity)
    elif what == "reminder_due" and entity in ("task", "appointment"):
        _reminder(event, runtime, entity)
    notification_rules.handle(event, runtime)


def _actor(event):
    return User.get_or_none(User.id == event.actor_id) if event.actor_id else None


def details_url(record):
    return notification_rules.record_url(record)


def _assigned(event, runtime, entity, what):
    record = notifications.fresh_record(entity, event.record_id)
    if record is None:
        return
    owner_id = event.payload.get("new") if what == "owner_changed" else record.owner_id
    if owner_id is None or owner_id == event.actor_id:
        return  # nobody to tell, or they did it themselves
    if what == "created" and entity == "lead" and _captured_with(event):
        return  # the owner hears of it once, as capture_lead
    actor = _actor(event)
    body = f"By {actor.name}" if actor else ""
    notifications.notify(
        runtime,
        owner_id,
        ASSIGNED[entity],
        ASSIGNED_TEXT[entity].format(name=record),
        key=event.key("assigned"),
        body=body,
        url=details_url(record),
        record=record,
        actor=actor,
    )


def _captured_with(event):
    """Was this lead created by a capture form (its lead.captured is in the same outbox)?"""
    return (
        OutboxEvent.select()
        .where((OutboxEvent.type == "lead.captured") & (OutboxEvent.record_id == event.record_id))
        .exists()
    )


def _captured(event, runtime):
    lead = notifications.fresh_record("lead", event.record_id)
    if lead is None or lead.owner_id is None:
        return
    form = event.payload.get("form_name") or ""
    notifications.notify(
        runtime,
        lead.owner_id,
        "capture_lead",
        f"New lead from {form or 'a capture form'}: {lead}",
        key=event.key("capture_lead"),
        url=details_url(lead),
        record=lead,
    )


def _job_finished(event, runtime, what):
    if not event.actor_id:
        return
    p = event.payload
    if what == "import":
        title = f"Import of {p.get('entity', 'records')} finished"
        body = (
            f"{p.get('created', 0)} created, {p.get('updated', 0)} updated, "
            f"{p.get('failed', 0)} failed"
        )
    else:
        title = f"Export of {p.get('entity', 'records')} finished"
        body = f"{p.get('rows', 0)} rows"
    url = p.get("url") or ""
    if not url.startswith("/") or url.startswith("//"):
        url = ""  # only back-office paths: never a link off-site
    notifications.notify(
        runtime,
        event.actor_id,
        f"{what}_finished",
        title,
        key=event.key(f"{what}_finished"),
        body=body,
        url=url,
    )


def _reminder(event, runtime, entity):
    record = notifications.fresh_record(entity, event.record_id)
    if record is None or record.remind_at is None:
        return
    # Moved since it was claimed: the new time gets its own reminder.
    if record.remind_at.isoformat() != event.payload.get("remind_at"):
        return
    if isinstance(record, Task):
        if record.done:
            return
        recipients = [record.owner_id]
        when = record.due_at
        title = f"Reminder: {record.name}"
    else:
        recipients = [record.owner_id] + [
            a.user_id for a in record.attendees if a.user_id is not None
        ]
        when = record.starts_at
        title = f"Reminder: {record.title}"
    key = f"reminder:{entity}:{record.id}:{event.payload.get('remind_at')}"
    for user_id in dict.fromkeys(u for u in recipients if u is not None):
        user = User.get_or_none(User.id == user_id)
        if user is None:
            continue
        notifications.notify(
            runtime,
            user,
            f"{entity}_reminder",
            title,
            key=key,
            body=_when(when, user),
            url=f"/admin/{entity}/details/?id={record.id}",
            record=record,
        )


def _when(value, user):
    from accord.core.i18n import format_datetime

    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return format_datetime(value, user.locale or "en", user.timezone or "UTC")
    return str(value)

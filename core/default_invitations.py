"""Built-in plugin: appointment invitations and cancellations by email (issue 5).

Runs from the outbox (at-least-once); invitations.effect_key makes each email once.
"""

from accord.core import invitations
from accord.core.hookspecs import hookimpl
from accord.core.models import Appointment
from accord.core.services import appointments

REQUEST_EVENTS = ("appointment.created", "appointment.updated", "appointment.attendees_changed")


@hookimpl
def accord_event(event, runtime):
    config = runtime.config
    if event.type in REQUEST_EVENTS:
        invitations.send_requests(config, event.record_id)
    if event.type == "appointment.attendees_changed" and event.payload.get("removed"):
        appointment = Appointment.get_or_none(Appointment.id == event.record_id)
        if appointment is not None:
            snapshot = appointments.snapshot(appointment, bump=0)
            invitations.send_cancels(config, event.record_id, snapshot, event.payload["removed"])
    if event.type == "appointment.deleted" and event.payload.get("cancel"):
        snapshot = event.payload["cancel"]
        invitations.send_cancels(config, event.record_id, snapshot, snapshot["attendees"])

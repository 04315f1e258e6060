"""Calendar: appointment reminders; RSVP tokens of attendees, feed tokens, company logo (issue 5)."""

from accord.core.migrate import add_columns
from accord.core.models import Appointment


def apply(db):
    add_columns(db, Appointment, Appointment.reminder, Appointment.remind_at)

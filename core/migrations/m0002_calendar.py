"""Calendar: appointment reminders; feed tokens and the company logo (issue 5)."""

from accord.core.migrate import add_columns
from accord.core.models import Appointment
from accord.core.models.calendar import MODELS


def apply(db):
    add_columns(db, Appointment, Appointment.reminder, Appointment.remind_at)
    db.create_tables(MODELS, safe=True)

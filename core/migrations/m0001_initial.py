"""Initial schema: every core table of the first release, then the seeded defaults.

The list is frozen here: a model added later gets its own migration, so it must not
appear in this one (CORE_MODELS keeps growing; this migration never changes).
"""

from accord.core import seeds
from accord.core.models import (
    ActionType,
    Activity,
    ApiToken,
    Appointment,
    Attendee,
    Contact,
    CustomField,
    Deal,
    Document,
    Effect,
    Lead,
    LoginThrottle,
    LossReason,
    Note,
    OutboxEvent,
    Pipeline,
    RecordTag,
    Source,
    Stage,
    Status,
    Tag,
    Task,
    Team,
    UnqualifiedReason,
    User,
)

INITIAL_MODELS = [
    Team,
    User,
    ApiToken,
    LoginThrottle,
    Status,
    ActionType,
    Source,
    Tag,
    LossReason,
    UnqualifiedReason,
    RecordTag,
    Contact,
    Lead,
    Pipeline,
    Stage,
    Deal,
    Task,
    Appointment,
    Attendee,
    Note,
    Document,
    Activity,
    CustomField,
    OutboxEvent,
    Effect,
]


def apply(db):
    db.create_tables(INITIAL_MODELS)
    seeds.seed_defaults()

"""The core entities (DESIGN.md §4). Import models from here."""

from accord.core.models import (
    automations,
    calendar,
    capture_forms,
    exports,
    notifications,
    webhooks,
)
from accord.core.models.activity import Activity
from accord.core.models.base import BaseModel, JSONField, utcnow
from accord.core.models.contacts import (
    ADDRESS_FIELDS,
    CUSTOMER_STATUSES,
    REACH_FIELDS,
    Contact,
    Lead,
)
from accord.core.models.custom_fields import CUSTOM_FIELD_ENTITIES, CustomField
from accord.core.models.deals import Deal
from accord.core.models.outbox import Effect, OutboxEvent
from accord.core.models.pipelines import STAGE_CATEGORIES, Pipeline, Stage
from accord.core.models.records import LinkedRecord, OwnedRecord, TrashableRecord
from accord.core.models.users import ROLES, ApiToken, LoginThrottle, Team, User
from accord.core.models.vocabularies import (
    ActionType,
    LossReason,
    RecordTag,
    Source,
    Status,
    Tag,
    UnqualifiedReason,
)
from accord.core.models.work import (
    REMINDERS,
    Appointment,
    Attendee,
    Document,
    Note,
    Task,
)

# In dependency order: create_tables and drop_tables use it.
CORE_MODELS = [
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
    # Added after the first release, each with its own migration.
    *calendar.MODELS,
    *notifications.MODELS,
    *capture_forms.MODELS,
    *automations.MODELS,
    *webhooks.MODELS,
    *exports.MODELS,
]

# The records the access policy governs, by entity key (DESIGN.md §5).
RECORD_MODELS = {
    "lead": Lead,
    "contact": Contact,
    "deal": Deal,
    "task": Task,
    "appointment": Appointment,
    "note": Note,
    "document": Document,
}

__all__ = [
    "CORE_MODELS",
    "RECORD_MODELS",
    "ROLES",
    "REMINDERS",
    "STAGE_CATEGORIES",
    "ADDRESS_FIELDS",
    "CUSTOMER_STATUSES",
    "REACH_FIELDS",
    "CUSTOM_FIELD_ENTITIES",
    "BaseModel",
    "Activity",
    "Contact",
    "CustomField",
    "Deal",
    "Effect",
    "OutboxEvent",
    "Lead",
    "Pipeline",
    "Stage",
    "ApiToken",
    "LoginThrottle",
    "Team",
    "User",
    "ActionType",
    "LossReason",
    "RecordTag",
    "Source",
    "Status",
    "Tag",
    "UnqualifiedReason",
    "Appointment",
    "Attendee",
    "Document",
    "Note",
    "Task",
    "JSONField",
    "utcnow",
    "LinkedRecord",
    "OwnedRecord",
    "TrashableRecord",
]

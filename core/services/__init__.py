"""The service layer: every write in Accord goes through these modules (DESIGN.md §7)."""

from accord.core.services import (
    custom_fields,
    deals,
    documents,
    leads,
    records,
    tasks,
    users,
)
from accord.core.services.errors import Forbidden, NotFound, ValidationError

__all__ = [
    "Forbidden",
    "NotFound",
    "ValidationError",
    "custom_fields",
    "deals",
    "documents",
    "leads",
    "records",
    "tasks",
    "users",
]

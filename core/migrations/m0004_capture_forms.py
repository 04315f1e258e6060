"""Public lead-capture forms and their rate limit (issue 5)."""

from accord.core.models.capture_forms import MODELS


def apply(db):
    db.create_tables(MODELS, safe=True)

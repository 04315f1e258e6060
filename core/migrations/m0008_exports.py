"""Export jobs and their progress (issue 7)."""

from accord.core.models.exports import MODELS


def apply(db):
    db.create_tables(MODELS)

"""Automations, their actions and their run log (issue 6)."""

from accord.core.models.automations import MODELS


def apply(db):
    db.create_tables(MODELS)

"""Initial schema: every core table, then the seeded defaults."""

from accord.core import seeds
from accord.core.models import CORE_MODELS


def apply(db):
    db.create_tables(CORE_MODELS)
    seeds.seed_defaults()

"""A counter of writes to the reference data tables (accord.core.reference_data), kept by
triggers, so each process can hold filter options and labels until they change."""

from accord.core import reference_data


def apply(db):
    reference_data.install(db)

"""Reference data in the back office (accord.core.reference_data): its counter, read once
per request, and the small tables held per process while it stays the same."""

from flask import g

from accord.core import reference_data

HELD_ROWS = 1_000  # a table with more rows is read per request as before

_TABLES = reference_data.Held()


def reference_version():
    """reference_data's counter, read once per request."""
    if "_accord_reference_version" not in g:
        g._accord_reference_version = reference_data.version()
    return g._accord_reference_version


def held_table(model):
    """{id: instance} of a reference data table (all columns), or None when it is not
    one or has too many rows. The instances are shared: read them, never change them."""
    if model._meta.table_name not in reference_data.TABLES:
        return None

    def load():
        rows = list(model.select().limit(HELD_ROWS + 1))
        return None if len(rows) > HELD_ROWS else {row.id: row for row in rows}

    return _TABLES.get(model, reference_version(), load)

"""Reference data in the back office (accord.core.reference_data): its counter, read once
per request, and what the back office reads from those tables (filter options, custom
field definitions, small tables), held per process while the counter stays the same."""

from flask import g
from flask_babel import get_locale

from accord.core import reference_data

HELD_ROWS = 1_000  # a table with more rows is read per request as before

_HELD = reference_data.Held()


def reference_version():
    """reference_data's counter, read once per request."""
    if "_accord_reference_version" not in g:
        g._accord_reference_version = reference_data.version()
    return g._accord_reference_version


def held(key, load):
    """load(), held per process under `key` while the reference data is unchanged. Hold
    only what every request may share unchanged."""
    return _HELD.get(key, reference_version(), load)


def reference_options(load):
    """Mark an options function as reading reference data tables only
    (reference_data.TABLES): its options may then be held between requests."""
    load.reference = True
    return load


def held_options(load):
    """[(key, label), …] from `load` (a long-lived function: it keys what is held)."""
    options = held(
        ("options", load, str(get_locale())),
        lambda: tuple((str(k), str(label)) for k, label in load()),
    )
    return list(options)


def held_table(model):
    """{id: instance} of a reference data table (all columns), or None when it is not
    one or has too many rows. The instances are shared: read them, never change them."""
    if model._meta.table_name not in reference_data.TABLES:
        return None

    def load():
        rows = list(model.select().limit(HELD_ROWS + 1))
        return None if len(rows) > HELD_ROWS else {row.id: row for row in rows}

    return held(("table", model), load)

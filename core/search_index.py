"""The full-text search index: one SQLite FTS5 table per searchable entity.

Each table holds, per record (rowid = the record's id), the texts global and list search
look in: name, email, phone and company (a lead's organization name; a person's or a deal's
organization). The trigram tokenizer matches any substring of three characters or more,
case-insensitively — the same answers as `LIKE '%term%'`, from an index (DESIGN §9).

SQLite triggers keep the tables in step with every write (services, the importer's batches,
`accord demo`), so no caller can forget; `reindex(model, ids)` and `rebuild()` repair
or fill them (the migration fills them for existing rows; `accord reindex` rebuilds).
PostgreSQL gets pg_trgm GIN indexes on the same columns instead (no extra table); other
databases search with LIKE.
"""

from contextlib import contextmanager

from peewee import PostgresqlDatabase, SqliteDatabase

from accord.core.db import database

TOKENIZE = "trigram case_sensitive 0"
MIN_TERM = 3  # trigram: shorter text cannot use the index (search falls back to LIKE)

# entity table -> (FTS table, {index column: SQL expression over the row `r`})
_ORG_NAME = "COALESCE((SELECT o.name FROM contact o WHERE o.id = {r}.organization_id), '')"
TABLES = {
    "lead": (
        "search_lead",
        {
            "name": "{r}.name",
            "email": "{r}.email",
            "phone": "{r}.phone",
            "company": "{r}.organization_name",
        },
    ),
    "contact": (
        "search_contact",
        {"name": "{r}.name", "email": "{r}.email", "phone": "{r}.phone", "company": _ORG_NAME},
    ),
    "deal": ("search_deal", {"name": "{r}.name", "company": _ORG_NAME}),
}
# The base columns whose change changes the index row.
WATCHED = {
    "lead": ("name", "email", "phone", "organization_name"),
    "contact": ("name", "email", "phone", "organization_id"),
    "deal": ("name", "organization_id"),
}
# pg_trgm GIN indexes (PostgreSQL): the columns search compares with ILIKE.
TRGM_COLUMNS = {
    "lead": ("name", "email", "phone", "organization_name"),
    "contact": ("name", "email", "phone"),
    "deal": ("name",),
}

# PostgreSQL: one pg_trgm GIN index per table on the search key of these columns (their
# text lowered, without spaces or punctuation): pg_trgm splits text into words, and the
# short words of an email or a phone number ("48", "example") are in most rows, so
# their trigrams cost more to intersect than they narrow; as one word, the key's
# trigrams span them ("z.lewa" -> "zle", "lew"). A lossy test: search checks the
# candidates it yields against the columns themselves.
KEY_FUNCTION = "accord_search_key"
_KEY_FUNCTION_SQL = (
    f"CREATE OR REPLACE FUNCTION {KEY_FUNCTION}(VARIADIC parts text[]) RETURNS text "
    "LANGUAGE sql IMMUTABLE PARALLEL SAFE AS "
    "$$ SELECT regexp_replace(lower(array_to_string(parts, ' ')), '[^[:alnum:]]+', '', 'g') $$"
)


# PostgreSQL: a btree per searchable table on its name, lowered, in bytewise ("C") order,
# then the id. Global search lists the records whose name starts with the text first,
# by name: a range of this index read in its own order, stopping after the page, however
# many names start so ("Kamau": 2,800 of 1M contacts; through pg_trgm 100 ms).
NAME_PREFIX_TABLES = ("lead", "contact", "deal")


def name_prefix_index(table):
    return f"name_prefix_{table}"


def install_name_prefix(db=None):
    """The name-prefix btrees (PostgreSQL only; SQLite's index has the name column)."""
    db = db or database.obj
    if not uses_trigram(db):
        return
    for table in NAME_PREFIX_TABLES:
        db.execute_sql(
            f'CREATE INDEX IF NOT EXISTS "{name_prefix_index(table)}" ON "{table}" '
            f'((lower("name") COLLATE "C"), "id")'
        )


def key_expression(table):
    """The SQL of `table`'s search key, as its index has it."""
    columns = ", ".join(f'"{c}"' for c in TRGM_COLUMNS[table])
    return f"{KEY_FUNCTION}({columns})"


def is_shadow(name):
    """One of the tables FTS5 keeps behind an index table (never written directly)."""
    return any(
        name.startswith(fts + "_") and name[len(fts) + 1 :] in _SHADOWS
        for fts, _columns in TABLES.values()
    )


_SHADOWS = ("data", "idx", "content", "docsize", "config")


def fts_table(table):
    return TABLES[table][0]


def uses_fts(db=None):
    return isinstance(db or database.obj, SqliteDatabase)


def uses_trigram(db=None):
    return isinstance(db or database.obj, PostgresqlDatabase)


def _values(table, row):
    return ", ".join(expr.format(r=row) for expr in TABLES[table][1].values())


def _columns(table):
    return ", ".join(TABLES[table][1])


def _triggers(table):
    fts = fts_table(table)
    cols, new = _columns(table), _values(table, "new")
    sets = ", ".join(f"{c} = {e.format(r='new')}" for c, e in TABLES[table][1].items())
    watched = ", ".join(WATCHED[table])
    yield (
        f"CREATE TRIGGER IF NOT EXISTS {fts}_ai AFTER INSERT ON {table} BEGIN "
        f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new}); END"
    )
    yield (
        f"CREATE TRIGGER IF NOT EXISTS {fts}_au AFTER UPDATE OF {watched} ON {table} BEGIN "
        f"UPDATE {fts} SET {sets} WHERE rowid = new.id; END"
    )
    yield (
        f"CREATE TRIGGER IF NOT EXISTS {fts}_ad AFTER DELETE ON {table} BEGIN "
        f"DELETE FROM {fts} WHERE rowid = old.id; END"
    )
    if table == "contact":
        # A renamed company: its people and deals are found by the new name.
        yield (
            "CREATE TRIGGER IF NOT EXISTS search_company_au AFTER UPDATE OF name ON contact "
            "WHEN new.is_organization AND new.name IS NOT old.name BEGIN "
            "UPDATE search_contact SET company = new.name "
            "WHERE rowid IN (SELECT id FROM contact WHERE organization_id = new.id); "
            "UPDATE search_deal SET company = new.name "
            "WHERE rowid IN (SELECT id FROM deal WHERE organization_id = new.id); END"
        )


def install(db=None, fill=True):
    """Create the index (tables and triggers, or pg_trgm indexes) if missing; fill new
    FTS tables from the existing rows. Idempotent."""
    db = db or database.obj
    if uses_trigram(db):
        db.execute_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        # The extension lives in one schema per database; name it, so a connection whose
        # search_path leaves that schema out (a schema per instance) still finds it.
        (schema,) = db.execute_sql(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n "
            "ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'"
        ).fetchone()
        opclass = f'"{schema}".gin_trgm_ops'
        for table, columns in TRGM_COLUMNS.items():
            for column in columns:
                db.execute_sql(
                    f'CREATE INDEX IF NOT EXISTS "trgm_{table}_{column}" ON "{table}" '
                    f'USING gin ("{column}" {opclass})'
                )
        db.execute_sql(_KEY_FUNCTION_SQL)
        for table in TRGM_COLUMNS:
            db.execute_sql(
                f'CREATE INDEX IF NOT EXISTS "key_{table}" ON "{table}" '
                f"USING gin (({key_expression(table)}) {opclass})"
            )
        install_name_prefix(db)
        return
    if not uses_fts(db):
        return
    for table in TABLES:
        fts = fts_table(table)
        exists = db.execute_sql(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (fts,)
        ).fetchone()
        if not exists:
            db.execute_sql(
                f"CREATE VIRTUAL TABLE {fts} USING fts5({_columns(table)}, tokenize = '{TOKENIZE}')"
            )
            if fill:
                _fill(db, table)
        for sql in _triggers(table):
            db.execute_sql(sql)


def _fill(db, table, where="", params=()):
    fts = fts_table(table)
    db.execute_sql(
        f"INSERT INTO {fts}(rowid, {_columns(table)}) "
        f"SELECT r.id, {_values(table, 'r')} FROM {table} r {where}",
        params,
    )


@contextmanager
def batch_inserts(model):
    """Inside one write transaction: index the rows the block inserts into `model`'s table
    with one INSERT … SELECT per id range, instead of the per-row insert trigger (about
    ten times cheaper per row for a batch of thousands). Yields `add(first, last)` for the
    caller to name each inserted id range. The trigger is dropped and created again in the
    same transaction, so no other connection ever sees the index out of step; on an error
    the rollback puts the trigger back."""
    db = database.obj
    table = model._meta.table_name
    if not uses_fts(db) or table not in TABLES:
        yield lambda first, last: None
        return
    fts = fts_table(table)
    insert_trigger = next(_triggers(table))
    db.execute_sql(f"DROP TRIGGER IF EXISTS {fts}_ai")
    pending = []
    yield lambda first, last: pending.append((first, last))
    for first, last in pending:
        _fill(db, table, "WHERE r.id BETWEEN ? AND ?", (first, last))
    db.execute_sql(insert_trigger)


def reindex(model, ids):
    """Index these records again from their rows (a batch: the importer, repairs)."""
    db = database.obj
    table = model._meta.table_name
    if not uses_fts(db) or table not in TABLES or not ids:
        return
    fts = fts_table(table)
    ids = sorted({int(i) for i in ids})
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        db.execute_sql(f"DELETE FROM {fts} WHERE rowid IN ({marks})", chunk)
        _fill(db, table, f"WHERE r.id IN ({marks})", chunk)


def rebuild(db=None):
    """Drop and refill every FTS table (SQLite); make sure the indexes exist (PostgreSQL)."""
    db = db or database.obj
    if uses_fts(db):
        for table in TABLES:
            db.execute_sql(f"DROP TABLE IF EXISTS {fts_table(table)}")
    install(db)
    if uses_fts(db):
        for table in TABLES:
            db.execute_sql(
                f"INSERT INTO {fts_table(table)}({fts_table(table)}) VALUES ('optimize')"
            )

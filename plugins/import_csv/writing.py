"""Batch writes below the ORM: reserved ids, then executemany (SQLite) or COPY (PostgreSQL).

The rows are already checked (convert.py); the ORM's per-row cost (model instances,
signals, one INSERT each) is what made peer CRMs import a hundred rows a second.
"""

import datetime as dt
import io
from decimal import Decimal

from accord.core.db import database, is_sqlite

_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def is_postgres():
    return "Postgres" in type(database.obj).__name__


def default(field):
    value = field.default() if callable(field.default) else field.default
    return None if value is None else field.db_value(value)


def sql_value(value):
    """A value the driver binds directly (sqlite3 has no Decimal or datetime adapter we
    want to rely on)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value) if is_sqlite() else value
    return value


def quote(name):
    q0, q1 = database.quote[0], database.quote[-1]
    return f"{q0}{name}{q1}"


def reserve_ids(model, n):
    """n ids for new rows of `model`; call inside the write transaction."""
    table = model._meta.table_name
    if is_postgres():
        cursor = database.execute_sql(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            (quote(table), n),
        )
        return [row[0] for row in cursor.fetchall()]
    # SQLite (and MySQL): the transaction holds the write lock, so MAX + 1 is ours.
    start = (database.execute_sql(f"SELECT MAX(id) FROM {quote(table)}").fetchone()[0] or 0) + 1
    return list(range(start, start + n))


def insert_rows(table, columns, rows):
    """Insert many rows (tuples in `columns` order) as fast as the database allows."""
    if not rows:
        return
    cols = ", ".join(quote(c) for c in columns)
    if is_postgres():
        buffer = io.StringIO()
        esc = _COPY_ESCAPES
        for row in rows:
            buffer.write(
                "\t".join("\\N" if v is None else _copy_value(v).translate(esc) for v in row)
            )
            buffer.write("\n")
        buffer.seek(0)
        database.cursor().copy_expert(f"COPY {quote(table)} ({cols}) FROM STDIN", buffer)
        return
    placeholders = ", ".join([database.param] * len(columns))
    sql = f"INSERT INTO {quote(table)} ({cols}) VALUES ({placeholders})"
    if is_sqlite():
        database.cursor().executemany(sql, rows)
    else:
        # MySQL: multi-row statements, well under any bind-parameter limit.
        step = max(1, 30_000 // len(columns))
        for i in range(0, len(rows), step):
            part = rows[i : i + step]
            many = ", ".join([f"({placeholders})"] * len(part))
            database.execute_sql(
                f"INSERT INTO {quote(table)} ({cols}) VALUES {many}",
                [v for row in part for v in row],
            )


def _copy_value(value):
    if isinstance(value, bool):
        return "t" if value else "f"
    return str(sql_value(value))


def update_rows(table, columns, rows):
    """UPDATE table SET columns… WHERE id = last value of each row."""
    if not rows:
        return
    sets = ", ".join(f"{quote(c)} = {database.param}" for c in columns)
    sql = f"UPDATE {quote(table)} SET {sets} WHERE id = {database.param}"
    cursor = database.cursor()
    if is_postgres():
        from psycopg2.extras import execute_batch

        execute_batch(cursor, sql, rows, page_size=500)
    else:
        cursor.executemany(sql, rows)


def delete_ids(table, ids, chunk=500):
    ids = list(ids)
    for i in range(0, len(ids), chunk):
        part = ids[i : i + chunk]
        marks = ", ".join([database.param] * len(part))
        database.execute_sql(f"DELETE FROM {quote(table)} WHERE id IN ({marks})", part)


class Statistics:
    """Keeps PostgreSQL's planner statistics of the tables an import grows.

    Without them (autovacuum off, or not yet run between batches) the per-batch match
    lookup was planned as a scan of the whole table: 78 ms per 500 keys at 200k rows,
    growing with the table. ANALYZE samples a fixed number of rows, so running it each
    time a table has doubled costs a few hundred milliseconds in all."""

    def __init__(self, tables):
        self.active = is_postgres()
        self.rows = {}
        self.grown = dict.fromkeys(tables, 0)
        if self.active:
            for table in tables:
                cursor = database.execute_sql(
                    "SELECT reltuples FROM pg_class WHERE oid = %s::regclass", (quote(table),)
                )
                self.rows[table] = max(0, (cursor.fetchone() or [0])[0])

    def added(self, table, n):
        """Count n new rows of `table`; ANALYZE it once it has grown by as many rows as
        the planner last counted (reltuples), and not before 5,000 new rows."""
        if not self.active or table not in self.grown:
            return
        self.grown[table] += n
        if self.grown[table] >= max(5_000, self.rows[table]):
            database.execute_sql(f"ANALYZE {quote(table)}")
            self.rows[table] += self.grown[table]
            self.grown[table] = 0


def ranges(ids):
    """Sorted ids -> [[first, last], …] (a batch's reserved ids are mostly one range)."""
    out = []
    for i in sorted(ids):
        if out and out[-1][1] == i - 1:
            out[-1][1] = i
        else:
            out.append([i, i])
    return out

"""Contacts and companies of one owner, newest first: (is_organization, owner_id,
updated_at), plus the id on PostgreSQL (m0011).

A restricted user's contact list and the owner filter ask for is_organization = ? AND
owner_id = ? ORDER BY updated_at. With only (is_organization, updated_at) and (owner_id,
updated_at) to choose from, SQLite (no statistics) took the first and skipped the other
owners' rows: 15-50 ms to count a page at 1M contacts, 1.3 ms with this index.
"""

from peewee import MySQLDatabase, PostgresqlDatabase

COLUMNS = ("is_organization", "owner_id", "updated_at")
NAME = "scale_contact_is_organization_owner_updated_at"


def apply(db):
    quote = "`" if isinstance(db, MySQLDatabase) else '"'
    columns = (*COLUMNS, "id") if isinstance(db, PostgresqlDatabase) else COLUMNS
    cols = ", ".join(f"{quote}{c}{quote}" for c in columns)
    db.execute_sql(f"CREATE INDEX IF NOT EXISTS {NAME} ON {quote}contact{quote} ({cols})")

"""Plain DB-API access (sqlite3 / psycopg2) for the bench's own reads and the baseline.

SQL is written once with `?` placeholders and double-quoted identifiers, which both
SQLite and PostgreSQL accept ("user" is reserved on PostgreSQL); `?` becomes `%s` for
psycopg2. Booleans are always passed as parameters so each driver writes its own
literal (0/1 on SQLite, false/true on PostgreSQL).
"""

import sqlite3
from urllib.parse import unquote, urlsplit


def is_sqlite(url):
    return url.startswith("sqlite")


def sqlite_path(url):
    """sqlite:////abs/path.db or sqlite:///rel/path.db -> the file path."""
    parts = urlsplit(url)
    path = unquote(parts.path)
    # sqlite:///x -> path "/x" is relative to the cwd in peewee's db_url; "//x" absolute.
    return path[1:] if path.startswith("/") else path


class Database:
    """One connection and a tiny query helper."""

    def __init__(self, url):
        self.url = url
        self.sqlite = is_sqlite(url)
        if self.sqlite:
            self.conn = sqlite3.connect(sqlite_path(url), timeout=10, check_same_thread=False)
        else:
            import psycopg2

            self.conn = psycopg2.connect(url)
            self.conn.autocommit = True  # reads only: no transaction left open

    def sql(self, text):
        return text if self.sqlite else text.replace("?", "%s")

    def rows(self, text, params=()):
        cur = self.conn.cursor()
        try:
            cur.execute(self.sql(text), tuple(params))
            return cur.fetchall()
        finally:
            cur.close()

    def value(self, text, params=()):
        rows = self.rows(text, params)
        return rows[0][0] if rows else None

    def like(self):
        # Flask-Admin's peewee search uses ILIKE, which peewee writes as LIKE on SQLite.
        return "LIKE" if self.sqlite else "ILIKE"

    def close(self):
        self.conn.close()

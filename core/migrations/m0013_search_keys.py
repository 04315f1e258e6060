"""PostgreSQL: one trigram index per searchable table on its search key
(accord.core.search_index.KEY_FUNCTION), which finds rare terms — an email, a phone
number — in a few milliseconds where the per-column indexes took tens."""

from accord.core import search_index


def apply(db):
    search_index.install(db)

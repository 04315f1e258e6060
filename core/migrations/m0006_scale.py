"""Indexes, search index and summaries for a million records (issue 8)."""


def apply(db):
    pass

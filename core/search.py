"""Global search: leads, contacts, companies and deals by name, email, phone and company.

One function, `search()`, so the scale issue can swap the engine (FTS5 on SQLite,
trigram/tsvector on PostgreSQL) without touching a caller. For now: a prefix match on the
indexed columns first (`name LIKE 'term%'`), then a contains match to fill the page.
Every query goes through access.visible(); peewee's startswith()/contains() escape the
user's % and _ and add an ESCAPE clause, so they match only themselves.
"""

import re
from dataclasses import dataclass, field

from peewee import JOIN

from accord.core import access
from accord.core.models import Contact, Deal, Lead

KINDS = ("lead", "contact", "company", "deal")
MAX_LENGTH = 100
DEFAULT_LIMIT = 10
# NUL and control characters: PostgreSQL refuses NUL in text, and no one types them.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class QueryError(ValueError):
    """The search text cannot be used (blank, too long, control characters)."""


@dataclass
class Hits:
    kind: str
    records: list = field(default_factory=list)
    more: bool = False  # more matches than shown: the list view has them


def clean(text):
    """The text to search for, stripped; QueryError if it cannot be searched."""
    text = " ".join((text or "").split())
    if not text:
        raise QueryError("blank")
    if len(text) > MAX_LENGTH:
        raise QueryError("too long")
    if _CONTROL.search(text):
        raise QueryError("control characters")
    return text


def _any(fields, term, mode):
    clause = None
    for column in fields:
        match = column.startswith(term) if mode == "prefix" else column.contains(term)
        clause = match if clause is None else clause | match
    return clause


def _lead_query(term, mode):
    fields = (Lead.name, Lead.last_name, Lead.email, Lead.phone, Lead.organization_name)
    return Lead.select().where(_any(fields, term, mode)), Lead


def _person_query(term, mode):
    org = Contact.alias("org")
    fields = (Contact.name, Contact.last_name, Contact.email, Contact.phone, org.name)
    query = (
        Contact.select(Contact)
        .join(org, JOIN.LEFT_OUTER, on=(Contact.organization == org.id))
        .where(~Contact.is_organization & _any(fields, term, mode))
    )
    return query, Contact


def _company_query(term, mode):
    fields = (Contact.name, Contact.email, Contact.phone)
    query = Contact.select().where(Contact.is_organization & _any(fields, term, mode))
    return query, Contact


def _deal_query(term, mode):
    org = Contact.alias("org")
    query = (
        Deal.select(Deal)
        .join(org, JOIN.LEFT_OUTER, on=(Deal.organization == org.id))
        .where(_any((Deal.name, org.name), term, mode))
    )
    return query, Deal


QUERIES = {
    "lead": _lead_query,
    "contact": _person_query,
    "company": _company_query,
    "deal": _deal_query,
}


def _find(user, kind, term, limit):
    found, seen = [], set()
    for mode in ("prefix", "contains"):
        query, model = QUERIES[kind](term, mode)
        query = access.visible(query, user, model)
        if seen:
            query = query.where(model.id.not_in(sorted(seen)))
        order = (model.name, model.id)
        for record in query.order_by(*order).limit(limit + 1 - len(found)):
            found.append(record)
            seen.add(record.id)
        if len(found) > limit:
            break
    return Hits(kind, found[:limit], more=len(found) > limit)


def search(user, text, limit=DEFAULT_LIMIT, kinds=KINDS):
    """{kind: Hits} for every kind in `kinds`, each at most `limit` records the user may
    see, prefix matches first. Raises QueryError for text that cannot be searched."""
    term = clean(text)
    limit = max(1, min(int(limit), 100))
    return {kind: _find(user, kind, term, limit) for kind in kinds if kind in QUERIES}

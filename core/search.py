"""Global search: leads, contacts, companies and deals by name, email, phone and company.

One entry point for every search box: `search()` for the global search page and
`list_clause()` for the list views' search boxes. The engine follows the database
(accord.core.search_index): SQLite looks in an FTS5 trigram index (any substring of three
characters or more, case-insensitive, from an index); PostgreSQL and others compare with
ILIKE/LIKE (pg_trgm GIN indexes serve it on PostgreSQL; for text pg_trgm would split into
several words, such as an email, a phone number or a phrase, the candidates come first
from one index per table on the letters and digits of its columns); text shorter than
three characters falls back to LIKE everywhere. Matches whose name starts with the text
come first. Every query goes through access.visible(); peewee's startswith()/contains()
escape the user's % and _, so they match only themselves.
"""

import re
from dataclasses import dataclass, field

from peewee import (
    JOIN,
    SQL,
    AutoField,
    BareField,
    Case,
    Expression,
    Model,
    NodeList,
    Value,
    fn,
)

from accord.core import access, search_index
from accord.core.by_ids import id_in
from accord.core.db import database, is_sqlite
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
    return Lead.select().where(_any(fields, term, mode)), Lead, fields


def _person_query(term, mode):
    org = Contact.alias("org")
    fields = (Contact.name, Contact.last_name, Contact.email, Contact.phone, org.name)
    query = (
        Contact.select(Contact)
        .join(org, JOIN.LEFT_OUTER, on=(Contact.organization == org.id))
        .where(~Contact.is_organization & _any(fields, term, mode))
    )
    return query, Contact, fields


def _company_query(term, mode):
    fields = (Contact.name, Contact.email, Contact.phone)
    query = Contact.select().where(Contact.is_organization & _any(fields, term, mode))
    return query, Contact, fields


def _deal_query(term, mode):
    org = Contact.alias("org")
    fields = (Deal.name, org.name)
    query = (
        Deal.select(Deal)
        .join(org, JOIN.LEFT_OUTER, on=(Deal.organization == org.id))
        .where(_any(fields, term, mode))
    )
    return query, Deal, fields


QUERIES = {
    "lead": _lead_query,
    "contact": _person_query,
    "company": _company_query,
    "deal": _deal_query,
}


# PostgreSQL: at most this many matches are collected from the trigram indexes first;
# with more, the newest are met walking the primary key (_walked: 1,000 matches at 1M
# rows put a page within 11,000 rows). At 5,000, collecting them cost 8-13 ms.
TRGM_CAP = 1000


def _match(column, term, mode):
    return column.startswith(term) if mode == "prefix" else column.contains(term)


def _trgm_matches(kind, term, mode):
    """The ids of `kind` matching `term` as one UNION ALL of pg_trgm index scans, one per
    searched column (the columns the SQLite index holds) and one for the company's name;
    an id may come twice (the arms stream, so LIMIT stops them).

    One query ORing the columns (one behind a join) cannot use those indexes, and with
    ORDER BY name LIMIT n the planner walks the name index and filters every row: 4–20 s
    at a million contacts for a term with few matches."""
    model, table, _where = FTS_KINDS[kind]
    union = None
    for column in search_index.TRGM_COLUMNS[table]:
        part = model.select(model.id).where(_match(getattr(model, column), term, mode))
        union = part if union is None else union.union_all(part)
    if table in ("contact", "deal"):
        union = union.union_all(_by_company(model, lambda org: _match(org.name, term, mode)))
    return union


def _by_company(model, matches):
    """The ids of `model` rows whose company meets `matches(org)` (the company's alias)."""
    org = Contact.alias("o")
    orgs = org.select(org.id).where(org.is_organization & matches(org))
    return model.select(model.id).where(model.organization.in_(orgs))


def _ids_upto(union, cap):
    """The distinct ids `union` yields, newest first; None when it yields `cap` rows."""
    rows = [row[0] for row in union.limit(cap).tuples()]
    return None if len(rows) >= cap else sorted(set(rows), reverse=True)


# The trigram index of a table's search key is asked about the key of the term's first
# WINDOW letters and digits: the tail of an email or a phone number ("poczta.example",
# "72 88") is in many rows and costs more to intersect than it narrows.
WINDOW = 12


def _key_match(model, table, term):
    """The row's search key contains the key of `term`'s first WINDOW characters (a lossy
    test, served by the key's trigram index: search_index.key_expression)."""
    key = getattr(fn, search_index.KEY_FUNCTION)
    row_key = key(*(getattr(model, column) for column in search_index.TRGM_COLUMNS[table]))
    pattern = Value("%").concat(fn.substr(key(term), 1, WINDOW)).concat("%")
    return Expression(row_key, "ILIKE", pattern)  # peewee: LIKE on SQLite, not GLOB


def trgm_candidates(table, term, cap=None, memo=None):
    """The ids of `table` that may contain `term` in a searched column or their company's
    name — every one that does, and a few that do not (search checks them), newest
    first; None when there are `cap` (CANDIDATES) or more. PostgreSQL's counterpart of
    candidates(). `memo` keeps the companies found by the contact table's probe for the
    deals' (search() asks about contacts first)."""
    model, cap = FTS_KINDS[table][0], cap or CANDIDATES
    memo = {} if memo is None else memo
    if table == "contact":
        # People and companies share the table: the companies among the key's matches
        # are those whose people come too (one probe of the index, not a second).
        rows = list(
            model.select(model.id, model.is_organization)
            .where(_key_match(model, table, term))
            .limit(cap)
            .tuples()
        )
        companies = [row_id for row_id, is_organization in rows if is_organization]
        memo[("companies", term)] = companies if len(rows) < cap else None
        ids = [row_id for row_id, _is_organization in rows]
        if companies and len(ids) < cap:
            ids += _ids_of_companies(model, companies, cap - len(ids))
        return None if len(ids) >= cap else sorted(set(ids), reverse=True)
    union = model.select(model.id).where(_key_match(model, table, term))
    if table != "deal":
        return _ids_upto(union, cap)
    companies = memo.get(("companies", term))
    if companies is None:  # not probed yet, or too many to list
        union = union.union_all(_by_company(model, lambda org: _key_match(org, "contact", term)))
        return _ids_upto(union, cap)
    ids = [row[0] for row in union.limit(cap).tuples()]
    if companies and len(ids) < cap:
        ids += _ids_of_companies(model, companies, cap - len(ids))
    return None if len(ids) >= cap else sorted(set(ids), reverse=True)


def _ids_of_companies(model, companies, limit):
    """Ids of `model` rows of these companies, at most `limit`."""
    query = model.select(model.id).where(id_in(model.organization, companies)).limit(limit)
    return [row[0] for row in query.tuples()]


def _list_ids(model, kind, words):
    """trgm_candidates for a list's search box: its own columns (LIST_FIELDS) hold every
    one of `words`."""
    table = FTS_KINDS[kind][1]
    query = model.select(model.id)
    for word in words:
        query = query.where(_key_match(model, table, word))
    return _ids_upto(query, CANDIDATES)


def _trgm_ready(term):
    # The search key keeps letters and digits: fewer than three make no trigram.
    return search_index.uses_trigram() and sum(c.isalnum() for c in term) >= search_index.MIN_TERM


def _keyed(text):
    """Whether PostgreSQL asks the search key's index about `text` first: pg_trgm splits
    text into words, so a single word of letters is served as well by the columns' own
    indexes, without a probe that a common word ("Kamau") makes in vain."""
    return _trgm_ready(text) and not text.isalpha()


def _trgm_where(kind, term, mode, memo=None):
    """The condition on `kind`'s id: the matches' ids when there are fewer than TRGM_CAP
    (sorting those is cheap whatever the term); None for more (_walked serves those)."""
    model, table, _where = FTS_KINDS[kind]
    key = (table, mode)  # people and companies share the contact table's matches
    memo = {} if memo is None else memo
    if key not in memo:
        memo[key] = _ids_upto(_trgm_matches(kind, term, mode), TRGM_CAP)
    ids = memo[key]
    if ids is None:
        return None
    return id_in(model.id, ids)


def _walked(kind, term, mode):
    """`kind` whose searched columns or company's name match `term`, compared row by row
    as the primary key is walked newest first. For a dense term (TRGM_CAP matches or
    more): PostgreSQL guesses a LIKE '%…%' rare and would fetch every match from the
    trigram indexes to sort them (0.1-0.8 s for 5,000-100,000 matches at 1M rows); the
    walk meets a page of them within a few thousand rows. `|| ''` keeps those indexes
    out; the company comes by a join, looked up per walked row (as a subquery it was
    read whole first: 20-100 ms)."""
    model, table, where = FTS_KINDS[kind]
    fields = [getattr(model, column) for column in search_index.TRGM_COLUMNS[table]]
    query = model.select(model)
    if table in ("contact", "deal"):
        org = Contact.alias("org")
        query = query.join(org, JOIN.LEFT_OUTER, on=(model.organization == org.id))
        fields.append(org.name)
    clause = None
    for column in fields:
        match = _match(column.concat(""), term, mode)
        clause = match if clause is None else clause | match
    query = query.where(clause)
    return query if where is None else query.where(where)


def _name_key(model):
    """The name as the name-prefix index holds it (search_index.install_name_prefix):
    lowered, in bytewise order on PostgreSQL."""
    key = fn.lower(model.name)
    return key if is_sqlite() else NodeList((key, SQL('COLLATE "C"')))


def _name_starts(model, term):
    """The record's name starts with `term`, whatever the case: a range of the name-prefix
    index (LIKE, not ILIKE: PostgreSQL reads an index range for a LIKE prefix only)."""
    pattern = model.name._escape_like_expr(term.lower(), "%s%%")
    # peewee writes ILIKE as LIKE on SQLite (where its LIKE is GLOB).
    return Expression(_name_key(model), "ILIKE" if is_sqlite() else "LIKE", pattern)


def _find(user, kind, term, limit, memo=None):
    """Name-starts-with matches first, by name (lowered), then the rest, newest first (by
    name where neither index serves: MySQL, text too short for trigrams)."""
    found, seen = [], set()
    for mode in ("prefix", "contains"):
        walk = False
        if search_index.uses_trigram():
            model, _table, where = FTS_KINDS[kind]
            if mode == "prefix":
                # The name-prefix index, in its own order: the page is its first rows.
                condition, order = _name_starts(model, term), (_name_key(model), model.id)
            else:
                condition = _trgm_where(kind, term, mode, memo)
            walk = condition is None
            if walk:
                query = _walked(kind, term, mode)
            else:
                query = model.select().where(condition)
                if where is not None:
                    query = query.where(where)
        else:
            query, model, _fields = QUERIES[kind](term, mode)
        if mode == "contains" and search_index.uses_trigram():
            # Newest first, as SQLite's index gives them: few matches are fetched by id
            # and sorted, dense ones met walking the primary key.
            order = (model.id.desc(),)
        elif not search_index.uses_trigram():
            order = (model.name, model.id)
        query = access.visible(query, user, model)
        if seen:
            query = query.where(model.id.not_in(sorted(seen)))
        page = query.order_by(*order).limit(limit + 1 - len(found))
        for record in _serial(page) if walk else page:
            found.append(record)
            seen.add(record.id)
        if len(found) > limit:
            break
    return Hits(kind, found[:limit], more=len(found) > limit)


def _serial(query):
    """The rows of a walk (_walked), without parallel workers on PostgreSQL: it stops
    after a page, and starting the workers took longer (15 ms of 22 for one walk)."""
    if is_sqlite():  # the tests' stand-in for PostgreSQL's engine
        return list(query)
    with database.atomic():
        database.execute_sql("SET LOCAL max_parallel_workers_per_gather = 0")
        return list(query)


def _find_among(user, kind, term, limit, ids):
    """_find among `ids` (a rare term's trgm_candidates: every match is among them), in
    one query, in _find's order."""
    if not ids:
        return Hits(kind)
    query, model, _fields = QUERIES[kind](term, "contains")
    query = access.visible(query.where(id_in(model.id, ids)), user, model)
    starts = _name_starts(model, term)
    first = Case(None, [(starts, 0)], 1)
    # Sorted by expressions, so that the planner fetches the few rows by id.
    order = (
        first,
        Case(None, [(starts, _name_key(model))], None),
        Case(None, [(starts, model.id)], None),
        model.id.desc(),
    )
    rows = list(query.order_by(*order).limit(limit + 1))
    return Hits(kind, rows[:limit], more=len(rows) > limit)


# The FTS5 engine (SQLite) ------------------------------------------------------------

# kind -> (model, base table, condition on the model)
FTS_KINDS = {
    "lead": (Lead, "lead", None),
    "contact": (Contact, "contact", Contact.is_organization == False),  # noqa: E712
    "company": (Contact, "contact", Contact.is_organization == True),  # noqa: E712
    "deal": (Deal, "deal", None),
}
_FTS_MODELS = {}


def _fts_model(table):
    """A read-only peewee view of one FTS table: its rowid and its hidden match column."""
    if table not in _FTS_MODELS:
        name = search_index.fts_table(table)
        meta = type(
            "Meta",
            (),
            {
                "database": database,
                "table_name": name,
            },
        )
        _FTS_MODELS[table] = type(
            f"Fts_{table}",
            (Model,),
            {
                "rowid": AutoField(column_name="rowid"),
                "hit": BareField(column_name=name),
                "Meta": meta,
            },
        )
    return _FTS_MODELS[table]


def _phrase(term):
    # A quoted FTS5 string: the trigram tokenizer matches it as a substring.
    return '"' + term.replace('"', '""') + '"'


def _fts_ready(term):
    return len(term) >= search_index.MIN_TERM and search_index.uses_fts()


# A term with fewer matches than this is "rare": its matching ids are read from the
# index in ascending rowid order (cheap: FTS5's descending walk over the long doclists of
# common trigrams costs 5-10x more) and the records fetched by id; commoner terms stream
# from the index newest first and stop after the page (DESIGN §9).
CANDIDATES = 500


def candidates(table, term, cap=CANDIDATES, expression=None):
    """Every rowid of `table`'s index matching `term` (a phrase, any substring of three
    characters or more) or the FTS5 `expression`, newest first; None when there are `cap`
    or more of them."""
    fts = search_index.fts_table(table)
    rows = database.execute_sql(
        f"SELECT rowid FROM {fts} WHERE {fts} MATCH ? LIMIT ?",
        (expression or _phrase(term), cap),
    ).fetchall()
    if len(rows) >= cap:
        return None
    return sorted((row[0] for row in rows), reverse=True)


def _starts(record, term):
    # The index folds case like str.lower() for the scripts in use (simple folding).
    return (record.name or "").lower().startswith(term.lower())


def _fts_rare(user, kind, term, limit, ids):
    """All the visible matches among `ids` (a rare term's every match), name-starts-with
    first, newest first within each."""
    if not ids:
        return Hits(kind)
    model, _table, where = FTS_KINDS[kind]
    query = model.select(model.id, model.name).where(id_in(model.id, ids))
    if where is not None:
        query = query.where(where)
    found = list(access.visible(query, user, model).order_by(model.id.desc()))
    found.sort(key=lambda record: not _starts(record, term))  # stable: newest first stays
    shown = [record.id for record in found[:limit]]
    rows = {record.id: record for record in model.select().where(model.id.in_(shown))}
    return Hits(kind, [rows[i] for i in shown if i in rows], more=len(found) > limit)


def _fts_find(user, kind, term, limit, ids=None):
    """Name-starts-with matches first, then the rest, newest first within each."""
    if ids is not None:
        return _fts_rare(user, kind, term, limit, ids)
    model, table, where = FTS_KINDS[kind]
    fts = _fts_model(table)
    found, seen = [], set()
    for text in (f"name : ^{_phrase(term)}", _phrase(term)):
        query = (
            model.select(model)
            .join(fts, on=(fts.rowid == model.id))
            .where(Expression(fts.hit, "MATCH", text))
        )
        if where is not None:
            query = query.where(where)
        query = access.visible(query, user, model)
        if seen:
            query = query.where(model.id.not_in(sorted(seen)))
        for record in query.order_by(fts.rowid.desc()).limit(limit + 1 - len(found)):
            found.append(record)
            seen.add(record.id)
        if len(found) > limit:
            break
    return Hits(kind, found[:limit], more=len(found) > limit)


# List search boxes ----------------------------------------------------------------------

# The columns a list's search box compares when the index cannot serve (LIKE).
LIST_FIELDS = {
    "lead": (Lead.name, Lead.email, Lead.phone, Lead.organization_name),
    "contact": (Contact.name, Contact.email, Contact.phone),
    "company": (Contact.name, Contact.email, Contact.phone),
    "deal": (Deal.name,),
}


# A phone number typed with spaces ("+48 58 686 72 88") is one term, not five words
# (two of them too short for the index).
_PHONE = re.compile(r"\+?[\d\s().\-/]+")


def words(text):
    """The terms a list's search box looks for: a phone number whole, else each word."""
    text = " ".join((text or "").split())
    if not text:
        return []
    if _PHONE.fullmatch(text) and sum(c.isdigit() for c in text) >= search_index.MIN_TERM:
        return [text]
    return text.split()


# A common term matching at least 1/DENSE_SHARE of a table's rows is "dense": a list page
# walks its sort index and keeps the matches (50 rows found within a few thousand), instead
# of fetching every match by id and sorting them all (116,000 matches: 0.27 s at 1M deals).
DENSE_SHARE = 50


# `match_limit` for a count over every match (the sample left some out).
EVERY_MATCH = "every"


@dataclass
class ListSearch:
    """A list search box's WHERE clause and what the list may assume about it."""

    clause: object
    # At most CANDIDATES rows match (ids from the index): sort them by an expression, so
    # that SQLite fetches them by id instead of walking a sort index in search of them.
    few: bool = False
    # A word matches at least 1/DENSE_SHARE of the rows: counting its first matches in
    # the index (`match_limit`) usually settles a capped count.
    dense: bool = False
    # False when `match_limit` left some of the index's matches out: the clause then
    # selects a subset of the matches (a lower bound for a count).
    complete: bool = True
    # The clause ANDs `id IN (…)` (ids, or the index's matches) with the rest: the rows
    # are best read by id (by_ids.read_by_id), not along another index of the table.
    by_id: bool = False


def list_clause(model, kind, text, extra=(), memo=None):
    """A WHERE clause for a list's search box (see list_search)."""
    return list_search(model, kind, text, extra, memo).clause


def list_search(model, kind, text, extra=(), memo=None, match_limit=None, dense=True):
    """ListSearch for a list's search box: every word of `text` matches one of the
    record's searchable texts (or one of the `extra` expressions, e.g. custom values).

    A rare word (fewer than CANDIDATES matches) becomes the list of its matching ids, so
    the list, its count and its sort work on a few hundred rows; a common one stays a
    subquery over the index. Without `extra` columns, the words the index can serve are
    one FTS5 query ("a" AND "b": each word in any of the record's texts). `memo` (a dict
    kept for one request) saves asking the index the same question twice; `match_limit`
    takes only the first that many matches of each index query (a count's cheap lower
    bound: `complete` says whether any were left out; EVERY_MATCH counts them all).
    `dense=False` keeps a dense term a plain subquery: for lists narrowed by a scope or
    filters, whose own indexes SQLite would walk instead (without statistics it takes
    them for selective), finding the matches few and far between."""
    memo = {} if memo is None else memo
    found = ListSearch(None)
    clause = None
    terms = words(text)
    indexed = [w for w in terms if _fts_ready(w)] if not extra else []
    if indexed:
        expression = " AND ".join(_phrase(w) for w in indexed)
        clause, found.few = _fts_clause(
            model, kind, expression, memo, match_limit, found, dense, indexed
        )
    for word in terms:
        if word in indexed:
            continue
        fields = LIST_FIELDS[kind]
        if _fts_ready(word):
            # Under an OR with the extra columns: other rows may match, never "few".
            match, _few = _fts_clause(
                model, kind, _phrase(word), memo, match_limit, found, dense, [word]
            )
        else:
            match = _any(fields, word, "contains")
        for expr in extra:
            match = match | expr.contains(word)
        clause = match if clause is None else clause & match
    probed = [w for w in terms if _trgm_ready(w)]
    if probed and not extra and _keyed(" ".join(terms)):
        # PostgreSQL: the rows whose search key holds every word, from its trigram index
        # (an email, a phone number, several words: pg_trgm's per-word scans of the
        # columns cost the most there). Fewer than CANDIDATES: the list, its count and
        # its sort work on those, checked against the columns.
        ids = _memo(memo, ("key", kind, *probed), lambda: _list_ids(model, kind, probed))
        if ids is not None:
            clause = (id_in(model.id, ids) & clause) if ids else SQL("1 = 0")
            found.few = True
    found.clause = clause if clause is not None else SQL("1 = 1")
    found.by_id = found.by_id and not extra
    return found


def _memo(memo, key, compute):
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def _count_upto(table, expression, limit):
    """How many rows of `table`'s index match, counting no further than `limit`."""
    fts = search_index.fts_table(table)
    (n,) = database.execute_sql(
        f"SELECT count(*) FROM (SELECT 1 FROM {fts} WHERE {fts} MATCH ? LIMIT ?)",
        (expression, limit),
    ).fetchone()
    return n


def _dense_from(table, memo):
    """The number of matches from which a term is dense in `table` (by its highest id)."""

    def compute():
        (top,) = database.execute_sql(f"SELECT max(rowid) FROM {table}").fetchone()
        return max(CANDIDATES, (top or 0) // DENSE_SHARE)

    return _memo(memo, ("dense", table), compute)


def _first_matches(table, expression, cap):
    """The lowest `cap` rowids of `table`'s index matching `expression`, ascending."""
    fts = search_index.fts_table(table)
    rows = database.execute_sql(
        f"SELECT rowid FROM {fts} WHERE {fts} MATCH ? LIMIT ?", (expression, cap)
    ).fetchall()
    return [row[0] for row in rows]


def _is_dense(table, expression, first, memo):
    """Does `expression` match at least 1/DENSE_SHARE of `table`'s rows? Asked of the
    index (counting up to that many) only when its first CANDIDATES matches lie that
    close together: most common terms are settled by what was read already."""
    if first[-1] > len(first) * DENSE_SHARE:
        return False
    dense_from = _dense_from(table, memo)
    n = _memo(
        memo,
        ("count", table, expression, dense_from),
        lambda: _count_upto(table, expression, dense_from),
    )
    return n >= dense_from


def _fts_clause(model, kind, expression, memo, match_limit, found, dense, terms):
    """(the condition "the record matches `expression` (`terms`) in the index", whether it
    names few ids); notes on `found` a dense term, and when `match_limit` leaves matches
    out."""
    table = FTS_KINDS[kind][1]
    first = _memo(
        memo,
        ("first", table, expression, CANDIDATES),
        lambda: _first_matches(table, expression, CANDIDATES),
    )
    if len(first) < CANDIDATES:
        ids = sorted(first, reverse=True)
        found.by_id = True
        return id_in(model.id, ids), True
    fts = search_index.fts_table(table)
    sub = SQL(f"(SELECT rowid FROM {fts} WHERE {fts} MATCH ?)", [expression])
    if not dense or not _is_dense(table, expression, first, memo):
        found.by_id = True
        return model.id.in_(sub), False
    found.dense = True
    if match_limit is None:
        if len(first) * WALK_SHARE >= first[-1] and all(t.isascii() for t in terms):
            return _walk_condition(model, table, terms), False
        # "+id": the IN list cannot drive the query, so a list page walks its sort index.
        return NodeList((SQL("+"), model.id), glue="").in_(sub), False
    found.by_id = True
    if match_limit == EVERY_MATCH:
        return model.id.in_(sub), False  # a count: from the matches, no sort to spare
    # Whether the first match_limit are all of them is not asked: a dense term in an
    # unnarrowed list settles a capped count from them, and a count they leave open
    # counts every match next.
    found.complete = False
    limited = SQL(
        f"(SELECT rowid FROM {fts} WHERE {fts} MATCH ? LIMIT ?)", [expression, match_limit]
    )
    return model.id.in_(limited), False


# A term whose first matches are at least 1 row in WALK_SHARE is checked row by row as a
# list page walks its sort index (_walk_condition): 50 rows are met within 1,000, while
# the list of every match costs ~130 ns a match (116,000 for "order" at 1M deals: 15 ms).
WALK_SHARE = 20


def _walk_condition(model, table, terms):
    """The row's own indexed texts (the index's content table, by rowid) contain every
    term, compared with LIKE. For ASCII terms only: LIKE folds ASCII case, as the
    trigram index does for ASCII text, so the rows are those the index finds (barring
    the few non-ASCII letters Unicode folds into ASCII ones, like the Kelvin sign)."""
    fts = search_index.fts_table(table)
    columns = [f"c.c{i}" for i in range(len(search_index.TABLES[table][1]))]
    checks, params = [], []
    for term in terms:
        pattern = "%" + re.sub(r"([\\%_])", r"\\\1", term) + "%"
        checks.append("(" + " OR ".join(f"{c} LIKE ? ESCAPE '\\'" for c in columns) + ")")
        params += [pattern] * len(columns)
    return NodeList(
        (
            SQL(f"EXISTS (SELECT 1 FROM {fts}_content AS c WHERE c.id = "),
            model.id,
            SQL(f" AND {' AND '.join(checks)})", params),
        ),
        glue="",
    )


def search(user, text, limit=DEFAULT_LIMIT, kinds=KINDS):
    """{kind: Hits} for every kind in `kinds`, each at most `limit` records the user may
    see, prefix matches first. Raises QueryError for text that cannot be searched."""
    term = clean(text)
    limit = max(1, min(int(limit), 100))
    memo = {}
    if not _fts_ready(term) and not _keyed(term):
        return {kind: _find(user, kind, term, limit, memo) for kind in kinds if kind in QUERIES}
    rare = {}  # table -> its every matching id, or None for a common term
    found = {}
    for kind in kinds:
        if kind not in QUERIES:
            continue
        table = FTS_KINDS[kind][1]
        if _fts_ready(term):
            if table not in rare:
                rare[table] = candidates(table, term)
            found[kind] = _fts_find(user, kind, term, limit, rare[table])
            continue
        if table not in rare:
            rare[table] = trgm_candidates(table, term, memo=memo)
        if rare[table] is None:
            found[kind] = _find(user, kind, term, limit, memo)
        elif kind == "company" and memo.get(("companies", term)) == []:
            # No company among the candidates (the contact probe tells them apart): no
            # query to learn that none matches (a person's email, a phone number).
            found[kind] = Hits(kind)
        else:
            found[kind] = _find_among(user, kind, term, limit, rare[table])
    return found

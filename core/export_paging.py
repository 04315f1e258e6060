"""Paging through a list's records for an export: keyset order, bounded memory.

Rows come `CHUNK` at a time in the list's order — a model column or a custom field, NULLs
last, the id breaking ties — each chunk asked for with "after the last key" instead of an
OFFSET, so memory stays bounded and the last chunk costs what the first one does.
"""

from dataclasses import dataclass

from peewee import SQL, NodeList

from accord.core import access, custom_index

CHUNK = 500


@dataclass(frozen=True)
class Sort:
    """The list's order: a model field name or `custom.<key>` (with its field type)."""

    key: str = "id"
    desc: bool = True
    type: str = "text"

    def expression(self, model):
        if self.key.startswith("custom."):
            return custom_index.expression(model, self.key[len("custom.") :], self.type)
        return getattr(model, self.key)

    def as_dict(self):
        return {"key": self.key, "desc": self.desc, "type": self.type}

    @classmethod
    def from_dict(cls, data):
        data = data or {}
        return cls(
            str(data.get("key") or "id"), bool(data.get("desc", True)), data.get("type") or "text"
        )


def _after(expr, ident, last_key, last_id, desc):
    """Rows after (last_key, last_id) in the order (expr NULLS LAST, id), both one way."""
    if last_key is None:
        return expr.is_null() & ((ident < last_id) if desc else (ident > last_id))
    beyond = (expr < last_key) if desc else (expr > last_key)
    tie = (expr == last_key) & ((ident < last_id) if desc else (ident > last_id))
    return beyond | tie | expr.is_null()


def scoped(spec, user, ids, *columns):
    """The records among `ids` that `user` may see (in this list: people or companies)."""
    model = spec.model
    query = model.select(*(columns or (model.id,))).where(model.id.in_(ids))
    return access.visible(spec.base_query(query), user, model)


def chunks(spec, user, ids, sort=Sort(), size=None):
    """Lists of records among `ids` (a subquery of record ids) that `user` may see, in
    `sort` order, `size` at a time: keyset paging, so memory stays bounded and deep
    pages cost what the first one does."""
    model = spec.model
    size = size or CHUNK
    expr = sort.expression(model)
    base = scoped(spec, user, ids, model, expr.alias("_export_key"))
    order = (
        expr.desc(nulls="LAST") if sort.desc else expr.asc(nulls="LAST"),
        model.id.desc() if sort.desc else model.id.asc(),
    )
    last = None
    while True:
        query = base
        if last is not None:
            query = query.where(_after(expr, model.id, *last, sort.desc))
        rows = list(query.order_by(*order).limit(size))
        if not rows:
            return
        yield rows
        if len(rows) < size:
            return
        last = (getattr(rows[-1], "_export_key", None), rows[-1].id)


def id_query(spec, query):
    """The ids of a list query (its filters, search and scope), without order or page."""
    model = spec.model
    return query.select(model.id).order_by().limit(None).offset(None)


def subquery(sql, params):
    """A stored id query (see snapshot()) as a node for `Model.id.in_()`."""
    return NodeList((SQL(sql, params),), parens=True)


def count_upto(ids, limit):
    """How many ids, counting at most `limit` + 1 (cheap on huge lists)."""
    return ids.limit(limit + 1).count()

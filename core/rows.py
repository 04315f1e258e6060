"""Model instances from a plain SELECT of one table, built without peewee's per-field
setattr.

A list page reads 50 rows of 15–25 columns. Peewee builds each instance through a
keyword argument and a descriptor call per column, which cost several times the query
itself at a million records. For a query that selects fields of one model, with no
join and the default row type, `model_rows` builds the same instances — the same
`__data__`, converted by the same `python_value` — directly. Anything else goes
through peewee as before.
"""

import datetime as dt
import json
from functools import lru_cache

from peewee import (
    AutoField,
    BigIntegerField,
    CharField,
    DateField,
    DateTimeField,
    Field,
    FieldAccessor,
    ForeignKeyAccessor,
    ForeignKeyField,
    IntegerField,
    Model,
    ModelSelect,
    TextField,
)

from accord.core.db import database
from accord.core.models.base import JSONField

# Field classes whose python_value returns a value of this type (and None) unchanged.
_UNCHANGED = {
    CharField: str,
    TextField: str,
    IntegerField: int,
    AutoField: int,
    BigIntegerField: int,
}
_ACCESSORS = (FieldAccessor, ForeignKeyAccessor)
# ... and whose python_value returns a value of this type unchanged.
_TEMPORAL = {DateTimeField: dt.datetime, DateField: dt.date}


def model_rows(query, execute=None):
    """list(query), faster for a plain select of one model's fields. `execute(query)`
    may run it instead of peewee (e.g. with SQL compiled earlier): a cursor."""
    plan = _plan(query)
    if plan is None:
        if execute is None:
            return list(query)
        return list(query._get_cursor_wrapper(execute(query)))
    return _build(plan, (execute or database.execute)(query))


def fields_rows(model, fields, sql, params):
    """Instances of `model` from `sql`, which selects `fields` (all of them if empty) in
    that order; through peewee's raw() when the fields are not plain ones."""
    fields = list(fields) or model._meta.sorted_fields
    plan = _fields_plan(model, fields)
    if plan is None:
        return list(model.raw(sql, *params))
    return _build(plan, database.execute_sql(sql, params))


def _build(plan, cursor):
    model, names, converters = plan
    new = model.__new__
    rows = []
    for values in cursor:
        data = {}
        for name, (kinds, convert), value in zip(names, converters, values, strict=True):
            data[name] = value if type(value) in kinds else convert(value)
        obj = new(model)
        obj.__data__, obj._dirty, obj.__rel__ = data, set(), {}
        rows.append(obj)
    return rows


def _plan(query):
    """(model, field names, [(unchanged type, python_value)]) or None."""
    if type(query) is not ModelSelect or query._joins or len(query._from_list) != 1:
        return None
    model = query.model
    source = query._from_list[0]  # the model, or a node naming it (by_ids.ById)
    if query._row_type is not None or getattr(source, "source_model", source) is not model:
        return None
    return _fields_plan(model, query._returning)


def _fields_plan(model, fields):
    # Fields compare by building an expression (==), so the key holds their ids: they
    # live as long as their model classes.
    key = (model, tuple(map(id, fields)))
    if key not in _PLANS:
        _PLANS[key] = _new_plan(model, fields)
    return _PLANS[key]


_PLANS = {}  # (model, field ids) -> plan: a few dozen shapes per process


def _new_plan(model, fields):
    if model.__init__ is not Model.__init__:
        return None
    names, converters = [], []
    for node in fields:
        if not isinstance(node, Field) or node.model is not model or not node._coerce:
            return None
        if type(model.__dict__.get(node.name)) not in _ACCESSORS:
            return None
        names.append(node.name)
        converters.append((_unchanged_types(node), _converter(node)))
    if len(set(names)) != len(names):
        return None
    return model, names, converters


def _unchanged_types(field):
    """The types of value that field.python_value returns unchanged: the field's own for
    text and integers, and None where it maps None to None (most columns of a page
    are empty ones)."""
    target = field.rel_field if isinstance(field, ForeignKeyField) else field
    kinds = set()
    if type(target) in _UNCHANGED:
        kinds.add(_UNCHANGED[type(target)])
    elif type(field) in _TEMPORAL:  # as PostgreSQL's driver returns them
        kinds.add(_TEMPORAL[type(field)])
    try:
        if field.python_value(None) is None:
            kinds.add(type(None))
    except Exception:  # a converter that refuses None is asked every time
        pass
    return frozenset(kinds)


def _converter(field):
    """field.python_value, or the same conversion quicker for SQLite's text datetimes."""
    convert = field.python_value
    if type(field) in _TEMPORAL and list(field.formats) == list(type(field).formats):
        parse = _datetime if type(field) is DateTimeField else _date
        return lambda value: parse(value, convert)
    if type(field) is JSONField:
        return lambda value: _json(value, convert)
    return convert


def _datetime(value, convert):
    # "YYYY-MM-DD HH:MM:SS[.ffffff]", as peewee writes them: what peewee's own
    # format_date_time gives, without its slicing and post-processing per value; the
    # same timestamps come back page after page (datetimes are immutable: shared).
    if type(value) is str and len(value) in (19, 26) and value[10] == " ":
        try:
            return _parsed_datetime(value)
        except ValueError:
            pass
    return convert(value)


_parsed_datetime = lru_cache(maxsize=8192)(dt.datetime.fromisoformat)
_SCALARS = (str, int, float, bool, type(None))


def _json(value, convert):
    # The same small documents repeat down a list ({}, {"tier": "Gold"}): parsed once,
    # then copied (a flat object's copy shares only immutable values).
    if type(value) is str and len(value) <= 256:
        parsed = _flat_object(value)
        if parsed is not None:
            return dict(parsed)
    return convert(value)


@lru_cache(maxsize=1024)
def _flat_object(text):
    """The JSON object `text` when its values are all scalars, else None."""
    try:
        value = json.loads(text)
    except ValueError:
        return None
    if type(value) is dict and all(type(v) in _SCALARS for v in value.values()):
        return value
    return None


def _date(value, convert):
    if type(value) is str and len(value) == 10:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    return convert(value)

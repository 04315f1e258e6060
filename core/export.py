"""Exports of record lists: CSV or XLSX, formula-safe, re-importable, in bounded memory.

Header format (the importer maps columns by these keys; the header row is the keys):

- one column per field, named by the field's key: `id`, `first_name`, `email`, `city` …
  (`id` lets an import update the same record; `name`, `created_at`, `updated_at` and
  the other values the services derive are exported for reading, not for import);
- `owner_email` (tasks also `creator_email`): the user's email address;
- foreign keys by name under the field's key: `status`, `source`, `pipeline`, `stage`,
  `action_type`, `loss_reason`, `unqualified_reason`, `organization`, `contact`, `lead`,
  `deal`, `converted_contact`;
- `tags`: the record's tag names, sorted, joined by ", ";
- `custom.<key>`: a custom field's value as its field type's `to_csv()` writes it (its
  `from_csv()` reads it back);
- dates `YYYY-MM-DD`; date-times ISO 8601 in UTC with a `Z` (`2026-03-01T09:30:00Z`,
  `parse_datetime()` reads it); booleans `yes` / `no`; numbers in plain notation with a
  dot (`-1250.50`); an empty cell is no value.

Formula safety (SECURITY C14): a text cell a spreadsheet would run as a formula — one
starting with `= + - @`, a tab or a carriage return, after any leading apostrophes — is
written with one more leading apostrophe (`protect()`); `restore()` removes exactly that
one, so `restore(protect(x)) == x` for every text. The importer calls `restore()` on every
cell before parsing it. Numbers from number fields are written as numbers (`-5`, a
numeric cell in XLSX): a plain number is no formula, and it stays a number for Excel.
CSV is lossless. XLSX (XML) cannot hold a carriage return (it becomes a line feed) nor
the other control characters below U+0020 but tab and LF (written as U+FFFD): see
`xlsx_text()`; a cell is protected after that.
"""

import csv
import datetime as dt
import io
import operator
from dataclasses import dataclass
from decimal import Decimal
from functools import reduce

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from peewee import (
    SQL,
    AutoField,
    BooleanField,
    DateField,
    DateTimeField,
    DecimalField,
    ForeignKeyField,
    IntegerField,
    NodeList,
)

from accord.core import access, custom_index, custom_values
from accord.core.fields import FieldError, field_type
from accord.core.models import (
    Appointment,
    Contact,
    Deal,
    Document,
    Lead,
    Note,
    RecordTag,
    Tag,
    Task,
    User,
)
from accord.core.services import tags as tag_service

FORMATS = ("csv", "xlsx")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CHUNK = 500
BOM = "\ufeff"  # Excel reads UTF-8 CSV only with it; csv readers use encoding="utf-8-sig"


# Formula safety ----------------------------------------------------------------------


def formula_unsafe(text):
    """Would a spreadsheet run this text (after its leading apostrophes) as a formula?"""
    rest = str(text).lstrip("'")
    return rest[:1] in FORMULA_START and rest != ""


def protect(text):
    """The cell text for `text`: one apostrophe more when it could run as a formula."""
    text = str(text)
    return "'" + text if formula_unsafe(text) else text


def restore(text):
    """The exact inverse of `protect()`: what the importer calls on every cell."""
    if isinstance(text, str) and text.startswith("'") and formula_unsafe(text[1:]):
        return text[1:]
    return text


def parse_datetime(text):
    """A date-time cell (`2026-03-01T09:30:00Z`) -> naive UTC datetime, as stored."""
    text = text.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    value = dt.datetime.fromisoformat(text)
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


# What each list exports ------------------------------------------------------------------

REACH = ("email", "phone", "mobile", "website")
ADDRESS = ("street", "city", "postal_code", "region", "country")
STAMPS = ("created_at", "updated_at")
LINKS = ("lead", "contact", "deal")


@dataclass(frozen=True)
class Spec:
    """One exportable list: the model, its rows, its columns, search fields."""

    entity: str  # the list's key: lead, contact, company, deal, task, appointment, note
    model: type
    columns: tuple
    search: tuple = ()
    custom_kind: str | None = None
    taggable: bool = False
    organizations: bool | None = None  # contacts: people (False) or companies (True)

    def base_query(self, model_select):
        if self.organizations is None:
            return model_select
        return model_select.where(Contact.is_organization == self.organizations)


SPECS = {
    "lead": Spec(
        "lead",
        Lead,
        (
            "id",
            "first_name",
            "last_name",
            "name",
            "organization_name",
            "title",
            *REACH,
            *ADDRESS,
            "status",
            "source",
            "description",
            "owner_email",
            "tags",
            "converted_at",
            "converted_contact",
            *STAMPS,
        ),
        search=("name", "email", "phone", "organization_name"),
        custom_kind="lead",
        taggable=True,
    ),
    "contact": Spec(
        "contact",
        Contact,
        (
            "id",
            "first_name",
            "last_name",
            "name",
            "organization",
            "title",
            *REACH,
            *ADDRESS,
            "customer_status",
            "status",
            "source",
            "description",
            "owner_email",
            "tags",
            *STAMPS,
        ),
        search=("name", "email", "phone"),
        custom_kind="contact",
        taggable=True,
        organizations=False,
    ),
    "company": Spec(
        "company",
        Contact,
        (
            "id",
            "name",
            *REACH,
            *ADDRESS,
            "customer_status",
            "status",
            "source",
            "description",
            "owner_email",
            "tags",
            *STAMPS,
        ),
        search=("name", "email", "phone"),
        custom_kind="company",
        taggable=True,
        organizations=True,
    ),
    "deal": Spec(
        "deal",
        Deal,
        (
            "id",
            "name",
            "value",
            "currency",
            "organization",
            "contact",
            "pipeline",
            "stage",
            "probability",
            "hot",
            "estimated_close_date",
            "source",
            "loss_reason",
            "unqualified_reason",
            "owner_email",
            "tags",
            "last_stage_change_at",
            "closed_at",
            *STAMPS,
        ),
        search=("name",),
        custom_kind="deal",
        taggable=True,
    ),
    "task": Spec(
        "task",
        Task,
        (
            "id",
            "content",
            "due_at",
            "reminder",
            "action_type",
            "status",
            *LINKS,
            "owner_email",
            "creator_email",
            "done",
            "done_at",
            *STAMPS,
        ),
        search=("content",),
        custom_kind="task",
    ),
    "appointment": Spec(
        "appointment",
        Appointment,
        (
            "id",
            "title",
            "starts_at",
            "ends_at",
            "all_day",
            "location",
            "description",
            "reminder",
            *LINKS,
            "owner_email",
            *STAMPS,
        ),
        search=("title", "location"),
    ),
    "note": Spec(
        "note",
        Note,
        ("id", "content", *LINKS, "owner_email", *STAMPS),
        search=("content",),
    ),
    # The files' details; the files themselves stay in the back office.
    "document": Spec(
        "document",
        Document,
        ("id", "filename", "content_type", "size", *LINKS, "owner_email", "uploaded_at", *STAMPS),
        search=("filename",),
    ),
}
# `accord export contacts …` reads better in the plural.
ALIASES = {
    "leads": "lead",
    "contacts": "contact",
    "companies": "company",
    "deals": "deal",
    "tasks": "task",
    "appointments": "appointment",
    "notes": "note",
    "documents": "document",
}
USER_COLUMNS = {"owner_email": "owner", "creator_email": "creator"}


def spec_for(entity):
    """The Spec for a list key or its plural; KeyError for anything else."""
    return SPECS[ALIASES.get(entity, entity)]


def definitions(spec):
    return custom_values.definitions(spec.custom_kind) if spec.custom_kind else []


def header(spec, custom_defs=None):
    defs = definitions(spec) if custom_defs is None else custom_defs
    return [*spec.columns, *(f"custom.{d.key}" for d in defs)]


# Cell values -------------------------------------------------------------------------------


class Number:
    """A numeric cell: written unprotected (CSV) or as a number (XLSX)."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def text(self):
        if isinstance(self.value, Decimal):
            return format(self.value, "f")
        return str(self.value)


def plain(value):
    """A stored value -> cell text (or a Number)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, Decimal)):
        return Number(value)
    if isinstance(value, float):
        return Number(Decimal(str(value)))
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None).isoformat() + "Z"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


class Chunk:
    """Names behind the foreign keys, owner emails and tags of one chunk of rows, each
    loaded in one query (no query per row)."""

    def __init__(self, spec, rows):
        self.names = {}
        fields = spec.model._meta.fields
        for column in spec.columns:
            name = USER_COLUMNS.get(column, column)
            fk = fields.get(name)
            if not isinstance(fk, ForeignKeyField):
                continue
            ids = {row.__data__.get(name) for row in rows} - {None}
            target = fk.rel_model
            label = target.email if target is User else target.name
            found = {}
            if ids:
                query = target.select(target.id, label).where(target.id.in_(sorted(ids)))
                found = {r[0]: r[1] for r in query.tuples()}
            self.names[name] = found
        self.tags = (
            tag_service.names_by_record(spec.model.entity, [r.id for r in rows])
            if spec.taggable
            else {}
        )

    def related(self, row, name):
        return self.names.get(name, {}).get(row.__data__.get(name), "")


def custom_cell(definition, stored):
    if stored is None:
        return ""
    try:
        ftype = field_type(definition)
        value = ftype.from_storage(stored)
        if definition.type == "number" and isinstance(value, (int, Decimal)):
            return Number(value)
        return ftype.to_csv(value)
    except (FieldError, ValueError, TypeError, KeyError):
        return str(stored)  # a value the type no longer reads: export it, never lose it


def row_cells(spec, row, chunk, custom_defs):
    cells = []
    fields = spec.model._meta.fields
    for column in spec.columns:
        name = USER_COLUMNS.get(column, column)
        model_field = fields.get(name)
        if column == "tags":
            cells.append(", ".join(chunk.tags.get(row.id, [])))
        elif isinstance(model_field, ForeignKeyField):
            cells.append(chunk.related(row, name) or "")
        elif isinstance(model_field, DecimalField) and row.__data__.get(name) is not None:
            places = Decimal(10) ** -model_field.decimal_places
            cells.append(Number(Decimal(row.__data__[name]).quantize(places)))
        elif isinstance(model_field, BooleanField):
            cells.append(plain(bool(row.__data__.get(name))))
        else:
            cells.append(plain(row.__data__.get(name)))
    stored = row.custom or {}
    cells.extend(custom_cell(d, stored.get(d.key)) for d in custom_defs)
    return cells


# Which rows, in which order, in chunks ------------------------------------------------------


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


def rows(spec, user, ids, sort=Sort(), size=None, custom_defs=None):
    """Every exported row as a list of cells (text or Number)."""
    defs = definitions(spec) if custom_defs is None else custom_defs
    for records in chunks(spec, user, ids, sort, size):
        chunk = Chunk(spec, records)
        for record in records:
            yield row_cells(spec, record, chunk, defs)


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


# Writers -------------------------------------------------------------------------------------


def csv_text(cell):
    if isinstance(cell, Number):
        return cell.text()
    return protect(cell)


def stream_csv(head, cells_iter):
    """CSV text in pieces (UTF-8 BOM first): for a streamed HTTP answer or a file."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(head)
    yield BOM + buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    for number, cells in enumerate(cells_iter, 1):
        writer.writerow([csv_text(c) for c in cells])
        if number % 200 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


def xlsx_text(text):
    """What an XLSX cell can hold of `text`: XML turns CR into LF, and refuses the other
    control characters (U+FFFD stands for them)."""
    text = str(text).replace("\r\n", "\n").replace("\r", "\n")
    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", text)


def _xlsx_cell(cell):
    if isinstance(cell, Number):
        return cell.value
    return protect(xlsx_text(cell)) if cell else None


def write_xlsx(target, head, cells_iter, title="Export"):
    """An XLSX workbook in write-only mode (rows go to disk as they come)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    sheet.append(head)
    for cells in cells_iter:
        sheet.append([_xlsx_cell(c) for c in cells])
    book.save(target)


def write(fmt, target, head, cells_iter, title="Export"):
    """Write an export to a path or a binary file object."""
    if fmt == "xlsx":
        write_xlsx(target, head, cells_iter, title)
        return
    if hasattr(target, "write"):
        for piece in stream_csv(head, cells_iter):
            target.write(piece.encode("utf-8"))
        return
    with open(target, "w", encoding="utf-8", newline="") as out:
        for piece in stream_csv(head, cells_iter):
            out.write(piece)


def file_name(spec, fmt, when=None):
    when = when or dt.datetime.now(dt.UTC)
    return f"{spec.entity}-{when:%Y%m%d-%H%M%S}.{fmt}"


# Lists described by their columns (the command line) ------------------------------------------


class FilterError(ValueError):
    """A filter names an unknown column or a value it cannot compare."""


def _typed(model_field, text):
    if isinstance(model_field, BooleanField):
        low = text.strip().lower()
        if low not in ("yes", "no", "true", "false", "1", "0"):
            raise FilterError(f"{model_field.name}: expected yes or no, got {text!r}")
        return low in ("yes", "true", "1")
    try:
        if isinstance(model_field, DateTimeField):
            return parse_datetime(text)
        if isinstance(model_field, DateField):
            return dt.date.fromisoformat(text.strip())
        if isinstance(model_field, (IntegerField, AutoField)):
            return int(text)
        if isinstance(model_field, DecimalField):
            return Decimal(text)
    except (ValueError, ArithmeticError):
        raise FilterError(f"{model_field.name}: cannot read {text!r}") from None
    return text


def _custom_condition(spec, model, key, text):
    definition = next((d for d in definitions(spec) if d.key == key), None)
    if definition is None:
        raise FilterError(f"unknown custom field {key!r}")
    try:
        stored = field_type(definition).to_storage(field_type(definition).parse(text))
    except FieldError as exc:
        raise FilterError(f"custom.{key}: {exc}") from None
    if stored is None:
        return custom_index.expression(model, key).is_null()
    if isinstance(stored, bool):
        truth = custom_index.expression(model, key, "text")
        return truth.in_([1, "1", "true"]) if stored else ~truth.in_([1, "1", "true"])
    if isinstance(stored, (int, float)):
        return custom_index.expression(model, key, "number") == stored
    if isinstance(stored, str):
        return custom_index.expression(model, key, "text") == stored
    raise FilterError(f"custom.{key}: this field type cannot be filtered here")


def condition(spec, key, text):
    """`column == text` for a header key (owner_email, status, tags, custom.<key> …)."""
    model = spec.model
    if key.startswith("custom."):
        return _custom_condition(spec, model, key[len("custom.") :], text)
    if key not in spec.columns:
        raise FilterError(f"unknown column {key!r} (columns: {', '.join(spec.columns)})")
    if key == "tags":
        tagged = (
            RecordTag.select(RecordTag.record_id)
            .join(Tag)
            .where((RecordTag.entity_kind == model.entity) & (Tag.name == text))
        )
        return model.id.in_(tagged)
    name = USER_COLUMNS.get(key, key)
    model_field = model._meta.fields[name]
    if isinstance(model_field, ForeignKeyField):
        if not text:
            return model_field.is_null()
        target = model_field.rel_model
        label = target.email if target is User else target.name
        return model_field.in_(target.select(target.id).where(label == text))
    if not text and model_field.null:
        return model_field.is_null()
    return model_field == _typed(model_field, text)


def list_ids(spec, user, search=None, filters=()):
    """The ids of the records `user` sees in this list, narrowed by `search` (every word
    in one of the list's search fields) and `filters` ((key, text) pairs, all must hold)."""
    model = spec.model
    query = access.visible(spec.base_query(model.select(model.id)), user, model)
    for word in (search or "").split():
        term = "%" + word.replace("\\", "").replace("%", "").replace("_", "") + "%"
        matches = [getattr(model, name) ** term for name in spec.search]
        query = query.where(reduce(operator.or_, matches))
    for key, text in filters:
        query = query.where(condition(spec, key, text))
    return query

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
from dataclasses import dataclass
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from peewee import BooleanField, DecimalField, ForeignKeyField

from accord.core import custom_values, export_paging
from accord.core.fields import FieldError, field_type
from accord.core.models import (
    Appointment,
    Contact,
    Deal,
    Document,
    Lead,
    Note,
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


def rows(spec, user, ids, sort=None, size=None, custom_defs=None):
    """Every exported row among `ids` that `user` may see, in `sort` order (by default
    newest first), as a list of cells (text or Number); paged by accord.core.export_paging."""
    defs = definitions(spec) if custom_defs is None else custom_defs
    for records in export_paging.chunks(spec, user, ids, sort or export_paging.Sort(), size):
        chunk = Chunk(spec, records)
        for record in records:
            yield row_cells(spec, record, chunk, defs)


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

"""The export format is lossless: an exported contact list, read back with the csv module
(or openpyxl) and `export.restore()`, and each custom value through its field type's
`from_csv()`, gives every stored value back, field by field (import(export(x)) == x; the
importer reads the same header keys)."""

import csv
import io

import openpyxl
import pytest

from accord.core import export, export_filters
from accord.core.fields import field_type
from accord.core.models import Contact, Source, Status, Tag, User
from accord.core.services import custom_fields, records, tags
from tests.web import login
from tests.world import build_world

AWKWARD = (
    '=HYPERLINK("http://x.test")',
    "+1 (555) 0100",
    "-minus",
    "@handle",
    "\tindented",
    "'apostrophe",
    "''=twice",
    'Quote "inside", and a comma',
    "Ünïcødé – ✓",
    "two\nlines",
)
CUSTOM = [
    ("motto", "text", None, "=1+2"),
    ("bio", "paragraph", None, 'line one\nline two, with "quotes"'),
    ("vip", "checkbox", None, "yes"),
    ("tier", "dropdown", {"choices": ["Gold", "Silver"]}, "Silver"),
    ("langs", "multiselect", {"choices": ["English", "Français", "Deutsch"]}, "Deutsch; English"),
    ("born", "date", None, "1990-05-17"),
    ("alt_email", "email", None, "alt@example.test"),
    ("cell", "phone", {"region": "GB"}, "+44 20 7946 0958"),
    ("home", "address", None, "1 Main St; Springfield; 12345; IL; US"),
    ("site", "url", None, "https://example.test/a?b=c"),
    ("score", "number", None, "-12.75"),
    ("budget", "currency", {"currency": "EUR"}, "-300.5 USD"),
]
PLAIN = (
    "first_name",
    "last_name",
    "name",
    "title",
    "email",
    "phone",
    "mobile",
    "website",
    "street",
    "city",
    "postal_code",
    "region",
    "country",
    "customer_status",
    "description",
)


@pytest.fixture
def contacts(rt):
    world = build_world()
    definitions = {
        key: custom_fields.define(world.A, "contact", key, key.title(), kind, options)
        for key, kind, options, _value in CUSTOM
    }
    for name in ("VIP", "Cold, maybe"):
        Tag.create(name=name)
    source = Source.create(name="=Fair")
    status = Status.select().where(Status.entity_kind == "contact").first()
    company = records.create(world.A, Contact, {"is_organization": True, "name": "-Acme"})
    made = []
    for n, text in enumerate(AWKWARD):
        made.append(
            records.create(
                world.A,
                Contact,
                {
                    "first_name": text,
                    "last_name": f"Round{n}",
                    "title": text,
                    "email": f"round{n}@example.test",
                    "phone": "+1 555 0100",
                    "city": text,
                    "description": f"{text}\r\nsecond line",
                    "customer_status": ("none", "prospect", "customer")[n % 3],
                    "source": source.id if n % 2 else None,
                    "status": status.id if n % 3 else None,
                    "organization": company.id if n % 2 == 0 else None,
                    "custom": {key: value for key, _k, _o, value in CUSTOM} if n % 2 else {},
                    "tags": ["VIP", "Cold, maybe"] if n % 3 == 0 else [],
                },
                owner=None if n == 1 else world.N1.id,
            )
        )
    return world, made, definitions


def read_back(rows, definitions):
    """Exported rows -> {id: {key: value as stored}}, with restore() on every text cell."""
    head = rows[0]
    out = {}
    for raw in rows[1:]:
        cells = {
            k: export.restore(v) if isinstance(v, str) else v
            for k, v in zip(head, raw, strict=True)
        }
        values = {}
        for key, cell in cells.items():
            text = "" if cell is None else str(cell)
            if key.startswith("custom."):
                definition = definitions[key[len("custom.") :]]
                ftype = field_type(definition)
                parsed = ftype.from_csv(text) if text else None  # empty: no value
                values[key] = None if parsed is None else ftype.to_storage(parsed)
            elif key in ("created_at", "updated_at"):
                values[key] = export.parse_datetime(text)
            elif key == "tags":
                values[key] = text
            else:
                values[key] = text
        out[int(cells["id"])] = values
    return out


def stored(record, definitions):
    """The same keys, from the database."""
    record = Contact.get_by_id(record.id)
    values = {key: getattr(record, key) or "" for key in PLAIN}
    owner = User.get_or_none(User.id == record.owner_id)
    values["owner_email"] = owner.email if owner else ""
    values["status"] = record.status.name if record.status_id else ""
    values["source"] = record.source.name if record.source_id else ""
    values["organization"] = record.organization.name if record.organization_id else ""
    values["created_at"] = record.created_at
    values["updated_at"] = record.updated_at
    names = tags.names_by_record("contact", [record.id]).get(record.id, [])
    values["tags"] = ", ".join(sorted(names))
    for key in definitions:
        values[f"custom.{key}"] = (record.custom or {}).get(key)
    return values


def compare(got, made, definitions, text=lambda v: v):
    assert {r.id for r in made} <= set(got)
    for record in made:
        want = stored(record, definitions)
        back = got[record.id]
        for key, value in want.items():
            if isinstance(value, str):
                value = text(value)
            assert back[key] == value, (record.last_name, key, back[key], value)


def test_csv_export_reads_back_to_every_stored_value(app, contacts):
    world, made, definitions = contacts
    client = app.test_client()
    login(client, world.A.email)
    body = client.get("/admin/contact/export/csv/").get_data()
    text = body.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:], newline="")))
    assert rows[0] == export.header(export.SPECS["contact"])
    assert [k for k in rows[0] if k.startswith("custom.")] == [f"custom.{k}" for k, *_ in CUSTOM]
    got = read_back(rows, definitions)
    compare(got, made, definitions)
    # The custom values did come through (not just empty on both sides).
    some = got[made[1].id]
    assert some["custom.motto"] == "=1+2" and some["custom.score"] == -12.75
    assert some["custom.langs"] == ["Deutsch", "English"]
    assert some["custom.budget"] == {"amount": -300.5, "currency": "USD"}
    # Tags with a comma in their name are the one ambiguity of the ", " list: named here.
    assert got[made[0].id]["tags"] == "Cold, maybe, VIP"


def test_xlsx_export_reads_back_too(rt, contacts):
    world, made, definitions = contacts
    spec = export.SPECS["contact"]
    buffer = io.BytesIO()
    cells = export.rows(spec, world.A, export_filters.list_ids(spec, world.A))
    export.write("xlsx", buffer, export.header(spec), cells)
    sheet = openpyxl.load_workbook(io.BytesIO(buffer.getvalue())).worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    rows = [rows[0]] + [["" if c is None else c for c in row] for row in rows[1:]]
    got = read_back(rows, definitions)
    # XLSX holds no carriage return (export.xlsx_text): compare with what it can hold.
    compare(got, made, definitions, text=export.xlsx_text)

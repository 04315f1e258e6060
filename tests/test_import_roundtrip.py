"""import(export(x)) == x, end to end: varied records are exported through core/export.py
(CSV and XLSX), the database is emptied and set up again (users, vocabularies, custom
field definitions: a fresh database), each file goes through the real `accord import`
command, and every exported column of every record comes back the same.

The comparison is on the exports of both databases, column by column: the export format
itself is proved lossless against the stored values in test_export_roundtrip.py. The only
columns left out are the ones export.py documents as written for reading (the system or
the services set them): READ_ONLY below. Every other column must hold a value in at least
one record, so an importer that drops a column fails here.
"""

import datetime as dt
import subprocess
from decimal import Decimal

import openpyxl
import pytest

from accord.core import export, export_filters
from accord.core.models import (
    ActionType,
    Contact,
    Deal,
    Lead,
    LossReason,
    Pipeline,
    Source,
    Stage,
    Status,
    Tag,
    Task,
    UnqualifiedReason,
)
from accord.core.seeds import seed_defaults
from accord.core.services import custom_fields, records
from tests.conftest import clean_database
from tests.test_import_security import cli_env
from tests.test_worker import accord_command
from tests.world import make_user

# Written for reading: ids (a new database gives new ones; an import matches by them),
# the time stamps and the values the services derive (conversion, stage change, close,
# done time, the task's creator, which is the importing user).
READ_ONLY = {
    "id",
    "created_at",
    "updated_at",
    "converted_at",
    "converted_contact",
    "last_stage_change_at",
    "closed_at",
    "done_at",
    "creator_email",
}
# Export list -> `accord import` entity, in the order the links need.
ORDER = (("company", "companies"), ("contact", "contacts"), ("lead", "leads"))
ORDER += (("deal", "deals"), ("task", "tasks"))

AWKWARD = (
    '=HYPERLINK("http://x.test")',
    "+1 (555) 0100",
    "-minus",
    "@handle",
    "'apostrophe",
    "''=twice",
    'Quote "inside", and a comma',
    "Ünïcødé – ✓ 日本",
)
CUSTOM = (
    ("motto", "text", None, "=1+2"),
    ("bio", "paragraph", None, 'line one\n@line two, with "quotes"'),
    ("vip", "checkbox", None, "yes"),
    ("tier", "dropdown", {"choices": ["Gold", "Silver"]}, "Silver"),
    ("langs", "multiselect", {"choices": ["English", "Français", "Deutsch"]}, "Deutsch; English"),
    ("born", "date", None, "1990-05-17"),
    ("score", "number", None, "-12.75"),
    ("budget", "currency", {"currency": "EUR"}, "-300.5 USD"),
    ("site", "url", None, "https://example.test/a?b=c"),
)


def vocabulary(admin):
    """What both databases configure before any record: tags, a source, reasons, an action
    type, a task status and custom fields of several types on every import target."""
    for name in ("VIP", "Cold, maybe", "-neg"):
        Tag.create(name=name)
    Source.create(name="=Fair")
    LossReason.create(name="Too dear")
    UnqualifiedReason.create(name="No budget")
    ActionType.create(name="Call back")
    Status.create(entity_kind="task", name="Waiting")
    for entity in ("contact", "company", "lead", "deal", "task"):
        for key, kind, options, _value in CUSTOM:
            custom_fields.define(admin, entity, key, key.title(), kind, options)


def users():
    return {
        "A": make_user("A", "admin"),
        "M": make_user("M", "manager"),
        "N1": make_user("N1", "normal"),
    }


def custom_values(entity, n):
    from accord.core.fields import field_type
    from accord.core.models import CustomField

    if n % 2:
        return {}
    out = {}
    for definition in CustomField.select().where(CustomField.entity_kind == entity):
        text = dict((k, v) for k, _t, _o, v in CUSTOM)[definition.key]
        ftype = field_type(definition)
        out[definition.key] = ftype.to_storage(ftype.from_csv(text))
    return out


def build(u):
    admin = u["A"]
    owners = [u["M"], u["N1"], admin]
    source = Source.get(Source.name == "=Fair")
    status = Status.select().where(Status.entity_kind == "contact").first()
    lead_status = Status.select().where(Status.entity_kind == "lead").first()
    pipeline = Pipeline.select().order_by(Pipeline.id).first()
    stages = list(Stage.select().where(Stage.pipeline == pipeline).order_by(Stage.position))
    companies, people, leads, deals = [], [], [], []
    for n, text in enumerate(AWKWARD):
        tags = [["VIP", "Cold, maybe"], [], ["-neg"]][n % 3]
        common = {
            "email": f"round{n}@example.test" if n != 3 else "",
            "phone": "+1 555 0100" if n % 2 else "",
            "mobile": "+44 7700 900123" if n % 2 == 0 else "",
            "website": f"https://{n}.example.test",
            "street": text,
            "city": "Kraków",
            "postal_code": "=0100",
            "region": "Mazowieckie",
            "country": "PL",
            "source": source.id if n % 2 else None,
            "description": f"{text}\nsecond line\n\nfourth",
            "tags": tags,
        }
        owner = owners[n % 3].id
        companies.append(
            records.create(
                admin,
                Contact,
                {
                    **common,
                    "is_organization": True,
                    "name": f"{text} Co{n}",
                    "email": f"co{n}@example.test",
                    "customer_status": ("none", "prospect", "customer")[n % 3],
                    "status": status.id if n % 2 else None,
                    "custom": custom_values("company", n),
                },
                owner=owner,
            )
        )
        people.append(
            records.create(
                admin,
                Contact,
                {
                    **common,
                    "first_name": text,
                    "last_name": f"Round{n}",
                    "title": text,
                    "organization": companies[-1].id if n % 2 == 0 else None,
                    "customer_status": ("none", "prospect", "customer")[(n + 1) % 3],
                    "status": status.id if n % 3 else None,
                    "custom": custom_values("contact", n),
                },
                owner=owner,
            )
        )
        leads.append(
            records.create(
                admin,
                Lead,
                {
                    **common,
                    "first_name": "" if n == 2 else f"Lead {text}",
                    "last_name": "" if n == 2 else f"L{n}",
                    "organization_name": f"{text} Prospect",
                    "title": text,
                    "email": f"lead{n}@example.test",
                    "status": lead_status.id if n % 2 else None,
                    "custom": custom_values("lead", n),
                },
                owner=owner,
            )
        )
        stage = stages[n % len(stages)]
        deals.append(
            records.create(
                admin,
                Deal,
                {
                    "name": f"Deal {text} {n}",
                    "value": Decimal("1250.50") * n,
                    "currency": ("EUR", "USD", "HUF")[n % 3],
                    "organization": companies[n].id if n % 2 else None,
                    "contact": people[n].id if n % 3 else None,
                    "stage": stage.id,
                    "probability": (n * 13) % 101 if n % 2 else None,
                    "hot": bool(n % 2),
                    "estimated_close_date": dt.date(2027, 1 + n, 28) if n % 3 else None,
                    "source": source.id if n % 2 == 0 else None,
                    "loss_reason": LossReason.get().id if n == 1 else None,
                    "unqualified_reason": UnqualifiedReason.get().id if n == 2 else None,
                    "tags": [["-neg"], [], ["VIP"]][n % 3],
                    "custom": custom_values("deal", n),
                },
                owner=owner,
            )
        )
        link = [
            {"contact": people[n].id},
            {"lead": leads[n].id},
            {"deal": deals[n].id},
            {},
        ][n % 4]
        records.create(
            admin,
            Task,
            {
                "content": f"{text}\nsecond line of the task {n}",
                # 23:30 UTC is the next day east of UTC: the time zone must not move it.
                "due_at": dt.datetime(2027, 3, 1 + n, 23, 30) if n % 3 else None,
                "reminder": "1d" if n % 3 == 1 else "",
                "action_type": ActionType.get().id if n % 2 else None,
                "status": Status.get(Status.name == "Waiting").id if n % 2 == 0 else None,
                "done": n % 2 == 1,
                "custom": custom_values("task", n),
                **link,
            },
            owner=owner,
        )


def export_all(admin, folder, fmt):
    """{list: path} of every list exported as `admin` sees it."""
    paths = {}
    for entity, _plural in ORDER:
        spec = export.SPECS[entity]
        path = folder / f"{entity}.{fmt}"
        cells = export.rows(spec, admin, export_filters.list_ids(spec, admin))
        export.write(fmt, str(path), export.header(spec), cells)
        paths[entity] = path
    return paths


def read(path):
    """[header, *rows] as cell texts, as a spreadsheet or csv reader sees them."""
    if path.suffix == ".xlsx":
        sheet = openpyxl.load_workbook(path).worksheets[0]
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
        return [rows[0]] + [["" if c is None else str(c) for c in row] for row in rows[1:]]
    import csv

    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def projection(path):
    """Sorted rows of the columns an import must carry, and those column names."""
    head, *rows = read(path)
    keep = [i for i, key in enumerate(head) if key not in READ_ONLY]
    return [head[i] for i in keep], sorted(tuple(row[i] for i in keep) for row in rows)


def fresh_database(rt):
    clean_database(rt.db)
    seed_defaults()
    u = users()
    vocabulary(u["A"])
    return u


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_import_of_an_export_gives_every_record_back(rt, tmp_path, fmt):
    u = users()
    vocabulary(u["A"])
    build(u)
    first = tmp_path / "first"
    first.mkdir()
    exported = export_all(u["A"], first, fmt)
    before = {entity: projection(path) for entity, path in exported.items()}
    for entity, (columns, rows) in before.items():
        assert len(rows) == len(AWKWARD), entity
        # Every column an import carries holds a value somewhere, or the test proves nothing.
        for i, column in enumerate(columns):
            assert any(row[i] for row in rows), (entity, column)
        assert any(c.startswith("custom.") for c in columns)
        # ... and each one is mapped by the importer's own header matching.
        from accord.core import custom_values as cv
        from accord.plugins.import_csv.targets import auto_map

        target = entity
        head = read(exported[entity])[0]
        mapping = auto_map(target, head, cv.definitions(target))
        unmapped = [h for h, m in zip(head, mapping, strict=True) if m is None]
        assert set(unmapped) <= READ_ONLY | {"name"}, (entity, unmapped)

    fresh_database(rt)
    assert Contact.select().count() == Deal.select().count() == Task.select().count() == 0
    env = cli_env(rt, tmp_path)
    for entity, plural in ORDER:
        proc = subprocess.run(
            accord_command() + ["import", plural, str(exported[entity]), "--user", "a@world.test"],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert proc.returncode == 0, (entity, proc.stdout, proc.stderr)
        assert f"created {len(AWKWARD)}," in proc.stdout, (entity, proc.stdout)

    second = tmp_path / "second"
    second.mkdir()
    again = export_all(u["A"], second, fmt)
    for entity, path in again.items():
        columns, rows = projection(path)
        want_columns, want_rows = before[entity]
        assert columns == want_columns, entity
        missing = [r for r in want_rows if r not in rows]
        extra = [r for r in rows if r not in want_rows]
        # Name the columns that differ between each lost row and its nearest new one.
        for want in missing:
            nearest = max(
                extra, key=lambda r: sum(a == b for a, b in zip(r, want, strict=False)), default=()
            )
            differ = {c: (b, a) for c, a, b in zip(columns, nearest, want, strict=False) if a != b}
            pytest.fail(f"{entity}: {differ} (column: (exported, after import))")
        assert rows == want_rows, entity


def test_read_only_columns_are_the_documented_ones():
    """Each READ_ONLY column is one export.py writes and the importer refuses or derives."""
    from accord.core.services.records import PROTECTED
    from accord.plugins.import_csv.targets import targets

    exported = set()
    for entity, _plural in ORDER:
        exported |= set(export.SPECS[entity].columns)
    assert exported >= READ_ONLY
    for entity, _plural in ORDER:
        importable = set(targets(entity)) | {"owner_email"}
        for column in set(export.SPECS[entity].columns) - READ_ONLY - {"name"}:
            assert column in importable or column.replace("_email", "") in importable, (
                entity,
                column,
            )
    assert {"created_at", "updated_at", "converted_at", "closed_at"} <= PROTECTED

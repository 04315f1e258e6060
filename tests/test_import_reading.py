"""Reading import files: encodings, BOM, CRLF, delimiters, embedded newlines, XLSX, paste,
and the header aliases of the tools people export from."""

import openpyxl
import pytest

from accord.core.models import CustomField
from accord.plugins.import_csv.reading import ReadError, bad_bytes, read_file, read_text
from accord.plugins.import_csv.targets import auto_map

ROWS = [["Name", "City"], ["Zoë Ńowak", "Łódź"], ["Ödön Şahin", "İzmir"]]


def _csv(rows, delimiter=",", newline="\n"):
    return newline.join(delimiter.join(r) for r in rows) + newline


def _read(path):
    table = read_file(path)
    return table, list(table.rows)


@pytest.mark.parametrize(
    "encoding, expected",
    [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8-sig"),
        ("utf-16", "utf-16"),
        ("utf-16-le", "utf-16-le"),
    ],
)
def test_unicode_encodings(tmp_path, encoding, expected):
    path = tmp_path / "f.csv"
    path.write_bytes(_csv(ROWS).encode(encoding))
    table, rows = _read(path)
    assert table.encoding == expected
    assert table.header == ["Name", "City"]
    assert [cells for _, cells in rows] == ROWS[1:]


def test_legacy_code_pages(tmp_path):
    central = [["Name", "City"], ["Łukasz Żółć", "Świętochłowice"], ["Čeněk Řehoř", "Brno"]]
    path = tmp_path / "pl.csv"
    path.write_bytes(_csv(central).encode("cp1250"))
    table, rows = _read(path)
    assert table.encoding == "cp1250" and rows[0][1] == central[1]
    western = [["Name", "City"], ["François Müller", "Zürich"], ["Ñandú Ærø", "Besançon"]]
    path.write_bytes(_csv(western).encode("cp1252"))
    table, rows = _read(path)
    assert table.encoding == "cp1252" and rows[1][1] == western[2]
    # 0x81 is undefined in cp1252: Latin-1 reads every byte.
    path.write_bytes(b"Name\n\x81\xe9t\xe9\n")
    assert _read(path)[0].encoding == "latin-1"


def test_one_invalid_utf8_row_is_reported_not_fatal(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes("Name,City\nZoë,Łódź\n".encode() + b"Bad\xff\xfe,X\n" + "Ann,Pécs\n".encode())
    table, rows = _read(path)
    assert table.encoding == "utf-8"
    assert [bad_bytes(cells) for _, cells in rows] == [None, 0, None]
    assert rows[2] == (4, ["Ann", "Pécs"])


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiters_are_sniffed(tmp_path, delimiter):
    path = tmp_path / "f.txt"
    rows = [
        ["Name", "Email", "City"],
        ["Ann, Lee", "a@x.test", "Paris"],
        ["Bo", "b@x.test", "Rome"],
    ]
    text = "\n".join(delimiter.join(f'"{c}"' if "," in c else c for c in r) for r in rows)
    path.write_text(text + "\n", encoding="utf-8")
    table, got = _read(path)
    assert table.delimiter == delimiter
    assert [cells for _, cells in got] == rows[1:]


def test_crlf_bom_and_embedded_newlines_keep_physical_lines(tmp_path):
    path = tmp_path / "f.csv"
    text = 'Name,Notes\r\nAnn,"two\r\nlines"\r\nBo,"three\nmore\nlines"\r\nCy,one\r\n\r\nDi,x\r\n'
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    table, rows = _read(path)
    assert table.header == ["Name", "Notes"]
    assert [(line, cells[0]) for line, cells in rows] == [
        (2, "Ann"),
        (4, "Bo"),
        (7, "Cy"),
        (9, "Di"),
    ]
    assert rows[0][1][1] == "two\r\nlines"


def test_xlsx(tmp_path):
    import datetime as dt

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Name", "Born", "Score", "Active"])
    sheet.append(["Ann", dt.datetime(1990, 5, 1), 12.0, True])
    sheet.append([None, None, None, None])
    sheet.append(["Bo", "x", 3.5, False])
    path = tmp_path / "f.xlsx"
    book.save(path)
    table, rows = _read(path)
    assert table.kind == "xlsx" and table.header == ["Name", "Born", "Score", "Active"]
    assert rows == [(2, ["Ann", "1990-05-01", "12", "yes"]), (4, ["Bo", "x", "3.5", "no"])]


def test_paste_from_a_spreadsheet():
    table = read_text("First name\tEmail\r\nAnn\tann@x.test\r\nBo\tbo@x.test\r\n")
    assert table.delimiter == "\t"
    assert list(table.rows) == [(2, ["Ann", "ann@x.test"]), (3, ["Bo", "bo@x.test"])]


def test_empty_and_headerless_files(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(b"")
    with pytest.raises(ReadError):
        read_file(path)
    path.write_bytes(b"PK\x03\x04not a zip")
    with pytest.raises(ReadError):
        read_file(path)


HEADERS = {
    "google": (
        [
            "Given Name",
            "Family Name",
            "E-mail 1 - Value",
            "Phone 1 - Value",
            "Organization 1 - Name",
            "Organization 1 - Title",
            "Address 1 - City",
        ],
        ["first_name", "last_name", "email", "phone", "organization", "title", "city"],
    ),
    "outlook": (
        [
            "First Name",
            "Last Name",
            "E-mail Address",
            "Business Phone",
            "Mobile Phone",
            "Company",
            "Job Title",
            "Business Street",
            "Business City",
            "Business Postal Code",
            "Business Country/Region",
            "Web Page",
            "Notes",
        ],
        [
            "first_name",
            "last_name",
            "email",
            "phone",
            "mobile",
            "organization",
            "title",
            "street",
            "city",
            "postal_code",
            "country",
            "website",
            "description",
        ],
    ),
    "hubspot": (
        [
            "Record ID",
            "First Name",
            "Last Name",
            "Email",
            "Phone Number",
            "Company Name",
            "Contact owner",
            "Lifecycle Stage",
            "State/Region",
        ],
        [
            None,
            "first_name",
            "last_name",
            "email",
            "phone",
            "organization",
            "owner",
            "customer_status",
            "region",
        ],
    ),
    "pipedrive": (
        [
            "Person - Name",
            "Person - Email - Work",
            "Person - Phone - Work",
            "Person - Organization",
            "Person - Owner",
        ],
        ["full_name", "email", "phone", "organization", "owner"],
    ),
    "zendesk sell": (
        [
            "first_name",
            "last_name",
            "email",
            "phone",
            "mobile",
            "title",
            "organization_name",
            "owner",
            "postal_code",
            "state",
        ],
        [
            "first_name",
            "last_name",
            "email",
            "phone",
            "mobile",
            "title",
            "organization",
            "owner",
            "postal_code",
            "region",
        ],
    ),
    "languages": (
        ["Prénom", "Nazwisko", "E-posta", "Telefonszám", "Kampuni", "Ville"],
        ["first_name", "last_name", "email", "phone", "organization", "city"],
    ),
}


@pytest.mark.parametrize("tool", sorted(HEADERS))
def test_header_aliases_of_each_tool(rt, tool):
    header, expected = HEADERS[tool]
    assert auto_map("contact", header) == expected


def test_export_headers_keys_labels_and_custom_fields(rt):
    field = CustomField.create(
        entity_kind="deal", key="region_code", label="Region code", type="text"
    )
    header = ["name", "Value", "Stage", "Pipeline", "Region code", "custom.region_code", "Owner"]
    assert auto_map("deal", header, [field]) == [
        "name",
        "value",
        "stage",
        "pipeline",
        "custom.region_code",
        None,
        "owner",
    ]
    assert auto_map("company", ["Name", "Website"]) == ["name", "website"]
    assert auto_map("lead", ["Organization", "Last name"]) == ["organization_name", "last_name"]
    assert auto_map("task", ["Content", "Due", "Done"]) == ["content", "due_at", "done"]

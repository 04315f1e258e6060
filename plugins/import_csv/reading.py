"""Reading a spreadsheet: CSV/TSV (any common encoding and dialect), XLSX, pasted rows.

Every source becomes a `Table`: its header and an iterator of `(line, cells)` where
`line` is the physical line (CSV: the line the record starts on, counting embedded
newlines; XLSX: the sheet row) so an error report points at what the user sees.
Invalid bytes never stop a read: the cell keeps them as surrogates and the row is
reported (see `bad_bytes`).
"""

import codecs
import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field

SAMPLE = 1 << 20  # bytes looked at to guess the encoding and the dialect
DELIMITERS = (",", ";", "\t", "|")
_SURROGATE = re.compile("[\udc80-\udcff]")
# Letters that betray Central European (1250) or Western (1252) text in a legacy file.
_CP1250_HINTS = set("ąćęłńśźżčďěňřšťůžőűĄĆĘŁŃŚŹŻČĎĚŇŘŠŤŮŽŐŰ")
_CP1252_HINTS = set("àâäçèéêëîïôöùûüñßãõåæøÀÂÄÇÈÉÊËÎÏÔÖÙÛÜÑ")

csv.field_size_limit(1 << 24)


class ReadError(ValueError):
    """The file cannot be read at all (not a spreadsheet, empty, no header)."""


@dataclass
class Table:
    header: list
    rows: object  # iterator of (line, cells)
    encoding: str = ""
    delimiter: str = ""
    kind: str = "csv"
    details: dict = field(default_factory=dict)


def detect_encoding(sample):
    """The encoding of `sample` (bytes): BOMs first, then UTF-8, then legacy code pages."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if len(sample) >= 4 and sample[1:2] == b"\0" and sample[3:4] == b"\0":
        return "utf-16-le"
    if len(sample) >= 4 and sample[0:1] == b"\0" and sample[2:3] == b"\0":
        return "utf-16-be"
    text = sample.decode("utf-8", errors="surrogateescape")
    invalid = len(_SURROGATE.findall(text))
    # A cut at the end of the sample may split one character: not evidence.
    if invalid <= 3 and len(sample) == SAMPLE and not _SURROGATE.search(text[:-4]):
        invalid = 0
    valid = sum(1 for ch in text if ch >= "\x80" and not "\udc80" <= ch <= "\udcff")
    if invalid == 0 or valid > invalid:
        # UTF-8 text with a few broken bytes: those rows are reported, the rest imported.
        return "utf-8"
    try:
        as_1252 = sample.decode("cp1252")
    except UnicodeDecodeError:
        return "latin-1"
    as_1250 = sample.decode("cp1250", errors="replace")
    score_1250 = sum(ch in _CP1250_HINTS for ch in as_1250)
    score_1252 = sum(ch in _CP1252_HINTS for ch in as_1252)
    return "cp1250" if score_1250 > score_1252 else "cp1252"


def _count_outside_quotes(line, delimiter):
    count, quoted = 0, False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif ch == delimiter and not quoted:
            count += 1
    return count


def sniff_delimiter(text):
    """The delimiter that splits the first lines into the same, largest number of cells."""
    lines = [line for line in text.splitlines()[:20] if line.strip()]
    if not lines:
        return ","
    best, best_score = ",", (-1, -1)
    for delimiter in DELIMITERS:
        counts = [_count_outside_quotes(line, delimiter) for line in lines]
        if counts[0] == 0:
            continue
        # Lines with embedded newlines break the count; most lines still agree.
        agree = sum(c == counts[0] for c in counts)
        score = (agree, counts[0])
        if score > best_score:
            best, best_score = delimiter, score
    return best


def bad_bytes(cells):
    """The first cell index holding bytes the encoding could not read, else None."""
    if not _SURROGATE.search("".join(cells)):
        return None
    for index, cell in enumerate(cells):
        if _SURROGATE.search(cell):
            return index
    return None


def _records(text_stream, delimiter):
    reader = csv.reader(text_stream, delimiter=delimiter, quotechar='"', doublequote=True)
    previous = 0
    for cells in reader:
        start = previous + 1
        previous = reader.line_num
        if not cells or (len(cells) == 1 and not cells[0].strip()):
            continue  # blank lines are not rows
        yield start, cells


def read_text(text, delimiter=None, kind="paste"):
    """Rows from text already decoded (a paste from a spreadsheet, or a test)."""
    if text.startswith("\ufeff"):
        text = text[1:]
    delimiter = delimiter or sniff_delimiter(text[:SAMPLE])
    return _table(_records(io.StringIO(text, newline=""), delimiter), "", delimiter, kind)


def read_csv(path, encoding=None, delimiter=None):
    """Rows of a CSV or TSV file, streamed (a million rows fit in little memory)."""
    with open(path, "rb") as raw:
        sample = raw.read(SAMPLE)
    if not sample.strip():
        raise ReadError("The file is empty.")
    encoding = encoding or detect_encoding(sample)
    if delimiter is None:
        head = sample.decode(encoding, errors="replace") if "16" not in encoding else None
        if head is None:
            head = sample[: len(sample) - len(sample) % 2].decode(encoding, errors="replace")
        delimiter = sniff_delimiter(head.lstrip("\ufeff"))

    def stream():
        with open(path, encoding=encoding, errors="surrogateescape", newline="") as handle:
            first = True
            for line, cells in _records(handle, delimiter):
                if first and cells and cells[0].startswith("\ufeff"):
                    cells[0] = cells[0][1:]
                first = False
                yield line, cells

    return _table(stream(), encoding, delimiter, "tsv" if delimiter == "\t" else "csv")


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_xlsx(path):
    """Rows of the first sheet of an XLSX workbook (read-only mode: streamed)."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zipfile.BadZipFile, KeyError, InvalidFileException …
        raise ReadError(f"Not a readable XLSX workbook ({type(exc).__name__}).") from None

    def stream():
        try:
            sheet = book.worksheets[0]
            width = None
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                cells = [_cell(v) for v in values]
                while cells and cells[-1] == "":
                    cells.pop()
                if not cells:
                    continue
                if width is None:
                    width = len(cells)  # the header row
                elif len(cells) < width:
                    # A sheet stores no trailing empty cells: they are empty values.
                    cells += [""] * (width - len(cells))
                yield number, cells
        finally:
            book.close()

    return _table(stream(), "xlsx", "", "xlsx")


def _table(records, encoding, delimiter, kind):
    try:
        line, header = next(records)
    except StopIteration:
        raise ReadError("The file has no header row.") from None
    header = [h.strip() for h in header]
    while header and header[-1] == "":
        header.pop()
    if not header:
        raise ReadError("The file has no header row.")
    return Table(header, records, encoding, delimiter, kind, {"header_line": line})


def is_xlsx(path):
    with open(path, "rb") as handle:
        return handle.read(4) == b"PK\x03\x04"


def read_file(path, encoding=None, delimiter=None):
    """Any supported file by its content (an XLSX is a zip; everything else is text)."""
    if is_xlsx(path):
        return read_xlsx(path)
    return read_csv(path, encoding=encoding, delimiter=delimiter)

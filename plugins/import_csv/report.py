"""The error rows of an import as CSV: physical line, column, reason, then the row."""

import csv
import io

from accord.plugins.import_csv.models import ImportError_

_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _safe(cell):
    # A spreadsheet must not run a cell of an untrusted file as a formula.
    return "'" + cell if cell.startswith(_FORMULA) else cell


def error_rows(job):
    return (
        ImportError_.select()
        .where(ImportError_.job == job.id)
        .order_by(ImportError_.line, ImportError_.id)
    )


def errors_csv(job, header):
    """Yield the error file in chunks (a big import can have many error rows)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["line", "column", "reason", *header])
    for error in error_rows(job).iterator():
        writer.writerow([error.line, error.column, error.reason, *map(_safe, error.raw or [])])
        if buffer.tell() > 64_000:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()

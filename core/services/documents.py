"""Documents: files stored under generated keys in ACCORD_HOME/uploads (SECURITY D21/D22)."""

import mimetypes
import os
import secrets
from pathlib import Path

from accord.core import access
from accord.core.db import write
from accord.core.i18n import gettext as _
from accord.core.models import Document
from accord.core.services import records
from accord.core.services.errors import Forbidden, ValidationError

MAX_BYTES = 25 * 1024 * 1024
CHUNK = 1024 * 1024


def safe_filename(name):
    """The name shown and offered on download: no path, no control characters."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c.isprintable() and c not in '"<>:|?*').strip(". ")
    return name[:200] or "file"


def path_for(upload_dir, key):
    if not key or not all(c in "0123456789abcdef" for c in key):
        raise ValidationError({"": _("Bad document key.")})
    return Path(upload_dir) / key[:2] / key


def store(user, upload_dir, filename, stream, link=None, max_bytes=MAX_BYTES):
    """Write the upload to a new key, then the row; on any failure no orphan file stays."""
    link = link or {}
    key = secrets.token_hex(20)
    path = path_for(upload_dir, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    size = 0
    try:
        with open(path, "xb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise ValidationError({"file": _("The file is too large.")})
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        name = safe_filename(filename)
        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        return records.create(
            user,
            Document,
            {"filename": name, "content_type": content_type, **link},
            storage_key=key,
            size=size,
        )
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def open_for(user, document, upload_dir):
    if not access.can_see(user, document):
        raise Forbidden("view")
    return open(path_for(upload_dir, document.storage_key), "rb")


def remove(user, document, upload_dir):
    with write():
        records.delete(user, document)
    path_for(upload_dir, document.storage_key).unlink(missing_ok=True)

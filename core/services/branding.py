"""The company logo (Settings, admins only): PNG or JPEG, size-limited, stored under
ACCORD_HOME/branding with a generated name; used in invitation emails."""

import secrets
from dataclasses import dataclass

from accord.core import access
from accord.core.db import write
from accord.core.i18n import gettext as _
from accord.core.models.calendar import CompanyLogo
from accord.core.services.errors import Forbidden, ValidationError

MAX_LOGO_BYTES = 512 * 1024
# Recognised by their first bytes, never by the name or type the browser sent.
SIGNATURES = {b"\x89PNG\r\n\x1a\n": "png", b"\xff\xd8\xff": "jpeg"}


@dataclass(frozen=True)
class Logo:
    data: bytes
    subtype: str  # png | jpeg

    @property
    def content_type(self):
        return f"image/{self.subtype}"


def logo_dir(config):
    path = config.ensure_home() / "branding"
    path.mkdir(exist_ok=True)
    return path


def kind_of(data):
    for signature, subtype in SIGNATURES.items():
        if data.startswith(signature):
            return subtype
    return None


def set_logo(actor, config, data):
    """Store `data` as the new company logo; the previous file is removed."""
    if not access.can(actor, "settings"):
        raise Forbidden("settings")
    if not data:
        raise ValidationError({"logo": _("Choose a PNG or JPEG file.")})
    if len(data) > MAX_LOGO_BYTES:
        raise ValidationError({"logo": _("The logo may be at most 512 KB.")})
    subtype = kind_of(data)
    if subtype is None:
        raise ValidationError({"logo": _("Only PNG and JPEG images are accepted.")})
    key = f"logo-{secrets.token_hex(16)}.{'jpg' if subtype == 'jpeg' else 'png'}"
    path = logo_dir(config) / key
    path.write_bytes(data)
    try:
        with write():
            old = list(CompanyLogo.select())
            row = CompanyLogo.create(
                storage_key=key,
                content_type=f"image/{subtype}",
                size=len(data),
                uploaded_by=actor.id,
            )
            CompanyLogo.delete().where(CompanyLogo.id != row.id).execute()
    except Exception:
        path.unlink(missing_ok=True)  # no orphan file when the row is not written
        raise
    for previous in old:
        (logo_dir(config) / previous.storage_key).unlink(missing_ok=True)
    return row


def remove_logo(actor, config):
    if not access.can(actor, "settings"):
        raise Forbidden("settings")
    with write():
        old = list(CompanyLogo.select())
        CompanyLogo.delete().execute()
    for previous in old:
        (logo_dir(config) / previous.storage_key).unlink(missing_ok=True)


def current_logo(config):
    """The current logo as bytes, or None (no logo, or its file is missing)."""
    row = CompanyLogo.select().order_by(CompanyLogo.id.desc()).first()
    if row is None:
        return None
    path = logo_dir(config) / row.storage_key
    if not path.is_file():
        return None
    data = path.read_bytes()
    subtype = kind_of(data)
    return Logo(data, subtype) if subtype else None

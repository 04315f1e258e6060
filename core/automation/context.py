"""The placeholder context of a run: plain values, only what the author may see.

Each record kind lists the fields a template may use. A linked record the author cannot
see (a restricted author's deal whose contact belongs to someone else) appears as its
name only, as it does on the author's screens (DESIGN §5) — so a webhook body or an email
never carries a field the author could not read (SECURITY B12).
"""

from decimal import Decimal

from accord.core import access, custom_values
from accord.core.fields import FieldError, field_type
from accord.core.models import User

FIELDS = {
    "deal": ("id", "name", "value", "currency", "hot", "estimated_close_date"),
    "contact": (
        "id",
        "name",
        "first_name",
        "last_name",
        "title",
        "email",
        "phone",
        "mobile",
        "website",
        "city",
        "country",
    ),
    "lead": (
        "id",
        "name",
        "first_name",
        "last_name",
        "organization_name",
        "title",
        "email",
        "phone",
        "mobile",
        "website",
        "city",
        "country",
    ),
    "task": ("id", "content", "due_at", "done"),
    "appointment": ("id", "title", "starts_at", "ends_at", "location"),
    "note": ("id", "content"),
    "document": ("id", "filename"),
}


def person(user):
    if user is None:
        return {}
    return {
        "name": user.name,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
    }


def _plain(value):
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if value is None or isinstance(value, (str, int, float, bool)):
        return "" if value is None else value
    return str(value)


def _custom(record):
    out = {}
    stored = record.custom or {}
    for definition in custom_values.definitions(custom_values.entity_kind(record)):
        value = stored.get(definition.key)
        try:
            ftype = field_type(definition)
            out[definition.key] = (
                ftype.format(ftype.from_storage(value)) if value is not None else ""
            )
        except (FieldError, ValueError, TypeError, KeyError):
            out[definition.key] = str(value)
    return out


def record_values(author, record, url_base="", depth=1):
    """A record as a dict of plain values, limited to what `author` may see."""
    if record is None:
        return {}
    if not access.can_see(author, record):
        return {"name": str(record)}  # only its name, like a hidden linked record
    kind = record.entity
    values = {name: _plain(getattr(record, name, None)) for name in FIELDS.get(kind, ("id",))}
    custom = _custom(record)
    # Custom fields by key, also at the top level when no built-in field has that name.
    values["custom"] = custom
    for key, text in custom.items():
        values.setdefault(key, text)
    owner = User.get_or_none(User.id == record.owner_id) if record.owner_id else None
    values["owner"] = person(owner)
    values["kind"] = kind
    if url_base:
        values["url"] = f"{url_base}/admin/{kind}/details/?id={record.id}"
    if kind == "deal":
        values["stage"] = record.stage.name
        values["pipeline"] = record.pipeline.name
    if depth > 0:
        for link in ("contact", "organization", "deal", "lead"):
            if link in type(record)._meta.fields and getattr(record, f"{link}_id"):
                values[link] = record_values(author, getattr(record, link), url_base, depth - 1)
    # The company: a deal's or a person's organization, a lead's organization name.
    if "organization" in values:
        values["company"] = values["organization"]
    elif kind == "lead":
        values["company"] = {"name": record.organization_name}
    return values


def placeholder_values(ctx):
    """The whole context: the record under its kind's name and as `record`, its owner,
    the author and the user who caused the event."""
    url_base = ctx.runtime.config.base_url if ctx.runtime is not None else ""
    record = record_values(ctx.author, ctx.record, url_base)
    values = {"record": record, "owner": record.get("owner", {})}
    if ctx.record is not None:
        values[ctx.record.entity] = record
        for link in ("contact", "deal", "lead", "organization", "company"):
            if link in record and link not in values:
                values[link] = record[link]
    actor = User.get_or_none(User.id == ctx.event.actor_id) if ctx.event.actor_id else None
    values["user"] = person(actor)
    values["author"] = person(ctx.author)
    return values

"""Tags on leads, contacts, companies and deals (the vocabulary is managed in settings)."""

from accord.core.compiled import padded, sql_of
from accord.core.db import database
from accord.core.i18n import gettext as _
from accord.core.models import RecordTag, Tag
from accord.core.services.errors import ValidationError

TAGGABLE = ("lead", "contact", "deal")


def resolve(values):
    """Tag ids or names -> Tag rows; unknown ones are refused, not created silently."""
    tags, unknown = [], []
    for value in values or []:
        if isinstance(value, Tag):
            tags.append(value)
            continue
        text = str(value).strip()
        if not text:
            continue
        tag = (
            Tag.get_or_none(Tag.id == int(text))
            if text.isdigit()
            else Tag.select().where(Tag.name == text).first()
        )
        if tag is None:
            unknown.append(text)
        elif tag not in tags:
            tags.append(tag)
    if unknown:
        raise ValidationError({"tags": _("Unknown tag: %(name)s.", name=", ".join(unknown)[:80])})
    return tags


def tag_ids(record):
    query = RecordTag.select(RecordTag.tag).where(
        (RecordTag.entity_kind == record.entity) & (RecordTag.record_id == record.id)
    )
    return sorted(row.tag_id for row in query)


def set_tags(record, tags):
    """Replace the record's tags; call inside the record's write transaction."""
    if record.entity not in TAGGABLE:
        raise ValidationError({"tags": _("This record cannot carry tags.")})
    wanted = {t.id for t in tags}
    current = set(tag_ids(record))
    if wanted - current:
        RecordTag.insert_many(
            [
                {"tag": t, "entity_kind": record.entity, "record_id": record.id}
                for t in wanted - current
            ]
        ).execute()
    if current - wanted:
        RecordTag.delete().where(
            (RecordTag.entity_kind == record.entity)
            & (RecordTag.record_id == record.id)
            & RecordTag.tag.in_(list(current - wanted))
        ).execute()
    return sorted(current), sorted(wanted)


def names_by_record(entity, record_ids):
    """{record_id: [tag names]} in one query (lists show tags without N+1)."""
    out = {}
    if not record_ids:
        return out
    ids = padded(record_ids)
    sql = sql_of(
        ("tag names", len(ids)),
        lambda kind, *sample: (
            RecordTag.select(RecordTag.record_id, Tag.name)
            .join(Tag)
            .where((RecordTag.entity_kind == kind) & RecordTag.record_id.in_(list(sample)))
            .order_by(Tag.name)
        ),
        "entity",
        *range(-len(ids), 0),
    )
    for record_id, name in database.execute_sql(sql, (entity, *ids)):
        out.setdefault(record_id, []).append(name)
    return out

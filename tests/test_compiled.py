"""core.compiled: SQL compiled once per shape gives what the plain peewee query gives."""

import datetime

import pytest

from accord.core import compiled, notifications
from accord.core.models import Contact, RecordTag, Tag, User
from accord.core.models.notifications import Notification
from accord.core.services import tags


def test_the_parameters_must_come_out_as_given(world):
    with pytest.raises(compiled.ShapeError):
        # Two parameters in, but the query has one more of its own (the LIMIT).
        compiled.sql_of("test shape", lambda key: User.select().where(User.id == key).limit(5), -1)
    sql = compiled.sql_of("test id", lambda key: User.select().where(User.id == key), -1)
    assert sql is compiled.sql_of("test id", lambda key: 1 / 0, -1)  # compiled once
    admin = world.users["A"]
    assert [u.email for u in User.raw(sql, admin.id)] == [admin.email]


def test_padded_ids_keep_every_id_and_a_power_of_two():
    for n in range(1, 70):
        ids = list(range(100, 100 + n))
        out = compiled.padded(ids)
        assert set(out) == set(ids) and out[:n] == ids
        assert len(out) & (len(out) - 1) == 0 and len(out) < 2 * n


def test_tag_names_match_the_plain_query(world):
    contacts = list(Contact.select().order_by(Contact.id))
    names = [Tag.create(name=f"Tag {n}") for n in range(3)]
    for i, contact in enumerate(contacts):
        for tag in names[: i % 4]:
            RecordTag.create(entity_kind="contact", record_id=contact.id, tag=tag)
    for n in range(1, len(contacts) + 1):
        ids = [c.id for c in contacts[:n]]
        expected = {}
        plain = (
            RecordTag.select(RecordTag.record_id, Tag.name)
            .join(Tag)
            .where((RecordTag.entity_kind == "contact") & RecordTag.record_id.in_(ids))
            .order_by(Tag.name)
            .tuples()
        )
        for record_id, name in plain:
            expected.setdefault(record_id, []).append(name)
        assert tags.names_by_record("contact", ids) == expected
    assert any(tags.names_by_record("contact", [c.id for c in contacts]).values())


def test_unread_count_counts_up_to_the_cap(world):
    user = world.users["N1"]

    def plain(who):
        return (
            Notification.select()
            .where((Notification.user == who.id) & Notification.read_at.is_null())
            .count()
        )

    before = plain(user)
    assert notifications.unread_count(user) == before
    for n in range(5):
        Notification.create(user=user.id, kind="lead_assigned", title=f"N {n}")
    Notification.update(read_at=datetime.datetime(2026, 1, 1)).where(
        Notification.title == "N 0"
    ).execute()
    assert notifications.unread_count(user) == plain(user) == before + 4
    assert notifications.unread_count(user, cap=2) == 3  # "2+": one past the cap
    Notification.update(read_at=datetime.datetime(2026, 1, 1)).where(
        Notification.user == user.id
    ).execute()
    assert notifications.unread_count(user) == 0

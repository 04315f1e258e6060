"""core.by_ids: the same records as a plain peewee IN query, whatever the number of ids."""

from accord.core.by_ids import select_by_ids
from accord.core.models import Contact, User


def test_same_records_as_peewee_for_every_size(world):
    people = list(Contact.select().order_by(Contact.id))
    assert len(people) >= 5
    ids = [p.id for p in people]
    fields = (Contact.id, Contact.name, Contact.owner, Contact.deleted_at)
    for n in range(1, len(ids) + 1):
        wanted = ids[:n]
        for picked in ((), fields):
            plain = Contact.select(*picked).where(Contact.id.in_(wanted)).order_by(Contact.id)
            got = sorted(select_by_ids(Contact, wanted, picked), key=lambda c: c.id)
            assert [c.__data__ for c in got] == [c.__data__ for c in plain]
    # Unknown ids, repeats and an empty list.
    assert list(select_by_ids(Contact, [max(ids) + 100])) == []
    assert [c.id for c in select_by_ids(Contact, [ids[0], ids[0], ids[0]])] == [ids[0]]
    assert list(select_by_ids(User, [])) == []


def test_loaded_fields_only(world):
    contact = Contact.select().first()
    (got,) = select_by_ids(Contact, [contact.id], (Contact.id, Contact.name))
    assert got.name == contact.name and "email" not in got.__data__

"""core.by_ids: the same records as a plain peewee IN query, whatever the number of ids."""

from accord.core import rows
from accord.core.by_ids import id_in, read_by_id, select_by_ids
from accord.core.db import database, is_sqlite
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


def test_id_in_is_in_as_one_node(world):
    ids = [c.id for c in Contact.select().order_by(Contact.id)]
    for wanted in ([], ids[:1], ids[:3], ids + [max(ids) + 100]):
        plain = Contact.select(Contact.id).where(Contact.id.in_(wanted or [0]))
        one = Contact.select(Contact.id).where(id_in(Contact.id, wanted))
        assert sorted(c.id for c in one) == sorted(c.id for c in plain)
        _sql, params = database.get_sql_context().sql(one).query()
        assert params == wanted  # one parameter a value, none for an empty list


def test_read_by_id_reads_the_same_rows_by_their_ids(world):
    ids = [c.id for c in Contact.select().order_by(Contact.id)][:4]
    query = Contact.select().where(~Contact.is_organization & id_in(Contact.id, ids))
    by_id = read_by_id(query.order_by(Contact.name))
    sql, params = database.get_sql_context().sql(by_id).query()
    assert ("NOT INDEXED" in sql) == is_sqlite()
    # Still a plain select of one model: built by the row builder, with the same data.
    assert rows._plan(by_id) is not None
    got = rows.model_rows(by_id)
    assert [c.__data__ for c in got] == [c.__data__ for c in query.order_by(Contact.name)]
    if is_sqlite():
        plan = " ".join(r[-1] for r in database.execute_sql("EXPLAIN QUERY PLAN " + sql, params))
        assert "INTEGER PRIMARY KEY" in plan, plan
    # A join is left to the planner.
    org = Contact.alias()
    joined = query.join(org, on=(Contact.organization == org.id))
    assert read_by_id(joined) is joined

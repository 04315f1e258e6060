"""core.rows: the same instances as peewee builds, for every model a list shows."""

from accord.core import rows
from accord.core.db import is_sqlite
from accord.core.models import RECORD_MODELS, Contact, Deal, User
from accord.core.services import records


def same(fast, slow):
    assert [type(r) for r in fast] == [type(r) for r in slow]
    for a, b in zip(fast, slow, strict=True):
        assert a.__data__ == b.__data__
        assert {k: type(v) for k, v in a.__data__.items()} == {
            k: type(v) for k, v in b.__data__.items()
        }
        assert a._dirty == b._dirty == set() and a.__rel__ == b.__rel__ == {}


def test_plain_selects_build_the_same_instances(world):
    admin = world.users["A"]
    records.create(admin, Deal, {"name": "With a value", "value": "12.50", "hot": True})
    checked = 0
    for model in (*RECORD_MODELS.values(), User):
        query = model.select().order_by(model.id)
        assert rows._plan(query) is not None, model  # the fast path is taken
        fast = rows.model_rows(query)
        same(fast, list(query))
        if not fast:
            continue  # (the world has no documents)
        checked += 1
        picked = model.select(model.id, model._meta.sorted_fields[-1]).order_by(model.id)
        same(rows.model_rows(picked), list(picked))
        # The instances behave as peewee's: related records load, saves write.
        fast[0].save()
    assert checked >= len(RECORD_MODELS) - 1
    contact = rows.model_rows(Contact.select().where(Contact.organization.is_null(False)))[0]
    assert contact.organization.id == contact.__data__["organization"]


def test_other_queries_go_through_peewee(world):
    joined = Contact.select(Contact, User).join(User, on=(Contact.owner == User.id))
    dicts = Contact.select().dicts()
    aliased = Contact.select(Contact.name.alias("shown"))
    assert rows.model_rows(dicts) == list(dicts.clone())
    for query in (joined, dicts, aliased):
        assert rows._plan(query) is None
    for query in (joined, aliased):
        got, plain = rows.model_rows(query), list(query.clone())
        assert [c.__data__ for c in got] == [c.__data__ for c in plain]
        assert [c.__rel__.keys() for c in got] == [c.__rel__.keys() for c in plain]
    assert rows.model_rows(aliased)[0].shown


def test_datetime_and_date_text_come_out_as_peewee_reads_them(world):
    """The quick parse of SQLite's text datetimes gives what peewee's converters give,
    for every shape a column may hold (and leaves the odd ones to peewee). PostgreSQL
    returns typed values, which pass unchanged; only its valid shapes are stored."""
    admin = world.users["A"]
    deal = records.create(admin, Deal, {"name": "Dated"})
    valid = [
        ("2026-11-24 20:03:48", "2026-11-24"),
        ("2026-11-24 20:03:48.123456", "2026-02-28"),
        ("2026-11-24 20:03:48.5", "2026-11-24"),
        ("2026-11-24", None),
        (None, None),
    ]
    odd = [
        ("2026-11-24T20:03:48", "2026-W01-1"),
        ("2026-11-24 20:03:48+02:00", "2026-11-24 10:00:00"),
        ("2026-13-24 20:03:48", "not a date"),
    ]
    database = Deal._meta.database
    query = Deal.select().where(Deal.id == deal.id)
    for closed_at, close_date in valid + (odd if is_sqlite() else []):
        database.execute_sql(
            f"UPDATE deal SET closed_at = {database.param}, estimated_close_date = "
            f"{database.param} WHERE id = {database.param}",
            (closed_at, close_date, deal.id),
        )
        same(rows.model_rows(query), list(query.clone()))


def test_custom_documents_are_never_shared_between_rows(world):
    """Small flat JSON documents are parsed once and copied for each row: changing one
    row's custom values leaves the others' (and the next read's) as they were; nested
    values (a multi-select's list) are parsed for each row."""
    admin = world.users["A"]
    database = Deal._meta.database
    made = [records.create(admin, Deal, {"name": f"Doc {n}"}) for n in range(3)]
    ids = [d.id for d in made]
    query = Deal.select().where(Deal.id.in_(ids)).order_by(Deal.id)
    for text in ('{"tier": "Gold"}', '{"tags": ["a", "b"]}'):
        database.execute_sql(
            f"UPDATE deal SET custom = {database.param} WHERE id IN ({', '.join(map(str, ids))})",
            (text,),
        )
        first, second, third = rows.model_rows(query)
        same([first, second, third], list(query.clone()))
        key = next(iter(first.custom))
        first.custom[key] = "changed"
        if isinstance(second.custom[key], list):
            second.custom[key].append("c")
        assert second.custom != first.custom and third.custom == list(query.clone())[2].custom
        assert rows.model_rows(query)[0].custom == list(query.clone())[0].custom

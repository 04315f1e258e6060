"""Reference data: every write to its tables bumps the counter; filter options are held
while it stays the same and read again, in every process, once it moves."""

import pytest

from accord.admin.views import filters
from accord.core import reference_data
from accord.core.db import database, write
from accord.core.models import Pipeline, Source, Stage, Status, Tag, User
from tests.web import login


def test_every_reference_table_has_its_trigger(rt):
    if not reference_data.available():
        pytest.skip("MySQL: no counter, nothing held")
    tables = set(database.get_tables())
    missing = [t for t in reference_data.TABLES if t not in tables]
    assert not missing, f"reference_data.TABLES names tables that do not exist: {missing}"


@pytest.mark.parametrize(
    "write_something",
    [
        lambda w: Source.create(name="Fair"),
        lambda w: Tag.create(name="vip"),
        lambda w: User.update(first_name="Renamed").where(User.id == w.users["N1"].id).execute(),
        lambda w: Status.delete().where(Status.entity_kind == "task").execute(),
        lambda w: Stage.update(name="Talks").where(Stage.id == Stage.select().first().id).execute(),
        lambda w: Pipeline.create(name="Second", position=9),
        # Raw SQL, as the importer writes: the trigger sees it too.
        lambda w: database.execute_sql("UPDATE source SET name = name || ''"),
    ],
)
def test_writes_bump_the_counter(world, write_something):
    if not reference_data.available():
        pytest.skip("MySQL: no counter, nothing held")
    Source.get_or_create(name="Web")
    before = reference_data.version()
    with write():
        write_something(world)
    assert reference_data.version() > before


def test_filter_options_held_until_a_write(app, client, world):
    login(client, world.users["A"].email)
    loads = []
    view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == "contact")
    source_filter = next(f for f in view._filters if str(f.name) == "Source")
    original = source_filter._options

    def counting():
        loads.append(1)
        return original()

    counting.reference = True
    source_filter._options = counting
    held = reference_data.available()
    try:
        with write():  # whatever an earlier test left held is stale now
            Source.create(name="Alpha Source")
        for _ in range(3):
            page = client.get("/admin/contact/").get_data(as_text=True)
            assert "Alpha Source" in page and "Zeta Source" not in page
        assert len(loads) == (1 if held else 3)
        with write():
            Source.create(name="Zeta Source")
        page = client.get("/admin/contact/").get_data(as_text=True)
        assert "Zeta Source" in page  # read again at once: the counter moved
        assert len(loads) == (2 if held else 4)
    finally:
        source_filter._options = original


def test_held_values_are_keyed_by_counter():
    held = reference_data.Held()
    assert held.get("k", 1, lambda: "a") == "a"
    assert held.get("k", 1, lambda: "b") == "a"
    assert held.get("k", 2, lambda: "c") == "c"
    assert held.get("k", None, lambda: "d") == "d"  # no counter: never held
    assert held.get("k", 2, lambda: "e") == "c"
    assert filters.reference_options(lambda: []).reference is True
    for i in range(reference_data.Held.LIMIT + 5):  # bounded, whatever the keys
        held.get(("key", i), 3, lambda i=i: i)
    assert len(held._values) <= reference_data.Held.LIMIT


def test_custom_field_columns_follow_a_new_field(client, world):
    from accord.core.models import CustomField

    login(client, world.users["A"].email)
    assert "Shoe size" not in client.get("/admin/contact/").get_data(as_text=True)
    with write():
        CustomField.create(
            entity_kind="contact", key="shoe", label="Shoe size", type="number", show_in_list=True
        )
    assert "Shoe size" in client.get("/admin/contact/").get_data(as_text=True)
    with write():
        CustomField.update(label="Boot size").where(CustomField.key == "shoe").execute()
    page = client.get("/admin/contact/").get_data(as_text=True)
    assert "Boot size" in page and "Shoe size" not in page


def test_list_owner_and_status_names_follow_renames(client, world):
    from accord.core.models import Contact

    login(client, world.users["A"].email)
    owner = world.users["M"]
    with write():
        Contact.create(name="Held Person", owner=owner.id, status=Status.select().first().id)
    page = client.get("/admin/contact/?search=Held").get_data(as_text=True)
    assert owner.name in page
    with write():
        User.update(first_name="Zebedee", last_name="Quill").where(User.id == owner.id).execute()
        Status.update(name="Brand new status").where(
            Status.id == Status.select().first().id
        ).execute()
    page = client.get("/admin/contact/?search=Held").get_data(as_text=True)
    assert "Zebedee Quill" in page and "Brand new status" in page


def test_deal_list_stage_counts_follow_a_renamed_pipeline(client, world):
    login(client, world.users["A"].email)
    page = client.get("/admin/deal/").get_data(as_text=True)
    assert 'id="stage-counts"' in page and "Renamed pipeline" not in page
    with write():
        Pipeline.update(name="Renamed pipeline").execute()
    page = client.get("/admin/deal/").get_data(as_text=True)
    assert "Renamed pipeline:" in page

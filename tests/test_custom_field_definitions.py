"""Defining and changing custom fields never loses a value."""

import pytest

from accord.core import custom_index, custom_values
from accord.core.models import CustomField, Deal
from accord.core.services import Forbidden, ValidationError, custom_fields, records
from tests.world import make_user


@pytest.fixture
def admin(rt):
    return make_user("Admin", "admin")


def test_define_checks_key_type_and_options(admin):
    with pytest.raises(ValidationError) as error:
        custom_fields.define(admin, "deal", "Bad Key", "Label", "text")
    assert "key" in error.value.errors
    with pytest.raises(ValidationError) as error:
        custom_fields.define(admin, "deal", "level", "Level", "no-such-type")
    assert "type" in error.value.errors
    with pytest.raises(ValidationError) as error:
        custom_fields.define(admin, "deal", "level", "Level", "dropdown", {"choices": []})
    assert "options" in error.value.errors
    field = custom_fields.define(
        admin, "deal", "level", "Level", "dropdown", {"choices": ["Low", "High"]}
    )
    assert field.options["choices"][1]["key"] == "High"
    with pytest.raises(ValidationError):
        custom_fields.define(admin, "deal", "level", "Again", "text")


def test_only_admins_define_fields(rt):
    manager = make_user("Boss", "manager")
    with pytest.raises(Forbidden):
        custom_fields.define(manager, "deal", "x", "X", "text")
    assert not CustomField.select().exists()


def test_type_change_converts_values_or_refuses_with_a_reason(admin):
    field = custom_fields.define(admin, "deal", "size", "Size", "text")
    a = records.create(admin, Deal, {"name": "A", "custom": {"size": "12"}})
    b = records.create(admin, Deal, {"name": "B", "custom": {"size": "large"}})
    with pytest.raises(ValidationError) as error:
        custom_fields.change(admin, field, type="number")
    assert f"#{b.id}" in error.value.errors["type"] and "large" in error.value.errors["type"]
    assert CustomField.get_by_id(field.id).type == "text"
    assert Deal.get_by_id(a.id).custom["size"] == "12"
    records.update(admin, Deal.get_by_id(b.id), {"custom": {"size": "30"}})
    custom_fields.change(admin, CustomField.get_by_id(field.id), type="number")
    assert Deal.get_by_id(a.id).custom["size"] == 12
    assert Deal.get_by_id(b.id).custom["size"] == 30


def test_label_changes_freely_but_the_key_stays(admin):
    field = custom_fields.define(admin, "deal", "region", "Region", "text")
    deal = records.create(admin, Deal, {"name": "A", "custom": {"region": "Mazowsze"}})
    custom_fields.change(admin, field, label="Województwo")
    with pytest.raises(ValidationError):
        custom_fields.change(admin, CustomField.get_by_id(field.id), key="province")
    assert Deal.get_by_id(deal.id).custom == {"region": "Mazowsze"}
    shown = custom_values.display(Deal.get_by_id(deal.id))
    assert [(d.label, text) for d, text in shown] == [("Województwo", "Mazowsze")]


def test_archive_hides_and_restore_brings_values_back(admin):
    field = custom_fields.define(admin, "deal", "score", "Score", "number")
    deal = records.create(admin, Deal, {"name": "A", "custom": {"score": "7"}})
    custom_fields.archive(admin, field)
    assert custom_values.display(Deal.get_by_id(deal.id)) == []
    assert Deal.get_by_id(deal.id).custom == {"score": 7}
    custom_fields.restore(admin, CustomField.get_by_id(field.id))
    assert [text for _, text in custom_values.display(Deal.get_by_id(deal.id))] == ["7"]


def _index_names(db, table):
    if "Postgres" in type(db).__name__:
        rows = db.execute_sql("SELECT indexname FROM pg_indexes WHERE tablename = %s", (table,))
    elif "MySQL" in type(db).__name__:
        rows = db.execute_sql(
            "SELECT index_name FROM information_schema.statistics "
            "WHERE table_schema = DATABASE() AND table_name = %s",
            (table,),
        )
    else:
        rows = db.execute_sql(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?", (table,)
        )
    return {r[0] for r in rows}


def test_filterable_fields_get_an_expression_index_used_by_filters(admin, rt):
    field = custom_fields.define(
        admin, "deal", "budget", "Budget", "currency", {"currency": "EUR"}, filterable=True
    )
    indexed = "MySQL" not in type(rt.db).__name__  # MariaDB: no expression indexes
    assert ("cf_deal_deal_budget" in _index_names(rt.db, "deal")) == indexed
    for amount in ("10", "250", "99.5"):
        records.create(admin, Deal, {"name": amount, "custom": {"budget": amount}})
    value = custom_index.expression(Deal, "budget", "currency")
    names = [d.name for d in Deal.select().where(value > 50).order_by(value)]
    assert names == ["99.5", "250"]
    if "Postgres" in type(rt.db).__name__:
        rt.db.execute_sql("SET enable_seqscan = off")
        try:
            sql, params = Deal.select(Deal.id).where(value > 50).sql()
            plan = rt.db.execute_sql("EXPLAIN " + sql, params).fetchall()
        finally:
            rt.db.execute_sql("SET enable_seqscan = on")
        assert any("cf_deal_deal_budget" in str(row) for row in plan), plan
    elif indexed:
        plan = rt.db.execute_sql(
            "EXPLAIN QUERY PLAN SELECT id FROM deal WHERE json_extract(custom, '$.budget.amount') > 50"
        ).fetchall()
        assert any("cf_deal_deal_budget" in str(row) for row in plan), plan
    custom_fields.archive(admin, field)
    assert "cf_deal_deal_budget" not in _index_names(rt.db, "deal")

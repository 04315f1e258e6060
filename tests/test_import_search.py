"""An import's batches fill the search index by id range (not per-row triggers): the index
must hold exactly what the triggers would have written, and stay in step afterwards."""

from accord.core import search, search_index
from accord.core.db import database
from accord.core.models import Contact, Deal
from accord.plugins.import_csv import run


def _import(user, entity, path, **kwargs):
    return run.run(run.prepare(user, entity, path, **kwargs).id, batch_size=2)


def _index_rows(table):
    fts = search_index.fts_table(table)
    cols = search_index._columns(table)
    stored = database.execute_sql(f"SELECT rowid, {cols} FROM {fts} ORDER BY rowid").fetchall()
    expected = database.execute_sql(
        f"SELECT r.id, {search_index._values(table, 'r')} FROM {table} r ORDER BY r.id"
    ).fetchall()
    return stored, expected


def _triggers():
    return {
        r[0]
        for r in database.execute_sql(
            "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        ).fetchall()
    }


def test_imported_rows_are_searchable_and_the_index_matches_the_rows(world, tmp_path):
    admin = world.users["A"]
    fts = search_index.uses_fts()
    before = _triggers() if fts else None
    path = tmp_path / "people.csv"
    path.write_text(
        "Name,Email,Phone,Company\n"
        "Ann Lee,ann@example.com,+44 1,Quixotic Ltd\n"
        "Bob Ray,bob@example.com,+44 2,Quixotic Ltd\n"
        "Cy Oz,cy@example.com,,Zanzibar Kft\n"
        "Di Ek,bad-address,,\n"
        "Ed Fu,ed@example.com,+44 5,\n",
        encoding="utf-8",
    )
    job = _import(admin, "contact", path)
    assert (job.created, job.failed) == (4, 1)
    found = search.search(admin, "uixotic", kinds=("contact",))["contact"].records
    assert sorted(r.name for r in found) == ["Ann Lee", "Bob Ray"]
    if not fts:
        return  # PostgreSQL: pg_trgm indexes follow the rows by themselves
    stored, expected = _index_rows("contact")
    assert stored == expected
    assert any(r[4] == "Quixotic Ltd" for r in stored)  # a person's company, same batch
    deals = tmp_path / "deals.csv"
    deals.write_text("Deal name,Value\nHarpsichord order,10\nOboe order,20\n", encoding="utf-8")
    _import(admin, "deal", deals)
    stored, expected = _index_rows("deal")
    assert stored == expected and len(stored) >= 2
    assert _triggers() == before  # every trigger is back
    # The triggers work again for hand-made writes after the import.
    ann = Contact.get(Contact.email == "ann@example.com")
    Contact.update(name="Annabel Lee").where(Contact.id == ann.id).execute()
    Deal.delete().where(Deal.name == "Oboe order").execute()
    assert _index_rows("contact")[0] == _index_rows("contact")[1]
    assert _index_rows("deal")[0] == _index_rows("deal")[1]
    run.revert(admin, job)
    stored, expected = _index_rows("contact")
    assert stored == expected
    assert not any(r[2] == "ann@example.com" for r in stored)

"""A list page's skeleton (accord.admin.views.list_skeleton): the page around the rows is
rendered once per user and URL, and what changes with the data still changes."""

import gc
import re

import pytest

from accord.admin.views import list_skeleton
from accord.admin.views.filters import ChoiceFilter, user_options
from accord.core.db import write
from accord.core.models import Contact, Deal, Lead, Status, Tag, Task, User
from accord.core.services import records
from tests.web import login
from tests.world import make_user

_NONCE = re.compile(r'nonce="[^"]+"')
_TOKEN = re.compile(r'(name="csrf_token" value=|csrf=|data-csrf=)"[^"]*"')


def normal(html):
    return _TOKEN.sub(r'\1"T"', _NONCE.sub('nonce="N"', html))


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def whole(client, url, monkeypatch):
    """The page rendered whole, as without skeletons."""
    with monkeypatch.context() as m:
        m.setattr(list_skeleton, "_key", lambda *args: None)
        return page(client, url)


def held(app):
    return app.extensions["accord_list_skeletons"]._values


@pytest.fixture(autouse=True)
def no_skeletons(app):
    """The app lives as long as the test run: start each test without skeletons."""
    app.extensions.pop("accord_list_skeletons", None)


@pytest.fixture
def boss(rt):
    boss = make_user("Boss", "admin")
    with write():
        for n in range(55):
            records.create(boss, Contact, {"first_name": "Row", "last_name": f"Number {n}"})
        for n in range(3):
            records.create(boss, Lead, {"first_name": "Lead", "last_name": f"L{n}"})
            records.create(boss, Task, {"content": f"Call {n}"}, owner=boss.id)
            records.create(boss, Deal, {"name": f"Deal {n}"})
    return boss


URLS = [
    "/admin/contact/",
    "/admin/contact/?page=1",  # the numbered pager on its second page
    "/admin/contact/?sort=0&desc=1&page_size=20",
    "/admin/contact/?search=nobody-is-called-this",  # the empty list
    "/admin/lead/",
    "/admin/deal/",  # per-stage counts
    "/admin/task/",  # the task tabs
    "/admin/company/",
    "/admin/user/",
]


def test_a_filled_page_is_the_whole_page(app, client, boss, monkeypatch):
    login(client, boss.email)
    for url in URLS:
        first, filled = page(client, url), page(client, url)
        assert normal(first) == normal(filled) == normal(whole(client, url, monkeypatch)), url
    assert len(held(app)) == len(URLS)  # one skeleton each, reused
    assert all(parts is not None for _version, parts in held(app).values())


def test_the_rows_count_pager_bell_and_stage_counts_follow_the_data(app, client, boss):
    login(client, boss.email)
    before = page(client, "/admin/lead/")
    assert "List (3)" in before and "Zebedee" not in before
    deals = page(client, "/admin/deal/")
    assert "accord-bell-count" not in before
    someone = make_user("Ann", "admin")
    records.create(boss, Lead, {"first_name": "Zebedee", "last_name": "Newcomer"})
    records.create(someone, Task, {"content": "For the boss"}, owner=boss.id)
    records.create(boss, Deal, {"name": "One more"})
    after = page(client, "/admin/lead/")
    assert "List (4)" in after and "Zebedee" in after
    assert re.search(r'id="accord-bell-count">1<', after)
    stage_counts = re.compile(r'id="stage-counts">.*?</div>', re.S)
    assert stage_counts.search(page(client, "/admin/deal/")).group() != (
        stage_counts.search(deals).group()
    )
    # 55 contacts on pages of 50: a second page appears in the pager, then a third.
    assert "?page=1" in page(client, "/admin/contact/")
    with write():
        for n in range(50):
            records.create(boss, Contact, {"first_name": "More", "last_name": f"M{n}"})
    assert "?page=2" in page(client, "/admin/contact/")
    assert len(held(app)) == 3  # the lead, deal and contact lists: one skeleton each
    assert all(parts is not None for _version, parts in held(app).values())


def test_reference_data_and_the_user_show_at_once(client, boss):
    login(client, boss.email)
    assert "Platinum" not in page(client, "/admin/contact/")
    with write():
        Tag.create(name="Platinum")
        User.update(first_name="Bossman").where(User.id == boss.id).execute()
    shown = page(client, "/admin/contact/")
    assert "Platinum" in shown  # the tag filter's options
    assert re.search(r'class="accord-user[^"]*"[^>]*>Bossman World<', shown)  # the navbar


def test_every_page_has_its_own_nonce_and_a_working_token(client, boss):
    login(client, boss.email)
    nonces = []
    for _ in range(3):
        response = client.get("/admin/lead/")
        html = response.get_data(as_text=True)
        nonce = response.headers["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
        assert set(re.findall(r'nonce="([^"]+)"', html)) == {nonce}
        nonces.append(nonce)
    assert len(set(nonces)) == 3
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    lead = Lead.select().where(Lead.last_name == "L0").get()
    data = {"action": "delete", "rowid": [str(lead.id)], "csrf_token": token}
    assert client.post("/admin/lead/action/", data=data).status_code == 302
    assert Lead.get_by_id(lead.id).deleted_at is not None


def test_users_do_not_share_a_skeleton(app, boss):
    make_user("Ann", "normal")
    pages = {}
    for email in (boss.email, "ann@world.test"):
        client = app.test_client()
        login(client, email)
        page(client, "/admin/lead/")
        pages[email] = page(client, "/admin/lead/")
    for email, name in ((boss.email, "Boss World"), ("ann@world.test", "Ann World")):
        shown = re.search(r'class="accord-user[^"]*"[^>]*>([^<]*)<', pages[email]).group(1)
        assert shown == name


def test_a_message_to_flash_renders_the_page_whole(app, client, boss):
    login(client, boss.email)
    view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == "deal")
    created = next(
        key
        for key, (_index, flt) in view._filter_args.items()
        if str(flt.name) == "Created" and str(flt.operation()) == "between"
    )
    url = f"/admin/deal/?flt0_{created}=not+a+date"
    # A date typed wrong: the list says so (a flashed message) and leaves the filter out.
    for _ in range(2):  # each time: the page is not held without its message
        assert page(client, url).count("Invalid Filter Value") == 1
    assert "Invalid Filter Value" not in page(client, "/admin/deal/")


def test_filters_with_options_from_elsewhere_keep_the_page_whole(app):
    class View:
        _filters = [ChoiceFilter(Lead.status, "Status", lambda: [(1, "Open")])]

    assert not list_skeleton.fixed_chrome(View())
    View._filters = [ChoiceFilter(Lead.owner, "Owner", user_options)]
    assert list_skeleton.fixed_chrome(View())
    View.list_skeleton = False
    assert not list_skeleton.fixed_chrome(View())
    # Every list Accord ships is held: a new filter must say where its options come from.
    views = [v for v in app.extensions["admin"][0]._views if hasattr(v, "_filters")]
    assert len(views) > 10
    assert [v.endpoint for v in views if not list_skeleton.fixed_chrome(v)] == []


def test_inline_editors_follow_the_reference_data(client, boss):
    login(client, boss.email)
    page(client, "/admin/lead/")  # the status column's editor is now held
    assert "Freshly renamed" not in page(client, "/admin/lead/")
    with write():
        status = Status.select().where(Status.entity_kind == "lead").first()
        Status.update(name="Freshly renamed").where(Status.id == status.id).execute()
    shown = page(client, "/admin/lead/")
    editors = re.findall(r'data-source="([^"]*)"', shown)
    assert editors and all("Freshly renamed" in source for source in editors)
    # Each page's editors carry that page's own token, as the rest of the page.
    tokens = set(re.findall(r'data-csrf="([^"]*)"', shown))
    assert tokens == set(re.findall(r'name="csrf_token" value="([^"]+)"', shown))


def test_a_row_action_of_its_own_is_rendered_per_row(app, client, boss, monkeypatch):
    from flask_admin.model.template import LinkRowAction

    view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == "lead")
    extra = [LinkRowAction("fa fa-star", "/admin/lead/details/?id={row_id}&star=1")]
    monkeypatch.setattr(view, "column_extra_row_actions", extra, raising=False)
    login(client, boss.email)
    html = page(client, "/admin/lead/")
    for lead in Lead.select().where(Lead.deleted_at.is_null()):
        assert f"/admin/lead/details/?id={lead.id}&amp;star=1" in html
        assert f'name="rowid" class="action-checkbox" value="{lead.id}"' in html
    assert html.count("fa fa-star") == Lead.select().where(Lead.deleted_at.is_null()).count()


def test_row_buttons_are_rendered_once_and_carry_each_sessions_token(app, boss, monkeypatch):
    from flask_admin.model.template import DeleteRowAction

    renders = []
    upstream = DeleteRowAction.render
    monkeypatch.setattr(
        DeleteRowAction, "render", lambda self, *a: renders.append(1) or upstream(self, *a)
    )
    make_user("Ann", "admin")
    tokens = []
    for email in (boss.email, "ann@world.test"):
        client = app.test_client()
        login(client, email)  # a login changes reference data (the user's row)
        renders.clear()
        for _ in range(2):
            html = page(client, "/admin/contact/?sort=0")
            delete = r'<form class="icon" method="POST" action="/admin/contact/delete/">'
            assert len(re.findall(delete, html)) == 25
            # Every delete form carries this page's own token and its row's id...
            page_token = set(re.findall(r'name="csrf_token" value="([^"]+)"', html))
            assert len(page_token) == 1, page_token
            ids = re.findall(r'name="id" type="hidden" value="(\d+)"', html)
            assert ids == re.findall(r'class="action-checkbox" value="(\d+)"', html)
        assert renders == [1]  # built for the first page, held for the second
        tokens.append(page_token.pop())
        # ... and deletes that row.
        victim = int(ids[0])
        data = {"id": str(victim), "url": "/admin/contact/", "csrf_token": tokens[-1]}
        assert client.post("/admin/contact/delete/", data=data).status_code == 302
        assert Contact.get_by_id(victim).deleted_at is not None
    assert tokens[0] != tokens[1]


def test_each_row_shows_its_own_owner(app, client, boss):
    """The owner column: each row its owner's name, escaped, or "Unassigned" (names are
    worked out once per owner and page)."""
    eve = make_user("Eve", "normal")
    User.update(first_name="<b>Eve</b>").where(User.id == eve.id).execute()
    with write():
        for n in range(6):
            owner = (eve, None, boss)[n % 3]
            records.create(boss, Lead, {"last_name": f"Owned {n}"}, owner=owner)
    login(client, boss.email)
    html = page(client, "/admin/lead/?page_size=100&sort=0")
    rows = re.findall(
        r'<td class="col-name">([^<]*)</td>.*?<td class="col-owner">(.*?)</td>', html, re.S
    )
    shown = {name: owner for name, owner in rows if name.startswith("Owned ")}
    assert len(shown) == 6
    for n in range(6):
        expected = ("&lt;b&gt;Eve&lt;/b&gt; World", "Unassigned", "Boss World")[n % 3]
        assert expected in shown[f"Owned {n}"], (n, shown[f"Owned {n}"])
    assert "<b>Eve</b>" not in html


@pytest.mark.parametrize("url", ["/admin/deal/", "/admin/contact/", "/admin/task/"])
def test_a_filled_page_leaves_no_cycle_holding_its_rows(client, boss, url):
    """Filling a skeleton leaves nothing for the garbage collector: the page's rows and
    its template context are freed when the request ends. (A holes module imported with
    context held them in a cycle: on every page a few hundred objects, and a collection
    of them every dozen pages, a tenth of a deal page.)"""
    from jinja2.runtime import Context
    from peewee import Model

    for n in range(3):
        records.create(boss, Deal, {"name": f"Cycle deal {n}"})
        records.create(boss, Contact, {"last_name": f"Cycle {n}"})
        records.create(boss, Task, {"content": f"Cycle task {n}"})
    login(client, boss.email)
    page(client, url)  # the skeleton is rendered (once) and held
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        assert "Cycle" in page(client, url)  # filled
        gc.collect()
        left = [o for o in gc.garbage if isinstance(o, (Model, Context))]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert left == []


def test_a_role_change_shows_at_once_in_the_actions(app, boss):
    """Bulk actions, row buttons and the list's arguments are held per user; a user's
    new role (reference data) shows on the next page."""
    ann = make_user("Ann", "normal")
    with write():
        records.create(ann, Lead, {"last_name": "Anns own"}, owner=ann.id)
    client = app.test_client()
    login(client, ann.email)
    bulk_delete = "modelActions.execute('delete')"
    row_delete = 'action="/admin/lead/delete/"'
    for _ in range(2):
        html = page(client, "/admin/lead/?sort=0")
        assert bulk_delete in html and row_delete in html
    with write():
        User.update(role="restricted").where(User.id == ann.id).execute()
    html = page(client, "/admin/lead/?sort=0")
    assert bulk_delete not in html and row_delete not in html
    assert "Anns own" in html  # still listed: only what may be done with it changed

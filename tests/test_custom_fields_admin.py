"""Custom fields through the back office: settings, forms, lists, filters, sort, export."""

import csv
import io
import re

import pytest

from accord.core.models import CustomField, Deal
from accord.core.services import custom_fields
from accord.core.services.records import default_stage
from tests.web import csrf_token, login


@pytest.fixture
def admin_client(app, world):
    client = app.test_client()
    login(client, "a@world.test")
    return client


def define_via_settings(client, **fields):
    data = {
        "csrf_token": csrf_token(client, "/admin/custom_field/new/"),
        "entity_kind": "deal",
        "position": "0",
    }
    data.update(fields)
    return client.post("/admin/custom_field/new/", data=data)


def test_admin_defines_a_coloured_dropdown_in_settings(admin_client):
    response = define_via_settings(
        admin_client,
        key="level",
        label="Level",
        type="dropdown",
        show_in_list="y",
        filterable="y",
        choices_text="Gold; GLD; #000000; #ffd700\nSilver; SLV\nBronze",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    field = CustomField.get(CustomField.key == "level")
    assert [c["label"] for c in field.options["choices"]] == ["Gold", "Silver", "Bronze"]
    assert field.options["choices"][0]["background_color"] == "#ffd700"


def test_bad_choices_come_back_with_a_clear_message_and_the_input_kept(admin_client):
    response = define_via_settings(
        admin_client, key="level", label="Level", type="dropdown", choices_text="Gold; G; red"
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Colours look like #1a2b3c." in html
    assert "Gold; G; red" in html
    assert not CustomField.select().exists()


def test_non_admin_cannot_open_custom_field_settings(app, world):
    client = app.test_client()
    login(client, "m@world.test")
    assert client.get("/admin/custom_field/").status_code == 403


@pytest.fixture
def deal_fields(world):
    admin = world.A
    custom_fields.define(
        admin,
        "deal",
        "level",
        "Level",
        "dropdown",
        {
            "choices": [
                {"label": "Gold", "abbreviation": "GLD", "background_color": "#ffd700"},
                "Silver",
            ]
        },
        show_in_list=True,
        filterable=True,
    )
    custom_fields.define(
        admin, "deal", "signed", "Signed on", "date", show_in_list=True, filterable=True
    )
    custom_fields.define(
        admin, "deal", "seats", "Seats", "number", show_in_list=True, filterable=True
    )
    custom_fields.define(admin, "deal", "notes_x", "Remark", "text")
    return admin


def create_deal(client, name, **custom):
    data = {
        "csrf_token": csrf_token(client, "/admin/deal/new/"),
        "name": name,
        "value": "100",
        "currency": "EUR",
        "stage": str(default_stage().id),
    }
    data.update({f"custom__{k}": v for k, v in custom.items()})
    return client.post("/admin/deal/new/", data=data)


def test_form_shows_validates_and_saves_custom_values(admin_client, deal_fields):
    form = admin_client.get("/admin/deal/new/").get_data(as_text=True)
    for key in ("custom__level", "custom__signed", "custom__seats", "custom__notes_x"):
        assert f'name="{key}"' in form
    bad = create_deal(admin_client, "Bad one", level="Gold", seats="many", signed="2026-02-30")
    html = bad.get_data(as_text=True)
    assert bad.status_code == 200
    assert "Enter a number" in html and "Enter a date as YYYY-MM-DD." in html
    assert 'value="Bad one"' in html  # nothing the user typed is lost
    assert not Deal.select().where(Deal.name == "Bad one").exists()
    good = create_deal(
        admin_client, "Good one", level="Gold", seats="12", signed="2026-03-01", notes_x="VIP"
    )
    assert good.status_code == 302
    deal = Deal.get(Deal.name == "Good one")
    assert deal.custom == {"level": "Gold", "seats": 12, "signed": "2026-03-01", "notes_x": "VIP"}
    edit = admin_client.get(f"/admin/deal/edit/?id={deal.id}").get_data(as_text=True)
    assert 'value="2026-03-01"' in edit and 'value="12"' in edit


def test_list_shows_filters_sorts_searches_and_exports_custom_values(admin_client, deal_fields):
    create_deal(
        admin_client, "Alpha", level="Gold", seats="30", signed="2026-01-10", notes_x="red fox"
    )
    create_deal(admin_client, "Beta", level="Silver", seats="5", signed="2026-05-01")
    create_deal(admin_client, "Gamma", seats="100")
    page = admin_client.get("/admin/deal/?search=Alpha").get_data(as_text=True)
    assert "GLD" in page and "#ffd700" in page  # the coloured badge
    view_filters = admin_client.get("/admin/deal/").get_data(as_text=True)
    assert "Level" in view_filters and "Seats" in view_filters

    def names(query):
        html = admin_client.get("/admin/deal/?" + query).get_data(as_text=True)
        return [n for n in ("Alpha", "Beta", "Gamma") if n in html]

    # Filter indices: the view's own filters come first; find ours by label and kind.
    view = next(
        v for v in admin_client.application.extensions["admin"][0]._views if v.endpoint == "deal"
    )
    args = {}
    with admin_client.application.test_request_context("/admin/deal/"):
        for index, flt in enumerate(view._filters):
            args.setdefault((str(flt.name), type(flt).__name__), view.get_filter_arg(index, flt))
    level_eq = args[("Level", "FilterEqual")]
    seats_gt = args[("Seats", "FloatGreaterFilter")]
    signed_after = args[("Signed on", "DateAfter")]
    assert names(f"flt0_{level_eq}=Gold") == ["Alpha"]
    assert names(f"flt0_{seats_gt}=10") == ["Alpha", "Gamma"]
    assert names(f"flt0_{signed_after}=2026-03-01") == ["Beta"]
    assert names("search=fox") == ["Alpha"]

    html = admin_client.get("/admin/deal/").get_data(as_text=True)
    columns = html.split("<thead", 1)[1].split("</thead>", 1)[0]
    assert "Seats" in columns
    # Sort by the Seats column: numbers sort as numbers (5 < 30 < 100).
    link = re.search(r'href="[^"]*[?&]sort=(\d+)[^"]*"[^>]*>\s*Seats', columns)
    assert link, "the Seats column is sortable"
    html = admin_client.get(f"/admin/deal/?sort={link.group(1)}").get_data(as_text=True)
    assert sorted(("Alpha", "Beta", "Gamma"), key=html.find) == ["Beta", "Alpha", "Gamma"]
    export = admin_client.get("/admin/deal/export/csv/").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(export.lstrip("\ufeff"))))
    alpha = next(r for r in rows if r.get("name") == "Alpha")
    assert alpha["custom.level"] == "Gold" and alpha["custom.seats"] == "30"
    assert alpha["custom.signed"] == "2026-01-10"
    assert alpha["custom.notes_x"] == "red fox"


def test_labels_and_choice_names_are_inert(admin_client, world):
    payload = '<img src=x onerror="alert(1)">'
    custom_fields.define(
        world.A,
        "deal",
        "xss",
        payload,
        "dropdown",
        {"choices": [{"label": payload, "abbreviation": payload, "background_color": "#ff0000"}]},
        show_in_list=True,
        filterable=True,
    )
    create_deal(admin_client, "Inert", xss=payload)
    for url in ("/admin/deal/", "/admin/deal/new/", "/admin/custom_field/"):
        html = admin_client.get(url).get_data(as_text=True)
        assert payload not in html, url


def test_datasheet_shows_custom_values(admin_client, deal_fields):
    create_deal(admin_client, "Shown", level="Silver", seats="7", signed="2026-04-02")
    deal = Deal.get(Deal.name == "Shown")
    html = admin_client.get(f"/admin/deal/details/?id={deal.id}").get_data(as_text=True)
    assert "Level" in html and "Silver" in html and "Seats" in html


def test_a_plugin_field_type_works_end_to_end(session_runtime, rt, monkeypatch, tmp_path):
    """The example plugin's "rating" type, installed through an entry point: definition,
    form, validation, list, filter and export."""
    from tests.plugin_example.support import example_runtime, install_example
    from tests.test_plugins import example_app
    from tests.world import build_world

    install_example(monkeypatch, tmp_path)
    with example_runtime(session_runtime) as runtime:
        app = example_app(runtime)
        world = build_world()
        custom_fields.define(
            world.A, "deal", "stars", "Stars", "rating", show_in_list=True, filterable=True
        )
        client = app.test_client()
        login(client, "a@world.test")
        assert 'name="custom__stars"' in client.get("/admin/deal/new/").get_data(as_text=True)
        bad = create_deal(client, "Rated badly", stars="9")
        assert "Enter a rating from 1 to 5." in bad.get_data(as_text=True)
        assert create_deal(client, "Rated", stars="4").status_code == 302
        assert Deal.get(Deal.name == "Rated").custom["stars"] == 4
        listed = client.get("/admin/deal/?search=Rated").get_data(as_text=True)
        assert "\u2605\u2605\u2605\u2605\u2606" in listed
        view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == "deal")
        with app.test_request_context("/admin/deal/"):
            arg = next(
                view.get_filter_arg(i, f)
                for i, f in enumerate(view._filters)
                if str(f.name) == "Stars" and type(f).__name__ == "TypedEqual"
            )
        assert "Rated" in client.get(f"/admin/deal/?flt0_{arg}=4").get_data(as_text=True)
        export = client.get("/admin/deal/export/csv/").get_data(as_text=True)
        rows = csv.DictReader(io.StringIO(export.lstrip("\ufeff")))
        row = next(r for r in rows if r["name"] == "Rated")
        assert row["custom.stars"] == "4"


def test_tags_on_records_through_form_list_filter_and_export(admin_client, world):
    from accord.core.models import Tag
    from accord.core.services import tags

    vip, cold = Tag.create(name="VIP"), Tag.create(name="Cold")
    data = {
        "csrf_token": csrf_token(admin_client, "/admin/deal/new/"),
        "name": "Tagged deal",
        "value": "1",
        "currency": "EUR",
        "stage": str(default_stage().id),
        "tags": [str(vip.id), str(cold.id)],
    }
    assert admin_client.post("/admin/deal/new/", data=data).status_code == 302
    deal = Deal.get(Deal.name == "Tagged deal")
    assert tags.tag_ids(deal) == sorted([vip.id, cold.id])
    view = next(
        v for v in admin_client.application.extensions["admin"][0]._views if v.endpoint == "deal"
    )
    with admin_client.application.test_request_context("/admin/deal/"):
        arg = next(
            view.get_filter_arg(i, f)
            for i, f in enumerate(view._filters)
            if type(f).__name__ == "TagFilter"
        )
    listed = admin_client.get(f"/admin/deal/?flt0_{arg}={vip.id}").get_data(as_text=True)
    assert "Tagged deal" in listed and "Deal of N1" not in listed and ">VIP<" in listed
    # Each row's own tags, escaped, and none on the rows without.
    Tag.update(name="<i>Cold</i>").where(Tag.id == cold.id).execute()
    listed = admin_client.get("/admin/deal/?page_size=100").get_data(as_text=True)
    badges = re.findall(r'<td class="col-tags">(.*?)</td>', listed)
    assert len(badges) == Deal.select().where(Deal.deleted_at.is_null()).count()
    badge = '<span class="badge badge-light border">{}</span>'
    tagged = badge.format("&lt;i&gt;Cold&lt;/i&gt;") + " " + badge.format("VIP")
    assert sorted(badges) == sorted([tagged] + [""] * (len(badges) - 1))
    Tag.update(name="Cold").where(Tag.id == cold.id).execute()
    export = admin_client.get("/admin/deal/export/csv/").get_data(as_text=True)
    rows = csv.DictReader(io.StringIO(export.lstrip("\ufeff")))
    row = next(r for r in rows if r["name"] == "Tagged deal")
    assert row["tags"] == "Cold, VIP"
    # Removing one tag in the edit form keeps the other, and the history records it.
    edit = {
        "csrf_token": csrf_token(admin_client, f"/admin/deal/edit/?id={deal.id}"),
        "name": "Tagged deal",
        "value": "1",
        "currency": "EUR",
        "stage": str(deal.stage_id),
        "tags": [str(vip.id)],
    }
    assert admin_client.post(f"/admin/deal/edit/?id={deal.id}", data=edit).status_code == 302
    assert tags.tag_ids(deal) == [vip.id]


def test_unknown_tags_are_refused_by_the_service(world):
    from accord.core.services import ValidationError, records

    with pytest.raises(ValidationError) as error:
        records.create(world.A, Deal, {"name": "X", "tags": ["no-such-tag"]})
    assert "tags" in error.value.errors

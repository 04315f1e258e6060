"""The built-in custom-field types and custom values through the service layer."""

import datetime as dt
from decimal import Decimal

import pytest

from accord.core import custom_values
from accord.core.default_field_types import BUILT_IN, MAX_CHOICES
from accord.core.fields import FieldError
from accord.core.models import Contact, CustomField, Deal, Lead
from accord.core.services import ValidationError, records
from tests.world import make_user

TYPES = {cls.name: cls for cls in BUILT_IN}


def make(type_name, **options):
    cls = TYPES[type_name]
    definition = CustomField(entity_kind="deal", key="k", label="K", type=type_name)
    definition.options = (
        cls.clean_options(options)
        if options
        or type_name
        in (
            "dropdown",
            "multiselect",
        )
        else cls.clean_options({})
    )
    return cls(definition)


COLOURS = {
    "choices": [
        {
            "label": "Gold",
            "abbreviation": "GLD",
            "font_color": "#000000",
            "background_color": "#ffd700",
        },
        {"label": "Silver", "key": "ag"},
        "Bronze",
    ]
}

# type, options, valid input, expected value, invalid input
CASES = [
    ("text", {}, "  Ayşe Yılmaz ", "Ayşe Yılmaz", "two\nlines"),
    ("paragraph", {}, "two\nlines", "two\nlines", "x" * 20001),
    ("checkbox", {}, "yes", True, "perhaps"),
    ("date", {}, "2026-02-28", dt.date(2026, 2, 28), "2026-02-30"),
    ("dropdown", COLOURS, "silver", "ag", "Platinum"),
    ("multiselect", COLOURS, "Gold; Bronze", ["Gold", "Bronze"], "Gold; Tin"),
    ("email", {}, "Zofia@Example.PL", "Zofia@example.pl", "not-an-email"),
    ("phone", {"region": "TR"}, "0532 123 45 67", "+905321234567", "12"),
    ("url", {}, "example.com/path", "https://example.com/path", "javascript:alert(1)"),
    ("number", {}, "1 234.5", Decimal("1234.5"), "twelve"),
    (
        "currency",
        {"currency": "HUF"},
        "1250.5",
        {"amount": Decimal("1250.50"), "currency": "HUF"},
        "12 ZZZ",
    ),
    (
        "address",
        {},
        "Kossuth tér 1\nBudapest\n1055\n\nHungary",
        {
            "street": "Kossuth tér 1",
            "city": "Budapest",
            "postal_code": "1055",
            "region": "",
            "country": "Hungary",
        },
        "a\nb\nc\nd\ne\nf",
    ),
]


def test_twelve_built_in_types():
    assert len(TYPES) == 12


@pytest.mark.parametrize(("name", "options", "good", "expected", "bad"), CASES)
def test_type_parses_stores_formats_and_round_trips(name, options, good, expected, bad):
    ftype = make(name, **options)
    value = ftype.parse(good)
    assert value == expected
    stored = ftype.to_storage(value)
    assert ftype.from_storage(stored) == value
    # CSV export, then import, gives the same value back.
    assert ftype.from_csv(ftype.to_csv(value)) == value
    assert ftype.format(value, "fr") != "" or value is False
    assert ftype.parse("") is None or name == "checkbox"
    with pytest.raises(FieldError) as error:
        ftype.parse(bad)
    assert str(error.value)


def test_numbers_and_dates_are_stored_to_sort_in_sql():
    assert make("number").to_storage(Decimal("12")) == 12
    assert (
        make("currency").to_storage({"amount": Decimal("3.50"), "currency": "EUR"})["amount"] == 3.5
    )
    assert make("date").to_storage(dt.date(2026, 1, 2)) == "2026-01-02"


def test_choices_are_limited_and_checked():
    with pytest.raises(FieldError):
        TYPES["dropdown"].clean_options({"choices": [f"c{i}" for i in range(MAX_CHOICES + 1)]})
    assert (
        len(
            TYPES["dropdown"].clean_options({"choices": [f"c{i}" for i in range(MAX_CHOICES)]})[
                "choices"
            ]
        )
        == MAX_CHOICES
    )
    with pytest.raises(FieldError):
        TYPES["dropdown"].clean_options({"choices": ["A", "a"]})
    with pytest.raises(FieldError):
        TYPES["dropdown"].clean_options({"choices": [{"label": "x", "font_color": "red;}"}]})


def test_money_and_phone_display_by_locale():
    assert (
        make("currency", currency="EUR").format(
            {"amount": Decimal("1234.5"), "currency": "EUR"}, "de"
        )
        == "1.234,50\xa0€"
    )
    assert make("phone").format("+905321234567") == "+90 532 123 45 67"


def define(kind, key, type_name, required=False, **options):
    cls = TYPES[type_name]
    return CustomField.create(
        entity_kind=kind,
        key=key,
        label=key.title(),
        type=type_name,
        required=required,
        options=cls.clean_options(options),
    )


def test_service_validates_and_stores_custom_values(rt):
    admin = make_user("Admin", "admin")
    define("deal", "onboarding", "dropdown", choices=["Pending", "Done"])
    define("deal", "budget", "currency", currency="EUR")
    deal = records.create(
        admin, Deal, {"name": "D", "custom": {"onboarding": "pending", "budget": "99.9"}}
    )
    deal = Deal.get_by_id(deal.id)
    assert deal.custom == {"onboarding": "Pending", "budget": {"amount": 99.9, "currency": "EUR"}}
    with pytest.raises(ValidationError) as error:
        records.update(admin, deal, {"custom": {"onboarding": "Maybe", "budget": "x"}})
    assert set(error.value.errors) == {"custom.onboarding", "custom.budget"}
    assert Deal.get_by_id(deal.id).custom["onboarding"] == "Pending"
    records.update(admin, deal, {"custom": {"onboarding": ""}})
    assert "onboarding" not in Deal.get_by_id(deal.id).custom


def test_unknown_custom_keys_are_refused_not_dropped(rt):
    admin = make_user("Admin", "admin")
    before = Deal.select().count()
    with pytest.raises(ValidationError) as error:
        records.create(admin, Deal, {"name": "D", "custom": {"x": 1}})
    assert "custom.x" in error.value.errors
    assert Deal.select().count() == before


def test_required_custom_field_and_companies_have_their_own_fields(rt):
    admin = make_user("Admin", "admin")
    define("company", "vat", "text", required=True)
    with pytest.raises(ValidationError) as error:
        records.create(admin, Contact, {"is_organization": True, "name": "Acme"})
    assert "custom.vat" in error.value.errors
    company = records.create(
        admin, Contact, {"is_organization": True, "name": "Acme", "custom": {"vat": "HU1"}}
    )
    # People are "contact" entities: the company's required field does not apply to them.
    person = records.create(admin, Contact, {"last_name": "Kovács", "organization": company.id})
    assert (
        custom_values.entity_kind(company) == "company"
        and custom_values.entity_kind(person) == "contact"
    )


def test_archived_values_are_kept_and_shown(rt):
    admin = make_user("Admin", "admin")
    field = define("lead", "score", "number")
    lead = records.create(admin, Lead, {"last_name": "Nowak", "custom": {"score": "7"}})
    field.archived_at = dt.datetime(2026, 1, 1)
    field.save()
    records.update(admin, lead, {"first_name": "Anna"})
    assert Lead.get_by_id(lead.id).custom == {"score": 7}
    with pytest.raises(ValidationError):
        records.update(admin, lead, {"custom": {"score": "8"}})
    assert custom_values.display(Lead.get_by_id(lead.id)) == []

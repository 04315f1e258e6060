"""The field-type protocol for custom fields; concrete types come from `accord_field_types`.

A type turns user input (a form, the API, a CSV cell) into a Python value, stores it in the
record's `custom` JSON column in a form that sorts and filters in SQL (numbers as JSON
numbers, dates as ISO text), and shows it again by the user's locale.
"""

from wtforms import StringField
from wtforms.validators import Optional

from accord.core.i18n import lazy_gettext as _


class FieldError(ValueError):
    """A value a field type refuses, with a message fit to show the user."""


class FieldType:
    """Base class: parse user input, store it in the record's JSON, show it again."""

    name = None
    label = None
    # Filter operators this type offers in lists, by name.
    operators = ("eq", "ne", "empty", "not_empty")

    def __init__(self, definition=None):
        self.definition = definition
        self.options = (definition.options if definition is not None else None) or {}

    @classmethod
    def clean_options(cls, options):
        """Validate a definition's options (choices, currency …); returns them cleaned."""
        return dict(options or {})

    def parse(self, raw):
        """User or CSV input -> the Python value, or FieldError; None for empty input."""
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        return self.parse_value(raw.strip() if isinstance(raw, str) else raw)

    def parse_value(self, raw):
        return raw

    def to_storage(self, value):
        """Python value -> JSON-safe value."""
        return value

    def from_storage(self, stored):
        return stored

    def format(self, value, locale="en"):
        """Text shown in lists and datasheets."""
        return "" if value is None else str(value)

    def to_csv(self, value):
        return self.format(value)

    def from_csv(self, text):
        return self.parse(text)

    def to_form(self, value):
        """The value as the form field shows it."""
        return "" if value is None else self.to_csv(value)

    def form_field(self, label, required=False, description=""):
        """An unbound wtforms field; the service parses what it returns."""
        return StringField(label, validators=[Optional()], description=description)


def required_message():
    return _("This field is required.")


_registry = {}


def set_registry(registry):
    """The running registry of field types (set when a runtime is activated)."""
    global _registry
    _registry = registry


def registry():
    return _registry


def field_type(definition):
    """The type instance for a CustomField definition."""
    cls = _registry.get(definition.type)
    if cls is None:
        raise FieldError(_("Unknown field type %(name)s.", name=definition.type))
    return cls(definition)

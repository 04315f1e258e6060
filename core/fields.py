"""The field-type protocol for custom fields; concrete types come from `accord_field_types`."""

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


def required_message():
    return _("This field is required.")

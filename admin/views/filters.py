"""List filters on foreign keys (owner, status, stage, pipeline, source …).

Flask-Admin cannot filter a foreign key by name ("Unsupported filter type",
STACK-NOTES) and computes filter options once at start-up. These filters compare the
key column with an id chosen from options read fresh on each request, and refuse any
value that is not one of them.
"""

from flask import g, has_request_context
from flask_admin.contrib.peewee.filters import BasePeeweeFilter
from flask_babel import lazy_gettext as _l

from accord.admin.views.lookups import parse_id
from accord.admin.views.reference import held_options, reference_options
from accord.core.models import User


class ChoiceFilter(BasePeeweeFilter):
    """column == one of the ids `options()` returns ([(id, label), …])."""

    def __init__(self, column, name, options):
        super().__init__(column, name, options=None)
        self._options = options

    def get_options(self, view):
        if not has_request_context():
            return None  # start-up: no database reads; filled per request
        # Read once per request: the filter bar and the check of a chosen value both ask.
        memo = g.setdefault("_accord_filter_options", {})
        if id(self) not in memo:
            if getattr(self._options, "reference", False):
                options = held_options(self._options)
            else:
                options = [(str(key), str(label)) for key, label in self._options()]
            memo[id(self)] = (self, options)
        return memo[id(self)][1]

    def clean(self, value):
        number = parse_id(value)
        if number is None:
            raise ValueError(value)
        return number

    def validate(self, value):
        try:
            number = self.clean(value)
        except ValueError:
            return False
        return str(number) in {key for key, _label in self.get_options(None) or ()}

    def apply(self, query, value):
        return query.where(self.column == value)

    def operation(self):
        return _l("equals")


class EmptyFilter(BasePeeweeFilter):
    """Yes/no on whether a column is empty: unassigned records, converted leads …"""

    def __init__(self, column, name, operation, empty_means_yes=True):
        super().__init__(column, name, options=(("1", _l("Yes")), ("0", _l("No"))))
        self._operation = operation
        self._empty_means_yes = empty_means_yes

    def validate(self, value):
        return value in ("0", "1")

    def apply(self, query, value):
        want_empty = (value == "1") == self._empty_means_yes
        return query.where(self.column.is_null(want_empty))

    def operation(self):
        return self._operation


@reference_options
def user_options():
    users = User.select().where(User.active == True).order_by(User.first_name, User.email)  # noqa: E712
    return [(u.id, u.name) for u in users]


def query_options(query_factory, label=str):
    """Options from a query of reference data tables (reference_data.TABLES)."""

    @reference_options
    def options():
        return [(row.id, label(row)) for row in query_factory()]

    return options


def owner_filters(model):
    return [
        ChoiceFilter(model.owner, _l("Owner"), user_options),
        EmptyFilter(model.owner, _l("Owner"), _l("unassigned")),
    ]

"""Ajax lookups (select2 fields) scoped by the access policy.

Flask-Admin's peewee loader searches the whole table and its `get_one` ignores any
scoping (STACK-NOTES); these loaders only ever return what the user may see or choose.
"""

import re

from flask_admin.contrib.peewee.ajax import QueryAjaxModelLoader
from flask_admin.model.fields import AjaxSelectField
from flask_babel import gettext
from wtforms.validators import ValidationError

from accord.admin.views.gate import current_user
from accord.core import access
from accord.core.models import User

_ID = re.compile(r"[1-9][0-9]{0,9}")
MAX_ID = 2**31 - 1


def parse_id(value):
    """A positive database id from user input, or None (never an exception)."""
    text = str(value if value is not None else "").strip()
    if not _ID.fullmatch(text):
        return None
    number = int(text)
    return number if number <= MAX_ID else None


def _like(term):
    # A bound parameter: % and _ typed by the user act as wildcards, nothing more.
    return f"%{term}%"


class RecordLoader(QueryAjaxModelLoader):
    """Records the current user may see (optionally narrowed, e.g. organizations only)."""

    def __init__(self, name, model, fields, where=None, placeholder=None, order=None):
        options = {"fields": fields}
        if placeholder is not None:
            options["placeholder"] = placeholder
        super().__init__(name, model, **options)
        self.where = where
        self.order = order or getattr(model, "name", None)

    def base_query(self):
        query = self.model.select()
        if self.where is not None:
            query = query.where(self.where)
        return self.scope(query)

    def scope(self, query):
        return access.visible(query, current_user(), self.model)

    def get_one(self, pk):
        pk = parse_id(pk)
        if pk is None:
            return None
        return self.base_query().where(self.model.id == pk).first()

    def get_list(self, term, offset=0, limit=10):
        query = self.base_query()
        term = (term or "").strip()
        if term:
            clause = None
            for field in self._cached_fields:
                match = field ** _like(term)
                clause = match if clause is None else clause | match
            query = query.where(clause)
        order = [self.order] if self.order is not None else []
        query = query.order_by(*order, self.model.id)
        return list(query.offset(offset or 0).limit(limit))


class OwnerLoader(RecordLoader):
    """Active users the current user may make the owner of a record."""

    def __init__(self, name="owner", placeholder=None):
        super().__init__(
            name,
            User,
            ["email", "first_name", "last_name"],
            where=User.active == True,  # noqa: E712 (peewee expression)
            placeholder=placeholder,
            order=User.first_name,
        )

    def scope(self, query):
        user = current_user()
        if user is None:
            return query.where(False)
        allowed = access.assignable_ids(user)
        if allowed is None:
            return query
        return query.where(User.id.in_(sorted(allowed) or [0]))

    def format(self, model):
        if not model:
            return None
        return (model.id, model.name)


class ScopedAjaxSelectField(AjaxSelectField):
    """An ajax select whose posted id must come from the scoped loader.

    The record's current value is kept as it is even when the loader would not offer
    it (a normal user keeps a deal's owner they could not choose themselves); any other
    id the loader does not return is an error — never silently dropped or revealed.
    """

    def __init__(self, loader, label=None, validators=None, **kwargs):
        super().__init__(loader, label, validators, **kwargs)
        self._refused = False

    def process_formdata(self, valuelist):
        self._refused = False
        if not valuelist:
            return
        raw = valuelist[0]
        if raw in ("", "__None"):
            self._set_data(None)
            return
        self._data = None
        self._formdata = raw

    def _get_data(self):
        if self._formdata is not None:
            current = self.object_data
            if current is not None and str(getattr(current, "id", "")) == str(self._formdata):
                self._set_data(current)
            else:
                model = self.loader.get_one(self._formdata)
                if model is None:
                    self._refused = True
                self._set_data(model)
        return self._data

    data = property(_get_data, AjaxSelectField._set_data)

    def pre_validate(self, form):
        self.data  # noqa: B018 (resolves the posted id)
        if self._refused:
            raise ValidationError(gettext("Not found, or not a choice you can make."))
        if not self.allow_blank and self.data is None:
            raise ValidationError(gettext("Please choose one."))

"""The activity feed in words: "Ayşe moved Big order from Quote to Proposal".

Sentences are built from an Activity row's verb and `changes`, with the stage, status
and user names that accord.core.reports.feed resolved for the whole page at once. Every
name is escaped; a record is a link only when the viewer may open it.
"""

from flask import url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from accord.core import reports

KIND_LABELS = {
    "lead": _l("Lead"),
    "contact": _l("Contact"),
    "company": _l("Company"),
    "deal": _l("Deal"),
    "task": _l("Task"),
    "appointment": _l("Appointment"),
    "note": _l("Note"),
    "document": _l("Document"),
}
# The feed's filters: what the "type" and "event" selects offer.
KIND_CHOICES = [
    ("deal", _l("Deals")),
    ("lead", _l("Leads")),
    ("contact", _l("Contacts and companies")),
    ("task", _l("Tasks")),
    ("appointment", _l("Appointments")),
    ("note", _l("Notes")),
    ("document", _l("Documents")),
]
EVENT_CHOICES = [
    ("created", _l("New records")),
    ("stage", _l("Stage changes")),
    ("status", _l("Status changes")),
    ("owner", _l("Owner changes")),
    ("completed", _l("Completed tasks")),
    ("converted", _l("Converted leads")),
    ("deleted", _l("Deleted records")),
]
assert {k for k, _label in KIND_CHOICES} == set(reports.FEED_KINDS)
assert {k for k, _label in EVENT_CHOICES} == set(reports.EVENTS)

# Field names shown when an update changed nothing the feed words specially.
FIELD_LABELS = {
    "value": _l("value"),
    "currency": _l("currency"),
    "probability": _l("probability"),
    "hot": _l("hot"),
    "estimated_close_date": _l("estimated close"),
    "due_at": _l("due date"),
    "content": _l("text"),
    "email": _l("email"),
    "phone": _l("phone"),
    "name": _l("name"),
    "title": _l("title"),
    "starts_at": _l("start"),
    "ends_at": _l("end"),
}


def _say(message, **values):
    """A translated sentence whose values are escaped unless already Markup."""
    return Markup(escape(message)) % values


def _pair(changes, key):
    pair = changes.get(key)
    if isinstance(pair, (list, tuple)) and len(pair) == 2:
        return pair
    return None


class Row:
    """One feed row, ready for the template: kind label, sentence, when, link."""

    def __init__(self, row, page):
        self.row = row
        self.page = page
        self.endpoint = page.links.get((row.entity_kind, row.record_id))
        self.kind = self.endpoint or row.entity_kind
        self.kind_label = KIND_LABELS.get(self.kind, row.entity_kind)
        self.created_at = row.created_at

    def _name(self, kind, value, missing):
        if value is None:
            return missing
        return self.page.names.get(kind, {}).get(value) or gettext("(removed)")

    @property
    def record(self):
        name = self.row.record_name or f"#{self.row.record_id}"
        if self.endpoint is None:
            return escape(name)
        url = url_for(f"{self.endpoint}.details_view", id=self.row.record_id)
        return Markup('<a href="{}">{}</a>').format(url, name)

    @property
    def actor(self):
        if self.row.actor_id is None:
            return gettext("System")
        return self._name("user", self.row.actor_id, gettext("Someone"))

    def sentences(self):
        row, actor, record = self.row, self.actor, self.record
        verb = row.verb
        if verb == "created":
            return [_say(gettext("%(actor)s added %(record)s"), actor=actor, record=record)]
        if verb == "converted":
            return [
                _say(
                    gettext("%(actor)s converted %(record)s into a contact"),
                    actor=actor,
                    record=record,
                )
            ]
        if verb == "claimed":
            return [_say(gettext("%(actor)s claimed %(record)s"), actor=actor, record=record)]
        if verb == "deleted":
            return [_say(gettext("%(actor)s deleted %(record)s"), actor=actor, record=record)]
        if verb == "restored":
            return [_say(gettext("%(actor)s restored %(record)s"), actor=actor, record=record)]
        if verb == "updated":
            return self._updates(actor, record)
        return [
            _say(gettext("%(actor)s: %(verb)s %(record)s"), actor=actor, verb=verb, record=record)
        ]

    def _updates(self, actor, record):
        changes = self.row.changes if isinstance(self.row.changes, dict) else {}
        said = []
        stage = _pair(changes, "stage")
        if stage:
            said.append(
                _say(
                    gettext("%(actor)s moved %(record)s from %(old)s to %(new)s"),
                    actor=actor,
                    record=record,
                    old=self._name("stage", stage[0], "—"),
                    new=self._name("stage", stage[1], "—"),
                )
            )
        done = _pair(changes, "done")
        if done and self.row.entity_kind == "task":
            if done[1]:
                message = gettext("%(actor)s completed %(record)s")
            else:
                message = gettext("%(actor)s reopened %(record)s")
            said.append(_say(message, actor=actor, record=record))
        status = _pair(changes, "status")
        if status:
            said.append(
                _say(
                    gettext("%(actor)s changed the status of %(record)s from %(old)s to %(new)s"),
                    actor=actor,
                    record=record,
                    old=self._name("status", status[0], "—"),
                    new=self._name("status", status[1], "—"),
                )
            )
        owner = _pair(changes, "owner")
        if owner:
            if owner[1] is None:
                said.append(
                    _say(gettext("%(actor)s unassigned %(record)s"), actor=actor, record=record)
                )
            else:
                said.append(
                    _say(
                        gettext("%(actor)s assigned %(record)s to %(user)s"),
                        actor=actor,
                        record=record,
                        user=self._name("user", owner[1], "—"),
                    )
                )
        if said:
            return said
        fields = [str(FIELD_LABELS[k]) for k in sorted(changes) if k in FIELD_LABELS]
        if fields:
            return [
                _say(
                    gettext("%(actor)s updated %(record)s (%(fields)s)"),
                    actor=actor,
                    record=record,
                    fields=", ".join(fields),
                )
            ]
        return [_say(gettext("%(actor)s updated %(record)s"), actor=actor, record=record)]

    @property
    def sentence(self):
        return Markup("; ").join(self.sentences())


def rows(page):
    return [Row(row, page) for row in page.rows]

"""Reading a record's history: its activity rows with readable names, its stage history.

Activity rows keep ids in their `changes` ({"stage": [3, 4]}); a history shows names.
The names are resolved for a whole page of rows at once: one query per target model,
never one per row.
"""

from dataclasses import dataclass, field

from peewee import JOIN, ForeignKeyField

from accord.core.models import Activity, Contact, User

# Keys some verbs write that are not fields of the record itself.
EXTRA_LINKS = {"contact": Contact, "owner": User}
# Derived fields that change along with a field already shown (stage -> pipeline …).
DERIVED = {"last_stage_change_at", "closed_at", "pipeline", "first_name", "last_name"}


@dataclass
class Change:
    field: str
    old: object
    new: object
    # True when old/new are names resolved from ids (shown as plain text).
    linked: bool = False


@dataclass
class Entry:
    """One activity row of a record, its changes made readable."""

    activity: Activity
    changes: list = field(default_factory=list)

    @property
    def at(self):
        return self.activity.created_at

    @property
    def verb(self):
        return self.activity.verb


def activity_rows(record, limit=50):
    """The record's activity, newest first, with the actors loaded in the same query."""
    rows = (
        Activity.select(Activity, User)
        .join(User, on=(Activity.actor == User.id), join_type=JOIN.LEFT_OUTER)
        .where((Activity.entity_kind == record.entity) & (Activity.record_id == record.id))
        .order_by(Activity.created_at.desc(), Activity.id.desc())
        .limit(limit)
    )
    return list(rows)


def link_target(model, name):
    """The model a change key points to, or None for a plain value."""
    found = model._meta.fields.get(name)
    if isinstance(found, ForeignKeyField):
        return found.rel_model
    return EXTRA_LINKS.get(name) if found is None else None


def resolve_names(model, rows):
    """{target model: {id: name}} for every id the rows' changes mention: one query
    per target model (stages, statuses, users, contacts …) for the whole batch."""
    wanted = {}
    for row in rows:
        for name, pair in (row.changes or {}).items():
            target = link_target(model, name)
            if target is None or not isinstance(pair, (list, tuple)):
                continue
            ids = {v for v in pair if isinstance(v, int) and not isinstance(v, bool)}
            wanted.setdefault(target, set()).update(ids)
    names = {}
    for target, ids in wanted.items():
        if not ids:
            continue
        found = target.select().where(target.id.in_(sorted(ids)))
        names[target] = {obj.id: str(getattr(obj, "name", None) or obj) for obj in found}
    return names


def entries(record, limit=50):
    """The record's activity as Entry objects with readable changes."""
    model = type(record)
    rows = activity_rows(record, limit)
    names = resolve_names(model, rows)
    result = []
    for row in rows:
        changes = []
        for name, pair in sorted((row.changes or {}).items()):
            if name in DERIVED or not isinstance(pair, (list, tuple)) or len(pair) != 2:
                continue
            old, new = pair
            target = link_target(model, name)
            if target is not None:
                known = names.get(target, {})
                changes.append(Change(name, known.get(old, old), known.get(new, new), True))
            else:
                changes.append(Change(name, old, new))
        result.append(Entry(row, changes))
    return result


@dataclass
class StageStep:
    at: object
    actor: object
    old: object  # stage name or None
    new: object


def stage_history(deal, history_entries):
    """The stages a deal went through, oldest first, from its activity (created, then
    every change of `stage`). `history_entries` are entries(deal) (newest first)."""
    steps = []
    for entry in reversed(history_entries):
        if entry.verb == "created":
            steps.append(StageStep(entry.at, entry.activity.actor, None, None))
            continue
        for change in entry.changes:
            if change.field == "stage":
                steps.append(StageStep(entry.at, entry.activity.actor, change.old, change.new))
    # The stage a deal was created in is the first move's origin, or where it is now.
    first_move = next((s for s in steps if s.new is not None), None)
    for step in steps:
        if step.new is None:
            step.new = first_move.old if first_move else deal.stage.name
    return steps

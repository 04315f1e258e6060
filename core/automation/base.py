"""What a trigger and an action are: the interface plugins implement (docs/plugins.md).

A trigger says which domain events it listens to (`event_types`), which record kind the
automation's conditions look at (`entity`), and whether one event fires it (`matches`).
An action runs once per (automation, event, position) and returns a short text for the run
log; `describe` tells what it would do, for "test against a record", without writing.
Both declare their settings as `params` (a list of Param), from which the back office
builds the form and the engine validates what an admin saved.
"""

from dataclasses import dataclass, field

from accord.core import placeholders
from accord.core.i18n import lazy_gettext as _

PARAM_KINDS = ("text", "textarea", "number", "select", "checkbox")


class ActionSkipped(Exception):
    """The action has nothing to do for this record (no email address …): logged, not an error."""


@dataclass(frozen=True)
class Param:
    """One setting of a trigger or an action.

    kind: text | textarea | number | select | checkbox. `choices` is a callable returning
    [(value, label)] (read fresh each time: stages, users, tags change). `template`: the
    text may hold placeholders, checked when the automation is saved.
    """

    name: str
    label: str
    kind: str = "text"
    required: bool = False
    choices: object = None
    default: object = ""
    help: str = ""
    template: bool = False

    def options(self):
        return [(str(v), str(label)) for v, label in (self.choices() if self.choices else [])]

    def clean(self, raw):
        """A submitted value -> the stored value; ValueError with a message when bad."""
        if self.kind == "checkbox":
            return raw in (True, "1", "on", "true", "yes", 1)
        text = "" if raw is None else str(raw).strip() if self.kind != "textarea" else str(raw)
        if not text.strip():
            if self.required:
                raise ValueError(_("This field is required."))
            return self.default if self.default is not None else ""
        if self.kind == "number":
            try:
                number = int(text)
            except ValueError:
                raise ValueError(_("Enter a whole number.")) from None
            if not 0 <= number <= 1_000_000:
                raise ValueError(_("Enter a number from 0 to 1000000."))
            return number
        if self.kind == "select" and text not in {v for v, _label in self.options()}:
            raise ValueError(_("Choose one of the options."))
        if self.template:
            try:
                placeholders.check(text)
            except placeholders.PlaceholderError as exc:
                raise ValueError(str(exc)) from None
        return text


@dataclass
class Context:
    """Everything a trigger's `matches` or an action's `run`/`describe` may use."""

    event: object  # accord.core.events.Event (a made-up one in a dry run)
    record: object  # the event's record, or None when it is gone
    automation: object  # the Automation row
    author: object  # the User whose rights the run has
    runtime: object
    depth: int = 0  # how many automations led to this event
    dry_run: bool = False  # describe only: write nothing, send nothing
    params: dict = field(default_factory=dict)  # the trigger's or this action's settings
    index: int = 0  # the action's position in the automation

    @property
    def key(self):
        """The idempotency key of this action for this event (effects.once)."""
        return self.event.key(f"automation:{self.automation.id}:{self.index}")

    def values(self):
        """The allowlisted placeholder context, as the author may see it (SECURITY B12)."""
        from accord.core.automation.context import placeholder_values

        return placeholder_values(self)

    def render(self, text, html=False):
        return placeholders.render(text, self.values(), html=html)


class Trigger:
    """Base class for triggers; subclasses set name, label, event_types, entity."""

    name = None
    label = None
    event_types = ()
    # The record kind conditions and placeholders refer to ("deal", "lead", …; None: any).
    entity = None
    params = ()

    def matches(self, ctx):
        return ctx.event.type in self.event_types

    def entity_for(self, params):
        return self.entity


class Action:
    """Base class for actions; subclasses set name, label, params and implement run."""

    name = None
    label = None
    params = ()
    # Record kinds it works on (None: any).
    entities = None

    def run(self, ctx):
        """Do it (the engine has already taken ctx.key); return a short result text."""
        raise NotImplementedError

    def describe(self, ctx):
        """What `run` would do for ctx.record, without writing anything."""
        return str(self.label)

    def validate(self, params, entity=None, runtime=None):
        """Extra checks on the cleaned params for records of `entity`; raise
        ValueError({param: message}) to refuse them."""
        return params


def clean_params(spec_params, raw, prefix=""):
    """Clean `raw` against a list of Param; returns (values, {prefix+name: message})."""
    values, errors = {}, {}
    for param in spec_params:
        try:
            values[param.name] = param.clean((raw or {}).get(param.name))
        except ValueError as exc:
            errors[f"{prefix}{param.name}"] = str(exc.args[0]) if exc.args else str(exc)
    return values, errors

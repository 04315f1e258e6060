"""Running automations: from a domain event (in a job, via the outbox) to logged actions.

For each enabled automation whose trigger matches the event and whose conditions hold for
the event's record, the actions run in order with the author's rights. Each action takes
its idempotency key (`effects.once`) in the same transaction as its effect, so a
redelivered event — a retried job, a worker killed mid-run — never does an action twice.
Changes an action makes emit events tagged with `automation_depth`; past MAX_DEPTH the
engine stops and logs it, so automations that trigger each other cannot loop.
"""

import dataclasses
import logging
import traceback

from peewee import IntegrityError

from accord.core import access, effects, events
from accord.core.automation import conditions
from accord.core.automation.base import ActionSkipped, Context
from accord.core.db import write
from accord.core.events import Event
from accord.core.models import RECORD_MODELS, utcnow
from accord.core.models.automations import Automation, AutomationRun
from accord.core.placeholders import PlaceholderError
from accord.core.services.errors import Forbidden, NotFound, ValidationError

log = logging.getLogger(__name__)

MAX_DEPTH = 3
DEPTH_KEY = "automation_depth"
# Errors a retry cannot fix: logged on the run, the event is not retried for them.
PERMANENT = (ValidationError, Forbidden, NotFound, PlaceholderError, ValueError, LookupError)


class RetryLater(RuntimeError):
    """An action failed for a reason that may pass (SMTP down): the outbox retries."""


def max_depth(runtime):
    return int(runtime.config.extra.get("automation_max_depth", MAX_DEPTH))


def load_record(event):
    model = RECORD_MODELS.get(event.entity_kind)
    if model is None or event.record_id is None:
        return None
    return model.get_or_none(model.id == event.record_id)


def candidates(runtime, event_type):
    """Enabled automations whose trigger listens to `event_type`, in order."""
    triggers = runtime.registries["triggers"]
    found = []
    query = Automation.select().where(Automation.enabled == True)  # noqa: E712
    for automation in query.order_by(Automation.position, Automation.id):
        trigger_cls = triggers.get(automation.trigger)
        if trigger_cls is not None and event_type in trigger_cls.event_types:
            found.append((automation, trigger_cls()))
    return found


def handle(event, runtime):
    """The `accord_event` entry point: run every automation this event fires."""
    found = candidates(runtime, event.type)
    if not found:
        return []
    depth = int(event.payload.get(DEPTH_KEY) or 0)
    record = load_record(event)
    runs, retry = [], False
    for automation, trigger in found:
        ctx = Context(
            event=event,
            record=record,
            automation=automation,
            author=automation.author,
            runtime=runtime,
            depth=depth,
            params=dict(automation.trigger_params or {}),
        )
        if not trigger.matches(ctx):
            continue
        if depth >= max_depth(runtime):
            log.warning(
                "automation %s stopped at depth %s (event %s)", automation.id, depth, event.id
            )
            runs.append(_finish(_run_row(ctx), "stopped", error=stopped_message(runtime)))
            continue
        if not conditions.evaluate(automation.conditions, record):
            continue
        run, transient = execute(ctx)
        runs.append(run)
        retry = retry or transient
    if retry:
        raise RetryLater(f"event {event.id}: an automation action will be retried")
    return runs


def stopped_message(runtime):
    return (
        f"stopped: depth limit ({max_depth(runtime)}) — automations triggered each other"
        " too many times in a row; nothing ran"
    )


def _run_row(ctx):
    """The run of this automation for this event: one row, reused by a redelivery."""
    try:
        with write():
            return AutomationRun.create(
                automation=ctx.automation.id,
                event_id=ctx.event.id,
                event_type=ctx.event.type,
                record_kind=ctx.event.entity_kind or "",
                record_id=ctx.event.record_id,
                depth=ctx.depth,
                status="running",
                started_at=utcnow(),
            )
    except IntegrityError:
        return AutomationRun.get(
            (AutomationRun.automation == ctx.automation.id)
            & (AutomationRun.event_id == ctx.event.id)
        )


def _finish(run, status, error=""):
    with write():
        run.status = status
        run.error = error
        run.finished_at = utcnow()
        run.save()
    return run


def author_problem(author, record):
    """Why the author cannot act on `record`, or None."""
    if author is None:
        return "skipped: the automation's author no longer exists"
    if not author.active:
        return "skipped: the automation's author is deactivated"
    if record is None:
        return "skipped: the record no longer exists"
    if not access.can_see(author, record):
        return "skipped: the automation's author may not see this record"
    return None


def execute(ctx):
    """Run the actions not done yet; returns (run, whether to retry later)."""
    run = _run_row(ctx)
    if run.status in ("done", "skipped", "stopped"):
        return run, False  # a redelivery of a finished run
    problem = author_problem(ctx.author, ctx.record)
    if problem:
        return _finish(run, "skipped", error=problem), False
    actions = ctx.runtime.registries["actions"]
    results = list(run.results or [])
    transient = False
    for index, spec in enumerate(ctx.automation.actions or []):
        while len(results) <= index:
            results.append({})
        if results[index].get("status") in ("done", "skipped"):
            continue
        name = spec.get("type", "")
        action_cls = actions.get(name)
        if action_cls is None:
            results[index] = {"action": name, "status": "error", "result": "unknown action"}
            continue
        actx = dataclasses.replace(ctx, params=dict(spec.get("params") or {}), index=index)
        try:
            # Events from the action's changes carry the next depth (see handle()); the tag
            # ends before the commit hands them on.
            with write(), events.tagged(**{DEPTH_KEY: ctx.depth + 1}):
                if effects.once(actx.key):
                    text = action_cls().run(actx)
                else:
                    text = "already done"
                results[index] = {"action": name, "status": "done", "result": str(text or "")}
                _save_results(run, results)
            continue
        except ActionSkipped as exc:
            results[index] = {"action": name, "status": "skipped", "result": str(exc)}
        except PERMANENT as exc:
            results[index] = {"action": name, "status": "error", "result": _message(exc)}
        except Exception as exc:
            log.exception("automation %s action %s failed", ctx.automation.id, index)
            results[index] = {
                "action": name,
                "status": "error",
                "result": _message(exc),
                "retry": True,
                "trace": traceback.format_exc(limit=3)[-2000:],
            }
            transient = True
        with write():
            _save_results(run, results)
    failed = any(r.get("status") == "error" for r in results)
    return _finish(run, "failed" if failed else "done"), transient


def _save_results(run, results):
    run.results = [dict(r) for r in results]
    AutomationRun.update(results=run.results).where(AutomationRun.id == run.id).execute()


def _message(exc):
    return str(exc) or type(exc).__name__


# "Test against a record": what would happen, writing nothing ----------------------------


@dataclasses.dataclass
class DryRun:
    problem: str = ""
    conditions: list = dataclasses.field(default_factory=list)  # [(rule, held)]
    matched: bool = False
    actions: list = dataclasses.field(default_factory=list)  # [(label, text, ok)]


def dry_run(automation, record, runtime, user=None):
    """Evaluate the conditions on `record` and describe each action; no write at all."""
    trigger_cls = runtime.registries["triggers"].get(automation.trigger)
    result = DryRun()
    if trigger_cls is None:
        result.problem = "the trigger is not available (is its plugin disabled?)"
        return result
    event = Event(
        id=0,
        type=(trigger_cls.event_types or ("test",))[0],
        entity_kind=record.entity,
        record_id=record.id,
        actor_id=getattr(user, "id", None),
        payload={},
    )
    ctx = Context(
        event=event,
        record=record,
        automation=automation,
        author=automation.author,
        runtime=runtime,
        dry_run=True,
        params=dict(automation.trigger_params or {}),
    )
    result.problem = author_problem(automation.author, record) or ""
    result.conditions = conditions.explain(automation.conditions, record)
    result.matched = conditions.evaluate(automation.conditions, record)
    actions = runtime.registries["actions"]
    for index, spec in enumerate(automation.actions or []):
        action_cls = actions.get(spec.get("type", ""))
        if action_cls is None:
            result.actions.append((spec.get("type", ""), "unknown action", False))
            continue
        actx = dataclasses.replace(ctx, params=dict(spec.get("params") or {}), index=index)
        try:
            result.actions.append((str(action_cls.label), action_cls().describe(actx), True))
        except ActionSkipped as exc:
            result.actions.append((str(action_cls.label), f"skipped: {exc}", True))
        except Exception as exc:  # a describe must never break the page
            result.actions.append((str(action_cls.label), _message(exc), False))
    return result

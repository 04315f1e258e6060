"""Pipelines and their stages (admins only): add, rename, reorder, remove, default.

The rules a pipeline keeps, so the board, the reports and new deals always have a place:

- at least one *active* stage: a new deal starts in the first one and the board needs a
  column;
- exactly one stage of each closed category (*won*, *lost*, *unqualified*): the board
  offers one drop zone per outcome and reports count outcomes by category. *Why* a deal
  was lost or unqualified is its reason (LossReason / UnqualifiedReason), not a second
  lost stage;
- exactly one pipeline is the default (deals created without a stage start there).

The rules are checked locally — for the categories a change touches — so a pipeline that
an older version left out of shape can still be repaired one step at a time.

A stage that holds deals is removed only after they move: `remove_stage(..., move_to=)`
moves them with one UPDATE plus an activity row and the usual events per deal, written in
bulk (INSERT … SELECT) inside the same transaction, so it stays fast at a million deals.
"""

from peewee import IntegrityError, Value, fn

from accord.core import access, events
from accord.core.db import write
from accord.core.i18n import gettext as _
from accord.core.models import (
    STAGE_CATEGORIES,
    Activity,
    Deal,
    LossReason,
    OutboxEvent,
    Pipeline,
    Stage,
    UnqualifiedReason,
    utcnow,
)
from accord.core.seeds import DEFAULT_STAGES
from accord.core.services.errors import NotFound, ValidationError
from accord.core.services.settings import _log as audit

CLOSED = ("won", "lost", "unqualified")
MAX_NAME = 100
DISPATCH_CHUNK = 500  # outbox ids handed to one delivery job


# Reading ----------------------------------------------------------------------------


def pipelines():
    return Pipeline.select().order_by(Pipeline.position, Pipeline.id)


def stages(pipeline):
    return Stage.select().where(Stage.pipeline == _id(pipeline)).order_by(Stage.position, Stage.id)


def default_pipeline():
    return pipelines().order_by(Pipeline.is_default.desc(), Pipeline.position, Pipeline.id).first()


def deal_counts(stage_ids):
    """{stage id: number of deals} — trashed deals too: they still hold the stage."""
    if not stage_ids:
        return {}
    query = (
        Deal.select(Deal.stage, fn.COUNT(Deal.id).alias("n"))
        .where(Deal.stage.in_(list(stage_ids)))
        .group_by(Deal.stage)
    )
    return {row.stage_id: row.n for row in query.objects()}


def pipeline_deal_counts():
    """{pipeline id: number of deals} in one GROUP BY."""
    query = Deal.select(Deal.pipeline, fn.COUNT(Deal.id).alias("n")).group_by(Deal.pipeline)
    return {row.pipeline_id: row.n for row in query.objects()}


def get_pipeline(pipeline_id):
    found = Pipeline.get_or_none(Pipeline.id == pipeline_id) if pipeline_id else None
    if found is None:
        raise NotFound("pipeline")
    return found


def get_stage(stage_id):
    found = Stage.get_or_none(Stage.id == stage_id) if stage_id else None
    if found is None:
        raise NotFound("stage")
    return found


# Helpers ----------------------------------------------------------------------------


def _id(obj):
    return getattr(obj, "id", obj)


def _name(value):
    name = " ".join(str(value or "").split())
    if not name:
        raise ValidationError({"name": _("Enter a name.")})
    if len(name) > MAX_NAME:
        raise ValidationError({"name": _("Use at most %(n)s characters.", n=MAX_NAME)})
    return name


def _likelihood(value, category):
    if value in (None, ""):
        return 100 if category == "won" else (50 if category == "active" else 0)
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ValidationError({"likelihood": _("Enter a percentage from 0 to 100.")}) from None
    if not 0 <= number <= 100:
        raise ValidationError({"likelihood": _("Enter a percentage from 0 to 100.")})
    return number


def _category(value):
    if value not in STAGE_CATEGORIES:
        raise ValidationError({"category": _("Choose a category.")})
    return value


def _count(pipeline_id, category):
    return (
        Stage.select().where((Stage.pipeline == pipeline_id) & (Stage.category == category)).count()
    )


def _check_adding(pipeline_id, category):
    if category in CLOSED and _count(pipeline_id, category) >= 1:
        raise ValidationError(
            {"category": _("A pipeline has exactly one %(category)s stage.", category=category)}
        )


def _check_removing(pipeline_id, category):
    if _count(pipeline_id, category) > 1:
        return
    if category == "active":
        raise ValidationError({"": _("A pipeline needs at least one active stage.")})
    raise ValidationError(
        {"": _("A pipeline has exactly one %(category)s stage.", category=category)}
    )


def _renumber(rows):
    """Positions 0..n-1 in the given order (a handful of rows: stages or pipelines)."""
    for position, row in enumerate(rows):
        if row.position != position:
            row.position = position
            type(row).update(position=position).where(type(row).id == row.id).execute()


def _swap(rows, row_id, direction):
    """Move row `row_id` one place up (-1) or down (+1) in `rows`: its (old, new) index,
    or None at either end."""
    rows = list(rows)
    index = next((i for i, r in enumerate(rows) if r.id == row_id), None)
    if index is None or direction not in (-1, 1):
        return None
    other = index + direction
    if not 0 <= other < len(rows):
        return None
    rows[index], rows[other] = rows[other], rows[index]
    _renumber(rows)
    return index, other


def _unique(call, field="name"):
    try:
        return call()
    except IntegrityError:
        raise ValidationError({field: _("This name is already used.")}) from None


# Pipelines ---------------------------------------------------------------------------


def create_pipeline(actor, name, copy_from=None, is_default=False):
    """A new pipeline with the stages of `copy_from` (a pipeline), else the default set."""
    access.check(actor, "settings")
    name = _name(name)
    source = get_pipeline(_id(copy_from)) if copy_from else None
    template = (
        [(s.name, s.category, s.likelihood) for s in stages(source)]
        if source is not None
        else list(DEFAULT_STAGES)
    )

    def make():
        with write():
            last = Pipeline.select(fn.MAX(Pipeline.position)).scalar()
            pipeline = Pipeline.create(name=name, position=(last or 0) + 1)
            for position, (stage, category, likelihood) in enumerate(template):
                Stage.create(
                    pipeline=pipeline,
                    name=stage,
                    category=category,
                    likelihood=likelihood,
                    position=position,
                )
            audit(actor, "created", pipeline)
            if is_default or not Pipeline.select().where(Pipeline.is_default).exists():
                _make_default(pipeline)
            return pipeline

    pipeline = _unique(make)
    return Pipeline.get_by_id(pipeline.id)


def rename_pipeline(actor, pipeline, name):
    access.check(actor, "settings")
    name = _name(name)
    if name == pipeline.name:
        return pipeline

    def save():
        with write():
            old = pipeline.name
            Pipeline.update(name=name).where(Pipeline.id == pipeline.id).execute()
            pipeline.name = name
            audit(actor, "updated", pipeline, {"name": (old, name)})

    _unique(save)
    return pipeline


def move_pipeline(actor, pipeline, direction):
    """One place up (-1) or down (+1) in the pipeline order."""
    access.check(actor, "settings")
    with write():
        moved = _swap(pipelines(), pipeline.id, direction)
        if moved:
            audit(actor, "updated", pipeline, {"position": moved})
    return moved is not None


def _make_default(pipeline):
    # One UPDATE: the flag is true for this pipeline and false for every other.
    Pipeline.update(is_default=(Pipeline.id == pipeline.id)).execute()


def set_default(actor, pipeline):
    access.check(actor, "settings")
    with write():
        _make_default(pipeline)
        audit(actor, "updated", pipeline, {"is_default": (False, True)})
    pipeline.is_default = True
    return pipeline


def delete_pipeline(actor, pipeline, move_to=None):
    """Remove a pipeline. One that holds deals is refused unless `move_to` (an active stage
    of another pipeline) is given: its open deals go there, and won, lost and unqualified
    deals go to that pipeline's stage of the same outcome, keeping their reasons."""
    access.check(actor, "settings")
    pipeline = get_pipeline(pipeline.id)
    if pipeline.is_default:
        raise ValidationError({"": _("Make another pipeline the default first.")})
    own = list(stages(pipeline))
    counts = deal_counts([s.id for s in own])
    total = sum(counts.values())
    plan = []
    if total:
        if move_to is None:
            raise ValidationError(
                {
                    "": _(
                        "Deals in this pipeline: %(n)s. Choose where they go first.",
                        n=total,
                    )
                }
            )
        target = get_stage(_id(move_to))
        if target.pipeline_id == pipeline.id or target.category != "active":
            raise ValidationError({"move_to": _("Choose an active stage of another pipeline.")})
        closed = {s.category: s for s in stages(target.pipeline_id) if s.category in CLOSED}
        for stage in own:
            if not counts.get(stage.id):
                continue
            goal = target if stage.category == "active" else closed.get(stage.category)
            if goal is None:
                raise ValidationError(
                    {
                        "move_to": _(
                            "That pipeline has no %(category)s stage.", category=stage.category
                        )
                    }
                )
            plan.append((stage, goal))
    with write():
        for stage, goal in plan:
            _move_deals(actor, stage, goal)
        audit(actor, "deleted", pipeline)
        Stage.delete().where(Stage.pipeline == pipeline.id).execute()
        Pipeline.delete().where(Pipeline.id == pipeline.id).execute()
    return total


# Stages ------------------------------------------------------------------------------


def add_stage(actor, pipeline, name, category="active", likelihood=None):
    """A new stage: an active one goes after the last active stage, a closed one last."""
    access.check(actor, "settings")
    pipeline = get_pipeline(_id(pipeline))
    name = _name(name)
    category = _category(category)
    likelihood = _likelihood(likelihood, category)

    def make():
        with write():
            _check_adding(pipeline.id, category)
            rows = list(stages(pipeline))
            index = len(rows)
            if category == "active":
                actives = [i for i, r in enumerate(rows) if r.category == "active"]
                index = actives[-1] + 1 if actives else 0
            stage = Stage.create(
                pipeline=pipeline,
                name=name,
                category=category,
                likelihood=likelihood,
                position=len(rows),
            )
            rows.insert(index, stage)
            _renumber(rows)
            audit(actor, "created", stage)
            return stage

    return _unique(make)


def update_stage(actor, stage, name=None, category=None, likelihood=None):
    """Rename a stage, change its likelihood or category. The category of a stage that
    holds deals stays: its deals' closed date and reasons would no longer match it."""
    access.check(actor, "settings")
    stage = get_stage(stage.id)
    data = {}
    if name is not None:
        data["name"] = _name(name)
    if category is not None:
        data["category"] = _category(category)
    new_category = data.get("category", stage.category)
    if likelihood is not None:
        data["likelihood"] = _likelihood(likelihood, new_category)
    changes = {k: (getattr(stage, k), v) for k, v in data.items() if getattr(stage, k) != v}
    if not changes:
        return stage

    def save():
        with write():
            if "category" in changes:
                if deal_counts([stage.id]):
                    raise ValidationError(
                        {
                            "category": _(
                                "Move this stage's deals to another stage before changing its category."
                            )
                        }
                    )
                _check_removing(stage.pipeline_id, stage.category)
                _check_adding(stage.pipeline_id, new_category)
            Stage.update({k: v for k, (_old, v) in changes.items()}).where(
                Stage.id == stage.id
            ).execute()
            for key, (_old, value) in changes.items():
                setattr(stage, key, value)
            audit(actor, "updated", stage, changes)

    _unique(save)
    return stage


def move_stage_position(actor, stage, direction):
    """One place up (-1) or down (+1) within its pipeline."""
    access.check(actor, "settings")
    with write():
        moved = _swap(stages(stage.pipeline_id), stage.id, direction)
        if moved:
            audit(actor, "updated", stage, {"position": moved})
    return moved is not None


def remove_stage(actor, stage, move_to=None, reason=None):
    """Remove a stage. One that holds deals is refused unless `move_to` (another stage of
    the same pipeline) is given: its deals move there first (lost/unqualified need a
    `reason`, as deals.move_stage asks), all in one transaction."""
    access.check(actor, "settings")
    stage = get_stage(stage.id)
    count = deal_counts([stage.id]).get(stage.id, 0)
    target = None
    if count:
        if move_to is None:
            raise ValidationError(
                {
                    "move_to": _(
                        "Deals in this stage: %(n)s. Move them to another stage first.",
                        n=count,
                    )
                }
            )
        target = get_stage(_id(move_to))
        if target.id == stage.id or target.pipeline_id != stage.pipeline_id:
            raise ValidationError({"move_to": _("Choose another stage of this pipeline.")})
        reason = _reason(stage, target, reason)
    with write():
        _check_removing(stage.pipeline_id, stage.category)
        if target is not None:
            _move_deals(actor, stage, target, reason)
        audit(actor, "deleted", stage)
        Stage.delete().where(Stage.id == stage.id).execute()
        _renumber(stages(stage.pipeline_id))
    return count


def _reason(source, target, reason):
    """The reason id a move into `target` needs (None when it needs none)."""
    if target.category not in ("lost", "unqualified") or source.category == target.category:
        return None
    model = LossReason if target.category == "lost" else UnqualifiedReason
    found = model.get_or_none(model.id == _id(reason)) if reason not in (None, "") else None
    if found is None:
        field = "loss_reason" if target.category == "lost" else "unqualified_reason"
        message = (
            _("Choose why the deal was lost.")
            if target.category == "lost"
            else _("Choose why it is unqualified.")
        )
        raise ValidationError({field: message})
    return found.id


# Moving every deal of a stage ----------------------------------------------------------


def _move_deals(actor, source, target, reason=None):
    """Move every deal of `source` to `target`: one UPDATE, plus an activity row and the
    deal.updated / deal.stage_changed events per deal written with INSERT … SELECT.
    Call inside write(). Deals keeping their outcome (won to won …) keep their closed
    date and reason; the others are opened or closed as deals.move_stage would."""
    now = utcnow()
    actor_id = getattr(actor, "id", None)
    in_source = Deal.stage == source.id
    same_outcome = source.is_closed and source.category == target.category
    changes = {"stage": [source.id, target.id]}
    if source.pipeline_id != target.pipeline_id:
        changes["pipeline"] = [source.pipeline_id, target.pipeline_id]
    data = {
        Deal.stage: target.id,
        Deal.pipeline: target.pipeline_id,
        Deal.last_stage_change_at: now,
        Deal.updated_at: now,
    }
    if not same_outcome:
        data[Deal.closed_at] = now if target.is_closed else None
        if target.category == "lost":
            data[Deal.loss_reason] = reason
            changes["loss_reason"] = [None, reason]
        elif target.category == "unqualified":
            data[Deal.unqualified_reason] = reason
            changes["unqualified_reason"] = [None, reason]
    changed_names = {"last_stage_change_at", *changes}
    if not same_outcome:
        changed_names.add("closed_at")

    Activity.insert_from(
        Deal.select(
            Value(now),
            Value(actor_id),
            Value("updated"),
            Value("deal"),
            Deal.id,
            Deal.name,
            Deal.owner,
            Value(Activity.changes.db_value(changes)),
        ).where(in_source),
        fields=[
            Activity.created_at,
            Activity.actor,
            Activity.verb,
            Activity.entity_kind,
            Activity.record_id,
            Activity.record_name,
            Activity.owner_id,
            Activity.changes,
        ],
    ).execute()
    first_event = OutboxEvent.select(fn.MAX(OutboxEvent.id)).scalar() or 0
    for event_type, payload in (
        ("deal.updated", {"changes": sorted(changed_names)}),
        ("deal.stage_changed", {"old": source.id, "new": target.id}),
    ):
        OutboxEvent.insert_from(
            Deal.select(
                Value(now),
                Value(event_type),
                Value("deal"),
                Deal.id,
                Value(actor_id),
                Value(OutboxEvent.payload.db_value(payload)),
                Value("pending"),
                Value(0),
                Value(""),
            ).where(in_source),
            fields=[
                OutboxEvent.created_at,
                OutboxEvent.type,
                OutboxEvent.entity_kind,
                OutboxEvent.record_id,
                OutboxEvent.actor_id,
                OutboxEvent.payload,
                OutboxEvent.status,
                OutboxEvent.attempts,
                OutboxEvent.last_error,
            ],
        ).execute()
    moved = Deal.update(data).where(in_source).execute()
    ids = [
        row.id
        for row in OutboxEvent.select(OutboxEvent.id)
        .where((OutboxEvent.id > first_event) & (OutboxEvent.status == "pending"))
        .where(OutboxEvent.type.in_(["deal.updated", "deal.stage_changed"]))
        .order_by(OutboxEvent.id)
    ]
    events.dispatch_after_commit(ids, DISPATCH_CHUNK)
    return moved

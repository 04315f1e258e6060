"""Pipeline settings (admins only): pipelines at /admin/pipeline/, the stages of one
pipeline at /admin/stage/?pipeline=<id>. Every change goes through
accord.core.services.pipelines, which holds the rules (one default pipeline, at least one
active stage, one stage per closed outcome, deals moved before their stage goes)."""

from flask import abort, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from peewee import fn

from accord.admin.views.gate import GateMixin, current_user
from accord.admin.views.lookups import parse_id
from accord.core.models import STAGE_CATEGORIES, LossReason, Pipeline, Stage, UnqualifiedReason
from accord.core.services import Forbidden, NotFound, ValidationError
from accord.core.services import pipelines as service

CATEGORY_LABELS = {
    "active": _l("Active"),
    "won": _l("Won"),
    "lost": _l("Lost"),
    "unqualified": _l("Unqualified"),
}
assert set(CATEGORY_LABELS) == set(STAGE_CATEGORIES)


def _direction(value):
    return {"up": -1, "down": 1}.get(value)


class SettingsPage(GateMixin, BaseView):
    access_policy = "admin"

    def run(self, call):
        """A service call: None and its messages flashed on bad input; 403/404 as such."""
        try:
            return call()
        except ValidationError as exc:
            for message in exc.errors.values():
                flash(message, "error")
            return None
        except Forbidden:
            abort(403)
        except NotFound:
            abort(404)

    def pipeline_from(self, source):
        pipeline = Pipeline.get_or_none(Pipeline.id == parse_id(source.get("pipeline")))
        if pipeline is None and "pipeline" in source:
            abort(404)
        return pipeline or service.default_pipeline()

    def one(self, model, value):
        found = model.get_or_none(model.id == parse_id(value))
        if found is None:
            abort(404)
        return found


class PipelineSettingsView(SettingsPage):
    """The pipelines: add, rename, reorder, make default, remove."""

    @expose("/")
    def index(self):
        return self.render_index()

    def render_index(self, typed=None):
        rows = list(service.pipelines())
        stage_counts = dict(
            Stage.select(Stage.pipeline, fn.COUNT(Stage.id)).group_by(Stage.pipeline).tuples()
        )
        active_counts = dict(
            Stage.select(Stage.pipeline, fn.COUNT(Stage.id))
            .where(Stage.category == "active")
            .group_by(Stage.pipeline)
            .tuples()
        )
        # Where the deals of a removed pipeline can go: active stages of the others.
        targets = list(
            Stage.select(Stage, Pipeline)
            .join(Pipeline)
            .where(Stage.category == "active")
            .order_by(Pipeline.position, Pipeline.id, Stage.position)
        )
        return self.render(
            "accord/board_pipelines.html",
            pipelines=rows,
            stage_counts=stage_counts,
            active_counts=active_counts,
            deal_counts=service.pipeline_deal_counts(),
            targets=targets,
            typed=typed or {},
        )

    @expose("/new/", methods=("GET", "POST"))
    def create(self):
        if request.method == "POST":
            copy_from = parse_id(request.form.get("copy_from"))
            user = current_user()
            pipeline = self.run(
                lambda: service.create_pipeline(
                    user, request.form.get("name", ""), copy_from=copy_from
                )
            )
            if pipeline is not None:
                flash(gettext("Pipeline %(name)s created.", name=pipeline.name), "success")
                return redirect(url_for("stage.index", pipeline=pipeline.id))
        return self.render(
            "accord/board_pipeline_new.html",
            pipelines=list(service.pipelines()),
            typed=request.form,
        )

    @expose("/rename/", methods=("POST",))
    def rename(self):
        pipeline = self.one(Pipeline, request.form.get("id"))
        user = current_user()
        name = request.form.get("name", "")
        if self.run(lambda: service.rename_pipeline(user, pipeline, name)) is None:
            return self.render_index({"rename": pipeline.id, "name": name})
        flash(gettext("Pipeline renamed."), "success")
        return redirect(url_for(".index"))

    @expose("/move/", methods=("POST",))
    def move(self):
        pipeline = self.one(Pipeline, request.form.get("id"))
        direction = _direction(request.form.get("direction"))
        if direction is None:
            abort(400)
        user = current_user()
        self.run(lambda: service.move_pipeline(user, pipeline, direction))
        return redirect(url_for(".index"))

    @expose("/default/", methods=("POST",))
    def make_default(self):
        pipeline = self.one(Pipeline, request.form.get("id"))
        user = current_user()
        if self.run(lambda: service.set_default(user, pipeline)) is not None:
            flash(gettext("%(name)s is now the default pipeline.", name=pipeline.name), "success")
        return redirect(url_for(".index"))

    @expose("/delete/", methods=("POST",))
    def delete(self):
        pipeline = self.one(Pipeline, request.form.get("id"))
        move_to = parse_id(request.form.get("move_to"))
        user = current_user()
        moved = self.run(lambda: service.delete_pipeline(user, pipeline, move_to=move_to))
        if moved is not None:
            flash(gettext("Pipeline %(name)s removed.", name=pipeline.name), "success")
            if moved:
                flash(ngettext("%(num)s deal moved.", "%(num)s deals moved.", moved), "info")
        return redirect(url_for(".index"))


class StageSettingsView(SettingsPage):
    """The stages of one pipeline: add, rename, recategorise, reorder, remove."""

    def is_visible(self):
        return False  # reached from the pipelines page

    @expose("/")
    def index(self):
        return self.render_stages(self.pipeline_from(request.args))

    def render_stages(self, pipeline, typed=None):
        if pipeline is None:
            return redirect(url_for("pipeline.index"))
        stages = list(service.stages(pipeline))
        return self.render(
            "accord/board_stages.html",
            pipeline=pipeline,
            pipelines=list(service.pipelines()),
            stages=stages,
            deal_counts=service.deal_counts([s.id for s in stages]),
            per_category={c: sum(s.category == c for s in stages) for c in STAGE_CATEGORIES},
            categories=CATEGORY_LABELS,
            loss_reasons=list(LossReason.select().order_by(LossReason.name)),
            unqualified_reasons=list(UnqualifiedReason.select().order_by(UnqualifiedReason.name)),
            typed=typed or {},
        )

    @expose("/new/", methods=("GET", "POST"))
    def create(self):
        source = request.form if request.method == "POST" else request.args
        pipeline = self.pipeline_from(source)
        if request.method == "GET":
            return self.render_stages(pipeline, {"new": True})
        user = current_user()
        form = request.form
        stage = self.run(
            lambda: service.add_stage(
                user,
                pipeline,
                form.get("name", ""),
                form.get("category", "active"),
                form.get("likelihood"),
            )
        )
        if stage is None:
            return self.render_stages(pipeline, {"new": True, **form.to_dict()})
        flash(gettext("Stage %(name)s added.", name=stage.name), "success")
        return redirect(url_for(".index", pipeline=pipeline.id))

    @expose("/update/", methods=("POST",))
    def update(self):
        stage = self.one(Stage, request.form.get("id"))
        form = request.form
        user = current_user()
        done = self.run(
            lambda: service.update_stage(
                user,
                stage,
                name=form.get("name"),
                category=form.get("category"),
                likelihood=form.get("likelihood"),
            )
        )
        if done is None:
            return self.render_stages(stage.pipeline, {"row": stage.id, **form.to_dict()})
        flash(gettext("Stage %(name)s saved.", name=done.name), "success")
        return redirect(url_for(".index", pipeline=stage.pipeline_id))

    @expose("/move/", methods=("POST",))
    def move(self):
        stage = self.one(Stage, request.form.get("id"))
        direction = _direction(request.form.get("direction"))
        if direction is None:
            abort(400)
        user = current_user()
        self.run(lambda: service.move_stage_position(user, stage, direction))
        return redirect(url_for(".index", pipeline=stage.pipeline_id))

    @expose("/remove/", methods=("POST",))
    def remove(self):
        stage = self.one(Stage, request.form.get("id"))
        form = request.form
        move_to = parse_id(form.get("move_to"))
        target = Stage.get_or_none(Stage.id == move_to) if move_to else None
        field = (
            "unqualified_reason"
            if getattr(target, "category", "") == "unqualified"
            else "loss_reason"
        )
        reason = parse_id(form.get(field))
        user = current_user()
        moved = self.run(lambda: service.remove_stage(user, stage, move_to=move_to, reason=reason))
        if moved is not None:
            flash(gettext("Stage %(name)s removed.", name=stage.name), "success")
            if moved:
                flash(ngettext("%(num)s deal moved.", "%(num)s deals moved.", moved), "info")
        return redirect(url_for(".index", pipeline=stage.pipeline_id))


def pipeline_views(category):
    return [
        PipelineSettingsView(
            _l("Pipelines"), category=category, endpoint="pipeline", url="pipeline"
        ),
        StageSettingsView(_l("Stages"), category=category, endpoint="stage", url="stage"),
    ]

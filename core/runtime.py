"""One running Accord: configuration, database, plugins, registries and job queue.

Built once per process (web app, worker, CLI command) by `build()`; never at import.
"""

from dataclasses import dataclass, field

from accord.core import events, fields, jobs, migrate, registry, webhooks
from accord.core.config import Config
from accord.core.db import bind
from accord.core.migrations import CORE_MIGRATIONS
from accord.core.plugins import make_plugin_manager


@dataclass
class Runtime:
    config: Config
    db: object
    pm: object
    huey: object = None
    registries: dict = field(default_factory=dict)
    tasks: dict = field(default_factory=dict)

    @property
    def field_types(self):
        return self.registries["field_types"]

    @property
    def channels(self):
        return self.registries["channels"]

    @property
    def notification_kinds(self):
        return self.registries["notification_kinds"]

    def migrations(self):
        extra = [m for batch in self.pm.hook.accord_migrations() for m in (batch or ())]
        return CORE_MIGRATIONS + extra

    def migrate(self, log=print):
        return migrate.migrate(self.migrations(), log=log)

    def check_schema(self):
        migrate.check(self.migrations())

    def dispatch(self, ids):
        """Hand committed outbox rows to the job queue (inline in immediate mode); ahead
        of background work (events.background) where the queue keeps priorities
        (SqliteHuey does; huey's plain Redis storage does not)."""
        task = self.tasks["deliver_events"].s(list(ids))
        if not events.in_background() and self.huey.storage.priority:
            task.priority = URGENT
        self.huey.enqueue(task)

    def activate(self):
        """Make this runtime the one that receives events emitted in this process."""
        events.set_dispatcher(self.dispatch)
        webhooks.set_dispatcher(self.tasks.get("deliver_webhook"))
        fields.set_registry(self.registries.get("field_types", {}))
        return self


URGENT = 10  # the queue priority of events from people's own actions

REGISTRY_HOOKS = {
    "field_types": ("accord_field_types", "field type"),
    "triggers": ("accord_automation_triggers", "automation trigger"),
    "actions": ("accord_automation_actions", "automation action"),
    "channels": ("accord_notification_channels", "notification channel"),
    "notification_kinds": ("accord_notification_kinds", "notification kind"),
}


def build(config=None, extra_plugins=()):
    config = config or Config.from_env()
    db = bind(config.database_url)
    pm = make_plugin_manager(config, extra_plugins=extra_plugins)
    rt = Runtime(config=config, db=db, pm=pm)
    # Duplicate names fail here, at start-up.
    for key, (hook, kind) in REGISTRY_HOOKS.items():
        rt.registries[key] = registry.build(pm, hook, kind)
    rt.huey = jobs.make_huey(config)
    rt.tasks = jobs.register_core_tasks(rt.huey, rt)
    pm.hook.accord_jobs(huey=rt.huey, runtime=rt)
    return rt.activate()

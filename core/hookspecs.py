"""Every hook Accord calls (DESIGN.md §6). docs/plugins.md documents each one."""

import pluggy

hookspec = pluggy.HookspecMarker("accord")
hookimpl = pluggy.HookimplMarker("accord")


@hookspec
def accord_field_types():
    """Return custom-field type classes (each with a unique `name`)."""


@hookspec
def accord_automation_triggers():
    """Return automation trigger classes (each with a unique `name`)."""


@hookspec
def accord_automation_actions():
    """Return automation action classes (each with a unique `name`)."""


@hookspec
def accord_notification_channels():
    """Return notification channel classes (each with a unique `name`)."""


@hookspec
def accord_notification_kinds():
    """Return notification kinds (`accord.core.notifications.NotificationKind`, unique names)."""


@hookspec
def accord_models():
    """Return the peewee models this plugin owns (tables prefixed with its name)."""


@hookspec
def accord_migrations():
    """Return this plugin's ordered `accord.core.migrate.Migration` list."""


@hookspec
def accord_admin_views(app):
    """Return Flask-Admin view instances to add to the back office (each declares a policy)."""


@hookspec
def accord_blueprints(app):
    """Return Flask blueprints; each is mounted under /plugins/<its name>/."""


@hookspec
def accord_cli_commands():
    """Return click commands to add to the `accord` command line."""


@hookspec
def accord_record_panels(record, user):
    """Return panels (title, HTML) to show on `record`'s datasheet for `user`."""


@hookspec
def accord_jobs(huey, runtime):
    """Register huey tasks and periodic tasks on `huey`."""


@hookspec
def accord_event(event, runtime):
    """Handle a domain event after its transaction committed (run from the outbox)."""

"""Plugins end to end: the example plugin, installed through a real entry point, and one
test per hook (tests/test_hooks_documented.py checks that each hook has its test_hook_*).
Then the loading rules: ACCORD_PLUGINS, safe mode, misspelt hooks, broken plugins, and the
built-in integrations registered through setup.py's entry points."""

import dataclasses
import sys

import pytest
from click.testing import CliRunner

from accord.core import outbox, plugins
from accord.core.automation import Context, engine
from accord.core.config import Config
from accord.core.events import Event
from accord.core.fields import FieldError
from accord.core.hookspecs import hookimpl
from accord.core.migrate import Migration, SchemaError, SchemaVersion
from accord.core.models import Contact, Deal, OutboxEvent, Stage
from accord.core.services import automations, deals, records
from tests.plugin_example.support import example_runtime, install_example, install_plugin
from tests.web import login
from tests.world import make_user

BUILT_IN_INTEGRATIONS = {"gmail", "gcal", "voice", "import_csv"}
# The core's own default plugins (core/plugins.py DEFAULT_PLUGINS), always loaded.
DEFAULTS = {name.rsplit(".", 1)[1] for name in plugins.DEFAULT_PLUGINS}

# The core's own plugins (DEFAULT_PLUGINS), by registered name.
DEFAULTS = {m.rsplit(".", 1)[1] for m in plugins.DEFAULT_PLUGINS}


@pytest.fixture
def example_rt(rt, monkeypatch, tmp_path):
    install_example(monkeypatch, tmp_path)
    with example_runtime(rt) as runtime:
        yield runtime


@pytest.fixture
def marker():
    """The plugin's model, imported the way the plugin manager imported it."""
    return sys.modules["accord_example_plugin"].ExampleMarker


@pytest.fixture
def admin(example_rt):
    return make_user("Admin", "admin")


def flat(results):
    return [item for batch in results for item in (batch or ())]


def config_with(rt, **changes):
    return dataclasses.replace(rt.config, extra=dict(rt.config.extra), **changes)


def example_app(runtime):
    from accord.admin.app import create_app

    app = create_app(runtime.config, runtime=runtime)
    app.config["TESTING"] = True
    return app


# One test per hook ----------------------------------------------------------------------


def test_hook_accord_field_types(example_rt):
    field_types = example_rt.registries["field_types"]
    assert field_types.origins["rating"] == "example"
    rating = field_types["rating"]()
    assert rating.parse("4") == 4
    assert rating.parse(" 2 ") == 2
    assert rating.parse("") is None
    assert rating.format(3) == "\u2605\u2605\u2605\u2606\u2606"
    for value in range(1, 6):  # what it shows and exports, it reads back
        assert rating.parse(rating.format(value)) == value
        assert rating.parse(rating.to_csv(value)) == value
    for bad in ("0", "6", "three", True, "-1"):
        with pytest.raises(FieldError):
            rating.parse(bad)
    # The defaults are still there beside it.
    assert {"text", "number", "date", "rating"} <= set(field_types)


def test_hook_accord_automation_triggers(example_rt, admin):
    trigger_cls = example_rt.registries["triggers"]["example.deal_won"]
    assert example_rt.registries["triggers"].origins["example.deal_won"] == "example"
    deal = records.create(admin, Deal, {"name": "Big one", "value": "10"})
    in_pipeline = Stage.select().where(Stage.pipeline == deal.pipeline_id)
    last_active = in_pipeline.where(Stage.category == "active").order_by(-Stage.position).get()
    won = in_pipeline.where(Stage.category == "won").get()
    deals.move_stage(admin, deal, last_active)
    deals.move_stage(admin, deal, won)
    moves = [
        Event.from_row(row)
        for row in OutboxEvent.select()
        .where(OutboxEvent.type == "deal.stage_changed")
        .order_by(OutboxEvent.id)
    ]
    contexts = [Context(e, deal, None, admin, example_rt) for e in moves]
    assert [trigger_cls().matches(ctx) for ctx in contexts] == [False, True]


def test_hook_accord_automation_actions(example_rt, admin, marker):
    """The plugin's trigger and action, end to end through the engine."""
    assert example_rt.registries["actions"].origins["example.write_marker"] == "example"
    automation = automations.save(
        admin,
        example_rt,
        {
            "name": "Mark wins",
            "trigger": "example.deal_won",
            "actions": [
                {"type": "example.write_marker", "params": {"note": "Won {{ deal.name }}"}}
            ],
        },
    )
    deal = records.create(admin, Deal, {"name": "Big one", "value": "10"})
    won = (
        Stage.select().where((Stage.pipeline == deal.pipeline_id) & (Stage.category == "won")).get()
    )
    deals.move_stage(admin, deal, won)
    rows = list(marker.select().where(marker.kind == "action"))
    event = OutboxEvent.get(OutboxEvent.type == "deal.stage_changed")
    assert [(m.event_id, m.record_id, m.note) for m in rows] == [(event.id, deal.id, "Won Big one")]
    (run,) = automation.runs
    assert run.status == "done"
    assert run.results[0]["result"] == f"marker #{rows[0].id}"
    # A redelivered event does the action once.
    OutboxEvent.update(status="pending", lease_until=None).where(
        OutboxEvent.id == event.id
    ).execute()
    assert outbox.process(example_rt, event.id) == "done"
    assert marker.select().where(marker.kind == "action").count() == 1
    # "Test against a record" describes it and writes nothing.
    result = engine.dry_run(automation, deal, example_rt, user=admin)
    assert result.actions == [("Write an example marker", "write a marker “Won Big one”", True)]
    assert marker.select().where(marker.kind == "action").count() == 1


def test_hook_accord_notification_channels(example_rt, admin, marker):
    from accord.core import notifications

    channels = example_rt.channels
    assert channels.origins["example_marker"] == "example"
    assert {"web", "email", "example_marker"} <= set(channels)
    notifications.set_preferences(example_rt, admin, {"task_assigned": ["example_marker"]})
    # Delivered once per key, however often notify() is retried.
    for _ in range(2):
        notifications.notify(example_rt, admin, "task_assigned", "Deal won", key="n1")
    assert notifications.notify(example_rt, admin, "task_assigned", "Other", key="n2") == [
        "example_marker"
    ]
    rows = marker.select().where(marker.kind == "notification").order_by(marker.id)
    assert [(m.note, m.event_type, m.record_id) for m in rows] == [
        ("Deal won", "task_assigned", admin.id),
        ("Other", "task_assigned", admin.id),
    ]


def test_hook_accord_notification_kinds(example_rt, admin, marker):
    from accord.core import notifications
    from accord.core.models.notifications import Notification

    kinds = example_rt.notification_kinds
    assert kinds.origins["example.pinged"] == "example"
    assert kinds.origins["task_reminder"] == "default_notifications"
    # A plugin's kind gets its default channels until the user chooses.
    assert notifications.preferences(example_rt, admin)["example.pinged"] == [
        "web",
        "example_marker",
    ]
    notifications.notify(example_rt, admin, "example.pinged", "Ping", key="p1")
    assert [n.title for n in Notification.select()] == ["Ping"]
    assert [m.note for m in marker.select().where(marker.kind == "notification")] == ["Ping"]
    notifications.set_preferences(example_rt, admin, {"example.pinged": []})  # off
    assert notifications.notify(example_rt, admin, "example.pinged", "Again", key="p2") == []


def test_hook_accord_models(example_rt, marker):
    models = flat(example_rt.pm.hook.accord_models())
    assert marker in models
    assert "example_marker" in example_rt.db.get_tables()
    # Every plugin's tables carry its name as a prefix, so plugins never collide.
    for impl in example_rt.pm.hook.accord_models.get_hookimpls():
        name = example_rt.pm.get_name(impl.plugin)
        for model in impl.function() or ():
            assert model._meta.table_name.startswith(f"{name}_"), (name, model)


def test_hook_accord_migrations(example_rt, marker):
    # Built-in plugins (import_csv) bring their own migrations too; this test is the example's.
    mine = [m for m in flat(example_rt.pm.hook.accord_migrations()) if m.component == "example"]
    assert [(m.component, m.version, m.name) for m in mine] == [("example", 1, "create marker")]
    assert all(isinstance(m, Migration) for m in mine)
    assert mine[0] in example_rt.migrations()
    row = SchemaVersion.get(SchemaVersion.component == "example")
    assert (row.version, row.state) == (1, "done")
    example_rt.check_schema()
    # The runtime requires the plugin's migration, not only the core's.
    marker.drop_table()
    row.delete_instance()
    with pytest.raises(SchemaError, match="example 1"):
        example_rt.check_schema()
    assert example_rt.migrate(log=lambda *_: None) == 1
    example_rt.check_schema()
    assert marker.select().count() == 0


def test_hook_accord_admin_views(example_rt):
    app = example_app(example_rt)
    urls = {rule.rule: rule.endpoint for rule in app.url_map.iter_rules()}
    assert urls.get("/admin/example/") == "example_admin.index"
    views = [v for admin in app.extensions["admin"] for v in admin._views]
    view = next(v for v in views if v.endpoint == "example_admin")
    assert view.access_policy == "authenticated"
    client = app.test_client()
    anonymous = client.get("/admin/example/")
    assert anonymous.status_code in (302, 401, 403)
    assert b"marker(s)" not in anonymous.data
    make_user("Viewer", "restricted")  # "authenticated": any active user, even restricted
    assert login(client, "viewer@world.test").status_code in (302, 303)
    page = client.get("/admin/example/")
    assert page.status_code == 200
    assert b"<p id='markers'>0 marker(s)</p>" in page.data


def test_hook_accord_blueprints(example_rt):
    app = example_app(example_rt)
    rules = {rule.rule: rule for rule in app.url_map.iter_rules()}
    rule = rules["/plugins/example/hello"]
    assert rule.endpoint == "example.hello"
    assert app.view_functions[rule.endpoint].access_policy == "authenticated"
    client = app.test_client()
    anonymous = client.get("/plugins/example/hello")
    assert anonymous.status_code in (302, 401, 403)
    make_user("Caller", "normal")
    login(client, "caller@world.test")
    reply = client.get("/plugins/example/hello")
    assert reply.status_code == 200
    assert reply.get_json() == {"plugin": "example", "user": "caller@world.test"}


def test_hook_accord_cli_commands(example_rt, admin):
    from accord.admin.cli import cli

    commands = {c.name: c for c in flat(example_rt.pm.hook.accord_cli_commands())}
    assert "example-markers" in commands and set(commands) - {"import"} == {"example-markers"}
    records.create(admin, Contact, {"first_name": "Grace", "last_name": "Hopper"})
    env = {
        "ACCORD_HOME": str(example_rt.config.home),
        "ACCORD_DATABASE_URL": example_rt.config.database_url,
        "ACCORD_PLUGINS": "example",
        "ACCORD_SAFE_MODE": None,
        "ACCORD_REDIS_URL": None,
    }
    runner = CliRunner()
    # Through the real `accord` group, which adds the enabled plugins' commands.
    listing = runner.invoke(cli, ["--help"], env=env)
    assert "example-markers" in listing.output
    result = runner.invoke(cli, ["example-markers", "--kind", "event"], env=env)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "1 marker(s)"
    result = runner.invoke(cli, ["example-markers", "--kind", "job"], env=env)
    assert result.output.strip() == "0 marker(s)"
    disabled = runner.invoke(cli, ["example-markers"], env={**env, "ACCORD_PLUGINS": "-example"})
    assert disabled.exit_code != 0 and "No such command" in disabled.output


def test_hook_accord_record_panels(example_rt, admin):
    owner = make_user("Owner", "normal")
    restricted = make_user("Restricted", "restricted")
    contact = records.create(
        admin, Contact, {"first_name": "<b>Eve", "last_name": "Evil</b>"}, owner=owner
    )
    records.update(admin, contact, {"title": "CTO"})
    panels = flat(example_rt.pm.hook.accord_record_panels(record=contact, user=admin))
    assert len(panels) == 1
    title, html = panels[0]
    assert title == "Example"
    assert "has 2 event(s)" in html  # contact.created + contact.updated
    assert "&lt;b&gt;Eve Evil&lt;/b&gt;" in html and "<b>" not in html
    # The panel shows nothing to a user the policy keeps away from the record.
    assert flat(example_rt.pm.hook.accord_record_panels(record=contact, user=restricted)) == []


def test_hook_accord_jobs(example_rt, marker):
    touch = example_rt.tasks["example.touch"]
    assert touch.name == "example.touch"
    touch(42, note="from a job")  # huey immediate mode: runs inline, through huey
    rows = [(m.kind, m.record_id, m.note) for m in marker.select()]
    assert rows == [("job", 42, "from a job")]


def test_hook_accord_event(example_rt, admin, marker):
    contact = records.create(admin, Contact, {"first_name": "Alan", "last_name": "Turing"})
    row = OutboxEvent.get(OutboxEvent.type == "contact.created")
    # Delivered after commit through the outbox, in the same test (immediate mode).
    assert (row.status, row.attempts) == ("done", 1)
    events = list(marker.select().where(marker.kind == "event"))
    assert [(m.event_type, m.event_id, m.record_id) for m in events] == [
        ("contact.created", row.id, contact.id)
    ]
    # Redelivery (a lost lease, a retried job): the idempotency key keeps it to one row.
    for _attempt in range(2):
        OutboxEvent.update(status="pending", lease_until=None).where(
            OutboxEvent.id == row.id
        ).execute()
        assert outbox.process(example_rt, row.id) == "done"
    assert marker.select().where(marker.event_id == row.id).count() == 1
    assert OutboxEvent.get_by_id(row.id).attempts == 3


# Loading rules --------------------------------------------------------------------------


def test_example_is_found_through_its_entry_point(session_runtime, monkeypatch, tmp_path):
    assert "example" not in plugins.installed_entry_points()
    install_example(monkeypatch, tmp_path)
    ep = plugins.installed_entry_points()["example"]
    assert ep.value == "accord_example_plugin"
    pm = plugins.make_plugin_manager(session_runtime.config)
    example = pm.get_plugin("example")
    assert example.__name__ == "accord_example_plugin"
    row = next(r for r in plugins.describe(pm) if r["name"] == "example")
    from accord.core import hookspecs

    every_hook = sorted(n for n in vars(hookspecs) if n.startswith("accord_"))
    assert row["hooks"] == every_hook


def test_installed_is_not_enabled_when_a_list_is_given(session_runtime, monkeypatch, tmp_path):
    install_example(monkeypatch, tmp_path)
    pm = plugins.make_plugin_manager(config_with(session_runtime, plugins="example"))
    assert {name for name, _ in pm.list_name_plugin()} == DEFAULTS | {"example"}


def test_minus_name_disables_one_plugin(session_runtime, monkeypatch, tmp_path):
    install_example(monkeypatch, tmp_path)
    pm = plugins.make_plugin_manager(config_with(session_runtime, plugins="-example"))
    names = {name for name, _ in pm.list_name_plugin()}
    assert "example" not in names
    assert names >= BUILT_IN_INTEGRATIONS | DEFAULTS
    pm = plugins.make_plugin_manager(config_with(session_runtime, plugins=" example , -gmail "))
    assert {name for name, _ in pm.list_name_plugin()} == DEFAULTS | {"example"}


@pytest.mark.parametrize("spec", ["missing", "example,missing", "-missing"])
def test_a_plugin_named_but_not_installed_fails_at_start(
    session_runtime, monkeypatch, tmp_path, spec
):
    install_example(monkeypatch, tmp_path)
    with pytest.raises(plugins.PluginError, match="not installed: missing"):
        plugins.make_plugin_manager(config_with(session_runtime, plugins=spec))


def test_safe_mode_loads_no_entry_point_plugin(session_runtime, monkeypatch, tmp_path):
    install_example(monkeypatch, tmp_path)
    config = Config.from_env(
        {"ACCORD_HOME": str(tmp_path), "ACCORD_SAFE_MODE": "1", "ACCORD_PLUGINS": "example"}
    )
    assert config.safe_mode is True
    pm = plugins.make_plugin_manager(config)
    assert {name for name, _ in pm.list_name_plugin()} == DEFAULTS
    # The core's own field types still work in safe mode.
    assert {"text", "number", "checkbox", "date", "paragraph"} <= {
        t.name for t in flat(pm.hook.accord_field_types())
    }


MISSPELT = """
from accord.core.hookspecs import hookimpl

@hookimpl
def accord_evnt(event, runtime):
    pass
"""

BROKEN = """
raise RuntimeError("boom: this plugin needs a library that is not installed")
"""


def test_a_misspelt_hook_fails_at_make_plugin_manager(session_runtime, monkeypatch, tmp_path):
    install_plugin(
        monkeypatch,
        tmp_path / "site",
        "accord_typo_plugin",
        {"typo": "accord_typo_plugin"},
        {"accord_typo_plugin": MISSPELT},
    )
    with pytest.raises(plugins.PluginError, match=r"'typo'.*accord_evnt"):
        plugins.make_plugin_manager(session_runtime.config)
    # The same through extra_plugins, and a hook with an argument the spec lacks.

    class Extra:
        @hookimpl
        def accord_event(self, event, runtime, user):
            pass

    with pytest.raises(plugins.PluginError, match="'extra'"):
        plugins.make_plugin_manager(
            config_with(session_runtime, plugins="-typo"), [("extra", Extra())]
        )


def test_a_plugin_failing_to_import_fails_naming_it(session_runtime, monkeypatch, tmp_path):
    install_plugin(
        monkeypatch,
        tmp_path / "site",
        "accord_broken_plugin",
        {"broken": "accord_broken_plugin"},
        {"accord_broken_plugin": BROKEN},
    )
    with pytest.raises(plugins.PluginError, match=r"plugin 'broken' failed to load: boom"):
        plugins.make_plugin_manager(session_runtime.config)
    # Disabled, it is not even imported, so the server starts.
    pm = plugins.make_plugin_manager(config_with(session_runtime, plugins="-broken"))
    assert pm.get_plugin("broken") is None
    assert "accord_broken_plugin" not in sys.modules


def test_built_in_integrations_come_from_setup_py_entry_points(session_runtime):
    available = plugins.installed_entry_points()
    assert set(available) >= BUILT_IN_INTEGRATIONS
    for name in BUILT_IN_INTEGRATIONS:
        assert available[name].value == f"accord.plugins.{name}"
        assert available[name].dist.name == "accord-crm"
    pm = plugins.make_plugin_manager(config_with(session_runtime, plugins=None))
    for name in BUILT_IN_INTEGRATIONS:
        assert pm.get_plugin(name).__name__ == f"accord.plugins.{name}"
    # The core never imports them: they are not in its default list.
    assert not any(m.startswith("accord.plugins") for m in plugins.DEFAULT_PLUGINS)


def test_hook_order_tryfirst_and_wrappers(session_runtime):
    """The pluggy semantics docs/plugins.md promises: tryfirst runs first, a wrapper sees
    (and may change) the collected result."""
    calls = []

    class Early:
        @hookimpl(tryfirst=True)
        def accord_record_panels(self, record, user):
            calls.append("early")
            return [("Early", "")]

    class Wrapper:
        @hookimpl(wrapper=True)
        def accord_record_panels(self, record, user):
            result = yield
            return [batch for batch in result if batch]  # drop empty answers

    class Empty:
        @hookimpl
        def accord_record_panels(self, record, user):
            calls.append("empty")
            return []

    pm = plugins.make_plugin_manager(
        session_runtime.config, [("early", Early()), ("wrap", Wrapper())]
    )
    pm.register(Empty(), name="empty")
    result = pm.hook.accord_record_panels(record=None, user=None)
    assert calls == ["early", "empty"]
    assert result == [[("Early", "")]]

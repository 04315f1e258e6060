"""Registries of named things, built once per runtime from the register-style hooks:
unique names, a clear failure at start-up, and the core's defaults registered the same way."""

import pytest

from accord.core import plugins, registry
from accord.core import runtime as core_runtime
from accord.core.db import database
from accord.core.default_field_types import accord_field_types as default_types
from accord.core.fields import FieldType
from accord.core.hookspecs import hookimpl


class Stars(FieldType):
    name = "stars"


class OtherStars(FieldType):
    name = "stars"


class NoName(FieldType):
    pass


def plugin_returning(hook, *classes):
    """A plugin object whose `hook` returns `classes`."""

    def impl(self):
        return list(classes)

    impl.__name__ = hook
    return type(f"Plugin_{hook}", (), {hook: hookimpl(impl)})()


@pytest.fixture
def rt(session_runtime):
    """The session runtime, bound but not cleaned: no test here reads or writes rows (the
    conftest clean costs up to a second a test on PostgreSQL)."""
    database.initialize(session_runtime.db)
    session_runtime.activate()
    yield session_runtime
    if not database.is_closed():
        database.close()


@pytest.fixture
def restore_runtime(rt):
    """core.runtime.build re-binds the database proxy: give it back to the session one."""
    yield rt
    bound = database.obj
    if bound is not rt.db and not bound.is_closed():
        bound.close()
    database.initialize(rt.db)
    rt.activate()


def test_duplicate_field_type_fails_at_runtime_build_naming_both_plugins(restore_runtime):
    extra = [
        ("stars_one", plugin_returning("accord_field_types", Stars)),
        ("stars_two", plugin_returning("accord_field_types", OtherStars)),
    ]
    with pytest.raises(registry.RegistryError) as failure:
        core_runtime.build(restore_runtime.config, extra_plugins=extra)
    message = str(failure.value)
    assert "duplicate field type 'stars'" in message
    assert "stars_one" in message and "stars_two" in message


def test_a_plugin_cannot_take_a_default_name(restore_runtime):
    class MyText(FieldType):
        name = "text"

    extra = [("shadow", plugin_returning("accord_field_types", MyText))]
    with pytest.raises(registry.RegistryError, match="default_field_types and shadow"):
        core_runtime.build(restore_runtime.config, extra_plugins=extra)


@pytest.mark.parametrize(
    "hook,kind",
    [(hook, kind) for hook, kind in core_runtime.REGISTRY_HOOKS.values()],
)
def test_duplicates_fail_in_every_registry(rt, hook, kind):
    first = type("First", (), {"name": "same"})
    second = type("Second", (), {"name": "same"})
    pm = plugins.make_plugin_manager(
        rt.config, [("p1", plugin_returning(hook, first)), ("p2", plugin_returning(hook, second))]
    )
    with pytest.raises(registry.RegistryError, match=f"duplicate {kind} 'same'.*p1 and p2"):
        registry.build(pm, hook, kind)


@pytest.mark.parametrize("bad_name", [None, "", 42])
def test_a_class_without_a_string_name_fails(rt, bad_name):
    nameless = type("Nameless", (), {"name": bad_name})
    pm = plugins.make_plugin_manager(
        rt.config, [("nameless", plugin_returning("accord_automation_actions", nameless))]
    )
    with pytest.raises(registry.RegistryError, match="from nameless has no string `name`"):
        registry.build(pm, "accord_automation_actions", "automation action")


def test_a_field_type_without_a_name_fails_at_runtime_build(restore_runtime):
    extra = [("anon", plugin_returning("accord_field_types", NoName))]
    with pytest.raises(registry.RegistryError, match="field type .*NoName.* from anon"):
        core_runtime.build(restore_runtime.config, extra_plugins=extra)


def test_defaults_are_registered_through_the_same_hook(rt):
    field_types = rt.registries["field_types"]
    defaults = {cls.name for cls in default_types()}
    assert defaults == {
        "text",
        "paragraph",
        "checkbox",
        "dropdown",
        "multiselect",
        "date",
        "email",
        "phone",
        "address",
        "url",
        "number",
        "currency",
    }
    for name in defaults:
        assert field_types.origins[name] == "default_field_types"
    # The defaults module is a plugin like any other: the manager lists its hook.
    assert "accord.core.default_field_types" in plugins.DEFAULT_PLUGINS
    row = next(r for r in plugins.describe(rt.pm) if r["name"] == "default_field_types")
    assert row["hooks"] == ["accord_field_types"]
    assert row["module"] == "accord.core.default_field_types"


def test_registries_keep_load_order_and_origins(rt):
    extra = [
        ("first", plugin_returning("accord_notification_channels", type("A", (), {"name": "a"}))),
        ("second", plugin_returning("accord_notification_channels", type("B", (), {"name": "b"}))),
    ]
    pm = plugins.make_plugin_manager(rt.config, extra)
    channels = registry.build(pm, "accord_notification_channels", "notification channel")
    # After the core's own channels (web, email), in load order.
    assert list(channels) == ["web", "email", "a", "b"]
    assert channels.origins == {
        "web": "default_notifications",
        "email": "default_notifications",
        "a": "first",
        "b": "second",
    }
    assert channels.kind == "notification channel"


def test_every_registry_hook_is_built_by_the_runtime(rt):
    assert set(rt.registries) == set(core_runtime.REGISTRY_HOOKS)
    for key, (_hook, kind) in core_runtime.REGISTRY_HOOKS.items():
        assert rt.registries[key].kind == kind
    assert rt.field_types is rt.registries["field_types"]
    assert rt.channels is rt.registries["channels"]


def test_a_hook_wrapper_does_not_break_a_registry(rt):
    class Wrapper:
        @hookimpl(wrapper=True)
        def accord_field_types(self):
            return (yield)

    pm = plugins.make_plugin_manager(
        rt.config, [("stars", plugin_returning("accord_field_types", Stars)), ("w", Wrapper())]
    )
    field_types = registry.build(pm, "accord_field_types", "field type")
    assert field_types.origins["stars"] == "stars"
    assert "w" not in field_types.origins.values()

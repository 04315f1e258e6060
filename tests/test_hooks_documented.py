"""Every hook is specified with a docstring, documented in docs/plugins.md, implemented by
the example plugin and tested by a `test_hook_<name>` function (DESIGN.md §6)."""

import ast
import inspect
import re
import textwrap
from pathlib import Path

import pytest

from accord.core import hookspecs

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "plugins.md"
EXAMPLE = ROOT / "tests" / "plugin_example" / "accord_example_plugin" / "__init__.py"
TESTS = ROOT / "tests"

SPECS = {
    name: fn
    for name, fn in vars(hookspecs).items()
    if callable(fn) and hasattr(fn, "accord_spec")  # set by HookspecMarker("accord")
}


def guide_text():
    return GUIDE.read_text(encoding="utf-8")


def python_blocks(markdown):
    # Blocks may be indented (inside a list item): dedent before parsing.
    found = re.findall(r"^([ \t]*)```python\n(.*?)^\1```", markdown, flags=re.S | re.M)
    return [textwrap.dedent(body) for _indent, body in found]


def hookimpl_functions(tree):
    """Names of functions decorated with hookimpl / hookimpl(...) anywhere in `tree`."""
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            for deco in node.decorator_list:
                target = deco.func if isinstance(deco, ast.Call) else deco
                if isinstance(target, ast.Name) and target.id == "hookimpl":
                    names[node.name] = [a.arg for a in node.args.args if a.arg != "self"]
    return names


def test_there_are_hooks_and_all_are_named_accord():
    # The hooks DESIGN.md §6 names (more are welcome).
    assert {
        "accord_field_types",
        "accord_automation_triggers",
        "accord_automation_actions",
        "accord_notification_channels",
        "accord_models",
        "accord_migrations",
        "accord_admin_views",
        "accord_blueprints",
        "accord_cli_commands",
        "accord_record_panels",
        "accord_jobs",
        "accord_event",
    } <= set(SPECS)
    assert all(name.startswith("accord_") for name in SPECS)
    # Nothing named like a hook escapes the spec marker (it would never be checked).
    loose = {n for n, f in vars(hookspecs).items() if n.startswith("accord_") and callable(f)}
    assert loose == set(SPECS)


@pytest.mark.parametrize("name", sorted(SPECS))
def test_hook_has_a_docstring(name):
    doc = inspect.getdoc(SPECS[name])
    assert doc and len(doc.strip()) > 10, f"{name} in core/hookspecs.py needs a docstring"


@pytest.mark.parametrize("name", sorted(SPECS))
def test_hook_has_a_heading_in_the_guide(name):
    headings = re.findall(r"^#{2,4}\s+`?(\w+)`?\s*$", guide_text(), flags=re.M)
    assert name in headings, f"docs/plugins.md has no heading for {name}"


@pytest.mark.parametrize("name", sorted(SPECS))
def test_hook_section_has_a_working_example(name):
    text = guide_text()
    section = re.split(rf"^#{{2,4}}\s+`?{name}`?\s*$", text, flags=re.M)[1]
    section = re.split(r"^#{2,4}\s", section, flags=re.M)[0]
    blocks = python_blocks(section)
    assert blocks, f"the {name} section has no python example"
    implemented = {}
    for block in blocks:
        implemented.update(hookimpl_functions(ast.parse(block)))
    assert name in implemented, f"the {name} example does not implement it with @hookimpl"


def test_the_guide_names_only_real_hooks_with_real_arguments():
    text = guide_text()
    for heading in re.findall(r"^#{2,4}\s+`?(accord_\w+)`?\s*$", text, flags=re.M):
        assert heading in SPECS, f"docs/plugins.md documents a hook that does not exist: {heading}"
    for block in python_blocks(text):
        tree = ast.parse(block)  # every example at least parses
        for name, args in hookimpl_functions(tree).items():
            assert name in SPECS, f"an example implements unknown hook {name}"
            spec_args = list(inspect.signature(SPECS[name]).parameters)
            assert set(args) <= set(spec_args), (name, args, spec_args)


def test_the_example_plugin_implements_every_hook():
    implemented = hookimpl_functions(ast.parse(EXAMPLE.read_text(encoding="utf-8")))
    missing = set(SPECS) - set(implemented)
    assert not missing, f"tests/plugin_example does not implement {sorted(missing)}"


def test_every_hook_has_a_test_named_after_it():
    defined = set()
    for path in TESTS.rglob("test_*.py"):
        defined |= set(re.findall(r"^def (test_hook_accord_\w+)\(", path.read_text(), flags=re.M))
    missing = {name for name in SPECS if f"test_hook_{name}" not in defined}
    assert not missing, f"no test_hook_<name> test for {sorted(missing)}"

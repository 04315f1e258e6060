"""Sandboxed placeholders (SECURITY C18): templates fill in data and execute nothing."""

import pytest

from accord.core import placeholders
from accord.core.models import Contact, Deal, Task
from accord.core.services import automations, deals, records
from accord.core.services.errors import ValidationError
from tests.automation_support import make, stage
from tests.world import make_user


def test_placeholders_fill_in_values_and_missing_ones_are_empty():
    context = {"deal": {"name": "Roof", "contact": {"first_name": "Ann"}}}
    text = "{{ deal.name }} for {{ deal.contact.first_name }}{{ deal.nope.deeper }}{{ nothing }}."
    assert placeholders.render(text, context) == "Roof for Ann."


def test_values_are_data_never_templates():
    context = {"contact": {"name": "{{7*7}}", "title": "{% for x in range(3) %}x{% endfor %}"}}
    assert placeholders.render("Hi {{ contact.name }}", context) == "Hi {{7*7}}"
    assert placeholders.render("{{ contact.title }}", context) == context["contact"]["title"]
    # The template itself may compute (it was written by an admin), in the sandbox.
    assert placeholders.render("{{ 7*7 }}", {}) == "49"


def test_html_templates_escape_values_and_text_templates_do_not():
    context = {"contact": {"name": "<script>alert(1)</script> & co"}}
    assert placeholders.render("{{ contact.name }}", context, html=True) == (
        "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co"
    )
    assert placeholders.render("{{ contact.name }}", context) == context["contact"]["name"]


@pytest.mark.parametrize(
    "template",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
        "{{ 'a' * 100000000 }}",
        "{{ 2 ** 100000000 }}",
    ],
)
def test_the_sandbox_refuses_code_execution_and_resource_abuse(template):
    with pytest.raises(placeholders.PlaceholderError):
        placeholders.render(template, {"deal": {"name": "x"}})


def test_unsafe_attributes_render_empty():
    context = {"deal": {"name": "x"}}
    assert placeholders.render("[{{ deal.__class__.__init__.__globals__ }}]", context) == "[]"
    assert placeholders.render("[{{ deal.name.__class__ }}]", context) == "[]"


def test_syntax_errors_are_clear():
    with pytest.raises(placeholders.PlaceholderError, match="Placeholder error on line 2"):
        placeholders.check("fine\n{{ deal.name ")
    placeholders.check("{{ deal.name }} {% if deal.value %}x{% endif %}")


def test_a_record_named_like_a_template_renders_literally_end_to_end(rt, smtp):
    admin = make_user("Ada", "admin")
    template = automations.save_template(
        admin,
        {"name": "Quote", "subject": "Quote {{ deal.name }}", "body": "Dear {{ contact.name }}"},
    )
    make(
        rt,
        admin,
        "deal.stage_changed",
        [
            ("create_tasks", {"content": "Call {{ contact.name }} about {{ deal.name }}"}),
            ("send_email", {"template": template.id}),
        ],
    )
    person = records.create(admin, Contact, {"last_name": "{{7*7}}", "email": "evil@x.test"})
    deal = records.create(admin, Deal, {"name": "{{ config }}{% raw %}", "contact": person.id})
    deals.move_stage(admin, deal, stage("Quote"))
    assert Task.get().content == "Call {{7*7}} about {{ config }}{% raw %}"
    (message,) = smtp.messages
    assert message[1]["Subject"] == "Quote {{ config }}{% raw %}"
    assert message[1].get_content().strip() == "Dear {{7*7}}"


def test_email_templates_are_checked_when_saved(rt):
    admin = make_user("Ada", "admin")
    with pytest.raises(ValidationError) as caught:
        automations.save_template(admin, {"name": "Bad", "subject": "{{ x", "body": "{% if %}"})
    assert set(caught.value.errors) == {"subject", "body"}
    assert "Placeholder error" in caught.value.errors["body"]

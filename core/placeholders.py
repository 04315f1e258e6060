"""Placeholders in automation texts and email templates: `{{ deal.name }}`.

Rendered by Jinja's sandbox with an allowlisted context of plain values (dicts, strings,
numbers) built by the caller — never models, so a template reaches no method, no query and
no attribute the context does not list. Values are data: a contact named `{{7*7}}` shows
as `{{7*7}}`, because only the template text is ever compiled (SECURITY C18).
"""

from jinja2 import ChainableUndefined, TemplateSyntaxError
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

# A template cannot build huge strings or numbers to exhaust memory.
MAX_OUTPUT = 100_000
MAX_OPERAND = 10_000


class PlaceholderError(ValueError):
    """A template that does not compile, or that tried something the sandbox forbids."""


class _Sandbox(SandboxedEnvironment):
    intercepted_binops = frozenset(["*", "**"])

    def call_binop(self, context, operator, left, right):
        if operator == "**" and abs(right) > 64:
            raise SecurityError("exponent too large")
        if operator == "*":
            for side, other in ((left, right), (right, left)):
                if isinstance(side, (str, list, tuple)) and abs(other) > MAX_OPERAND:
                    raise SecurityError("repetition too large")
        return super().call_binop(context, operator, left, right)


def _environment(html):
    # Undefined names render empty, however deep: `{{ deal.contact.email }}` with no contact.
    return _Sandbox(autoescape=html, undefined=ChainableUndefined, keep_trailing_newline=True)


_TEXT, _HTML = _environment(False), _environment(True)


def check(text):
    """Raise PlaceholderError with a clear message if `text` is not a valid template."""
    try:
        _TEXT.parse(text or "")
    except TemplateSyntaxError as exc:
        raise PlaceholderError(f"Placeholder error on line {exc.lineno}: {exc.message}") from None


def render(text, context, html=False):
    """`text` with its placeholders filled from `context` (escaped when `html`)."""
    env = _HTML if html else _TEXT
    try:
        template = env.from_string(text or "")
        out = template.render(**(context or {}))
    except TemplateSyntaxError as exc:
        raise PlaceholderError(f"Placeholder error on line {exc.lineno}: {exc.message}") from None
    except SecurityError as exc:
        raise PlaceholderError(f"Not allowed in a template: {exc}") from None
    except (TypeError, ValueError, ArithmeticError, OverflowError) as exc:
        raise PlaceholderError(f"The template failed: {exc}") from None
    if len(out) > MAX_OUTPUT:
        raise PlaceholderError("The rendered text is too long.")
    return out

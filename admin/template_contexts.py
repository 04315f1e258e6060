"""Template contexts released when their request ends.

A template's macros refer to the context they were defined in, and the context to
them: a page whose templates define or import macros (Flask-Admin's layout is imported
"with context" on every page) leaves its whole context — every variable of the page,
the board's cards, a datasheet's items — in a reference cycle that only the garbage
collector frees. On the board that was two thousand objects a page, and a full
collection (10 ms) every twenty pages. The app's templates note the contexts they make
during a request; when it ends, their variables are dropped, which breaks the cycles,
so what the page held is freed at once. The modules Jinja keeps per process (a template
imported without context) are made outside that bookkeeping and left alone.
"""

from flask import g, has_request_context
from jinja2 import Template

_NOTED = "_accord_template_contexts"


class ReleasedContexts(Template):
    def new_context(self, vars=None, shared=False, locals=None):
        context = super().new_context(vars, shared, locals)
        if has_request_context() and not (vars is None and not shared and not locals):
            g.setdefault(_NOTED, []).append(context)
        return context


def init_app(app):
    """Before any template loads: the environment makes its templates of this class."""
    app.jinja_env.template_class = ReleasedContexts

    @app.teardown_request
    def _release(exc):
        # The response is rendered (templates are never streamed here).
        for context in g.pop(_NOTED, ()):
            context.vars.clear()
            context.exported_vars.clear()
            context.parent.clear()

"""Global search (/admin/search/?q=…): leads, contacts, companies and deals in one page.

The matching lives in accord.core.search (one function the scale issue can swap); this
view only renders its results, grouped by kind, each a link to its datasheet, with a
"more in the list" link to the entity list searched for the same text.
"""

from flask import request, url_for
from flask_admin import BaseView, expose
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from accord.admin.views.base import prefetch
from accord.admin.views.formatters import link_to
from accord.admin.views.gate import GateMixin, current_user
from accord.admin.views.home import money
from accord.core import search

GROUPS = [
    ("lead", _l("Leads")),
    ("contact", _l("Contacts")),
    ("company", _l("Companies")),
    ("deal", _l("Deals")),
]
assert {k for k, _label in GROUPS} == set(search.KINDS)
# Linked records shown beside a hit, loaded for the whole group in one query each.
PREFETCH = {
    "lead": ("owner",),
    "contact": ("organization", "owner"),
    "company": ("owner",),
    "deal": ("organization", "contact", "stage", "owner"),
}


class SearchView(GateMixin, BaseView):
    access_policy = "authenticated"

    def is_visible(self):
        return False  # the box in the navbar, not a menu entry

    @expose("/")
    def index(self):
        text = request.args.get("q", "")
        groups, error = [], None
        if text.strip():
            try:
                found = search.search(current_user(), text)
            except search.QueryError:
                error = self.explain(text)
            else:
                groups = self.groups(found, search.clean(text))
        return self.render(
            "accord/search.html",
            q=text[: search.MAX_LENGTH * 2],
            groups=groups,
            error=error,
            total=sum(len(g["hits"]) for g in groups),
            link_to=link_to,
            money=money,
        )

    def groups(self, found, term):
        groups = []
        for kind, label in GROUPS:
            hits = found[kind]
            prefetch(hits.records, PREFETCH[kind])
            groups.append(
                {
                    "kind": kind,
                    "label": label,
                    "hits": hits.records,
                    "more": hits.more,
                    "endpoint": kind,
                    "list_url": url_for(f"{kind}.index_view", search=term),
                }
            )
        return groups

    def explain(self, text):
        if len(" ".join(text.split())) > search.MAX_LENGTH:
            return gettext(
                "The search text is too long: use at most %(n)s characters.", n=search.MAX_LENGTH
            )
        return gettext("The search text contains characters that cannot be searched.")


def search_view():
    return SearchView(name=_l("Search"), endpoint="search", url="/admin/search")

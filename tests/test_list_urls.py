"""A list page's links to itself (sort, pager, page size) are what url_for builds."""

from flask import url_for

from accord.admin.views.base import AccessModelView

CASES = [
    {},
    {"page": None, "sort": None, "desc": None, "search": None, "page_size": 50},
    {"page": 3, "sort": 2, "desc": 1, "search": "a b'c&d=é/?#", "page_size": 25},
    {"search": "100% <x> +1", "flt0_0": "7", "flt1_3": "2026-01-01 to 2026-02-01"},
    {"flt0_2": ["1", "2"], "page": 0, "search": ""},
]


def test_list_urls_match_url_for(app):
    views = [v for v in app.extensions["admin"][0]._views if isinstance(v, AccessModelView)]
    assert len(views) > 5
    for view in views:
        with app.test_request_context(f"/admin/{view.endpoint}/"):
            for kwargs in CASES:
                expected = url_for(f"{view.endpoint}.index_view", **kwargs)
                assert view.get_url(".index_view", **kwargs) == expected, (view.endpoint, kwargs)
            # Other endpoints still go through url_for.
            assert view.get_url(".details_view", id=5) == url_for(
                f"{view.endpoint}.details_view", id=5
            )

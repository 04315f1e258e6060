"""Template contexts are released when their request ends (accord.admin.template_contexts):
a page's records are freed at once, not left in reference cycles for the garbage
collector, and what Jinja keeps per process still renders the next page."""

import gc
import re

import pytest
from jinja2.runtime import Context
from peewee import Model

from accord.core.models import Deal
from tests.web import login
from tests.world import build_world

_NONCE = re.compile(r'nonce="[^"]+"')
_TOKEN = re.compile(r'(name="csrf_token" value=|csrf=|data-csrf=)"[^"]*"')


@pytest.fixture
def world(rt):
    return build_world()


def pages(world):
    deal = Deal.select().order_by(Deal.id).first()
    return [
        "/admin/board/",
        "/admin/",
        f"/admin/deal/details/?id={deal.id}",
        "/admin/search/?q=Deal",
        "/admin/deal/",
    ]


def shown(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    html = response.get_data(as_text=True)
    return _TOKEN.sub(r'\1"T"', _NONCE.sub('nonce="N"', html))


@pytest.mark.parametrize("index", range(5))
def test_a_page_leaves_no_cycle_holding_its_data(app, world, index):
    client = app.test_client()
    login(client, world.users["A"].email)
    url = pages(world)[index]
    first = shown(client, url)
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        again = shown(client, url)
        gc.collect()
        records = [o for o in gc.garbage if isinstance(o, Model)]
        holding = [o for o in gc.garbage if isinstance(o, Context) and (o.vars or o.parent)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert records == [] and holding == []
    # What Jinja keeps per process (modules imported without context) is intact: the
    # page renders as before.
    assert again == first

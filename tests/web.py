"""Test-client helpers: log in through the real form, post with the CSRF token."""

import re

from tests.world import PASSWORD

_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def csrf_token(client, path="/login"):
    html = client.get(path).get_data(as_text=True)
    match = _TOKEN.search(html)
    assert match, f"no csrf_token on {path}"
    return match.group(1) or match.group(2)


def login(client, email, password=PASSWORD, next_url=None):
    token = csrf_token(client, "/login")
    url = "/login" + (f"?next={next_url}" if next_url else "")
    return client.post(url, data={"email": email, "password": password, "csrf_token": token})


def post(client, path, data=None, token_from=None, **kwargs):
    """POST with a CSRF token taken from `token_from` (default: the admin home page)."""
    token = csrf_token(client, token_from or "/admin/")
    payload = dict(data or {})
    payload.setdefault("csrf_token", token)
    return client.post(path, data=payload, **kwargs)

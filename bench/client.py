"""A small HTTP client with a cookie jar: logs in through the real login form and times
whole requests (connect, send, read the full body) on loopback.

One connection per request: gunicorn's sync workers close every connection anyway, and
the same client then measures every server the same way.
"""

import http.client
import re
import time
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


@dataclass
class Response:
    status: int
    body: bytes
    seconds: float
    location: str = ""

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")


class LoginError(RuntimeError):
    pass


class Client:
    def __init__(self, base, timeout=300):
        parts = urlsplit(base)
        self.host, self.port = parts.hostname, parts.port
        self.timeout = timeout
        self.cookies = {}

    def copy(self):
        """A client with the same session (one per load thread)."""
        other = Client(f"http://{self.host}:{self.port}", self.timeout)
        other.cookies = dict(self.cookies)
        return other

    def request(self, method, path, body=None, headers=None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        headers.setdefault("Connection", "close")
        started = time.perf_counter()
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            seconds = time.perf_counter() - started
            for header in resp.headers.get_all("Set-Cookie") or ():
                self._remember(header)
            return Response(resp.status, data, seconds, resp.headers.get("Location", ""))
        finally:
            conn.close()

    def _remember(self, header):
        jar = SimpleCookie()
        jar.load(header)
        for name, morsel in jar.items():
            if ("1970" in (morsel["expires"] or "")) or morsel["max-age"] == "0":
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = morsel.value

    def get(self, path):
        return self.request("GET", path)

    def login(self, email, password):
        page = self.get("/login")
        match = _TOKEN.search(page.text)
        if page.status != 200 or not match:
            raise LoginError(f"no login form at /login (status {page.status})")
        form = {
            "email": email,
            "password": password,
            "csrf_token": match.group(1) or match.group(2),
        }
        done = self.request(
            "POST",
            "/login",
            body=urlencode(form),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        if done.status not in (302, 303):
            raise LoginError(f"login as {email} failed (status {done.status})")
        check = self.get("/admin/")
        if check.status != 200:
            raise LoginError(f"after login as {email}, /admin/ answers {check.status}")
        return self

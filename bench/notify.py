"""Event → web notification latency, through the real back office and a real worker.

An admin assigns a new task to the bench's sales person (POST /admin/task/new/, the form a
user submits); the clock starts when that response arrives (the task and its event are
committed) and stops when the person's web notification row exists, i.e. when their
next page shows it in the bell. The database is polled every POLL_SECONDS, read-only: a
coarser poll would round latencies of a few milliseconds up to its own step.

Embedded: `accord serve` with its own worker child (SqliteHuey in ACCORD_HOME, or the
database's queue). Redis: `accord serve --no-worker` plus a separate `accord worker`,
both on ACCORD_REDIS_URL (the scale-out shape). The probe tasks are deleted afterwards
through the back office, so reruns reuse the same data.
"""

import os
import re
import secrets
import time
from urllib.parse import urlencode

from bench import server
from bench.client import Client
from bench.dbapi import Database
from bench.measure import PageError, Sample

REDIS_ENV = "ACCORD_BENCH_REDIS_URL"
DEFAULT_REDIS = "redis://127.0.0.1:6379/15"
TIMEOUT = 20.0  # a notification later than this counts as lost (an error, not a figure)
POLL_SECONDS = 0.0005
_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


class NotifyError(RuntimeError):
    pass


def redis_url():
    """The Redis URL for the Redis figure, or None when no Redis answers there."""
    url = os.environ.get(REDIS_ENV, DEFAULT_REDIS)
    try:
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=2)
        client.ping()
        client.close()
    except Exception:
        return None
    return url


def _token(client, path):
    page = client.get(path)
    match = _TOKEN.search(page.text)
    if page.status != 200 or not match:
        raise PageError(page.status, f"no form at {path} (status {page.status})")
    return match.group(1) or match.group(2)


def _wait_for(db, user_id, title):
    """Seconds until the notification row exists (polled), or None after TIMEOUT."""
    sql = 'SELECT record_id FROM "notification" WHERE user_id = ? AND title = ?'
    started = time.perf_counter()
    while time.perf_counter() - started < TIMEOUT:
        rows = db.rows(sql, (user_id, title))
        if rows:
            return time.perf_counter(), rows[0][0]
        time.sleep(POLL_SECONDS)
    return None, None


def probe_latencies(base, data, n, budget):
    """Latencies (seconds) of `n` assignments; stops early after `budget` seconds."""
    admin, person = data.accounts["admin"], data.accounts["normal"]
    client = Client(base).login(admin["email"], admin["password"])
    db = Database(data.database_url)
    try:
        user_id = db.value('SELECT id FROM "user" WHERE email = ?', (person["email"],))
        if user_id is None:
            raise NotifyError(f"no user {person['email']}")
        token = _token(client, "/admin/task/new/")
        sample, made, spent = Sample(), [], 0.0
        for i in range(n + 1):  # the first one warms the worker up and is not counted
            title = f"Bench notification probe {secrets.token_hex(4)}"
            form = {"csrf_token": token, "content": title, "owner": user_id}
            resp = client.request("POST", "/admin/task/new/", urlencode(form), FORM)
            if resp.status not in (302, 303):
                raise PageError(resp.status, f"creating a task answered {resp.status}")
            sent = time.perf_counter()
            seen, task_id = _wait_for(db, user_id, f"Task assigned to you: {title}")
            if seen is None:
                raise NotifyError(f"no notification within {TIMEOUT:g} s for {title!r}")
            made.append(task_id)
            if i:
                sample.seconds.append(seen - sent)
                spent += seen - sent
            if spent >= budget and i >= 3:
                break
        for task_id in made:
            if task_id is not None:
                client.request(
                    "POST", "/admin/task/delete/", urlencode({"csrf_token": token, "id": task_id}),
                    FORM,
                )  # fmt: skip
        return sample
    finally:
        db.close()


def servers(data, redis, log_dir):
    """The processes of one figure: embedded (redis None) or Redis scale-out."""
    env = data.env()
    if redis is None:
        return [server.accord_serve(env, log_dir, worker=True)]
    # A queue name of its own: nothing else on that Redis shares (or skews) it.
    jobs = f"accord-bench-{secrets.token_hex(6)}"
    env = {**env, "ACCORD_REDIS_URL": redis, "ACCORD_JOBS_NAME": jobs}
    web = server.accord_serve(env, log_dir)
    return [web, server.accord_worker(env, log_dir)]

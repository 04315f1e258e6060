"""The scale-out path: jobs through a real Redis (RedisHuey) and a real `accord worker`.

Runs when ACCORD_TEST_REDIS_URL is set (CI sets it). The database is a scratch
PostgreSQL schema when ACCORD_TEST_DATABASE_URL is set too, else SQLite. The queue
name is unique per test run, so parallel runs sharing one Redis do not see each other.
"""

import os
import uuid
from urllib.parse import urlparse

import pytest
from huey import RedisHuey

from accord.core.models import Contact, OutboxEvent
from accord.core.services import records, users
from tests.test_worker import Instance, local_runtime, outbox_row, wait_for

REDIS_URL = os.environ.get("ACCORD_TEST_REDIS_URL")
PG_URL = os.environ.get("ACCORD_TEST_DATABASE_URL")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not REDIS_URL, reason="ACCORD_TEST_REDIS_URL is not set"),
]


@pytest.fixture
def database_url():
    """A scratch schema in the PostgreSQL test database (dropped afterwards; cheaper than a
    database, whose CREATE/DROP waits for a checkpoint), or None for SQLite."""
    if not PG_URL or not PG_URL.startswith("postgres"):
        yield None
        return
    import psycopg2

    schema = f"accord_redis_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(PG_URL)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'CREATE SCHEMA "{schema}"')
    parts = urlparse(PG_URL)
    query = "&".join(filter(None, [parts.query, f"options=-csearch_path%3D{schema}"]))
    try:
        yield parts._replace(query=query).geturl()
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.close()


def test_worker_delivers_through_redis(tmp_path, database_url):
    inst = Instance(tmp_path, database_url=database_url)
    jobs_name = f"accord-test-{uuid.uuid4().hex[:12]}"
    inst.env.update(ACCORD_REDIS_URL=REDIS_URL, ACCORD_JOBS_NAME=jobs_name)
    result = inst.run("migrate")
    assert result.returncode == 0, result.stderr
    worker = inst.start_worker()
    try:
        with local_runtime(inst, redis_url=REDIS_URL, extra={"jobs_name": jobs_name}) as rt:
            assert isinstance(rt.huey, RedisHuey)
            assert rt.huey.name == jobs_name
            try:
                admin = users.create_user(None, "admin@redis.test", role="admin")
                contact = records.create(
                    admin, Contact, {"first_name": "Via", "last_name": "Redis"}
                )
                event = OutboxEvent.get(
                    (OutboxEvent.type == "contact.created") & (OutboxEvent.record_id == contact.id)
                )
                row = wait_for(
                    lambda: outbox_row(event.id).status == "done" and outbox_row(event.id),
                    what="the worker to deliver through Redis",
                )
                assert row.attempts == 1
                # Delivered by the worker process (the probe plugin's hook ran there).
                seen = inst.probe_file("events.log").split()
                assert seen[:3] == [str(event.id), "contact.created", str(worker.pid)]
                assert rt.huey.pending_count() == 0
            finally:
                inst.stop(worker)
                rt.huey.flush()  # only this run's keys: the name is unique
    finally:
        inst.stop_all()
    assert worker.returncode == 0
    log = worker.log_path.read_text()
    assert "RedisHuey" in log and jobs_name in log

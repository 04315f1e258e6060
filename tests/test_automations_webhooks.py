"""The "call a webhook" action against a real HTTP receiver (SECURITY E23, E25, B12).

Delivery itself (signing, retries, backoff, dead letters, the SSRF guard at send) belongs
to accord.core.webhooks and is tested in tests/test_webhooks.py; here the automation side:
the URL is checked when the automation is saved, one delivery per event however often the
event is redelivered, a stable signed event id, and a body limited to what the author sees.
"""

import json

import pytest

from accord.core import outbox as core_outbox
from accord.core import webhooks
from accord.core.models import Contact, Deal, OutboxEvent, utcnow
from accord.core.models.webhooks import WebhookDelivery
from accord.core.services import records
from accord.core.services.errors import ValidationError
from tests import receiver
from tests.automation_support import make, outbox, runs
from tests.world import make_user

SECRET = "automation-secret"


@pytest.fixture
def rx(rt):
    with receiver.Receiver() as rx:
        saved = dict(rt.config.extra)
        rt.config.extra["webhook_allowlist"] = [rx.host_port]
        try:
            yield rx
        finally:
            rt.config.extra.clear()
            rt.config.extra.update(saved)


def test_a_webhook_action_delivers_once_signed_with_a_stable_event_id(rt, rx):
    admin = make_user("Ada", "admin")
    auto = make(
        rt, admin, "deal.created", [("call_webhook", {"url": rx.url("/deals"), "secret": SECRET})]
    )
    deal = records.create(admin, Deal, {"name": "Hooked deal", "value": "99"})
    row = outbox("deal.created")[0]
    # The outbox hands the event out again: still one delivery, one request.
    OutboxEvent.update(status="pending", lease_until=None).where(OutboxEvent.id == row.id).execute()
    assert core_outbox.process(rt, row.id) == "done"
    (request,) = rx.requests
    key = f"event:{row.id}:automation:{auto.id}:0"
    assert request.path == "/deals"
    assert request.headers["X-Accord-Event-Id"] == key
    assert webhooks.verify_signature(
        SECRET,
        request.headers["X-Accord-Timestamp"],
        request.body,
        request.headers["X-Accord-Signature"],
    )
    body = json.loads(request.body)
    assert body["event_id"] == key and body["event"] == "deal.created"
    assert body["record"]["id"] == deal.id and body["record"]["name"] == "Hooked deal"
    assert WebhookDelivery.select().count() == 1
    (run,) = runs(auto)
    assert run.status == "done" and "webhook queued" in run.results[0]["result"]


def test_a_failing_receiver_ends_in_a_dead_letter_not_a_failed_run(rt, rx):
    admin = make_user("Ada", "admin")
    rx.default = 500
    make(rt, admin, "deal.created", [("call_webhook", {"url": rx.url(), "secret": SECRET})])
    records.create(admin, Deal, {"name": "Refused"})
    delivery = WebhookDelivery.get()
    for _attempt in range(2, webhooks.MAX_ATTEMPTS + 1):
        WebhookDelivery.update(next_attempt_at=utcnow()).where(
            WebhookDelivery.id == delivery.id
        ).execute()
        webhooks.sweep(rt)
    assert WebhookDelivery.get_by_id(delivery.id).status == "dead"
    assert len(rx.requests) == webhooks.MAX_ATTEMPTS
    assert runs()[0].status == "done"  # the run queued it; the delivery log tells the rest


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://10.0.0.1/x",
        "http://0177.0.0.1/x",
        "http://2130706433/x",
        "http://[::ffff:127.0.0.1]/x",
        "ftp://example.com/x",
    ],
)
def test_unsafe_webhook_urls_are_refused_when_the_automation_is_saved(rt, url):
    admin = make_user("Ada", "admin")
    with pytest.raises(ValidationError) as caught:
        make(rt, admin, "deal.created", [("call_webhook", {"url": url, "secret": SECRET})])
    assert set(caught.value.errors) == {"action-0-url"}


def test_the_webhook_body_holds_only_what_the_author_may_see(rt, rx):
    admin = make_user("Ada", "admin")
    other = make_user("Olga", "normal")
    make(rt, admin, "deal.stage_changed", [("call_webhook", {"url": rx.url(), "secret": SECRET})])
    admin.role = "restricted"
    admin.save()
    boss = make_user("Boss", "admin")
    person = records.create(
        boss, Contact, {"last_name": "Hidden", "email": "h@x.test"}, owner=other
    )
    mine = records.create(boss, Deal, {"name": "Mine", "contact": person.id}, owner=admin)
    theirs = records.create(boss, Deal, {"name": "Theirs"}, owner=other)
    from accord.core.services import deals
    from tests.automation_support import stage

    deals.move_stage(boss, theirs, stage("Quote"))
    deals.move_stage(boss, mine, stage("Quote"))
    (request,) = rx.requests  # nothing about the deal the author cannot see
    body = json.loads(request.body)
    assert body["record"]["name"] == "Mine"
    assert body["record"]["contact"] == {"name": "Hidden"}
    assert b"h@x.test" not in request.body

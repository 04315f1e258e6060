"""Outgoing webhooks against a real HTTP receiver on 127.0.0.1 (SECURITY E23, E25, F28).

The receiver is reachable only through an explicit allowlist entry ("127.0.0.1:PORT");
without it every loopback URL is refused, at save and at send. Time is driven by moving
`next_attempt_at` into the past and running the sweep; nothing waits for a backoff.
"""

import datetime as dt
import json
import signal
import socket
import subprocess
import threading
import uuid

import pytest

from accord.core import jobs, netguard, webhooks
from accord.core.access import Forbidden
from accord.core.db import write
from accord.core.models import Activity, User, utcnow
from accord.core.models.webhooks import WebhookDelivery
from accord.core.services import webhooks as service
from tests.receiver import Receiver
from tests.test_redis import REDIS_URL, database_url  # noqa: F401 (a fixture)
from tests.web import csrf_token, login, post
from tests.world import make_user

SECRET = "s3cret-for-tests"


@pytest.fixture
def rx(rt):
    """A receiver the runtime may call (allowlisted), removed from the allowlist after."""
    with Receiver() as receiver:
        saved = dict(rt.config.extra)
        rt.config.extra["webhook_allowlist"] = [receiver.host_port]
        try:
            yield receiver
        finally:
            rt.config.extra.clear()
            rt.config.extra.update(saved)


def send(url, event_id="evt-1", body=None, source="automation:1", secret=SECRET):
    with write():
        row = webhooks.enqueue(
            url, secret, event_id, body if body is not None else {"n": 1}, source=source
        )
    return WebhookDelivery.get_by_id(row.id)


def reload(row):
    return WebhookDelivery.get_by_id(row.id)


def make_due(row):
    WebhookDelivery.update(next_attempt_at=utcnow() - dt.timedelta(seconds=1)).where(
        WebhookDelivery.id == row.id
    ).execute()


# SSRF at save (E23) -----------------------------------------------------------------------

REFUSED = [
    ("http://127.0.0.1/", "loopback"),
    ("http://localhost:8080/x", "loopback"),
    ("http://10.1.2.3/", "private"),
    ("http://172.16.0.9/", "private"),
    ("http://192.168.1.1/", "private"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://[::1]/", "loopback"),
    ("http://[::ffff:127.0.0.1]/", "loopback"),
    ("http://[::ffff:a9fe:a9fe]/", "link-local"),
    ("http://[2002:7f00:1::]/", "loopback"),
    ("http://[fe80::1]/", "link-local"),
    ("http://[fc00::1]/", "private"),
    ("http://0177.0.0.1/", "dotted IPv4"),
    ("http://2130706433/", "dotted IPv4"),
    ("http://0x7f000001/", "dotted IPv4"),
    ("http://127.1/", "dotted IPv4"),
    ("http://0.0.0.0/", "unspecified"),
    ("http://224.0.0.1/", "multicast"),
    ("http://100.64.0.1/", "non-public"),
    ("http://evil@127.0.0.1/", "user name or password"),
    ("http://user:pass@example.com/", "user name or password"),
    ("ftp://example.com/", "Only http"),
    ("file:///etc/passwd", "Only http"),
    ("gopher://127.0.0.1:6379/_", "Only http"),
    ("http:///nohost", "no host"),
    ("http://example.com:0/", "port"),
    ("http://exa mple.com/", "spaces"),
    ("http://[fe80::1%25eth0]/", "zone"),
    ("", "Enter a URL"),
]


@pytest.mark.parametrize(("url", "reason"), REFUSED)
def test_check_url_refuses_unsafe_urls(rt, url, reason):
    with pytest.raises(webhooks.WebhookError) as refused:
        webhooks.check_url(url, rt.config)
    assert reason in str(refused.value)


def test_the_allowlist_opens_exactly_one_host_and_port(rt, monkeypatch):
    rt.config.extra["webhook_allowlist"] = ["127.0.0.1:8765"]
    try:
        assert (
            webhooks.check_url("HTTP://127.0.0.1:8765/a/b?c=1#frag", rt.config)
            == "http://127.0.0.1:8765/a/b?c=1"
        )
        for url in (
            "http://127.0.0.1:8766/",  # another port
            "http://localhost:8765/",  # another spelling of the host
            "http://2130706433:8765/",  # odd notations stay refused even so
            "http://0177.0.0.1:8765/",
            "http://evil@127.0.0.1:8765/",
        ):
            with pytest.raises(webhooks.WebhookError):
                webhooks.check_url(url, rt.config)
    finally:
        rt.config.extra.pop("webhook_allowlist")
    with pytest.raises(webhooks.WebhookError):
        webhooks.check_url("http://127.0.0.1:8765/", rt.config)
    monkeypatch.setenv("ACCORD_WEBHOOK_ALLOWLIST", "example.invalid:1, 127.0.0.1:8765")
    assert webhooks.check_url("http://127.0.0.1:8765/", rt.config) == "http://127.0.0.1:8765/"


def test_a_host_resolving_to_any_refused_address_is_refused(monkeypatch):
    """DNS answers are checked, not the name: a public name pointing at 10.0.0.5 (or at
    a public and a private address) is refused."""

    def fake_getaddrinfo(host, port, *args, **kwargs):
        assert host == "hooks.example.com"
        return [
            (2, 1, 6, "", ("93.184.216.34", port)),
            (2, 1, 6, "", ("10.0.0.5", port)),
        ]

    monkeypatch.setattr(netguard.socket, "getaddrinfo", fake_getaddrinfo)
    with pytest.raises(webhooks.WebhookError, match="private address"):
        webhooks.check_url("https://hooks.example.com/in")


def test_public_addresses_pass_the_guard():
    assert netguard.refusal("93.184.216.34") is None
    assert netguard.refusal("2606:2800:220:1:248:1893:25c8:1946") is None
    target = netguard.check("http://93.184.216.34:8080/x?y=1")
    assert (target.address, target.port, target.path) == ("93.184.216.34", 8080, "/x?y=1")
    assert target.host_header == "93.184.216.34:8080"


# Signing and delivery (E25) ---------------------------------------------------------------


def test_a_delivery_arrives_signed_with_a_stable_event_id(rt, rx):
    body = {"event": "deal.stage_changed", "deal": {"id": 7, "name": "Ünïcode deal"}}
    row = send(rx.url("/in?x=1"), event_id="event:42:automation:3", body=body)
    assert row.status == "done"
    assert row.attempts == 1
    assert row.last_status_code == 200
    assert row.delivered_at is not None
    assert row.secret == ""  # not kept once delivered
    [request] = rx.requests
    assert request.path == "/in?x=1"
    headers = request.headers
    assert headers["Host"] == rx.host_port
    assert headers["Content-Type"].startswith("application/json")
    assert headers["User-Agent"].startswith("Accord")
    assert headers["X-Accord-Event-Id"] == "event:42:automation:3"
    assert headers["X-Accord-Delivery-Id"] == str(row.id)
    assert json.loads(request.body) == body
    stamp = headers["X-Accord-Timestamp"]
    signature = headers["X-Accord-Signature"]
    assert signature.startswith("sha256=") and len(signature) == 7 + 64
    assert webhooks.verify_signature(SECRET, stamp, request.body, signature)
    # Anything else fails: another secret, a changed body, an old timestamp, no header.
    assert not webhooks.verify_signature("other", stamp, request.body, signature)
    assert not webhooks.verify_signature(SECRET, stamp, request.body + b" ", signature)
    assert not webhooks.verify_signature(SECRET, int(stamp) - 1, request.body, signature)
    assert not webhooks.verify_signature(
        SECRET, stamp, request.body, signature, now=int(stamp) + 301
    )
    assert not webhooks.verify_signature(SECRET, stamp, request.body, None)
    assert not webhooks.verify_signature(SECRET, "soon", request.body, signature)


def test_the_same_enqueue_twice_is_one_delivery(rt, rx):
    first = send(rx.url(), event_id="evt-dup")
    again = send(rx.url(), event_id="evt-dup")
    assert again.id == first.id
    assert WebhookDelivery.select().count() == 1
    assert len(rx.requests) == 1
    # Another url, source or event is another delivery.
    send(rx.url("/other"), event_id="evt-dup")
    send(rx.url(), event_id="evt-dup", source="automation:2")
    send(rx.url(), event_id="evt-other")
    assert WebhookDelivery.select().count() == 4
    assert len(rx.requests) == 4


def test_a_delivery_commits_or_rolls_back_with_its_caller(rt, rx):
    with pytest.raises(RuntimeError), write():
        webhooks.enqueue(rx.url(), SECRET, "evt-rolled-back", {"a": 1}, source="t")
        raise RuntimeError("the caller failed")
    assert WebhookDelivery.select().count() == 0
    assert rx.requests == []


def test_bodies_must_be_json_and_ids_plain_text(rt, rx):
    with pytest.raises(ValueError), write():
        webhooks.enqueue(rx.url(), SECRET, "e", "not json {", source="t")
    with pytest.raises(ValueError, match="control characters"), write():
        webhooks.enqueue(rx.url(), SECRET, "e\r\nX-Evil: 1", {}, source="t")
    row = send(rx.url(), event_id="e2", body='{"already": "json"}')
    assert rx.requests[0].body == b'{"already": "json"}'
    assert row.status == "done"


def test_a_failure_is_retried_with_backoff_then_done(rt, rx):
    rx.plan(500, 503)
    before = utcnow()
    row = send(rx.url(), event_id="evt-retry")
    assert row.status == "pending"
    assert row.attempts == 1
    assert row.last_status_code == 500
    assert "HTTP 500" in row.last_error
    assert row.next_attempt_at >= before + webhooks.backoff(1)
    # Not due yet: the sweep leaves it alone.
    assert row.id not in jobs.sweep(rt) and row.id not in webhooks.due_ids()
    assert len(rx.requests) == 1

    make_due(row)
    jobs.sweep(rt)  # the worker's sweep: hands the due retry out
    row = reload(row)
    assert (row.status, row.attempts, row.last_status_code) == ("pending", 2, 503)
    assert row.next_attempt_at >= utcnow() + webhooks.backoff(2) - dt.timedelta(seconds=2)
    assert webhooks.backoff(2) > webhooks.backoff(1)

    make_due(row)
    webhooks.sweep(rt)
    row = reload(row)
    assert (row.status, row.attempts, row.last_status_code) == ("done", 3, 200)
    assert row.last_error == ""
    # Every attempt: the same event and delivery ids, each signature valid for its time.
    assert len(rx.requests) == 3
    assert {r.headers["X-Accord-Event-Id"] for r in rx.requests} == {"evt-retry"}
    assert {r.headers["X-Accord-Delivery-Id"] for r in rx.requests} == {str(row.id)}
    for r in rx.requests:
        assert webhooks.verify_signature(
            SECRET, r.headers["X-Accord-Timestamp"], r.body, r.headers["X-Accord-Signature"]
        )


def test_backoff_grows_and_is_capped():
    waits = [webhooks.backoff(n).total_seconds() for n in range(1, 12)]
    assert waits[:4] == [30, 60, 120, 240]
    assert waits == sorted(waits)
    assert max(waits) == 6 * 3600


def test_always_failing_ends_dead_after_max_attempts(rt, rx):
    rx.default = 500
    row = send(rx.url(), event_id="evt-dead")
    for attempt in range(2, webhooks.MAX_ATTEMPTS + 1):
        assert reload(row).status == "pending"
        make_due(row)
        webhooks.sweep(rt)
        assert reload(row).attempts == attempt
    row = reload(row)
    assert row.status == "dead"
    assert row.attempts == webhooks.MAX_ATTEMPTS
    assert row.next_attempt_at is None or row.next_attempt_at <= utcnow()
    assert "HTTP 500" in row.last_error
    assert row.secret == SECRET  # kept: an admin may retry it
    # A dead letter is never handed out again by the sweep.
    make_due(row)
    assert row.id not in webhooks.due_ids()
    webhooks.sweep(rt)
    assert len(rx.requests) == webhooks.MAX_ATTEMPTS


def test_a_redirect_is_not_followed_and_counts_as_a_failure(rt, rx):
    rx.plan((302, {"Location": rx.url("/elsewhere")}))
    row = send(rx.url("/first"), event_id="evt-302")
    assert row.status == "pending"
    assert row.last_status_code == 302
    assert "not followed" in row.last_error and "/elsewhere" in row.last_error
    assert [r.path for r in rx.requests] == ["/first"]


def test_a_slow_receiver_times_out(rt, rx):
    rt.config.extra["webhook_read_timeout"] = 0.3
    rx.plan(("slow", 5))
    row = send(rx.url(), event_id="evt-slow")
    assert row.status == "pending"
    assert row.last_status_code is None
    assert "timed out" in row.last_error
    rx.release()


def test_a_trickling_receiver_hits_the_total_timeout(rt, rx):
    """The read timeout alone does not bound a receiver that keeps the line busy; the
    whole exchange has its own limit."""
    rt.config.extra["webhook_read_timeout"] = 5
    rt.config.extra["webhook_total_timeout"] = 0.3
    rx.plan("hold")
    row = send(rx.url(), event_id="evt-total")
    assert row.status == "pending"
    assert "timed out" in row.last_error and "0.3 s" in row.last_error
    rx.release()


def test_a_closed_port_is_a_connection_failure(rt, rx):
    with Receiver() as closed:
        port = closed.port
    rt.config.extra["webhook_allowlist"] = [f"127.0.0.1:{port}"]
    row = send(f"http://127.0.0.1:{port}/", event_id="evt-closed")
    assert row.status == "pending"
    assert "connection failed" in row.last_error


# SSRF at send (E23) -----------------------------------------------------------------------


def test_a_refused_url_is_never_called_at_send(rt, rx):
    rt.config.extra["webhook_allowlist"] = []  # the receiver is plain loopback again
    for n, url in enumerate(
        [
            rx.url(),
            f"http://localhost:{rx.port}/",
            f"http://2130706433:{rx.port}/",
            f"http://0177.0.0.1:{rx.port}/",
            f"http://[::ffff:127.0.0.1]:{rx.port}/",
            f"http://evil@127.0.0.1:{rx.port}/",
            f"ftp://127.0.0.1:{rx.port}/",
        ]
    ):
        row = send(url, event_id=f"evt-ssrf-{n}")
        assert row.status == "dead", url
        assert row.last_error.startswith("refused: "), url
        assert row.attempts == 1
    assert rx.requests == []


def test_a_url_allowed_at_save_is_checked_again_at_send(rt, rx):
    url = webhooks.check_url(rx.url(), rt.config)  # allowlisted when saved
    rt.config.extra["webhook_allowlist"] = []  # then the allowlist changed
    row = send(url, event_id="evt-later")
    assert row.status == "dead" and "loopback" in row.last_error
    assert rx.requests == []


def test_the_connection_goes_to_the_checked_address(rt, rx, monkeypatch):
    """No DNS rebinding: the host is resolved once per attempt, checked, and the socket
    connects to that very address (a second, different answer is never asked for)."""
    looked_up = []
    real = netguard.socket.getaddrinfo

    def rebinding_dns(host, port, *args, **kwargs):
        if host != "hooks.example.test":
            return real(host, port, *args, **kwargs)  # IP literals: no DNS involved
        looked_up.append(host)
        # First answer: the (allowlisted) receiver; any later one: somewhere else.
        address = "127.0.0.1" if len(looked_up) == 1 else "192.0.2.1"
        return real(address, port, *args, **kwargs)

    monkeypatch.setattr(netguard.socket, "getaddrinfo", rebinding_dns)
    rt.config.extra["webhook_allowlist"] = [f"hooks.example.test:{rx.port}"]
    row = send(f"http://hooks.example.test:{rx.port}/in", event_id="evt-pin")
    assert row.status == "done"
    assert looked_up == ["hooks.example.test"]
    assert rx.requests[0].headers["Host"] == f"hooks.example.test:{rx.port}"


def fake_dns(monkeypatch, names):
    """Resolve `names` to 127.0.0.1 (everything else as usual)."""
    real = netguard.socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        return real("127.0.0.1" if host in names else host, port, *args, **kwargs)

    monkeypatch.setattr(netguard.socket, "getaddrinfo", getaddrinfo)


@pytest.fixture
def certificate(tmp_path):
    """A self-signed certificate for hooks.example.test, trusted through SSL_CERT_FILE."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=hooks.example.test",
         "-addext", "subjectAltName=DNS:hooks.example.test"],
        check=True, capture_output=True,
    )  # fmt: skip
    return str(cert), str(key)


def test_https_verifies_the_certificate_for_the_url_host(rt, monkeypatch, certificate):
    """The connection goes to the checked IP, while TLS sends the URL's host name (SNI)
    and verifies the certificate against it."""
    monkeypatch.setenv("SSL_CERT_FILE", certificate[0])
    fake_dns(monkeypatch, {"hooks.example.test", "wrong.example.test"})
    with Receiver(tls=certificate) as tls_rx:
        rt.config.extra["webhook_allowlist"] = [
            f"hooks.example.test:{tls_rx.port}",
            f"wrong.example.test:{tls_rx.port}",
        ]
        try:
            good = send(f"https://hooks.example.test:{tls_rx.port}/in", event_id="evt-tls")
            assert good.status == "done"
            assert tls_rx.requests[0].headers["Host"] == f"hooks.example.test:{tls_rx.port}"
            # The same server under a name its certificate does not carry: refused.
            bad = send(f"https://wrong.example.test:{tls_rx.port}/in", event_id="evt-tls-bad")
            assert bad.status == "pending"
            assert bad.last_error.startswith("TLS error") and "wrong.example.test" in bad.last_error
            assert len(tls_rx.requests) == 1
        finally:
            rt.config.extra.pop("webhook_allowlist")


def test_dns_trouble_at_send_is_retried_not_dead(rt, rx, monkeypatch):
    """A name that does not resolve (now), or whose look-up hangs, is not called and not
    dead-lettered: DNS trouble passes, so the delivery waits for its next attempt."""
    hang = threading.Event()
    real = netguard.socket.getaddrinfo

    def troubled_dns(host, port, *args, **kwargs):
        if host == "down.example.test":
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        if host == "slow.example.test":
            hang.wait(30)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(netguard.socket, "getaddrinfo", troubled_dns)
    rt.config.extra["webhook_allowlist"] = [
        f"down.example.test:{rx.port}",
        f"slow.example.test:{rx.port}",
    ]
    rt.config.extra["webhook_connect_timeout"] = 0.2
    try:
        down = send(f"http://down.example.test:{rx.port}/", event_id="evt-dns-down")
        assert down.status == "pending" and "cannot be resolved" in down.last_error
        slow = send(f"http://slow.example.test:{rx.port}/", event_id="evt-dns-slow")
        assert slow.status == "pending" and "did not resolve within 0.2 s" in slow.last_error
    finally:
        hang.set()
    assert rx.requests == []
    with pytest.raises(webhooks.WebhookError, match="cannot be resolved"):
        webhooks.check_url(f"http://down.example.test:{rx.port}/", rt.config)


# Leases -----------------------------------------------------------------------------------


def test_a_claim_is_exclusive_until_its_lease_ends(rt, rx):
    webhooks.set_dispatcher(None)  # recorded only: nothing delivers it yet
    try:
        row = send(rx.url(), event_id="evt-lease")
    finally:
        rt.activate()
    assert row.status == "pending" and rx.requests == []
    assert webhooks.claim(row.id, lease_seconds=60) == (1, False)
    assert webhooks.claim(row.id, lease_seconds=60) is None
    assert webhooks.deliver(rt, row.id) is None  # another worker holds it
    assert row.id not in webhooks.due_ids()
    # Its worker died: once the lease ends the row is due and a new claim takes it.
    WebhookDelivery.update(lease_until=utcnow() - dt.timedelta(seconds=1)).where(
        WebhookDelivery.id == row.id
    ).execute()
    assert row.id in webhooks.due_ids()
    assert webhooks.deliver(rt, row.id) == "done"
    assert reload(row).attempts == 2
    # The late first worker cannot overwrite the outcome of the attempt that took over.
    assert webhooks._finish(row.id, 1, status="pending") is False
    assert reload(row).status == "done"
    assert len(rx.requests) == 1


def test_a_delivery_whose_workers_keep_dying_ends_dead(rt, rx):
    """Each claim that finds an expired lease counts as an attempt; past the limit the
    delivery is dead instead of killing workers forever."""
    rt.config.extra["webhook_max_attempts"] = 2
    webhooks.set_dispatcher(None)
    try:
        row = send(rx.url(), event_id="evt-crashy")
    finally:
        rt.activate()
    for expected in ((1, False), (2, True)):
        assert webhooks.claim(row.id) == expected
        WebhookDelivery.update(lease_until=utcnow() - dt.timedelta(seconds=1)).where(
            WebhookDelivery.id == row.id
        ).execute()
    assert webhooks.deliver(rt, row.id) == "dead"
    row = reload(row)
    assert (row.status, row.attempts) == ("dead", 3)
    assert "worker died" in row.last_error
    assert rx.requests == []


def test_a_lost_enqueue_is_picked_up_by_the_sweep(rt, rx):
    webhooks.set_dispatcher(None)
    try:
        row = send(rx.url(), event_id="evt-lost")
    finally:
        rt.activate()
    assert rx.requests == []
    jobs.sweep(rt)
    assert reload(row).status == "done"
    assert len(rx.requests) == 1


# kill -9 (F28) ----------------------------------------------------------------------------


@pytest.mark.slow
def test_kill_9_during_delivery_redelivers_after_the_lease(tmp_path, rt, database_url):  # noqa: F811
    """The first worker sends the request and is SIGKILLed while the receiver holds the
    answer. A second worker sends the same delivery again once the lease ran out: the
    receiver sees two attempts with one delivery id (at-least-once; it deduplicates).
    On PostgreSQL + Redis when the test variables name them, else SQLite + SqliteHuey."""
    from tests.test_worker import Instance, local_runtime, wait_for

    instance = Instance(tmp_path, database_url=database_url)
    overrides = {}
    if REDIS_URL:
        jobs_name = f"accord-test-{uuid.uuid4().hex[:12]}"
        instance.env.update(ACCORD_REDIS_URL=REDIS_URL, ACCORD_JOBS_NAME=jobs_name)
        overrides = {"redis_url": REDIS_URL, "extra": {"jobs_name": jobs_name}}
    assert instance.run("migrate").returncode == 0
    try:
        with Receiver() as receiver, local_runtime(instance, **overrides) as local:
            receiver.plan("hold")
            env = {
                "ACCORD_WEBHOOK_ALLOWLIST": receiver.host_port,
                "ACCORD_WEBHOOK_LEASE_SECONDS": "2",
            }
            first = instance.start_worker(
                "--no-periodic", name="first", ACCORD_OUTBOX_SWEEP_SECONDS="3600", **env
            )
            with write():
                row = webhooks.enqueue(
                    receiver.url(), SECRET, "evt-f28", {"k": 9}, source="automation:9"
                )
            assert receiver.arrived.wait(30), "the first worker never called"
            claimed = WebhookDelivery.get_by_id(row.id)
            assert (claimed.status, claimed.attempts) == ("delivering", 1)

            first.kill()
            first.wait(10)
            assert first.returncode == -signal.SIGKILL
            receiver.release()

            second = instance.start_worker(name="second", ACCORD_OUTBOX_SWEEP_SECONDS="1", **env)
            try:
                done = wait_for(
                    lambda: (r := WebhookDelivery.get_by_id(row.id)).status == "done" and r,
                    timeout=30,
                    what="the delivery to be re-sent",
                )
            finally:
                instance.stop(second)
                if REDIS_URL:
                    local.huey.flush()  # only this run's keys: the name is unique
            assert done.attempts == 2
            assert done.delivered_at >= claimed.lease_until
            assert len(receiver.requests) == 2
            assert {r.headers["X-Accord-Delivery-Id"] for r in receiver.requests} == {str(row.id)}
            assert {r.headers["X-Accord-Event-Id"] for r in receiver.requests} == {"evt-f28"}
    finally:
        instance.stop_all()
        rt.activate()


# Settings › Webhook deliveries ------------------------------------------------------------


def dead_letter(rt, rx, event_id="evt-admin"):
    rt.config.extra["webhook_max_attempts"] = 2
    rx.plan(500, 500)
    row = send(rx.url(), event_id=event_id, body={"secret_looking": "payload"})
    make_due(row)
    webhooks.sweep(rt)
    row = reload(row)
    assert row.status == "dead"
    return row


def test_dead_letters_are_visible_to_admins_and_retry_now_works(rt, rx, app, client):
    row = dead_letter(rt, rx)
    done = send(rx.url(), event_id="evt-fine")
    assert done.status == "done"
    admin = make_user("A", "admin")
    login(client, admin.email)

    listing = client.get("/admin/webhook_delivery/")
    assert listing.status_code == 200
    html = listing.get_data(as_text=True)
    assert "Webhook deliveries" in html
    assert 'badge-danger">dead<' in html and 'badge-success">done<' in html
    assert SECRET not in html
    # The status filter (its options are in the page's filter data) narrows the list.
    assert '"Status": [{"arg": "0"' in html and '["dead", "dead"]' in html
    dead_html = client.get("/admin/webhook_delivery/?flt0_0=dead").get_data(as_text=True)
    assert 'badge-danger">dead<' in dead_html and 'badge-success">done<' not in dead_html
    done_html = client.get("/admin/webhook_delivery/?flt0_0=done").get_data(as_text=True)
    assert 'badge-danger">dead<' not in done_html and 'badge-success">done<' in done_html

    details = client.get(f"/admin/webhook_delivery/details/?id={row.id}")
    text = details.get_data(as_text=True)
    assert details.status_code == 200
    assert "evt-admin" in text and "HTTP 500" in text and "secret_looking" in text
    assert SECRET not in text
    assert "Retry now" in text
    assert "Retry now" not in client.get(f"/admin/webhook_delivery/details/?id={done.id}").get_data(
        as_text=True
    )

    # Retry now: POST with the CSRF token; without it nothing happens.
    before = len(rx.requests)
    refused = client.post(f"/admin/webhook_delivery/retry/?id={row.id}")
    assert refused.status_code == 400
    assert reload(row).status == "dead" and len(rx.requests) == before
    assert client.get(f"/admin/webhook_delivery/retry/?id={row.id}").status_code == 405
    response = post(
        client,
        f"/admin/webhook_delivery/retry/?id={row.id}",
        token_from=f"/admin/webhook_delivery/details/?id={row.id}",
    )
    assert response.status_code == 302
    row = reload(row)
    assert row.status == "done" and row.attempts == 3
    assert len(rx.requests) == before + 1
    assert rx.requests[-1].headers["X-Accord-Delivery-Id"] == str(row.id)
    assert (
        Activity.get(
            (Activity.entity_kind == "webhook_delivery") & (Activity.record_id == row.id)
        ).verb
        == "retried"
    )


def test_the_bulk_retry_action_retries_dead_letters_once_more(rt, rx, app, client):
    row = dead_letter(rt, rx)
    login(client, make_user("A", "admin").email)
    rx.plan(500)  # still failing: one more attempt, then dead again
    response = post(
        client,
        "/admin/webhook_delivery/action/",
        {"action": "retry", "rowid": str(row.id)},
        token_from="/admin/webhook_delivery/",
    )
    assert response.status_code == 302
    row = reload(row)
    assert (row.status, row.attempts) == ("dead", 3)


def test_only_admins_see_webhook_deliveries(rt, rx, app, client):
    row = dead_letter(rt, rx)
    login(client, make_user("M", "manager").email)
    for path in (
        "/admin/webhook_delivery/",
        f"/admin/webhook_delivery/details/?id={row.id}",
    ):
        assert client.get(path).status_code == 403
    token = csrf_token(client, "/admin/")
    response = client.post(
        f"/admin/webhook_delivery/retry/?id={row.id}", data={"csrf_token": token}
    )
    assert response.status_code == 403
    assert reload(row).status == "dead"
    with pytest.raises(Forbidden):
        service.retry_now(User.get(User.email == "m@world.test"), [row.id])
    anonymous = client.application.test_client()
    assert anonymous.get("/admin/webhook_delivery/").status_code in (302, 401)

"""Outgoing webhooks (SECURITY E23, E25, F28): SSRF-guarded, HMAC-signed, retried with
backoff until done or dead.

    check_url(url, config)                          at save time; raises WebhookError
    enqueue(url, secret, event_id, body, source=…)  inside the caller's `with write():`
    deliver(runtime, delivery_id)                   the job: one attempt
    sweep(runtime)                                  hands out due retries and expired leases
    verify_signature(secret, timestamp, body, header)   for receivers

Delivery is at-least-once: a worker killed after the receiver answered but before the
row was marked done makes the next worker send the same delivery again. Every attempt of
one delivery carries the same X-Accord-Event-Id and X-Accord-Delivery-Id, so receivers
deduplicate on them. docs/plugins.md ("Calling a webhook") documents the scheme for receivers.
"""

import datetime as dt
import hashlib
import hmac
import http.client
import json
import logging
import os
import socket
import ssl
import threading
import time
from typing import NamedTuple

from peewee import IntegrityError

from accord.core import netguard
from accord.core.db import after_commit, database, write
from accord.core.models.base import utcnow
from accord.core.models.webhooks import WebhookDelivery

log = logging.getLogger(__name__)

USER_AGENT = "Accord-Webhooks/1"
MAX_BODY_BYTES = 1_000_000
MAX_ATTEMPTS = 8
LEASE_SECONDS = 60
# Seconds: to resolve and to connect, per read, and for the whole exchange (a trickling
# receiver).
TIMEOUTS = {"connect": 5.0, "read": 10.0, "total": 30.0}

# Set by the runtime (`Runtime.activate`): called with delivery ids after their commit.
_dispatcher = None


class WebhookError(ValueError):
    """This webhook URL may not be called; the message says why."""


def set_dispatcher(dispatch):
    global _dispatcher
    _dispatcher = dispatch


def _setting(config, key, default):
    """config.extra[key], else env ACCORD_<KEY> (e.g. ACCORD_WEBHOOK_LEASE_SECONDS)."""
    value = (getattr(config, "extra", None) or {}).get(key)
    if value in (None, ""):
        value = os.environ.get(f"ACCORD_{key.upper()}")
    if value in (None, ""):
        return default
    try:
        value = type(default)(value)
    except ValueError:
        value = 0
    if value <= 0:
        raise ValueError(f"the webhook setting {key} must be a positive number, got {value!r}")
    return value


# Save time --------------------------------------------------------------------------------


def check_url(url, config=None):
    """The normalised URL if the server may call it; WebhookError (a clear message) if not.

    Resolves the host: call it when a URL is saved, not inside a write transaction.
    """
    try:
        return netguard.check(url, config).url
    except netguard.RefusedURL as exc:
        raise WebhookError(str(exc)) from None


# Enqueue ----------------------------------------------------------------------------------


def delivery_key(url, event_id, source):
    raw = "\0".join((str(source), str(event_id), str(url)))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def encode_body(body):
    """The exact JSON text to sign and send."""
    if isinstance(body, bytes):
        body = body.decode("utf-8")
    if isinstance(body, str):
        json.loads(body)  # must be JSON already; ValueError if not
        text = body
    else:
        text = json.dumps(
            body, default=_plain, ensure_ascii=False, sort_keys=True, separators=(",", ":")
        )
    if len(text.encode("utf-8")) > MAX_BODY_BYTES:
        raise ValueError(f"a webhook body may not exceed {MAX_BODY_BYTES} bytes")
    return text


def _plain(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)  # Decimal and the like: exact, as text


def enqueue(url, secret, event_id, body, *, source):
    """Record one delivery of `body` to `url`; hand it to the job queue after commit.

    Call inside the caller's `with write():` so the delivery commits with the caller's
    own change (e.g. its idempotency key). Unique per (event_id, url, source): enqueueing
    the same again returns the existing row and sends nothing more. The URL is checked
    again at each send; a refused one ends dead, visible to admins.
    """
    if not event_id or not source:
        raise ValueError("a webhook delivery needs an event_id and a source")
    if any(ord(c) < 32 or ord(c) == 127 for c in f"{event_id}{source}"):
        raise ValueError("a webhook event_id or source may not contain control characters")
    text = encode_body(body)
    key = delivery_key(url, event_id, source)
    now = utcnow()
    try:
        with database.atomic():  # a savepoint: a duplicate must not poison the caller's
            row = WebhookDelivery.create(
                key=key,
                created_at=now,
                source=str(source)[:100],
                event_id=str(event_id)[:255],
                url=str(url),
                secret=secret or "",
                body=text,
                next_attempt_at=now,
            )
    except IntegrityError:
        return WebhookDelivery.get(WebhookDelivery.key == key)
    dispatch_after_commit([row.id])
    return row


def dispatch_after_commit(ids):
    dispatch = _dispatcher
    if dispatch is None or not ids:
        return  # no runtime: the sweep hands the rows out
    for delivery_id in ids:
        after_commit(lambda delivery_id=delivery_id: dispatch(delivery_id))


# Signing ----------------------------------------------------------------------------------


def sign(secret, timestamp, body):
    """`sha256=<hex>`: HMAC-SHA256 with `secret` of "<timestamp>.<body>"."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    message = str(timestamp).encode("ascii") + b"." + body
    digest = hmac.new((secret or "").encode("utf-8"), message, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_signature(secret, timestamp, body, header, *, tolerance=300, now=None):
    """For receivers: True if `header` (X-Accord-Signature) signs `timestamp` and `body`
    with `secret`, and the timestamp is within `tolerance` seconds of now (replays of an
    old request fail). Pass the raw request body, not re-encoded JSON."""
    try:
        stamp = int(timestamp)
    except (TypeError, ValueError):
        return False
    if tolerance is not None and abs((time.time() if now is None else now) - stamp) > tolerance:
        return False
    expected = sign(secret, stamp, body)
    return hmac.compare_digest(
        expected.encode("ascii"), str(header or "").encode("ascii", "replace")
    )


# Delivery ---------------------------------------------------------------------------------


def backoff(attempts):
    """Wait after the n-th failed attempt: 30 s, 1, 2, 4, 8, 16, 32 min … capped at 6 h."""
    return dt.timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 6 * 3600))


class Claim(NamedTuple):
    attempt: int  # the number of this attempt (1 for the first)
    took_over: bool  # the previous attempt's worker died (its lease expired)


def claim(delivery_id, lease_seconds=LEASE_SECONDS):
    """Take the row for this worker: a `Claim`, or None if it is not due, finished, or
    leased by another worker. One conditional UPDATE each: one claimer wins."""
    now = utcnow()
    due = (WebhookDelivery.status == "pending") & (
        WebhookDelivery.next_attempt_at.is_null() | (WebhookDelivery.next_attempt_at <= now)
    )
    expired = (WebhookDelivery.status == "delivering") & (WebhookDelivery.lease_until <= now)
    with write():
        for condition, took_over in ((due, False), (expired, True)):
            taken = (
                WebhookDelivery.update(
                    status="delivering",
                    lease_until=now + dt.timedelta(seconds=lease_seconds),
                    attempts=WebhookDelivery.attempts + 1,
                    last_attempt_at=now,
                )
                .where((WebhookDelivery.id == delivery_id) & condition)
                .execute()
            )
            if taken == 1:
                # Read inside the same transaction: the row is ours (locked) until commit.
                attempt = (
                    WebhookDelivery.select(WebhookDelivery.attempts)
                    .where(WebhookDelivery.id == delivery_id)
                    .scalar()
                )
                return Claim(attempt, took_over)
    return None


def _finish(delivery_id, attempt, **values):
    """Write the outcome of attempt `attempt`, unless another worker took the row over
    (its lease expired); True if written."""
    with write():
        return (
            WebhookDelivery.update(lease_until=None, **values)
            .where(
                (WebhookDelivery.id == delivery_id)
                & (WebhookDelivery.status == "delivering")
                & (WebhookDelivery.attempts == attempt)
            )
            .execute()
            == 1
        )


def deliver(runtime, delivery_id):
    """One attempt: claim, check the URL again, POST, record the outcome.

    Returns the row's new status, or None when there was nothing to do.
    """
    config = getattr(runtime, "config", None)
    lease = _setting(config, "webhook_lease_seconds", float(LEASE_SECONDS))
    claimed = claim(delivery_id, lease)
    if claimed is None:
        return None
    attempt = claimed.attempt
    max_attempts = int(_setting(config, "webhook_max_attempts", MAX_ATTEMPTS))
    if claimed.took_over and attempt > max_attempts:
        # Its workers keep dying mid-attempt (no outcome ever reached us): stop here.
        _finish(delivery_id, attempt, status="dead", last_error="gave up: the worker died")
        return "dead"
    row = WebhookDelivery.get_by_id(delivery_id)
    timeouts = _timeouts(config)
    try:
        target = netguard.check(row.url, config, dns_timeout=timeouts["connect"])
    except netguard.Unresolvable as exc:
        target, code, reason = None, None, str(exc)  # DNS trouble may pass: retried
    except netguard.RefusedURL as exc:
        # Refused at send: never called. Permanent, so dead at once (an admin may retry).
        _finish(delivery_id, attempt, status="dead", last_error=f"refused: {exc}")
        log.warning("webhook delivery %s refused: %s", delivery_id, exc)
        return "dead"
    if target is not None:
        try:
            code, reason = post(target, row, timeouts=timeouts)
        except Exception as exc:  # network errors, timeouts, TLS failures
            code, reason = None, _describe(exc)
    if code is not None and 200 <= code < 300:
        _finish(
            delivery_id,
            attempt,
            status="done",
            delivered_at=utcnow(),
            last_status_code=code,
            last_error="",
            secret="",  # not needed any more
        )
        return "done"
    dead = attempt >= max_attempts
    next_at = None if dead else utcnow() + backoff(attempt)
    _finish(
        delivery_id,
        attempt,
        status="dead" if dead else "pending",
        next_attempt_at=next_at,
        last_status_code=code,
        last_error=reason[:2000],
    )
    log.warning(
        "webhook delivery %s attempt %d failed (%s)%s",
        delivery_id,
        attempt,
        reason.splitlines()[0] if reason else code,
        ": dead letter" if dead else "",
    )
    if not dead:
        _schedule_retry(runtime, delivery_id, next_at)
    return "dead" if dead else "pending"


def _timeouts(config):
    return {k: _setting(config, f"webhook_{k}_timeout", v) for k, v in TIMEOUTS.items()}


def _schedule_retry(runtime, delivery_id, when):
    """Ask huey to retry at `when`; the sweep is the safety net if this is lost."""
    task = (getattr(runtime, "tasks", None) or {}).get("deliver_webhook")
    if task is None:
        return
    delay = max((when - utcnow()).total_seconds(), 0)
    try:
        task.schedule((delivery_id,), delay=delay)
    except Exception:
        log.exception("could not schedule the retry of webhook delivery %s", delivery_id)


def _describe(exc):
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return f"timed out ({exc or 'no answer in time'})"
    if isinstance(exc, ssl.SSLError):
        return f"TLS error: {exc}"
    if isinstance(exc, ConnectionError):
        return f"connection failed: {exc}"
    return f"{type(exc).__name__}: {exc}"


def headers_for(row, timestamp):
    return {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "X-Accord-Event-Id": row.event_id,
        "X-Accord-Delivery-Id": str(row.id),
        "X-Accord-Timestamp": str(timestamp),
        "X-Accord-Signature": sign(row.secret, timestamp, row.body),
    }


class _PinnedHTTP(http.client.HTTPConnection):
    """Connects to the checked address, with a connect timeout, then a read timeout."""

    def __init__(self, target, timeouts):
        super().__init__(target.address, target.port, timeout=timeouts["connect"])
        self._read_timeout = timeouts["read"]

    def _open(self):
        sock = socket.create_connection((self.host, self.port), self.timeout)
        sock.settimeout(self._read_timeout)
        return sock

    def connect(self):
        self.sock = self._open()


class _PinnedHTTPS(_PinnedHTTP):
    """TLS to the checked address, verifying the certificate for the URL's host name."""

    default_port = 443

    def __init__(self, target, timeouts, context=None):
        super().__init__(target, timeouts)
        self._server_hostname = target.host
        self._context = context or ssl.create_default_context()

    def connect(self):
        self.sock = self._context.wrap_socket(self._open(), server_hostname=self._server_hostname)


def post(target, row, timeouts=None, context=None):
    """POST the signed body to the checked target. Redirects are never followed.

    Returns (status code, reason text for a failure)."""
    timeouts = timeouts or dict(TIMEOUTS)
    if target.scheme == "https":
        conn = _PinnedHTTPS(target, timeouts, context=context)
    else:
        conn = _PinnedHTTP(target, timeouts)
    # A receiver trickling bytes could hold the worker forever despite the read timeout.
    expired = threading.Event()
    watchdog = threading.Timer(timeouts["total"], _abort, (conn, expired))
    watchdog.daemon = True
    watchdog.start()
    try:
        body = row.body.encode("utf-8")
        conn.putrequest("POST", target.path, skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", target.host_header)
        for name, value in headers_for(row, int(time.time())).items():
            conn.putheader(name, value)
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        response = conn.getresponse()
        snippet = response.read(2000).decode("utf-8", "replace")
        code = response.status
    except (OSError, http.client.HTTPException) as exc:
        if expired.is_set():
            raise TimeoutError(f"no complete answer within {timeouts['total']:g} s") from exc
        raise
    finally:
        watchdog.cancel()
        conn.close()
    if 200 <= code < 300:
        return code, ""
    if 300 <= code < 400:
        location = response.getheader("Location") or "?"
        return code, f"HTTP {code}: redirect to {location[:500]} not followed"
    return code, f"HTTP {code} {response.reason}: {snippet}".strip()


def _abort(conn, expired):
    expired.set()
    sock = conn.sock
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


# Sweep and retry --------------------------------------------------------------------------


def due_ids(limit=1000):
    """Deliveries to hand out: pending ones past their next attempt, expired leases."""
    now = utcnow()
    query = (
        WebhookDelivery.select(WebhookDelivery.id)
        .where(
            (
                (WebhookDelivery.status == "pending")
                & (
                    WebhookDelivery.next_attempt_at.is_null()
                    | (WebhookDelivery.next_attempt_at <= now)
                )
            )
            | ((WebhookDelivery.status == "delivering") & (WebhookDelivery.lease_until <= now))
        )
        .order_by(WebhookDelivery.id)
        .limit(limit)
    )
    return [row.id for row in query]


def sweep(runtime):
    """Hand due deliveries to the job queue (retries, expired leases, lost enqueues)."""
    task = (getattr(runtime, "tasks", None) or {}).get("deliver_webhook")
    ids = due_ids()
    if task is None or not ids:
        return ids
    log.info("webhook sweep: handing out %d delivery(ies)", len(ids))
    for delivery_id in ids:
        task(delivery_id)
    return ids


def retry_now(ids):
    """Make dead or waiting deliveries due now (one more attempt each); the ids changed.
    Call inside `with write():` (services.webhooks.retry_now checks the admin right)."""
    changed = [
        row.id
        for row in WebhookDelivery.select(WebhookDelivery.id).where(
            WebhookDelivery.id.in_(list(ids)) & WebhookDelivery.status.in_(("dead", "pending"))
        )
    ]
    if changed:
        WebhookDelivery.update(status="pending", next_attempt_at=utcnow(), lease_until=None).where(
            WebhookDelivery.id.in_(changed)
        ).execute()
        dispatch_after_commit(changed)
    return changed

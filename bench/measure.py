"""Timing: sequential latency (p50, p95) and a bounded concurrent load (requests/s)."""

import threading
import time
from dataclasses import dataclass, field


def percentile(values, q):
    """Linear interpolation between closest ranks (numpy's default); None if empty."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


@dataclass
class Sample:
    """Latencies of one page (seconds) and what went wrong, if anything."""

    seconds: list = field(default_factory=list)
    status: int | None = None
    error: str = ""
    bytes: int = 0

    @property
    def n(self):
        return len(self.seconds)

    def p(self, q):
        return percentile(self.seconds, q)


class PageError(RuntimeError):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


def _check(resp, path):
    if resp.status != 200:
        raise PageError(resp.status, f"{path} answered {resp.status}")
    return resp


def probe(client, path):
    """One request, which must answer 200 (raises PageError otherwise)."""
    return _check(client.get(path), path)


def latency_pair(accord, accord_path, base, base_path, n=30, warmup=2, budget=60.0):
    """Time `n` requests to each page, alternating Accord and baseline so that any drift
    of the machine hits both alike. Each side stops early when its time budget is spent
    (at least 3 samples are taken, so a very slow page still reports)."""
    a, b = Sample(), Sample()
    for _ in range(warmup):
        a.bytes = len(_check(accord.get(accord_path), accord_path).body)
        if base is not None:
            b.bytes = len(_check(base.get(base_path), base_path).body)
    spent_a = spent_b = 0.0
    for i in range(n):
        if spent_a < budget or i < 3:
            resp = _check(accord.get(accord_path), accord_path)
            a.seconds.append(resp.seconds)
            spent_a += resp.seconds
        if base is not None and (spent_b < budget or i < 3):
            resp = _check(base.get(base_path), base_path)
            b.seconds.append(resp.seconds)
            spent_b += resp.seconds
        if spent_a >= budget and (base is None or spent_b >= budget) and i >= 2:
            break
    return a, (b if base is not None else None)


@dataclass
class Load:
    requests: int = 0
    seconds: float = 0.0
    latencies: list = field(default_factory=list)
    errors: int = 0
    threads: int = 0

    @property
    def rps(self):
        return self.requests / self.seconds if self.seconds else 0.0

    def p(self, q):
        return percentile(self.latencies, q)


def load(client, path, threads=4, seconds=10.0, max_requests=5000, warmup_seconds=2.0):
    """Requests/s of `threads` client threads hammering one page for `seconds` (or until
    `max_requests`), each thread with its own copy of the logged-in session. A concurrent
    warm-up first, so that every worker process has loaded its templates and caches."""
    _check(client.get(path), path)
    warmup_seconds = min(warmup_seconds, seconds)
    if warmup_seconds:
        _hammer(client, path, threads, warmup_seconds, max_requests)
    return _hammer(client, path, threads, seconds, max_requests)


def _hammer(client, path, threads, seconds, max_requests):
    result = Load(threads=threads)
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def worker():
        mine = client.copy()
        while time.monotonic() < stop_at:
            with lock:
                if result.requests + result.errors >= max_requests:
                    return
            try:
                resp = mine.get(path)
                ok = resp.status == 200
            except OSError:
                ok, resp = False, None
            with lock:
                if ok:
                    result.requests += 1
                    result.latencies.append(resp.seconds)
                else:
                    result.errors += 1

    started = time.perf_counter()
    pool = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(seconds + 330)  # a request may take at most the client timeout
    result.seconds = time.perf_counter() - started
    return result

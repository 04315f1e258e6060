"""Results as a markdown table: figure, p50, p95, baseline p50/p95, ratio, target, ok?"""

import os
import platform
import re
import sqlite3
import time
from dataclasses import dataclass

from bench.measure import Load, Sample

COLUMNS = ["figure", "p50", "p95", "baseline p50", "baseline p95", "ratio (p95)", "target", "ok?"]
PG_COLUMNS = ["PostgreSQL / SQLite (p95)", "≤ 2×"]


@dataclass
class Result:
    figure: object
    accord: Sample | Load | None = None
    base: Sample | Load | None = None
    note: str = ""  # n/a or error text, shown instead of numbers
    base_note: str = ""
    path: str = ""  # the Accord page measured
    requested: int = 0  # requests asked for per side (fewer when the budget ran out)
    rows_differ: bool = False  # the baseline's rows are not all on Accord's page

    @property
    def measured(self):
        return self.accord is not None and not self.note

    @property
    def p95(self):
        return self.accord.p(95) if self.measured else None

    @property
    def ratio(self):
        """Accord / baseline: p95 latency, or baseline req/s over Accord req/s; higher
        always means Accord is further behind."""
        if not self.measured or self.base is None:
            return None
        if isinstance(self.accord, Load):
            return self.base.rps / self.accord.rps if self.accord.rps else None
        a, b = self.accord.p(95), self.base.p(95)
        return a / b if a is not None and b else None

    @property
    def ok(self):
        """True/False against the target; None when there is no target or no figure."""
        target = self.figure.target
        if target is None or not self.measured:
            return None
        if target.kind == "ratio":
            return None if self.ratio is None else self.ratio <= target.limit
        return self.p95 * 1000 <= target.limit


_BASE_FIRST_CELL = re.compile(r"<tr><td>([^<]*)</td>")


def same_rows(accord_html, base_html):
    """Does Accord's page show every row of the baseline page? Checked on the first
    column (the record's name, HTML-escaped alike by both): a cheap guard that the
    baseline's query really is the page's query."""
    names = _BASE_FIRST_CELL.findall(base_html)
    return all(name in accord_html for name in names)


def ms(seconds):
    if seconds is None:
        return "—"
    value = seconds * 1000
    return f"{value:.1f} ms" if value < 100 else f"{value:,.0f} ms"


def mark(ok):
    return {True: "pass", False: "**FAIL**", None: "—"}[ok]


def cells(result):
    fig = result.figure
    name = fig.name
    if result.measured and isinstance(result.accord, Sample):
        counts = [result.accord.n] + ([result.base.n] if result.base is not None else [])
        if min(counts) < result.requested:  # a slow page ran out of its time budget
            name += f" (n={'/'.join(map(str, counts))})"
    if result.rows_differ:
        name += " †"
    if isinstance(result.accord, Load) and result.accord.errors:
        name += f" ({result.accord.errors} errors)"
    target = str(fig.target) if fig.target else "—"
    if not result.measured:
        return [name, result.note or "n/a", "", "", "", "", target, "—"]
    a, b = result.accord, result.base
    if isinstance(a, Load):
        row = [name, f"{a.rps:,.0f} req/s", f"p95 {ms(a.p(95))}"]
        row += [f"{b.rps:,.0f} req/s", f"p95 {ms(b.p(95))}"] if b else [result.base_note, ""]
    else:
        row = [name, ms(a.p(50)), ms(a.p(95))]
        row += [ms(b.p(50)), ms(b.p(95))] if b else [result.base_note or "—", ""]
    ratio = result.ratio
    row += [f"{ratio:.1f}×" if ratio is not None else "—", target, mark(result.ok)]
    return row


def table(results, compare=None):
    """Markdown table; `compare` ({figure name: SQLite Result}) adds the PostgreSQL
    within-2x-of-SQLite columns."""
    head = COLUMNS + (PG_COLUMNS if compare is not None else [])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for result in results:
        row = cells(result)
        if compare is not None:
            row += _versus(result, compare.get(result.figure.name))
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in row) + " |")
    return "\n".join(lines)


def _versus(result, sqlite_result):
    if sqlite_result is None or not result.measured or not sqlite_result.measured:
        return ["—", "—"]
    if isinstance(result.accord, Load):
        a, b = sqlite_result.accord.rps, result.accord.rps
    else:
        a, b = result.p95, sqlite_result.p95
    if not a or not b:
        return ["—", "—"]
    factor = a / b
    return [f"{factor:.1f}×", mark(factor <= 2)]


def _proc_value(path, prefix):
    """The value after the colon of the first line starting with `prefix` ("" if none)."""
    try:
        with open(path) as fh:
            for line in fh:
                if line.startswith(prefix):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


def machine():
    ram = _proc_value("/proc/meminfo", "MemTotal:")
    if ram:
        ram = f"{int(ram.split()[0]) / 1024 / 1024:.1f} GiB RAM"
    cpu = _proc_value("/proc/cpuinfo", "model name") or platform.processor()
    parts = [
        f"{os.cpu_count()} CPUs (nproc)",
        ram,
        cpu,
        f"{platform.system()} {platform.release()}",
    ]
    parts.append(f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}")
    return ", ".join(p for p in parts if p)


def summary(results):
    judged = [r for r in results if r.ok is not None]
    passed = sum(1 for r in judged if r.ok)
    na = sum(1 for r in results if not r.measured)
    return f"{passed} of {len(judged)} targets met; {na} figure(s) n/a or failed to run"


def document(runs, meta, phases):
    """The whole RESULTS.md: header, one table per database, timings, notes."""
    out = [
        "# Accord benchmark results",
        "",
        "Produced by `python -m bench` (see README, *Benchmarks*); issue 8 sets the targets.",
        "Every figure is measured through the real back office (logged-in HTTP requests to",
        "`accord serve`, or gunicorn for requests/s) beside a bare Flask + Jinja page",
        "(`bench/baseline.py`) rendering the same rows from the same query on the same",
        "database, in the same run. Ratio = Accord p95 / baseline p95 (for requests/s:",
        "baseline req/s / Accord req/s), so higher means further behind.",
        "",
        f"- date: {meta['date']}",
        f"- machine: {meta['machine']}",
        f"- data: {meta['data']}",
        f"- requests: {meta['requests']}",
    ]
    for note in meta.get("notes", ()):
        out.append(f"- {note}")
    sqlite_run = None
    for run in runs:
        out += ["", f"## {run['label']}", "", f"database: {run['database']}", ""]
        compare = None
        if run["kind"] != "sqlite" and sqlite_run is not None:
            compare = {r.figure.name: r for r in sqlite_run["results"]}
        out.append(table(run["results"], compare))
        out += ["", summary(run["results"])]
        if any(r.rows_differ for r in run["results"]):
            out += [
                "",
                "† the baseline's rows were not all found on Accord's page: the two "
                "queries differ, so that ratio compares different work.",
            ]
        if run["kind"] == "sqlite":
            sqlite_run = run
    out += ["", "## Time taken", "", "| phase | seconds |", "|---|---|"]
    out += [f"| {label} | {seconds:,.1f} |" for label, seconds in phases]
    out.append("")
    return "\n".join(out)


def today():
    return time.strftime("%Y-%m-%d %H:%M %Z")

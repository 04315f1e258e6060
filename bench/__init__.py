"""Accord's benchmark harness: `python -m bench` (DESIGN.md §9, issue 8).

It builds a data set with the real command line (`accord demo`), starts the real back
office as a subprocess, logs in through the real login form and times logged-in HTTP
requests, each figure beside a bare Flask + Jinja page (bench/baseline.py) that renders
the same rows from the same query on the same database. Results: bench/RESULTS.md.

Modules: data (the scratch data set and the facts the figures need), dbapi (plain
DB-API access for the facts and the baseline), baseline (the bare app), server (the
subprocesses), client (HTTP with a session cookie), figures (what is measured), measure
(timing and load), report (the markdown table).
"""

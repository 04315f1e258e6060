"""Closed deals per day, kept by triggers, for the dashboard's last-30-days figures
(issue 8; accord.core.closed_totals). Creates the table and its triggers and fills it
from the deals already closed."""

from accord.core import closed_totals


def apply(db):
    closed_totals.install(db)

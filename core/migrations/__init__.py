"""The core's migrations, in order. Each module has `apply(db)`; never edit a released one."""

from accord.core.migrate import Migration
from accord.core.migrations import (
    m0001_initial,
    m0002_calendar,
    m0003_notifications,
    m0004_capture_forms,
    m0005_automations,
    m0006_scale,
    m0007_webhooks,
    m0008_exports,
    m0009_deal_totals_triggers,
    m0010_closed_days,
    m0011_sort_tiebreak,
    m0012_reference_version,
    m0013_search_keys,
    m0014_contact_owner_sort,
    m0015_name_prefix,
    m0016_deal_totals_counts,
)

CORE_MIGRATIONS = [
    Migration("core", 1, "initial", m0001_initial.apply),
    Migration("core", 2, "calendar", m0002_calendar.apply),
    Migration("core", 3, "notifications", m0003_notifications.apply),
    Migration("core", 4, "capture forms", m0004_capture_forms.apply),
    Migration("core", 5, "automations", m0005_automations.apply),
    Migration("core", 6, "scale", m0006_scale.apply),
    Migration("core", 7, "webhooks", m0007_webhooks.apply),
    Migration("core", 8, "exports", m0008_exports.apply),
    Migration("core", 9, "deal totals triggers", m0009_deal_totals_triggers.apply),
    Migration("core", 10, "closed deals per day", m0010_closed_days.apply),
    Migration("core", 11, "sort indexes end with the id", m0011_sort_tiebreak.apply),
    Migration("core", 12, "reference data version", m0012_reference_version.apply),
    Migration("core", 13, "search keys (PostgreSQL)", m0013_search_keys.apply),
    Migration("core", 14, "contacts per owner, newest first", m0014_contact_owner_sort.apply),
    Migration("core", 15, "name prefix indexes (PostgreSQL)", m0015_name_prefix.apply),
    Migration(
        "core", 16, "deal counts per stage from an index (SQLite)", m0016_deal_totals_counts.apply
    ),
]

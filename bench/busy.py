"""`python -m bench.busy ADMIN_EMAIL [FACTOR]`: make the demo's busiest deal and company really busy.

The demo spreads tasks and notes thinly (a handful per deal at most), so a datasheet
that loads every linked row would look fine. This adds, through the services as the
bench admin would, a long history to the busiest deal (tasks, notes, field changes)
and many people and notes to the busiest company, so the datasheet figures show what a
long-standing customer costs. FACTOR (default 1) scales the counts down for tiny runs.
"""

import datetime as dt
import sys

from peewee import fn

from accord.core import runtime
from accord.core.config import Config
from accord.core.models import Contact, Deal, Note, Task, User
from accord.core.services import records

TASKS, NOTES, CHANGES, PEOPLE, COMPANY_NOTES = 120, 80, 40, 150, 60


def busiest(column):
    """The id that `column` (a foreign key) points at most often, or None."""
    row = (
        column.model.select(column, fn.COUNT(column.model.id).alias("n"))
        .where(column.is_null(False))
        .group_by(column)
        .order_by(fn.COUNT(column.model.id).desc(), column)
        .limit(1)
        .tuples()
        .first()
    )
    return row[0] if row else None


def main(admin_email, factor=1.0):
    n_tasks, n_notes, n_changes, n_people, n_company_notes = (
        max(1, round(n * factor)) for n in (TASKS, NOTES, CHANGES, PEOPLE, COMPANY_NOTES)
    )
    rt = runtime.build(Config.from_env())
    with rt.db.connection_context():
        rt.check_schema()
        admin = User.get(User.email == admin_email)
        deal_id = busiest(Task.deal) or Deal.select(fn.MIN(Deal.id)).scalar()
        company_id = busiest(Contact.organization)
        due = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
        if deal_id:
            deal = Deal.get_by_id(deal_id)
            for i in range(n_tasks):
                records.create(
                    admin,
                    Task,
                    {
                        "content": f"Follow-up call #{i + 1}",
                        "due_at": due + dt.timedelta(days=i - 60),
                    },
                    deal=deal.id,
                )
            for i in range(n_notes):
                records.create(
                    admin, Note, {"content": f"Meeting notes, round {i + 1}"}, deal=deal.id
                )
            for i in range(n_changes):
                deal = Deal.get_by_id(deal_id)
                records.update(admin, deal, {"hot": not deal.hot, "probability": 10 + i % 80})
            print(f"busy deal {deal_id}: +{n_tasks} tasks, +{n_notes} notes, +{n_changes} changes")
        if company_id:
            for i in range(n_people):
                records.create(
                    admin,
                    Contact,
                    {"first_name": "Staff", "last_name": f"Member {i + 1:03d}"},
                    organization=company_id,
                )
            for i in range(n_company_notes):
                records.create(
                    admin, Note, {"content": f"Account review {i + 1}"}, contact=company_id
                )
            print(f"busy company {company_id}: +{n_people} people, +{n_company_notes} notes")


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        raise SystemExit("usage: python -m bench.busy ADMIN_EMAIL [FACTOR]")
    main(sys.argv[1], float(sys.argv[2]) if len(sys.argv) == 3 else 1.0)

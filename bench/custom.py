"""`python -m bench.custom ADMIN_EMAIL`: a filterable custom field on every deal.

Issue 4's figure: filtering a million deals by a custom field. The field is defined the
way an admin would (services.custom_fields, which creates its expression index); its
values are then filled in bulk with one UPDATE, as an import would, not row by row.
Idempotent: a reused data set only gets what it lacks.
"""

import sys

from accord.core import runtime
from accord.core.config import Config
from accord.core.models import CustomField, User
from accord.core.services import custom_fields

KEY, CHOICES, VALUE = "tier", ["Gold", "Silver", "Bronze"], "Gold"
CASE = "CASE {} WHEN 0 THEN 'Gold' WHEN 1 THEN 'Silver' ELSE 'Bronze' END"


def main(admin_email):
    rt = runtime.build(Config.from_env())
    with rt.db.connection_context():
        rt.check_schema()
        field = CustomField.get_or_none(
            (CustomField.entity_kind == "deal") & (CustomField.key == KEY)
        )
        if field is None:
            admin = User.get(User.email == admin_email)
            custom_fields.define(
                admin, "deal", KEY, "Tier", "dropdown", {"choices": CHOICES},
                show_in_list=True, filterable=True,
            )  # fmt: skip
        if rt.config.is_sqlite:
            sql = (
                f"UPDATE deal SET custom = json_set(COALESCE(custom, '{{}}'), '$.{KEY}', "
                f"{CASE.format('id % 3')}) "
                f"WHERE json_extract(custom, '$.{KEY}') IS NULL"
            )
        else:
            sql = (
                f"UPDATE deal SET custom = (COALESCE(custom, '{{}}')::jsonb "
                # mod(): psycopg2 reads a bare % as a placeholder.
                f"|| jsonb_build_object('{KEY}', {CASE.format('mod(id, 3)')}))::text "
                f"WHERE (custom::jsonb ->> '{KEY}') IS NULL"
            )
        with rt.db.atomic():
            filled = rt.db.execute_sql(sql).rowcount
        print(f"custom field deal.{KEY}: {filled} value(s) filled in")
        if not rt.config.is_sqlite:
            # Where autovacuum is off (as on the CI machine), bulk updates and the summary
            # triggers leave dead rows that would slow every figure: measure a vacuumed
            # database, as autovacuum keeps one in production.
            rt.db.execute_sql("VACUUM ANALYZE")
            print("vacuumed and analyzed")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: python -m bench.custom ADMIN_EMAIL")
    main(sys.argv[1])

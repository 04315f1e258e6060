"""The baseline: a bare Flask + Jinja app that renders the same rows from the same query.

Each page runs the query the Accord page under test needs for its visible rows (same
WHERE, same ORDER BY with Accord's id tiebreaker in the sort's direction, same
LIMIT/OFFSET, the linked names joined in) through plain DB-API and renders them into a simple HTML table. No
login, no access checks, no count, no ORM, no Flask-Admin: the ratio Accord/baseline is
Accord's own overhead. Connections come from a small pool (a tuned bare app would keep
them open).

Serve it like Accord: `python -m bench.baseline --port P` (werkzeug, threaded) or
`gunicorn -w 2 'bench.baseline:create_app()'`; the database is ACCORD_DATABASE_URL, else
$ACCORD_HOME/accord.db, exactly as Accord resolves it.
"""

import argparse
import datetime as dt
import queue
import re

from flask import Flask, abort, request

from bench.dbapi import Database

PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
USER_NAME = """("u"."first_name" || ' ' || "u"."last_name")"""
OWNER_JOIN = 'LEFT JOIN "user" "u" ON "u"."id" = "t"."owner_id"'

# What each list page shows (Accord's column_list), as SQL, and what its search box
# searches (column_searchable_list; Flask-Admin: every word LIKE '%word%' on any field).
ENTITIES = {
    "contact": {
        "table": "contact",
        "where": '"t"."is_organization" = ?',
        "params": (False,),
        "columns": [
            ("Name", '"t"."name"'),
            ("Organization", '"org"."name"'),
            ("Email", '"t"."email"'),
            ("Phone", '"t"."phone"'),
            ("Customer status", '"t"."customer_status"'),
            ("Status", '"st"."name"'),
            ("Owner", USER_NAME),
            ("Updated", '"t"."updated_at"'),
        ],
        "joins": 'LEFT JOIN "contact" "org" ON "org"."id" = "t"."organization_id" '
        'LEFT JOIN "status" "st" ON "st"."id" = "t"."status_id" ' + OWNER_JOIN,
        "search": ("name", "email", "phone"),
        "status": "status_id",
    },
    "company": {
        "table": "contact",
        "where": '"t"."is_organization" = ?',
        "params": (True,),
        "columns": [
            ("Name", '"t"."name"'),
            ("Email", '"t"."email"'),
            ("Phone", '"t"."phone"'),
            ("City", '"t"."city"'),
            ("Customer status", '"t"."customer_status"'),
            ("Status", '"st"."name"'),
            ("Owner", USER_NAME),
            ("Updated", '"t"."updated_at"'),
        ],
        "joins": 'LEFT JOIN "status" "st" ON "st"."id" = "t"."status_id" ' + OWNER_JOIN,
        "search": ("name", "email", "phone"),
        "status": "status_id",
    },
    "lead": {
        "table": "lead",
        "where": "1 = 1",
        "params": (),
        "columns": [
            ("Name", '"t"."name"'),
            ("Organization", '"t"."organization_name"'),
            ("Email", '"t"."email"'),
            ("Phone", '"t"."phone"'),
            ("Status", '"st"."name"'),
            ("Source", '"src"."name"'),
            ("Owner", USER_NAME),
            ("Updated", '"t"."updated_at"'),
        ],
        "joins": 'LEFT JOIN "status" "st" ON "st"."id" = "t"."status_id" '
        'LEFT JOIN "source" "src" ON "src"."id" = "t"."source_id" ' + OWNER_JOIN,
        "search": ("name", "email", "phone", "organization_name"),
        "status": "status_id",
    },
    "deal": {
        "table": "deal",
        "where": "1 = 1",
        "params": (),
        "columns": [
            ("Name", '"t"."name"'),
            ("Value", """("t"."value" || ' ' || "t"."currency")"""),
            ("Organization", '"org"."name"'),
            ("Contact", '"c"."name"'),
            ("Stage", '"sg"."name"'),
            ("Owner", USER_NAME),
            ("Hot", '"t"."hot"'),
            ("Estimated close", '"t"."estimated_close_date"'),
            ("Updated", '"t"."updated_at"'),
        ],
        "joins": 'LEFT JOIN "contact" "org" ON "org"."id" = "t"."organization_id" '
        'LEFT JOIN "contact" "c" ON "c"."id" = "t"."contact_id" '
        'LEFT JOIN "stage" "sg" ON "sg"."id" = "t"."stage_id" ' + OWNER_JOIN,
        "search": ("name",),
        "status": "stage_id",
    },
}

# Global search (accord.core.search): per kind, the fields it matches, 10 hits by name.
GLOBAL = {
    "lead": (
        'SELECT "t"."id", "t"."name", "t"."email" FROM "lead" "t" WHERE "t"."deleted_at" IS NULL',
        ('"t"."name"', '"t"."last_name"', '"t"."email"', '"t"."phone"', '"t"."organization_name"'),
    ),
    "contact": (
        'SELECT "t"."id", "t"."name", "t"."email" FROM "contact" "t" '
        'LEFT JOIN "contact" "org" ON "org"."id" = "t"."organization_id" '
        'WHERE "t"."deleted_at" IS NULL AND "t"."is_organization" = ?',
        ('"t"."name"', '"t"."last_name"', '"t"."email"', '"t"."phone"', '"org"."name"'),
    ),
    "company": (
        'SELECT "t"."id", "t"."name", "t"."email" FROM "contact" "t" '
        'WHERE "t"."deleted_at" IS NULL AND "t"."is_organization" = ?',
        ('"t"."name"', '"t"."email"', '"t"."phone"'),
    ),
    "deal": (
        'SELECT "t"."id", "t"."name", "org"."name" FROM "deal" "t" '
        'LEFT JOIN "contact" "org" ON "org"."id" = "t"."organization_id" '
        'WHERE "t"."deleted_at" IS NULL',
        ('"t"."name"', '"org"."name"'),
    ),
}
GLOBAL_PARAMS = {"contact": (False,), "company": (True,)}

_IDENT = re.compile(r"[a-z_]{1,40}")

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>{{ title }}</title></head>
<body><h1>{{ title }}</h1>
{% for table in tables %}
<h2>{{ table.title }}</h2>
<table>
<thead><tr>{% for h in table.head %}<th>{{ h }}</th>{% endfor %}</tr></thead>
<tbody>
{% for row in table.rows %}<tr>{% for v in row %}<td>{{ v if v is not none else "" }}</td>{% endfor %}</tr>
{% endfor %}</tbody>
</table>
{% endfor %}
</body></html>
"""


class Pool:
    """A few open connections shared by the request threads."""

    def __init__(self, url, size=8):
        self.url = url
        self.free = queue.LifoQueue()
        self.size = size

    def get(self):
        try:
            return self.free.get_nowait()
        except queue.Empty:
            return Database(self.url)

    def put(self, db):
        if self.free.qsize() < self.size:
            self.free.put(db)
        else:
            db.close()


def _int(name, default=None, low=0, high=10**12):
    value = request.args.get(name)
    if value in (None, ""):
        return default
    if not value.isdigit() or not low <= int(value) <= high:
        abort(400)
    return int(value)


def _words(text):
    return [w for w in (text or "").split(" ") if w]


def _like(term):
    # Flask-Admin's parse_like_term: '%term%' (no escaping of % and _ in the term).
    return f"%{term}%"


def list_query(db, entity):
    """SQL and parameters of one list page, from the request's arguments."""
    spec = ENTITIES.get(entity) or abort(404)
    where = ['"t"."deleted_at" IS NULL', spec["where"]]
    params = list(spec["params"])
    owner = _int("owner")
    if owner is not None:
        where.append('"t"."owner_id" = ?')
        params.append(owner)
    status = _int("status")
    if status is not None:
        where.append(f'"t"."{spec["status"]}" = ?')
        params.append(status)
    custom = request.args.get("custom")
    if custom:  # "key:value" — the custom field's stored value, as Accord filters it
        key, _, value = custom.partition(":")
        if not _IDENT.fullmatch(key):
            abort(400)
        if db.sqlite:
            where.append(f'json_extract("t"."custom", \'$.{key}\') = ?')
        else:
            where.append(f'("t"."custom"::jsonb ->> \'{key}\') = ?')
        params.append(value)
    scope = _int("scope")
    if scope is not None:  # a restricted user: own records and unowned ones
        where.append('("t"."owner_id" = ? OR "t"."owner_id" IS NULL)')
        params.append(scope)
    for word in _words(request.args.get("search")):
        fields = [f'"t"."{name}" {db.like()} ?' for name in spec["search"]]
        where.append("(" + " OR ".join(fields) + ")")
        params += [_like(word)] * len(fields)
    order = request.args.get("order") or "updated_at"
    if not _IDENT.fullmatch(order):
        abort(400)
    # Accord's default sort is updated_at descending; an explicit sort is ascending
    # unless desc=1; a unique id tiebreaker in the same direction always follows.
    default = "order" not in request.args
    desc = default or request.args.get("desc") == "1"
    page_size = _int("page_size", PAGE_SIZE, 1, MAX_PAGE_SIZE)
    page = _int("page", 0, 0, 10**6)
    columns = ", ".join(sql for _label, sql in spec["columns"])
    tiebreak = "DESC" if desc else "ASC"  # Accord breaks ties by id in the sort direction
    order_by = f'"t"."{order}" {"DESC" if desc else "ASC"}, "t"."id" {tiebreak}'
    # The page's rows first, the linked names joined to those rows only (as Accord
    # loads them afterwards): a join before the LIMIT would join the whole table.
    page_rows = (
        f'SELECT "t".* FROM "{spec["table"]}" "t" WHERE {" AND ".join(where)} '
        f"ORDER BY {order_by} LIMIT {page_size} OFFSET {page * page_size}"
    )
    sql = f'SELECT {columns} FROM ({page_rows}) "t" {spec["joins"]} ORDER BY {order_by}'
    return spec, sql, params


def _in(ids):
    return ", ".join("?" for _ in ids)


def dashboard_tables(db, pipeline, owners, user):
    """The dashboard's queries: open deals per active stage and currency, deals closed in
    the last 30 days, a page of the activity feed and the user's open tasks."""
    scope, params = "", []
    if owners:
        scope = f' AND "d"."owner_id" IN ({_in(owners)})'
        params = list(owners)
    stages = db.rows(
        'SELECT "s"."name", "d"."currency", count("d"."id"), sum("d"."value"), '
        'sum("d"."value" * COALESCE("d"."probability", "s"."likelihood")) '
        'FROM "deal" "d" JOIN "stage" "s" ON "s"."id" = "d"."stage_id" '
        'WHERE "d"."deleted_at" IS NULL AND "d"."pipeline_id" = ? AND "s"."category" = ?'
        f'{scope} GROUP BY "s"."name", "d"."stage_id", "d"."currency"',
        [pipeline, "active", *params],
    )
    since = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=30)
    since = since.strftime("%Y-%m-%d %H:%M:%S")  # stored as naive UTC text on SQLite
    closed = db.rows(
        'SELECT "s"."category", "d"."currency", count("d"."id"), sum("d"."value") '
        'FROM "deal" "d" JOIN "stage" "s" ON "s"."id" = "d"."stage_id" '
        'WHERE "d"."deleted_at" IS NULL AND "d"."pipeline_id" = ? '
        'AND "s"."category" IN (?, ?, ?) AND "d"."closed_at" >= ?'
        f'{scope} GROUP BY "s"."category", "d"."currency"',
        [pipeline, "won", "lost", "unqualified", since, *params],
    )
    feed_where, feed_params = "", []
    if owners:
        feed_where = (
            f'WHERE "a"."owner_id" IN ({_in(owners)}) '
            f'OR ("a"."owner_id" IS NULL AND "a"."actor_id" IN ({_in(owners)}))'
        )
        feed_params = list(owners) * 2
    feed = db.rows(
        'SELECT "a"."created_at", "a"."verb", "a"."entity_kind", "a"."record_name" '
        f'FROM "activity" "a" {feed_where} '
        'ORDER BY "a"."created_at" DESC, "a"."id" DESC LIMIT 26',
        feed_params,
    )
    tasks = db.rows(
        'SELECT "content", "due_at" FROM "task" WHERE "owner_id" = ? AND "done" = ? '
        'ORDER BY "due_at" LIMIT 10',
        [user or 0, False],
    )
    return [
        {"title": "Open deals", "head": ["Stage", "Currency", "Deals", "Value", "Weighted"],
         "rows": stages},
        {"title": "Closed (30 days)", "head": ["Category", "Currency", "Deals", "Value"],
         "rows": closed},
        {"title": "Activity", "head": ["When", "Verb", "Kind", "Record"], "rows": feed[:25]},
        {"title": "My tasks", "head": ["Task", "Due"], "rows": tasks},
    ]  # fmt: skip


def create_app(database_url=None):
    from accord.core.config import Config  # the same resolution as Accord's

    url = database_url or Config.from_env().database_url
    pool = Pool(url)
    app = Flask(__name__)

    template = app.jinja_env.from_string(PAGE)  # compiled once, autoescaped like a file

    def page(title, tables):
        return template.render(title=title, tables=tables)

    def with_db(work):
        db = pool.get()
        try:
            result = work(db)
        except Exception:
            db.close()  # a failed connection is not put back
            raise
        pool.put(db)
        return result

    @app.get("/list/<entity>/")
    def list_page(entity):
        def work(db):
            spec, sql, params = list_query(db, entity)
            rows = db.rows(sql, params)
            head = [label for label, _sql in spec["columns"]]
            return page(entity, [{"title": entity, "head": head, "rows": rows}])

        return with_db(work)

    @app.get("/search/")
    def global_search():
        text = " ".join((request.args.get("q") or "").split())
        if not text:
            abort(400)

        def work(db):
            tables = []
            for kind, (select, fields) in GLOBAL.items():
                match = " OR ".join(f"{f} {db.like()} ?" for f in fields)
                params = [*GLOBAL_PARAMS.get(kind, ()), *[_like(text)] * len(fields)]
                rows = db.rows(
                    f'{select} AND ({match}) ORDER BY "t"."name", "t"."id" LIMIT 11', params
                )
                tables.append({"title": kind, "head": ["id", "name", "detail"], "rows": rows})
            return page("search", tables)

        return with_db(work)

    @app.get("/dashboard/")
    def dashboard():
        pipeline = _int("pipeline", 1)
        owners = [int(v) for v in request.args.getlist("owner") if v.isdigit()]
        user = _int("user")
        return with_db(lambda db: page("dashboard", dashboard_tables(db, pipeline, owners, user)))

    @app.get("/board/")
    def board():
        pipeline = _int("pipeline", 1)

        def work(db):
            tables = dashboard_tables(db, pipeline, [], None)[:1]
            stages = db.rows(
                'SELECT "id", "name" FROM "stage" WHERE "pipeline_id" = ? AND "category" = ? '
                'ORDER BY "position", "id"',
                [pipeline, "active"],
            )
            for stage_id, name in stages:
                rows = db.rows(
                    'SELECT "t"."name", "t"."value", "t"."currency", ' + USER_NAME + ' '
                    'FROM "deal" "t" ' + OWNER_JOIN + ' WHERE "t"."stage_id" = ? '
                    'AND "t"."deleted_at" IS NULL ORDER BY "t"."updated_at" DESC, "t"."id" DESC '
                    "LIMIT 20",
                    [stage_id],
                )  # fmt: skip
                tables.append({"title": name, "head": ["Deal", "Value", "", "Owner"], "rows": rows})
            return page("board", tables)

        return with_db(work)

    @app.get("/details/deal/<int:record_id>/")
    def deal_details(record_id):
        def work(db):
            record = db.rows(
                'SELECT "t"."name", "t"."value", "t"."currency", "org"."name", "c"."name", '
                '"p"."name", "sg"."name", ' + USER_NAME + ', "t"."updated_at" '
                'FROM "deal" "t" LEFT JOIN "contact" "org" ON "org"."id" = "t"."organization_id" '
                'LEFT JOIN "contact" "c" ON "c"."id" = "t"."contact_id" '
                'JOIN "pipeline" "p" ON "p"."id" = "t"."pipeline_id" '
                'JOIN "stage" "sg" ON "sg"."id" = "t"."stage_id" ' + OWNER_JOIN + ' '
                'WHERE "t"."id" = ? AND "t"."deleted_at" IS NULL',
                [record_id],
            )  # fmt: skip
            if not record:
                abort(404)
            return page("deal", [
                {"title": "Deal", "head": ["Name", "Value", "", "Organization", "Contact",
                                           "Pipeline", "Stage", "Owner", "Updated"],
                 "rows": record},
                {"title": "Tasks", "head": ["Task", "Due", "Done"], "rows": db.rows(
                    'SELECT "content", "due_at", "done" FROM "task" WHERE "deal_id" = ? '
                    'ORDER BY "id" DESC LIMIT 20', [record_id])},
                {"title": "Notes", "head": ["Note", "Created"], "rows": db.rows(
                    'SELECT "content", "created_at" FROM "note" WHERE "deal_id" = ? '
                    'ORDER BY "id" DESC LIMIT 20', [record_id])},
                {"title": "History", "head": ["When", "Verb", "Changes"], "rows": db.rows(
                    'SELECT "created_at", "verb", "changes" FROM "activity" '
                    'WHERE "entity_kind" = ? AND "record_id" = ? '
                    'ORDER BY "created_at" DESC, "id" DESC LIMIT 20', ["deal", record_id])},
            ])  # fmt: skip

        return with_db(work)

    @app.get("/details/company/<int:record_id>/")
    def company_details(record_id):
        def work(db):
            record = db.rows(
                'SELECT "t"."name", "t"."email", "t"."phone", "t"."city", ' + USER_NAME + ' '
                'FROM "contact" "t" ' + OWNER_JOIN + ' '
                'WHERE "t"."id" = ? AND "t"."deleted_at" IS NULL',
                [record_id],
            )  # fmt: skip
            if not record:
                abort(404)
            return page("company", [
                {"title": "Company", "head": ["Name", "Email", "Phone", "City", "Owner"],
                 "rows": record},
                {"title": "People", "head": ["Name", "Title", "Email"], "rows": db.rows(
                    'SELECT "name", "title", "email" FROM "contact" WHERE "organization_id" = ? '
                    'AND "deleted_at" IS NULL ORDER BY "name", "id" DESC LIMIT 20', [record_id])},
                {"title": "Deals", "head": ["Deal", "Value", ""], "rows": db.rows(
                    'SELECT "name", "value", "currency" FROM "deal" WHERE "organization_id" = ? '
                    'AND "deleted_at" IS NULL ORDER BY "id" DESC LIMIT 20', [record_id])},
                {"title": "Notes", "head": ["Note", "Created"], "rows": db.rows(
                    'SELECT "content", "created_at" FROM "note" WHERE "contact_id" = ? '
                    'ORDER BY "id" DESC LIMIT 20', [record_id])},
            ])  # fmt: skip

        return with_db(work)

    @app.get("/ping")
    def ping():
        return "ok"

    return app


def main(argv=None):
    parser = argparse.ArgumentParser(description="the bench's bare Flask + Jinja baseline")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5001)
    args = parser.parse_args(argv)
    from werkzeug.serving import make_server

    server = make_server(args.host, args.port, create_app(), threaded=True)
    print(f"baseline running at http://{args.host}:{server.port}/", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()

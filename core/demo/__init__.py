"""Realistic demo data for `accord demo` and `accord serve --demo` (DESIGN.md §3, §9).

`generate()` assumes a bound, migrated database and only adds rows: run it twice and you
get twice the records (users, teams and the "Services" pipeline are reused by name).

Speed: rows are built from precomputed pools with one `random.Random` and written with
batched multi-row inserts, one transaction per chunk, with explicit ids (so people can
point at their organization without reading ids back). A million contacts plus a
million deals take minutes on SQLite, not hours.

Every email address ends in a reserved `.example`/`.test` domain: an automation that
mails demo contacts must never reach a real mailbox. Phone numbers follow each
country's real format and are random.
"""

import datetime as dt
import io
import random
import re
import time
import unicodedata
import uuid
from array import array
from bisect import bisect
from itertools import accumulate

from peewee import fn

from accord.core import deal_totals, seeds
from accord.core.db import database, is_sqlite
from accord.core.demo import automations as demo_automations
from accord.core.demo import names as N
from accord.core.models import (
    REMINDERS,
    ActionType,
    Activity,
    Appointment,
    Contact,
    Deal,
    Lead,
    LossReason,
    Note,
    Pipeline,
    Source,
    Stage,
    Status,
    Task,
    Team,
    UnqualifiedReason,
    User,
    utcnow,
)

__all__ = ["generate", "SALES_TEAM", "USER_DOMAIN"]

CHUNK = 50_000  # rows per transaction: fewer rewrites of the same index pages
LOG_EVERY = 100_000
HISTORY_DAYS = 730  # records were created over the last two years
FEED_DAYS = 45  # records created this recently also get a "created" activity row
UNOWNED_PERCENT = 5
DAY = 86_400

USER_DOMAIN = "demo.accord.test"

# first, last, role, team, index of the manager in this list, timezone
SALES_TEAM = [
    ("Zeynep", "Aydın", "manager", "North", None, "Europe/Istanbul"),
    ("László", "Kovács", "manager", "South", None, "Europe/Budapest"),
    ("Oliver", "Bennett", "normal", "North", 0, "Europe/London"),
    ("Katarzyna", "Wiśniewska", "normal", "North", 0, "Europe/Warsaw"),
    ("Élodie", "Moreau", "normal", "North", 0, "Europe/Paris"),
    ("Baraka", "Mwangi", "normal", "North", 0, "Africa/Nairobi"),
    # Reports to Oliver, who reports to Zeynep: a two-level tree for the manager scope.
    ("Gergő", "Szűcs", "normal", "North", 2, "Europe/Budapest"),
    ("Emre", "Öztürk", "normal", "South", 1, "Europe/Istanbul"),
    ("Neema", "Mushi", "normal", "South", 1, "Africa/Dar_es_Salaam"),
    ("Hannah", "Clarke", "normal", "South", 1, "America/New_York"),
    ("Łukasz", "Dąbrowski", "normal", "South", 1, "Europe/Warsaw"),
    ("Camille", "Girard", "restricted", "South", 1, "Europe/Paris"),
]
# How many records each role tends to own, relatively.
OWNER_WEIGHTS = {"manager": 1, "normal": 3, "restricted": 2}

SERVICES_STAGES = [
    ("Discovery", "active", 10),
    ("Scoping", "active", 25),
    ("Statement of work", "active", 50),
    ("Contract review", "active", 75),
    ("Delivery scheduled", "active", 90),
    ("Won", "won", 100),
    ("Lost", "lost", 0),
    ("Unqualified", "unqualified", 0),
]
# Share of deals per pipeline and of deals per stage category.
PIPELINE_SHARE = {"Sales": 7, "Services": 3}
CATEGORY_WEIGHT = {"active": 14, "won": 8, "lost": 7, "unqualified": 2}

_FOLD = str.maketrans({"ı": "i", "İ": "I", "ł": "l", "Ł": "L", "ß": "ss", "'": ""})


def ascii_fold(text):
    """'Łukasz Dąbrowski' -> 'Lukasz Dabrowski' (for email addresses and domains)."""
    text = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return text.encode("ascii", "ignore").decode("ascii")


def _slug(text, sep=""):
    words = "".join(c if c.isalnum() else " " for c in ascii_fold(text).lower()).split()
    return sep.join(words)


def _template(text):
    """'+90 53# ### ## ##' -> (format string, number of random digits)."""
    return text.replace("{", "{{").replace("}", "}}").replace("#", "{}"), text.count("#")


class _Country:
    """Precomputed pools for one country, so that a row costs a few index lookups."""

    def __init__(self, spec):
        lang = N.LANGUAGES[spec["lang"]]
        self.lang = spec["lang"]
        self.country = spec["country"]
        self.currency = spec["currency"]
        self.mail_domain = lang["mail_domain"]
        self.persons = []  # (first, last, full name, ascii local part)
        for gender in ("male", "female"):
            for first in lang[gender]:
                for last in lang["last"]:
                    if gender == "female":
                        last = N.feminine(last, self.lang)
                    local = f"{_slug(first, '')}.{_slug(last, '')}"
                    self.persons.append((first, last, f"{first} {last}", local))
        self.lasts = [(s, _slug(s)) for s in lang["last"]]
        self.words = [(s, _slug(s)) for s in lang["company_words"]]
        self.suffixes = lang["company_suffixes"]
        # Each pattern with the parts its domain name is made of, in order.
        self.patterns = [
            (p, [k for k in re.findall(r"{(\w+)}", p) if k != "suffix"])
            for p in lang["company_patterns"]
        ]
        self.cities = [(c, r, _template(p)) for c, r, p in spec["cities"]]
        self.city_slugs = [(c, _slug(c)) for c, _, _ in spec["cities"]]
        self.streets = lang["streets"]
        self.street_format = lang["street_format"]
        self.phones = [_template(p) for p in spec["phones"]]
        self.mobiles = [_template(p) for p in spec["mobiles"]]
        # Round deal values in the local currency (a few hundred to ~250k euros).
        rate = N.CURRENCY_RATES[self.currency]
        self.values = []
        for euros in (300, 800, 1500, 2500, 4000, 6500, 9000, 12000, 18000, 25000, 40000,
                      60000, 90000, 150000, 250000):  # fmt: skip
            for factor in (0.8, 1, 1.2, 1.5):
                amount = euros * factor * rate
                step = 10 ** max(0, len(str(int(amount))) - 2)
                self.values.append(f"{int(amount // step * step)}.00")

    def company(self, r):
        """(name, domain slug) of a made-up company."""
        pattern, keys = self.patterns[int(r() * len(self.patterns))]
        last, last_slug = self.lasts[int(r() * len(self.lasts))]
        last2, last2_slug = self.lasts[int(r() * len(self.lasts))]
        word, word_slug = self.words[int(r() * len(self.words))]
        city, city_slug = self.city_slugs[int(r() * len(self.city_slugs))]
        suffix = self.suffixes[int(r() * len(self.suffixes))]
        name = pattern.format(last=last, last2=last2, word=word, city=city, suffix=suffix)
        slugs = {"last": last_slug, "last2": last2_slug, "word": word_slug, "city": city_slug}
        return name, "".join(slugs[key] for key in keys)

    def address(self, r):
        """(street, city, postal code, region)."""
        city, region, (fmt, k) = self.cities[int(r() * len(self.cities))]
        street = self.street_format.format(
            street=self.streets[int(r() * len(self.streets))], number=1 + int(r() * 180)
        )
        return street, city, _fill(fmt, k, r), region

    def phone(self, r, mobile=False):
        pool = self.mobiles if mobile else self.phones
        fmt, k = pool[int(r() * len(pool))]
        return _fill(fmt, k, r)


def _fill(fmt, k, r):
    if not k:
        return fmt.format()
    return fmt.format(*f"{int(r() * 10**k):0{k}d}")


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(rows):
    """Rows in PostgreSQL's COPY text format (tab-separated, \\N for NULL)."""
    esc = _COPY_ESCAPES
    lines = ["\t".join("\\N" if v is None else str(v).translate(esc) for v in row) for row in rows]
    lines.append("")
    return "\n".join(lines)


def _db_default(field):
    value = field.default() if callable(field.default) else field.default
    if value is None:
        return None
    value = field.db_value(value)
    return str(value) if isinstance(value, dt.date) else value


class _Table:
    """Batched inserts with explicit ids into one table (portable SQL, one chunk per txn)."""

    def __init__(self, model, columns, log, label=None):
        self.model = model
        self.name = model._meta.table_name
        self.log = log
        self.label = label or self.name
        fields = model._meta.sorted_fields
        known = {f.column_name for f in fields}
        columns = ("id", *columns)
        unknown = set(columns) - known
        if unknown:
            raise ValueError(f"{self.name} has no column(s) {sorted(unknown)}")
        # Columns not given get the model's default: a NOT NULL column added later to the
        # model does not break the generator.
        extras = [f for f in fields if f.column_name not in columns]
        self.extra = tuple(_db_default(f) for f in extras)
        columns += tuple(f.column_name for f in extras)
        self.width = len(columns)
        q0, q1 = database.quote[0], database.quote[-1]
        cols = ", ".join(f"{q0}{c}{q1}" for c in columns)
        self.quoted = f"{q0}{self.name}{q1}"
        self.prefix = f"INSERT INTO {self.quoted} ({cols}) VALUES "
        self.placeholders = "(" + ", ".join([database.param] * self.width) + ")"
        self.copy = f"COPY {self.quoted} ({cols}) FROM STDIN"
        self.next_id = (model.select(fn.MAX(model.id)).scalar() or 0) + 1
        self.written = 0
        self.expected = 0

    def reserve(self, n):
        start = self.next_id
        self.next_id += n
        return start

    def write(self, rows):
        if not rows:
            return
        if self.extra:
            extra = self.extra
            rows = [row + extra for row in rows]
        with database.atomic():
            cursor = database.cursor()
            if is_sqlite():
                cursor.executemany(self.prefix + self.placeholders, rows)
            elif hasattr(cursor, "copy_expert"):
                # psycopg2: COPY is several times faster than multi-row INSERTs.
                cursor.copy_expert(self.copy, io.StringIO(_copy_text(rows)))
            else:
                step = max(1, 30_000 // self.width)
                for i in range(0, len(rows), step):
                    part = rows[i : i + step]
                    sql = self.prefix + ", ".join([self.placeholders] * len(part))
                    database.execute_sql(sql, [v for row in part for v in row])
        before, self.written = self.written, self.written + len(rows)
        if before // LOG_EVERY != self.written // LOG_EVERY:
            self.log(f"demo: {self.label} {self.written:,} / {max(self.expected, self.written):,}")

    def reset_sequence(self):
        # Explicit ids bypass PostgreSQL's sequence; move it past them (SQLite and MySQL
        # follow the max id by themselves).
        if self.written and "Postgres" in type(database.obj).__name__:
            database.execute_sql(
                f"SELECT setval(pg_get_serial_sequence(%s, 'id'), "
                f"(SELECT MAX(id) FROM {self.quoted}))",
                (self.quoted,),
            )


def _pick(r, seq):
    return seq[int(r() * len(seq))]


class _Generator:
    def __init__(self, rng, log):
        self.rng = rng
        self.r = rng.random
        self.log = log
        now = utcnow()
        base = dt.datetime.combine(now.date(), dt.time()) - dt.timedelta(days=HISTORY_DAYS + 60)
        # Offsets in seconds from `base`; formatted through two lookup tables.
        self.now = int((now - base).total_seconds())
        self.today = self.now // DAY
        self.days = [str(base.date() + dt.timedelta(days=i)) for i in range(HISTORY_DAYS + 300)]
        self.times = [f" {s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(DAY)]
        self.countries = [_Country(spec) for spec in N.COUNTRIES]
        self.country_cum = list(accumulate(spec["weight"] for spec in N.COUNTRIES))
        self.activity_rows = []

    # -- small helpers ---------------------------------------------------------------

    def ts(self, off):
        return self.days[off // DAY] + self.times[off % DAY]

    def country_index(self):
        return bisect(self.country_cum, self.r() * self.country_cum[-1])

    def created(self):
        """A moment of the last two years, in office hours (07:00-19:00)."""
        off = (self.today - int(self.r() * HISTORY_DAYS)) * DAY + 25_200 + int(self.r() * 43_200)
        return off if off <= self.now else off - DAY

    def created_series(self, n):
        # Ids follow creation time, as in a real CRM; the created_at index is appended to.
        return sorted(self.created() for _ in range(n))

    def owner(self):
        return self.owner_ids[bisect(self.owner_cum, self.r() * self.owner_cum[-1])]

    def feed(self, kind, record_id, name, owner, created):
        # Only the recent past goes into the feed, as a live CRM's would.
        if created >= self.now - FEED_DAYS * DAY:
            actor = owner if owner is not None else _pick(self.r, self.user_ids)
            self.activity_rows.append(
                (
                    self.t_activity.reserve(1),
                    self.ts(created),
                    actor,
                    "created",
                    kind,
                    record_id,
                    name[:255],
                    owner,
                )
            )
            if len(self.activity_rows) >= CHUNK:
                self.flush_feed()

    def flush_feed(self):
        self.t_activity.write(self.activity_rows)
        self.activity_rows = []

    # -- set-up done through the ORM (a handful of rows) ------------------------------

    def team(self):
        with database.atomic():
            teams = {}
            for name in sorted({row[3] for row in SALES_TEAM}):
                teams[name], _ = Team.get_or_create(name=name)
            users = []
            for first, last, role, team, manager, tz in SALES_TEAM:
                email = f"{_slug(first)}.{_slug(last)}@{USER_DOMAIN}"
                user = User.get_or_none(User.email == email)
                if user is None:
                    user = User.create(
                        email=email,
                        first_name=first,
                        last_name=last,
                        role=role,
                        team=teams[team],
                        manager=users[manager] if manager is not None else None,
                        # Unusable until someone sets a password (the CLI may).
                        password_hash="!demo",
                        timezone=tz,
                    )
                users.append(user)
        self.users = users
        self.user_ids = [u.id for u in users]
        # One slot in 20 is "nobody" (UNOWNED_PERCENT); users share the rest by role.
        weights = [OWNER_WEIGHTS.get(u.role, 1) for u in users]
        share = sum(weights) * UNOWNED_PERCENT / (100 - UNOWNED_PERCENT)
        self.owner_ids = [u.id for u in users] + [None]
        self.owner_cum = list(accumulate(weights + [share]))
        return len(users)

    def vocabularies(self):
        with database.atomic():
            if not Pipeline.select().exists():
                seeds.seed_defaults()
            if not Pipeline.select().where(Pipeline.name == "Services").exists():
                position = Pipeline.select(fn.MAX(Pipeline.position)).scalar() or 0
                seeds.create_pipeline("Services", SERVICES_STAGES, position=position + 1)
        sales = Pipeline.get_or_none(Pipeline.is_default == True)  # noqa: E712
        sales = sales or Pipeline.select().order_by(Pipeline.position, Pipeline.id).first()
        services = Pipeline.get(Pipeline.name == "Services")
        options, weights = [], []
        for pipeline, share, products in (
            (sales, PIPELINE_SHARE["Sales"], N.PRODUCTS["Sales"]),
            (services, PIPELINE_SHARE["Services"], N.PRODUCTS["Services"]),
        ):
            stages = list(pipeline.stages.order_by(Stage.position))
            per_category = {}
            for stage in stages:
                per_category[stage.category] = per_category.get(stage.category, 0) + 1
            for stage in stages:
                options.append((pipeline.id, stage.id, stage.category, products))
                weight = CATEGORY_WEIGHT.get(stage.category, 1) / per_category[stage.category]
                weights.append(share * weight)
        if not options:
            raise RuntimeError("the pipelines have no stages to put demo deals in")
        self.stage_options = options
        self.stage_cum = list(accumulate(weights))

        def ids(query):
            return [row.id for row in query]

        def statuses(kind):
            query = Status.select().where(Status.entity_kind == kind).order_by(Status.position)
            return {s.name: s.id for s in query}

        self.lead_statuses = statuses("lead")
        self.contact_statuses = list(statuses("contact").values())
        self.task_statuses = list(statuses("task").values())
        self.sources = ids(Source.select().order_by(Source.id))
        self.loss_reasons = ids(LossReason.select().order_by(LossReason.id))
        self.unqualified_reasons = ids(UnqualifiedReason.select().order_by(UnqualifiedReason.id))
        self.action_types = ids(ActionType.select().order_by(ActionType.position))

    # -- bulk tables ------------------------------------------------------------------

    def contacts(self, n):
        r, ts, owner_of, countries = self.r, self.ts, self.owner, self.countries
        t = self.t_contact
        n_orgs = (n + 4) // 5 if n else 0
        n_people = n - n_orgs
        t.expected = n
        start = t.reserve(n)
        self.org_start, self.org_count = start, n_orgs
        self.people_start, self.people_count = start + n_orgs, n_people
        self.org_names, self.org_domains = [], []
        self.org_country = bytearray(n_orgs)
        self.person_org = array("q")  # index into the orgs, -1: none
        self.person_country = bytearray(n_people)
        self.orgless_names = {}  # person index -> name, for deals without a company
        self.contact_owner = array("q")  # 0: nobody
        self.contact_created = array("q")
        sources, statuses = self.sources, self.contact_statuses
        customer_statuses = ("customer",) * 3 + ("prospect",) * 4 + ("none",) * 3
        titles = N.TITLES
        rows = []

        def common(created, owner):
            updated = created + int(r() * (self.now - created) * r())
            status = _pick(r, statuses) if statuses and r() < 0.4 else None
            source = _pick(r, sources) if sources and r() < 0.8 else None
            self.contact_owner.append(owner or 0)
            self.contact_created.append(created)
            return ts(created), ts(updated), owner, _pick(r, customer_statuses), status, source

        series = self.created_series(n_orgs)
        for i in range(n_orgs):
            cid = start + i
            ci = self.country_index()
            country = countries[ci]
            name, slug = country.company(r)
            domain = f"{slug}.example"
            self.org_names.append(name)
            self.org_domains.append(domain)
            self.org_country[i] = ci
            created, owner = series[i], owner_of()
            c_at, u_at, owner, cstatus, status, source = common(created, owner)
            street, city, postal, region = country.address(r)
            rows.append(
                (
                    cid,
                    c_at,
                    u_at,
                    owner,
                    True,
                    name,
                    "",
                    "",
                    None,
                    "",
                    f"info{cid}@{domain}" if r() < 0.8 else "",
                    country.phone(r) if r() < 0.85 else "",
                    "",
                    f"https://www.{domain}" if r() < 0.7 else "",
                    street,
                    city,
                    postal,
                    region,
                    country.country,
                    cstatus,
                    status,
                    source,
                )  # fmt: skip
            )
            self.feed("contact", cid, name, owner, created)
            if len(rows) >= CHUNK:
                t.write(rows)
                rows = []

        series = self.created_series(n_people)
        for i in range(n_people):
            cid = start + n_orgs + i
            if n_orgs and r() < 0.92:
                org = int(r() * n_orgs)
                ci = self.org_country[org]
                domain = self.org_domains[org]
                org_id = self.org_start + org
            else:
                org, org_id, ci = -1, None, self.country_index()
                domain = countries[ci].mail_domain
            country = countries[ci]
            first, last, name, local = _pick(r, country.persons)
            self.person_org.append(org)
            self.person_country[i] = ci
            if org < 0:
                self.orgless_names[i] = name
            created, owner = series[i], owner_of()
            c_at, u_at, owner, cstatus, status, source = common(created, owner)
            if r() < 0.5:
                street, city, postal, region = country.address(r)
            else:
                street, city, postal, region = "", "", "", ""
            rows.append(
                (
                    cid,
                    c_at,
                    u_at,
                    owner,
                    False,
                    name,
                    first,
                    last,
                    org_id,
                    _pick(r, titles) if org_id and r() < 0.85 else "",
                    f"{local}.{cid}@{domain}" if r() < 0.9 else "",
                    country.phone(r) if r() < 0.6 else "",
                    country.phone(r, mobile=True) if r() < 0.6 else "",
                    "",
                    street,
                    city,
                    postal,
                    region,
                    country.country,
                    cstatus,
                    status,
                    source,
                )  # fmt: skip
            )
            self.feed("contact", cid, name, owner, created)
            if len(rows) >= CHUNK:
                t.write(rows)
                rows = []
        t.write(rows)
        return n_orgs, n_people

    def leads(self, n):
        r, ts, countries = self.r, self.ts, self.countries
        t = self.t_lead
        t.expected = n
        start = t.reserve(n)
        self.lead_start, self.lead_count = start, n
        self.lead_owner = array("q")
        self.lead_created = array("q")
        statuses = self.lead_statuses
        status_pool = (
            [statuses.get("New")] * 9 + [statuses.get("Active")] * 8
            + [statuses.get("Unqualified")] * 3
        )  # fmt: skip
        status_pool = [s for s in status_pool if s] or [None]
        rows = []
        series = self.created_series(n)
        for i in range(n):
            lid = start + i
            country = countries[self.country_index()]
            company, slug = country.company(r)
            if r() < 0.9:
                first, last, name, local = _pick(r, country.persons)
                title = _pick(r, N.TITLES) if r() < 0.6 else ""
            else:
                first, last, name, local, title = "", "", company, "info", ""
            organization = company if r() < 0.8 or not first else ""
            domain = f"{slug}.example" if organization else country.mail_domain
            created, owner = series[i], self.owner()
            updated = created + int(r() * (self.now - created) * r())
            self.lead_owner.append(owner or 0)
            self.lead_created.append(created)
            if r() < 0.5:
                street, city, postal, region = country.address(r)
            else:
                street, city, postal, region = "", "", "", ""
            rows.append(
                (
                    lid,
                    ts(created),
                    ts(updated),
                    owner,
                    name,
                    first,
                    last,
                    organization,
                    title,
                    f"{local}.{lid}@{domain}" if r() < 0.85 else "",
                    country.phone(r) if r() < 0.6 else "",
                    country.phone(r, mobile=True) if r() < 0.4 else "",
                    f"https://www.{domain}" if organization and r() < 0.3 else "",
                    street,
                    city,
                    postal,
                    region,
                    country.country,
                    _pick(r, status_pool),
                    _pick(r, self.sources) if self.sources and r() < 0.9 else None,
                )  # fmt: skip
            )
            self.feed("lead", lid, name, owner, created)
            if len(rows) >= CHUNK:
                t.write(rows)
                rows = []
        t.write(rows)

    def deals(self, n):
        r, ts, countries, now = self.r, self.ts, self.countries, self.now
        t = self.t_deal
        t.expected = n
        start = t.reserve(n)
        self.deal_start, self.deal_count = start, n
        self.deal_owner = array("q")
        self.deal_created = array("q")
        n_orgs, n_people = self.org_count, self.people_count
        options, cum = self.stage_options, self.stage_cum
        total = cum[-1]
        rows = []
        series = self.created_series(n)
        for i in range(n):
            did = start + i
            if n_people and (r() < 0.85 or not n_orgs):
                p = int(r() * n_people)
                contact_id = self.people_start + p
                org = self.person_org[p]
                ci = self.person_country[p]
                org_id = self.org_start + org if org >= 0 else None
                party = self.org_names[org] if org >= 0 else self.orgless_names[p]
            elif n_orgs:
                org = int(r() * n_orgs)
                contact_id, org_id = None, self.org_start + org
                ci = self.org_country[org]
                party = self.org_names[org]
            else:
                contact_id = org_id = None
                ci = self.country_index()
                party = countries[ci].company(r)[0]
            country = countries[ci]
            pipeline_id, stage_id, category, products = options[bisect(cum, r() * total)]
            name = f"{party} – {_pick(r, products)}"
            created, owner = series[i], self.owner()
            changed = created + int(r() * (now - created))
            loss = unqualified = None
            if category == "active":
                closed = None
                close_day = self.today + int(r() * 140) - 20
                hot = r() < 0.12
            else:
                closed = ts(changed)
                close_day = changed // DAY
                hot = False
                if category == "lost" and self.loss_reasons:
                    loss = _pick(r, self.loss_reasons)
                elif category == "unqualified" and self.unqualified_reasons:
                    unqualified = _pick(r, self.unqualified_reasons)
            self.deal_owner.append(owner or 0)
            self.deal_created.append(created)
            rows.append(
                (
                    did,
                    ts(created),
                    ts(changed),
                    owner,
                    name[:255],
                    _pick(r, country.values),
                    country.currency,
                    contact_id,
                    org_id,
                    pipeline_id,
                    stage_id,
                    hot,
                    self.days[close_day],
                    _pick(r, self.sources) if self.sources and r() < 0.8 else None,
                    loss,
                    unqualified,
                    ts(changed),
                    closed,
                )  # fmt: skip
            )
            self.feed("deal", did, name, owner, created)
            if len(rows) >= CHUNK:
                t.write(rows)
                rows = []
        t.write(rows)

    def _targets(self, n_deal, n_contact, n_lead):
        """Yield (kind, index) for linked records, mixed in random order."""
        kinds = (
            [("deal", n_deal, self.deal_count)]
            + [("contact", n_contact, self.org_count + self.people_count)]
            + [("lead", n_lead, self.lead_count)]
        )
        plan = [(kind, size) for kind, count, size in kinds if size for _ in range(count)]
        self.rng.shuffle(plan)
        r = self.r
        for kind, size in plan:
            yield kind, int(r() * size)

    def _link(self, kind, index):
        """(owner, created offset, deal_id, contact_id, lead_id) of a linked record."""
        if kind == "deal":
            owner, created = self.deal_owner[index], self.deal_created[index]
            ids = (self.deal_start + index, None, None)
        elif kind == "contact":
            owner, created = self.contact_owner[index], self.contact_created[index]
            ids = (None, self.org_start + index, None)
        else:
            owner, created = self.lead_owner[index], self.lead_created[index]
            ids = (None, None, self.lead_start + index)
        return (owner or self.owner()), created, ids

    def tasks(self, n_deal, n_contact, n_lead):
        r, ts, now = self.r, self.ts, self.now
        t = self.t_task
        t.expected = n_deal + n_contact + n_lead
        reminders = [k for k in REMINDERS if k]
        rows = []
        for kind, index in self._targets(n_deal, n_contact, n_lead):
            owner, rec_created, (deal_id, contact_id, lead_id) = self._link(kind, index)
            # 30 days back to 30 ahead, on a quarter hour between 08:00 and 17:45.
            due = (self.today + int(r() * 61) - 30) * DAY + 28_800 + int(r() * 40) * 900
            created = min(due, now)
            created = max(rec_created, created - int(r() * 14 * DAY))
            done = r() < (0.65 if due < now else 0.1)
            done_at = min(now, max(created, due + int((r() - 0.7) * 2 * DAY))) if done else None
            reminder, remind_at = "", None
            if r() < 0.3:
                reminder = _pick(r, reminders)
                remind_at = ts(due - REMINDERS[reminder] * 60)
            creator = owner if r() < 0.7 else _pick(r, self.user_ids)
            rows.append(
                (
                    t.reserve(1),
                    ts(created),
                    ts(done_at or created),
                    owner,
                    _pick(r, N.TASKS),
                    ts(due),
                    reminder,
                    remind_at,
                    done,
                    ts(done_at) if done else None,
                    creator,
                    _pick(r, self.action_types) if self.action_types and r() < 0.8 else None,
                    _pick(r, self.task_statuses) if self.task_statuses and r() < 0.2 else None,
                    lead_id,
                    contact_id,
                    deal_id,
                )  # fmt: skip
            )
            if len(rows) >= CHUNK:
                t.write(rows)
                rows = []
        t.write(rows)

    def notes(self, n_deal, n_contact, n_lead):
        r, ts, now = self.r, self.ts, self.now
        t = self.t_note
        t.expected = n_deal + n_contact + n_lead
        rows = []
        for kind, index in self._targets(n_deal, n_contact, n_lead):
            owner, rec_created, (deal_id, contact_id, lead_id) = self._link(kind, index)
            created = rec_created + int(r() * (now - rec_created))
            rows.append(
                (
                    t.reserve(1),
                    ts(created),
                    ts(created),
                    owner,
                    _pick(r, N.NOTES),
                    lead_id,
                    contact_id,
                    deal_id,
                )  # fmt: skip
            )
            if len(rows) >= CHUNK:
                t.write(rows)
                rows = []
        t.write(rows)

    def appointments(self, n_deal, n_contact):
        r, ts, now = self.r, self.ts, self.now
        t = self.t_appointment
        t.expected = n_deal + n_contact
        places = [c[0] for country in self.countries for c in country.cities]
        places += ["Video call"] * 10 + ["Phone"] * 4
        rows = []
        for kind, index in self._targets(n_deal, n_contact, 0):
            owner, rec_created, (deal_id, contact_id, lead_id) = self._link(kind, index)
            day = self.today + int(r() * 60) - 30
            all_day = r() < 0.05
            if all_day:
                starts, ends = day * DAY, (day + 1) * DAY
            else:
                starts = day * DAY + 8 * 3600 + int(r() * 20) * 1800
                ends = starts + (1 + int(r() * 4)) * 1800
            created = max(rec_created, min(starts, now) - int(r() * 10 * DAY))
            rows.append(
                (
                    t.reserve(1),
                    ts(created),
                    ts(created),
                    owner,
                    _pick(r, N.APPOINTMENTS),
                    ts(starts),
                    ts(ends),
                    all_day,
                    _pick(r, places),
                    # Random, not seeded: a second run must not repeat a UID.
                    uuid.uuid4().hex + "@accord",
                    lead_id,
                    contact_id,
                    deal_id,
                )  # fmt: skip
            )
            if len(rows) >= CHUNK:
                t.write(rows)
                rows = []
        t.write(rows)

    def run(self, contacts, deals, leads):
        started = time.monotonic()
        log = self.log
        n_users = self.team()
        self.vocabularies()
        with database.atomic():
            demo_automations.seed(log)
        # Tables are opened (max id read) only now, after the ORM set-up wrote its rows.
        self.t_activity = _Table(
            Activity,
            (
                "created_at",
                "actor_id",
                "verb",
                "entity_kind",
                "record_id",
                "record_name",
                "owner_id",
            ),  # fmt: skip
            log,
            "activities",
        )
        self.t_contact = _Table(
            Contact,
            (
                "created_at",
                "updated_at",
                "owner_id",
                "is_organization",
                "name",
                "first_name",
                "last_name",
                "organization_id",
                "title",
                "email",
                "phone",
                "mobile",
                "website",
                "street",
                "city",
                "postal_code",
                "region",
                "country",
                "customer_status",
                "status_id",
                "source_id",
            ),  # fmt: skip
            log,
            "contacts",
        )
        self.t_lead = _Table(
            Lead,
            (
                "created_at",
                "updated_at",
                "owner_id",
                "name",
                "first_name",
                "last_name",
                "organization_name",
                "title",
                "email",
                "phone",
                "mobile",
                "website",
                "street",
                "city",
                "postal_code",
                "region",
                "country",
                "status_id",
                "source_id",
            ),  # fmt: skip
            log,
            "leads",
        )
        self.t_deal = _Table(
            Deal,
            (
                "created_at",
                "updated_at",
                "owner_id",
                "name",
                "value",
                "currency",
                "contact_id",
                "organization_id",
                "pipeline_id",
                "stage_id",
                "hot",
                "estimated_close_date",
                "source_id",
                "loss_reason_id",
                "unqualified_reason_id",
                "last_stage_change_at",
                "closed_at",
            ),  # fmt: skip
            log,
            "deals",
        )
        self.t_task = _Table(
            Task,
            (
                "created_at",
                "updated_at",
                "owner_id",
                "content",
                "due_at",
                "reminder",
                "remind_at",
                "done",
                "done_at",
                "creator_id",
                "action_type_id",
                "status_id",
                "lead_id",
                "contact_id",
                "deal_id",
            ),  # fmt: skip
            log,
            "tasks",
        )
        self.t_note = _Table(
            Note,
            (
                "created_at",
                "updated_at",
                "owner_id",
                "content",
                "lead_id",
                "contact_id",
                "deal_id",
            ),  # fmt: skip
            log,
            "notes",
        )
        self.t_appointment = _Table(
            Appointment,
            (
                "created_at",
                "updated_at",
                "owner_id",
                "title",
                "starts_at",
                "ends_at",
                "all_day",
                "location",
                "ical_uid",
                "lead_id",
                "contact_id",
                "deal_id",
            ),  # fmt: skip
            log,
            "appointments",
        )
        log(f"demo: {contacts:,} contacts, {leads:,} leads, {deals:,} deals")
        n_orgs, n_people = self.contacts(contacts)
        self.leads(leads)
        self.deals(deals)
        self.flush_feed()
        self.tasks(deals // 4, contacts // 20, leads // 10)
        self.notes(deals // 10, contacts // 20, leads // 20)
        self.appointments(deals // 20, contacts // 100)
        tables = (
            self.t_contact, self.t_lead, self.t_deal, self.t_task, self.t_note,
            self.t_appointment, self.t_activity,
        )  # fmt: skip
        for table in tables:
            table.reset_sequence()
        if "Postgres" in type(database.obj).__name__:
            # Bulk-loaded tables have no statistics until autovacuum gets to them (never,
            # where it is off); without them the planner guesses a handful of rows and
            # picks full scans. VACUUM also clears the summary rows the triggers rewrote
            # once per deal (it cannot run inside a transaction).
            database.execute_sql("ANALYZE" if database.in_transaction() else "VACUUM ANALYZE")
            deal_totals.compact()
        counts = {
            "users": n_users,
            "organizations": n_orgs,
            "people": n_people,
            "contacts": self.t_contact.written,
            "leads": self.t_lead.written,
            "deals": self.t_deal.written,
            "tasks": self.t_task.written,
            "notes": self.t_note.written,
            "appointments": self.t_appointment.written,
            "activities": self.t_activity.written,
        }
        summary = ", ".join(f"{v:,} {k}" for k, v in counts.items())
        log(f"demo: done in {time.monotonic() - started:.1f}s: {summary}")
        return counts


def generate(contacts=2000, deals=2000, leads=None, seed=None, log=print):
    """Add realistic demo records to the bound, migrated database; return counts.

    contacts: organizations and people together (one organization per five contacts);
    leads: default contacts // 5; seed: the same seed gives the same data on an empty
    database (appointment UIDs excepted: they must stay unique across runs).
    Creates ~12 sales users in teams North and South, but never the admin (the CLI does).
    """
    if min(contacts, deals) < 0 or (leads is not None and leads < 0):
        raise ValueError("counts must not be negative")
    leads = contacts // 5 if leads is None else leads
    return _Generator(random.Random(seed), log).run(contacts, deals, leads)

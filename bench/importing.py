"""Import benchmark: `accord import contacts` of a generated CSV against raw executemany.

    python -m bench.importing --rows 1000000 [--postgres URL] [--keep]

It writes a realistic contacts CSV (names, emails, phones, companies, owners, three custom
fields, ~1% bad rows), imports it with the real `accord import contacts` command into a
fresh SQLite database (and PostgreSQL when --postgres names a scratch database: every
table in it is dropped), then loads the same rows with a bare sqlite3 executemany into a
table with the contact table's own columns and indexes. It prints rows/s of both, their
ratio and the importer's peak memory.
"""

import argparse
import csv
import os
import random
import re
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

# The importer's own pragmas, so the baseline gets the same.
from accord.plugins.import_csv.run import IMPORT_CACHE_KIB, IMPORT_CHECKPOINT_PAGES

ROOT = Path(__file__).resolve().parent.parent
FIRST = [
    "Anna",
    "Béla",
    "Chloé",
    "Dariusz",
    "Emre",
    "Fatuma",
    "George",
    "Hanna",
    "Ivan",
    "Jasmine",
    "Kamil",
    "Léa",
    "Mehmet",
    "Nia",
    "Olivia",
    "Paweł",
    "Zsófia",
    "Amani",
]
LAST = [
    "Smith",
    "Nagy",
    "Dubois",
    "Kowalski",
    "Yılmaz",
    "Mwangi",
    "Brown",
    "Kovács",
    "Martin",
    "Nowak",
    "Demir",
    "Otieno",
    "Wilson",
    "Szabó",
    "Lefèvre",
    "Wiśniewski",
]
CITIES = ["London", "Budapest", "Paris", "Kraków", "İstanbul", "Nairobi", "Leeds", "Lyon"]
SEGMENTS = ["Retail", "Wholesale", "Public", "Partner"]
OWNERS = [f"owner{i}@bench.test" for i in range(5)]
HEADER = [
    "First Name",
    "Last Name",
    "Email",
    "Phone",
    "Company",
    "City",
    "Owner",
    "Segment",
    "Score",
    "Customer since",
]


def ascii_fold(text):
    return (
        unicodedata.normalize("NFKD", text.replace("ł", "l").replace("ı", "i"))
        .encode("ascii", "ignore")
        .decode()
    )


def generate(path, rows, seed=7):
    """The CSV; about 1% of rows are bad in one of four ways. Returns the bad-row count."""
    rng = random.Random(seed)
    companies = [
        f"{rng.choice(LAST)} {rng.choice(['Ltd', 'Kft', 'SARL', 'Sp. z o.o.'])} {i}"
        for i in range(max(1, rows // 50))
    ]
    bad = 0
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for i in range(rows):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            if i == 0:
                first0 = first
            email = f"{ascii_fold(first).lower()}.{i}@example{i % 97}.com"
            since = f"20{rng.randint(10, 23)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            owner = OWNERS[i % len(OWNERS)]
            if i % 100 == 99:
                bad += 1
                kind = (i // 100) % 4
                if kind == 0:
                    email = email.replace("@", " at ")
                elif kind == 1:
                    since = since[:8] + "31" if since[5:7] == "02" else since[:5] + "02-30"
                elif kind == 2:
                    owner = "nobody@bench.test"
                else:
                    email = f"{ascii_fold(first0).lower()}.0@example0.com"  # row 1's address
            writer.writerow(
                [
                    first,
                    last,
                    email,
                    f"+44 20 7{i % 1000:03d} {i % 10000:04d}",
                    rng.choice(companies),
                    rng.choice(CITIES),
                    owner,
                    rng.choice(SEGMENTS),
                    str(rng.randint(0, 1000)),
                    since,
                ]
            )
    return bad


def accord(env, *args, check=True):
    command = [sys.executable, "-m", "accord.admin.cli", *args]
    proc = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
    if check and proc.returncode not in (0,):
        raise SystemExit(f"{' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


def setup(env):
    accord(env, "migrate")
    accord(env, "user", "create", "admin@bench.test", "--role", "admin", "--password", "x" * 16)
    for email in OWNERS:
        accord(env, "user", "create", email, "--role", "normal", "--password", "x" * 16)
    code = (
        "from accord.core import runtime\n"
        "from accord.core.db import write\n"
        "from accord.core.models import CustomField\n"
        f"SEGMENTS = {SEGMENTS!r}\n"
        "rt = runtime.build()\n"
        "with rt.db.connection_context(), write():\n"
        "    CustomField.create(entity_kind='contact', key='segment', label='Segment',"
        " type='dropdown', options={'choices': [{'key': s, 'label': s} for s in SEGMENTS]})\n"
        "    CustomField.create(entity_kind='contact', key='score', label='Score', type='number')\n"
        "    CustomField.create(entity_kind='contact', key='since', label='Customer since',"
        " type='date')\n"
    )
    subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, check=True)


def import_run(env, path):
    """(seconds, peak RSS MB of the import process, stdout) of `accord import contacts`."""
    command = [sys.executable, "-m", "accord.admin.cli", "import", "contacts", str(path)]
    started = time.monotonic()
    proc = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    out, _ = proc.communicate()
    seconds = time.monotonic() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return seconds, peak, out, proc.returncode


def raw_baseline(db_path, schema_db, csv_path, search=True):
    """Bare sqlite3: the same rows into a table with contact's own columns and b-tree
    indexes (one company row per company name, linked by organization_id; the owners'
    ids; the custom values as JSON), under the importer's pragmas, in batches of 5,000.
    With `search`, also the contact table's FTS5 trigram search index
    (core/search_index.py: an index of the contact table that every write keeps in
    step), filled the cheapest way: one INSERT … SELECT over each batch's id range, as
    the importer does."""
    source = sqlite3.connect(schema_db)
    ddl = [
        row[0]
        for row in source.execute(
            "SELECT sql FROM sqlite_master WHERE tbl_name = 'contact' AND type IN "
            "('table', 'index') AND sql IS NOT NULL"
        )
    ]
    fts = source.execute("SELECT sql FROM sqlite_master WHERE name = 'search_contact'").fetchone()
    source.close()
    # The same columns and indexes; foreign keys point at tables this file does not have.
    ddl = [re.sub(r', FOREIGN KEY \("\w+"\) REFERENCES "\w+" \("\w+"\)[A-Z ]*', "", d) for d in ddl]
    db = sqlite3.connect(db_path, isolation_level=None)
    pragmas = (
        "journal_mode=wal",
        "synchronous=normal",
        f"cache_size={IMPORT_CACHE_KIB}",
        f"wal_autocheckpoint={IMPORT_CHECKPOINT_PAGES}",
    )
    for pragma in pragmas:
        db.execute(f"PRAGMA {pragma}")
    for statement in ddl:
        db.execute(statement)
    if search:
        db.execute(fts[0])
    columns = [
        "id",
        "first_name",
        "last_name",
        "name",
        "email",
        "phone",
        "organization_id",
        "city",
        "owner_id",
        "custom",
        "created_at",
        "updated_at",
        "is_organization",
        "customer_status",
        "mobile",
        "website",
        "street",
        "postal_code",
        "region",
        "country",
        "title",
        "description",
    ]
    sql = f"INSERT INTO contact ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    index_sql = (
        "INSERT INTO search_contact(rowid, name, email, phone, company) "
        "SELECT r.id, r.name, r.email, r.phone, "
        "COALESCE((SELECT o.name FROM contact o WHERE o.id = r.organization_id), '') "
        "FROM contact r WHERE r.id > ?"
    )
    owners = {email: n for n, email in enumerate(OWNERS, 2)}
    companies = {}  # name -> id: one company row per name, as the importer makes
    stamp = "2026-01-01 00:00:00"
    blank = ("", "", "", "", "", "", "", "")

    def write(people):
        db.execute("BEGIN IMMEDIATE")
        last = db.execute("SELECT COALESCE(MAX(id), 0) FROM contact").fetchone()[0]
        next_id = last + 1
        rows, new = [], []
        for r in people:
            company = companies.get(r[4])
            if company is None:
                company = companies[r[4]] = next_id
                next_id += 1
                row = (company, "", "", r[4], "", "", None, "", 1, "{}", stamp, stamp, 1)
                new.append(row + ("none", *blank))
            custom = f'{{"score": {r[8]}, "segment": "{r[7]}", "since": "{r[9]}"}}'
            person = (next_id, r[0], r[1], f"{r[0]} {r[1]}", r[2], r[3], company, r[5])
            rows.append(person + (owners.get(r[6], 1), custom, stamp, stamp, 0, "none", *blank))
            next_id += 1
        db.executemany(sql, new + rows)
        if search:
            db.execute(index_sql, (last,))
        db.execute("COMMIT")

    started = time.monotonic()
    with open(csv_path, encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        batch, count = [], 0
        for r in reader:
            batch.append(r)
            if len(batch) == 5000:
                write(batch)
                count += len(batch)
                batch = []
        if batch:
            write(batch)
            count += len(batch)
    seconds = time.monotonic() - started
    db.close()
    return seconds, count


def reset_postgres(url):
    import psycopg2

    conn = psycopg2.connect(url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    conn.close()


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m bench.importing", description=__doc__)
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument(
        "--postgres",
        default=os.environ.get("ACCORD_BENCH_DATABASE_URL", ""),
        help="a scratch PostgreSQL database (every table is dropped)",
    )
    p.add_argument("--keep", action="store_true", help="keep the scratch folder")
    args = p.parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="accord-import-bench-"))
    try:
        csv_path = scratch / "contacts.csv"
        started = time.monotonic()
        bad = generate(csv_path, args.rows)
        size = csv_path.stat().st_size / 1e6
        print(
            f"generated {args.rows:,} rows ({bad:,} bad, {size:.0f} MB) "
            f"in {time.monotonic() - started:.1f} s"
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
        env.update(
            ACCORD_HOME=str(scratch / "home"), PYTHONUNBUFFERED="1", ACCORD_PLUGINS="import_csv"
        )
        setup(env)
        seconds, peak, out, code = import_run(env, csv_path)
        print(out.strip().splitlines()[0] if out.strip() else "(no output)")
        rate = args.rows / seconds
        schema = scratch / "home" / "accord.db"
        raw_seconds, raw_rows = raw_baseline(scratch / "raw.db", schema, csv_path)
        raw_rate = raw_rows / raw_seconds
        bare_seconds, bare_rows = raw_baseline(scratch / "bare.db", schema, csv_path, False)
        bare_rate = bare_rows / bare_seconds
        print(
            f"SQLite  accord import: {seconds:7.1f} s  {rate:9,.0f} rows/s  "
            f"peak {peak:,.0f} MB  (exit {code})"
        )
        print(
            f"SQLite  raw executemany + search index: {raw_seconds:5.1f} s  {raw_rate:9,.0f} rows/s"
        )
        print(
            f"SQLite  raw executemany, b-tree indexes only: {bare_seconds:5.1f} s  "
            f"{bare_rate:9,.0f} rows/s"
        )
        print(
            f"ratio import / raw (same indexes, search included): {rate / raw_rate:.2f} (target >= 0.5)"
        )
        print(f"ratio import / raw without the search index: {rate / bare_rate:.2f}")
        print(f"load average: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
        if args.postgres:
            reset_postgres(args.postgres)
            pg_env = dict(
                env, ACCORD_DATABASE_URL=args.postgres, ACCORD_HOME=str(scratch / "pg-home")
            )
            setup(pg_env)
            pg_seconds, pg_peak, pg_out, pg_code = import_run(pg_env, csv_path)
            print(
                f"PostgreSQL accord import: {pg_seconds:7.1f} s  "
                f"{args.rows / pg_seconds:9,.0f} rows/s  (exit {pg_code}); "
                f"time / SQLite time: {pg_seconds / seconds:.2f} (target <= 2)"
            )
    finally:
        if args.keep:
            print(f"kept {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Running an import: start a job, convert rows, write them in checkpointed batches,
report every bad row, finish (or resume after a crash), revert.

One batch = one write transaction holding the batch's records, their activity rows, one
`<entity>.imported` outbox event with the ids, the error rows met and the job's
checkpoint (rows done, last physical line). A worker killed mid-batch loses that batch's
transaction only; the rerun skips every line up to the checkpoint, so nothing is
created twice.
"""

import datetime as dt
import hashlib
import json
import time
from decimal import Decimal
from types import SimpleNamespace

from peewee import fn

from accord.core import access, custom_index, custom_values, deal_totals, events, search_index
from accord.core.db import database, is_sqlite, write
from accord.core.i18n import gettext as _
from accord.core.models import Activity, Contact, Deal, Lead, RecordTag, Task, utcnow
from accord.core.services.errors import Forbidden, ValidationError
from accord.plugins.import_csv import writing
from accord.plugins.import_csv.convert import Converter, MappingError, check_mapping
from accord.plugins.import_csv.models import ImportBatch, ImportError_, ImportJob
from accord.plugins.import_csv.reading import ReadError, bad_bytes, read_file
from accord.plugins.import_csv.seen import KeyLines
from accord.plugins.import_csv.targets import auto_map

MODELS = {"contact": Contact, "company": Contact, "lead": Lead, "deal": Deal, "task": Task}
MODES = ("create", "update", "upsert")
BATCH = 5000
STALL_MINUTES = 3
IMPORT_CACHE_KIB = -98304  # 96 MiB of SQLite page cache while importing
IMPORT_CHECKPOINT_PAGES = 16384  # WAL pages (64 MiB at 4 KiB) between checkpoints
# Columns an import never writes from a cell: set here or by the database.
_SYSTEM = {"id", "created_at", "updated_at", "owner", "custom"}


class Stop(Exception):
    """Raised by a test hook to simulate a crash between batches."""


def not_allowed():
    """Why a user without the import right (DESIGN §5: restricted and normal users) is
    refused, on every surface."""
    return _(
        "Your role may not import records: administrators and managers import "
        "(normal users may export lists)."
    )


def custom_kind(entity):
    return entity  # CustomField entity kinds match import targets (company included)


def match_options(entity):
    return ["email", "phone", "id"] + [f"custom.{d.key}" for d in custom_values.definitions(entity)]


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def count_lines(path):
    with open(path, "rb") as handle:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))


def prepare(
    user,
    entity,
    path,
    *,
    source_name="",
    mapping=None,
    mode="create",
    match_by="email",
    dry_run=False,
    options=None,
):
    """Check rights, the file and the mapping; create the job (not yet run)."""
    if not access.can(user, "import"):
        raise Forbidden("import")
    if entity not in MODELS:
        raise ValidationError({"entity": _("Unknown import target.")})
    if mode not in MODES:
        raise ValidationError({"mode": _("Unknown mode.")})
    if match_by not in match_options(entity):
        raise ValidationError({"match_by": _("Cannot match records by %(k)s.", k=match_by)})
    options = dict(options or {})
    try:
        table = read_file(path, options.get("encoding"), options.get("delimiter"))
    except ReadError as exc:
        raise ValidationError({"file": str(exc)}) from None
    definitions = custom_values.definitions(custom_kind(entity))
    if mapping is None:
        mapping = auto_map(entity, table.header, definitions)
    mapping = list(mapping)[: len(table.header)]
    mapping += [None] * (len(table.header) - len(mapping))
    try:
        check_mapping(entity, table.header, mapping, definitions)
    except MappingError as exc:
        raise ValidationError({"mapping": str(exc)}) from None
    options.update(encoding=table.encoding, delimiter=table.delimiter, kind=table.kind)
    with write():
        return ImportJob.create(
            user=user.id,
            target=entity,
            mode=mode,
            match_by=match_by,
            dry_run=dry_run,
            source_name=source_name or str(path).rsplit("/", 1)[-1],
            source_path=str(path),
            sha256=file_sha256(path),
            mapping=mapping,
            options=options,
            total=None if table.kind == "xlsx" else max(0, count_lines(path) - 1),
        )


def previous_run(job):
    """A finished, not reverted real import of the same file, target and mapping."""
    return (
        ImportJob.select()
        .where(
            (ImportJob.sha256 == job.sha256)
            & (ImportJob.target == job.target)
            & (ImportJob.id != job.id)
            & (ImportJob.status.in_(("running", "done")))
            & (ImportJob.dry_run == False)  # noqa: E712
        )
        .order_by(ImportJob.id)
        .first()
    )


class Importer:
    """Runs (or resumes) one job."""

    def __init__(self, job, batch_size=None, stop_after_batches=None, progress=None):
        self.job = job
        self.user = job.user
        self.entity = job.target
        self.model = MODELS[job.target]
        self.batch_size = batch_size or job.options.get("batch_size") or BATCH
        self.stop_after = stop_after_batches
        self.progress = progress
        self.table = read_file(
            job.source_path, job.options.get("encoding"), job.options.get("delimiter") or None
        )
        self.definitions = custom_values.definitions(custom_kind(self.entity))
        self.conv = Converter(
            self.user, self.entity, self.table.header, job.mapping, self.definitions
        )
        # match key -> first line, for duplicates inside the file (compact: seen.py).
        self.seen = KeyLines()
        self.key_field = job.match_by
        self._match_sql = None
        self.statistics = writing.Statistics({self.model._meta.table_name, "contact"})
        self.batches = ImportBatch.select().where(ImportBatch.job == job).count()
        fields = self.model._meta.sorted_fields
        self.columns = [f.column_name for f in fields]
        self.fields = {f.name: f for f in fields}
        self.defaults = {f.column_name: writing.default(f) for f in fields}
        mapped = {k for k in job.mapping if k and not k.startswith("custom.")}
        self.update_columns = sorted(
            self.fields[k].column_name
            for k in self._model_keys(mapped)
            if k in self.fields and k not in _SYSTEM
        )

    def _model_keys(self, keys):
        keys = set(keys) - {"full_name"}
        if keys & {"first_name", "last_name", "full_name", "organization_name"} and (
            "name" in self.fields
        ):
            keys |= {"name", "first_name", "last_name"} & set(self.fields)
        if "stage" in keys or "pipeline" in keys:
            keys |= {"stage", "pipeline", "last_stage_change_at", "closed_at"}
        if "done" in keys:
            keys.add("done_at")
        if keys & {"due_at", "reminder"} and "remind_at" in self.fields:
            keys.add("remind_at")
        return keys

    # The loop -----------------------------------------------------------------------

    def key_of(self, values, custom):
        if self.key_field.startswith("custom."):
            value = custom.get(self.key_field[7:])
            return None if value is None else _custom_key(value)
        value = values.get(self.key_field)
        return value.casefold() if isinstance(value, str) and value else value or None

    def raw_key(self, values, custom):
        if self.key_field.startswith("custom."):
            return custom.get(self.key_field[7:])
        return values.get(self.key_field)

    def run(self):
        if not is_sqlite():
            return self._run()
        # A bigger page cache keeps the contact indexes in memory while a batch goes in
        # (about twice the insert rate); the connection's own size comes back afterwards.
        # A longer WAL between checkpoints writes each hot index page back once per
        # several batches instead of once per batch.
        previous = database.execute_sql("PRAGMA cache_size").fetchone()[0]
        checkpoint = database.execute_sql("PRAGMA wal_autocheckpoint").fetchone()[0]
        database.execute_sql(f"PRAGMA cache_size = {IMPORT_CACHE_KIB}")
        database.execute_sql(f"PRAGMA wal_autocheckpoint = {IMPORT_CHECKPOINT_PAGES}")
        try:
            return self._run()
        finally:
            database.execute_sql(f"PRAGMA cache_size = {int(previous)}")
            database.execute_sql(f"PRAGMA wal_autocheckpoint = {int(checkpoint)}")

    def _run(self):
        job = self.job
        started = time.monotonic()
        if job.status == "pending":
            with write():
                ImportJob.update(status="running", started_at=utcnow()).where(
                    ImportJob.id == job.id
                ).execute()
            job.status = "running"
        resume_line = job.line_done
        rows, errors, last_line = [], [], resume_line
        for line, cells in self.table.rows:
            if line <= resume_line:
                # Committed before a crash: only remember its key for the duplicate check.
                values, custom, problems = self.conv.convert(cells)
                if not problems and bad_bytes(cells) is None:
                    key = self.key_of(values, custom)
                    if key is not None:
                        self.seen.setdefault(key, line)
                continue
            last_line = line
            column = bad_bytes(cells)
            if column is not None:
                name = self.table.header[column] if column < len(self.table.header) else ""
                errors.append((line, name, _("Invalid characters for the file's encoding."), cells))
            else:
                values, custom, problems = self.conv.convert(cells)
                if problems:
                    for name, reason in problems:
                        errors.append((line, name, str(reason), cells))
                else:
                    key = self.key_of(values, custom)
                    first = self.seen.setdefault(key, line) if key is not None else line
                    if first != line:
                        errors.append(
                            (
                                line,
                                self._key_column(),
                                _("Duplicate of line %(n)s.", n=first),
                                cells,
                            )
                        )
                    else:
                        rows.append((line, cells, values, custom, key))
            if len(rows) + len(errors) >= self.batch_size:
                self.flush(rows, errors, last_line, started)
                started = time.monotonic()
                rows, errors = [], []
        self.flush(rows, errors, last_line, started, final=True)
        return self.finish()

    def _key_column(self):
        target = self.key_field
        for name, key in zip(self.table.header, self.job.mapping, strict=False):
            if key == target:
                return name
        return target

    # One batch ----------------------------------------------------------------------

    def existing(self, values):
        """casefolded key -> the visible record's {field: value} for the given key values."""
        if not values:
            return {}
        model = self.model
        custom = self.key_field.startswith("custom.")
        if custom:
            definition = next(d for d in self.definitions if d.key == self.key_field[7:])
            expr = custom_index.expression(model, definition.key, definition.type)
        else:
            expr = getattr(model, self.key_field)
        columns = [model.id, model.owner, model.custom, expr.alias("match_key")] + [
            model._meta.columns[c] for c in self.update_columns
        ]
        chunk = 500
        if self._match_sql is None:
            # Built once through the ORM (access scope included), then reused with raw
            # parameters: per-batch SQL generation cost more than the lookup itself.
            sentinels = [f"\x00{i}" for i in range(chunk)]
            query = model.select(*columns).where(expr.in_(sentinels))
            if model is Contact:
                query = query.where(Contact.is_organization == (self.entity == "company"))
            sql, params = access.visible(query, self.user, model).sql()
            slots = [i for i, p in enumerate(params) if p in set(sentinels)]
            self._match_sql = (sql, list(params), slots)
        sql, params, slots = self._match_sql
        names = [c.name for c in columns[:3]] + ["match_key"] + [c.name for c in columns[4:]]
        found = {}
        wanted = list(values)
        with database.atomic():
            if writing.is_postgres():
                # Only the b-tree index answers these equality lookups quickly: with fresh
                # statistics the planner took the pg_trgm GIN index for `email IN (…)`
                # (GIN supports "=" too), 3 s per 500 keys at 5,000 rows. GIN is read by
                # bitmap scans only, so these queries go without them.
                database.execute_sql("SELECT set_config('enable_bitmapscan', 'off', true)")
            for i in range(0, len(wanted), chunk):
                part = wanted[i : i + chunk]
                part += [part[0]] * (chunk - len(part))
                bound = list(params)
                for slot, value in zip(slots, part, strict=True):
                    bound[slot] = value
                for row in database.execute_sql(sql, bound).fetchall():
                    row = dict(zip(names, row, strict=True))
                    key = row.pop("match_key")
                    if custom:
                        key = _custom_key(key)
                    elif isinstance(key, str):
                        key = key.casefold()
                    if isinstance(row["custom"], str):
                        row["custom"] = json.loads(row["custom"])
                    found.setdefault(key, row)
        return found

    def flush(self, rows, errors, last_line, started, final=False):
        job = self.job
        if not rows and not errors and not final:
            return
        mode = job.mode
        matches = self.existing({self.raw_key(r[2], r[3]) for r in rows if r[4] is not None})
        creates, updates = [], []
        for line, cells, values, custom, key in rows:
            match = matches.get(key) if key is not None else None
            if mode == "create":
                if match is not None:
                    errors.append(
                        (
                            line,
                            self._key_column(),
                            _("Already exists (#%(id)s).", id=match["id"]),
                            cells,
                        )
                    )
                    continue
            elif mode == "update" and match is None:
                reason = _("No record matches.") if key is not None else _("Nothing to match by.")
                errors.append((line, self._key_column(), reason, cells))
                continue
            if match is None:
                problems = self.conv.required(values, custom, creating=True)
                if problems:
                    errors.extend((line, name, str(reason), cells) for name, reason in problems)
                    continue
                creates.append((line, values, custom))
            else:
                updates.append((line, values, custom, match))
        errors.sort(key=lambda e: e[0])
        lines = [r[0] for r in rows] + [e[0] for e in errors]
        first_line = min(lines) if lines else last_line
        self.pending_rows = len(creates) + len(updates) + len(errors)
        if job.dry_run:
            self.commit(
                first_line, last_line, [], [], errors, len(creates), len(updates), started, final
            )
        else:
            with write():
                created = self.insert(creates)
                updated = self.apply_updates(updates)
                self.commit(
                    first_line,
                    last_line,
                    created,
                    updated,
                    errors,
                    len(creates),
                    len(updated),
                    started,
                    final,
                )
            for table, first, last in created:
                self.statistics.added(table, last - first + 1)
        if self.progress:
            self.progress(job)
        self.batches += 1
        if self.stop_after is not None and self.batches >= self.stop_after and not final:
            raise Stop()

    def commit(
        self, first_line, last_line, created, updated, errors, n_created, n_updated, started, final
    ):
        job = self.job
        job.rows_done += self.pending_rows
        job.line_done = last_line
        job.created += n_created
        job.updated += n_updated
        job.failed += len(errors)
        job.seconds += int(round(time.monotonic() - started))
        if errors:
            writing.insert_rows(
                ImportError_._meta.table_name,
                ["job_id", "line", "column", "reason", "raw"],
                [
                    (job.id, line, column[:255], reason, _raw(cells))
                    for line, column, reason, cells in errors
                ],
            )
        if created or updated:
            ImportBatch.create(
                job=job.id,
                seq=self.batches,
                first_line=first_line,
                last_line=last_line,
                created=created,
                updated=updated,
            )
        ImportJob.update(
            heartbeat_at=utcnow(),
            rows_done=job.rows_done,
            line_done=job.line_done,
            created=job.created,
            updated=job.updated,
            failed=job.failed,
            seconds=job.seconds,
        ).where(ImportJob.id == job.id).execute()

    # Writing ------------------------------------------------------------------------

    def insert(self, creates):
        """Insert new records (and the companies they name); returns the created ranges
        ([table, first id, last id]). The search index gets each range in one statement."""
        if not creates:
            return []
        with search_index.batch_inserts(Contact) as add_contact:
            if self.model is Contact:
                created = self._insert(creates)
                for _table, first, last in created:
                    add_contact(first, last)
                return created
            with search_index.batch_inserts(self.model) as add:
                created = self._insert(creates)
                for table, first, last in created:
                    (add_contact if table == "contact" else add)(first, last)
                return created

    def _insert(self, creates):
        user_id = self.user.id
        now = utcnow()
        created = []
        company_ids = self.insert_companies(creates, now)
        created.extend(["contact", *r] for r in writing.ranges(company_ids.values()))
        ids = writing.reserve_ids(self.model, len(creates))
        base = dict(self.defaults)
        base.update(created_at=now, updated_at=now)
        if self.model is Contact:
            base["is_organization"] = self.entity == "company"
        if "creator_id" in base:
            base["creator_id"] = user_id
        if self.model is Lead and base.get("status_id") is None:
            first = self.conv.lookups.statuses
            base["status_id"] = next(iter(first.values()), None) if first else None
        columns = self.columns
        index = {c: i for i, c in enumerate(columns)}
        sql_value = writing.sql_value
        template = [sql_value(base[c]) for c in columns]
        slots = {name: index[field.column_name] for name, field in self.fields.items()}
        i_id, i_owner, i_custom = index["id"], index["owner_id"], index["custom"]
        i_name = index.get("name", index.get("content"))
        now_text = sql_value(now)
        changes = f'{{"import": [null, {self.job.id}]}}'
        records, activity, tagged = [], [], []
        entity = self.model.entity
        dumps = json.dumps
        for record_id, (_line, values, custom) in zip(ids, creates, strict=True):
            row = template.copy()
            row[i_id] = record_id
            owner = user_id
            for key, value in values.items():
                if key == "owner":
                    owner = value
                    continue
                if key == "id":
                    continue  # only ever used to match
                if key == "tags":
                    tagged.extend((tag_id, entity, record_id) for tag_id in value)
                    continue
                if value.__class__ is not str:
                    if isinstance(value, tuple):  # ("new", company key)
                        value = company_ids[value[1]]
                    else:
                        value = sql_value(value)
                row[slots[key]] = value
            row[i_owner] = owner
            if custom:
                row[i_custom] = dumps(custom, ensure_ascii=False, sort_keys=True)
            records.append(row)
            name = row[i_name] or ""
            activity.append(
                (now_text, user_id, "created", entity, record_id, name[:255], owner, changes)
            )
        writing.insert_rows(self.model._meta.table_name, columns, records)
        writing.insert_rows(RecordTag._meta.table_name, TAG_COLUMNS, tagged)
        self.log_activity(activity)
        created.extend([self.model_key(), *r] for r in writing.ranges(ids))
        events.emit(
            f"{entity}.imported",
            SimpleNamespace(entity=entity, id=None),
            self.user,
            job_id=self.job.id,
            created=ids,
            companies=sorted(company_ids.values()) if company_ids else [],
        )
        return created

    def model_key(self):
        return self.model._meta.table_name

    def insert_companies(self, creates, now):
        look = self.conv.lookups
        wanted = {}
        for _line, values, _custom in creates:
            value = values.get("organization")
            if isinstance(value, tuple) and value[1] not in wanted:
                wanted[value[1]] = look.new_companies[value[1]]
        if not wanted:
            return {}
        ids = writing.reserve_ids(Contact, len(wanted))
        result = dict(zip(wanted, ids, strict=True))
        base = {f.column_name: writing.default(f) for f in Contact._meta.sorted_fields}
        base.update(
            created_at=now, updated_at=now, is_organization=True, owner_id=self.user.id, custom="{}"
        )
        columns = [f.column_name for f in Contact._meta.sorted_fields]
        rows, activity = [], []
        for key, company_id in result.items():
            row = dict(base, id=company_id, name=wanted[key])
            rows.append(tuple(writing.sql_value(row[c]) for c in columns))
            activity.append(
                (
                    writing.sql_value(now),
                    self.user.id,
                    "created",
                    "contact",
                    company_id,
                    wanted[key][:255],
                    self.user.id,
                    f'{{"import": [null, {self.job.id}]}}',
                )
            )
            look.companies[key] = company_id
        writing.insert_rows(Contact._meta.table_name, columns, rows)
        self.log_activity(activity)
        return result

    def log_activity(self, rows):
        writing.insert_rows(
            Activity._meta.table_name,
            [
                "created_at",
                "actor_id",
                "verb",
                "entity_kind",
                "record_id",
                "record_name",
                "owner_id",
                "changes",
            ],
            rows,
        )

    def apply_updates(self, updates):
        """Overwrite the mapped columns of matched records; returns their old values."""
        if not updates:
            return []
        now = utcnow()
        columns = self.update_columns
        owner_mapped = "owner" in self.job.mapping
        out_columns = [*columns, "owner_id", "custom", "updated_at"]
        rows, undo, activity, ids = [], [], [], []
        entity = self.model.entity
        current_tags = (
            self.tags_of([u[3]["id"] for u in updates])
            if "tags" in mapped_keys(self.job.mapping)
            else None
        )
        retag = []  # (record id, tag ids)
        for _line, values, custom, match in updates:
            changes, new = {}, {}
            for column in columns:
                old = match.get(self._attr(column))
                new[column] = old
            for key, value in values.items():
                if key in ("owner", "id", "tags"):
                    continue
                if isinstance(value, tuple):
                    value = self.conv.lookups.companies[value[1]]
                new[self.fields[key].column_name] = value
            old_owner = match.get("owner")
            owner = values.get("owner", old_owner) if owner_mapped else old_owner
            old_custom = match.get("custom") or {}
            if isinstance(old_custom, str):
                old_custom = json.loads(old_custom)
            merged = dict(old_custom, **custom)
            before = {}
            for column in columns:
                old = match.get(self._attr(column))
                if writing.sql_value(old) != writing.sql_value(new[column]):
                    changes[column] = [writing.sql_value(old), writing.sql_value(new[column])]
                    before[column] = writing.sql_value(old)
            if owner != old_owner:
                changes["owner_id"] = [old_owner, owner]
                before["owner_id"] = old_owner
            if merged != old_custom:
                changes["custom"] = [old_custom, merged]
                before["custom"] = json.dumps(old_custom, sort_keys=True)
            tag_change = None
            if current_tags is not None:
                old_tags = current_tags.get(match["id"], [])
                new_tags = sorted(values.get("tags", ()))
                if new_tags != old_tags:
                    tag_change = new_tags
                    changes["tags"] = [old_tags, new_tags]
                    before["tags"] = old_tags
            if not changes:
                continue
            if tag_change is not None:
                retag.append((match["id"], tag_change))
            rows.append(
                tuple(writing.sql_value(new[c]) for c in columns)
                + (
                    owner,
                    json.dumps(merged, ensure_ascii=False, sort_keys=True),
                    writing.sql_value(now),
                    match["id"],
                )
            )
            undo.append([self.model_key(), match["id"], before])
            ids.append(match["id"])
            activity.append(
                (
                    writing.sql_value(now),
                    self.user.id,
                    "updated",
                    entity,
                    match["id"],
                    str(new.get("name") or match.get("name") or "")[:255],
                    owner,
                    json.dumps({k: v for k, v in changes.items() if k != "custom"}, default=str),
                )
            )
        writing.update_rows(self.model._meta.table_name, out_columns, rows)
        for record_id, tag_ids in retag:
            set_record_tags(entity, record_id, tag_ids)
        self.log_activity(activity)
        if ids:
            events.emit(
                f"{entity}.imported",
                SimpleNamespace(entity=entity, id=None),
                self.user,
                job_id=self.job.id,
                updated=ids,
            )
        return undo

    def tags_of(self, ids):
        """{record id: sorted tag ids} of these records."""
        out = {}
        entity = self.model.entity
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            query = RecordTag.select(RecordTag.record_id, RecordTag.tag).where(
                (RecordTag.entity_kind == entity) & RecordTag.record_id.in_(part)
            )
            for record_id, tag_id in query.tuples():
                out.setdefault(record_id, []).append(tag_id)
        return {k: sorted(v) for k, v in out.items()}

    def _attr(self, column):
        # .dicts() keys are field names; FK columns end in _id.
        field = self.model._meta.columns[column]
        return field.name

    def finish(self):
        job = self.job
        status = "done"
        with write():
            ImportJob.update(status=status, finished_at=utcnow()).where(
                ImportJob.id == job.id
            ).execute()
            if not job.dry_run:
                events.emit(
                    "import.finished",
                    None,
                    self.user,
                    job_id=job.id,
                    entity=job.target,
                    created=job.created,
                    updated=job.updated,
                    failed=job.failed,
                    url=f"/admin/import/job/{job.id}",
                )
        job.status = status
        if not job.dry_run and job.target == "deal":
            deal_totals.compact()  # the summary rows its triggers rewrote per deal
        return job


TAG_COLUMNS = ["tag_id", "entity_kind", "record_id"]


def mapped_keys(mapping):
    return {k for k in mapping if k}


def set_record_tags(entity, record_id, tag_ids):
    """Replace one record's tags (an update or its revert)."""
    RecordTag.delete().where(
        (RecordTag.entity_kind == entity) & (RecordTag.record_id == record_id)
    ).execute()
    writing.insert_rows(
        RecordTag._meta.table_name, TAG_COLUMNS, [(t, entity, record_id) for t in tag_ids]
    )


def _custom_key(value):
    if isinstance(value, Decimal):
        value = int(value) if value == value.to_integral_value() else float(value)
    return json.dumps(value, sort_keys=True)


def _raw(cells):
    # Undecodable bytes (kept as surrogates) become U+FFFD in the report.
    cells = [c.encode("utf-8", "replace").decode("utf-8") for c in cells]
    return json.dumps(cells, ensure_ascii=False)


def run(job_id, **kwargs):
    """Run or resume the job (idempotent: a finished job is returned as it is)."""
    job = ImportJob.get_by_id(job_id)
    if job.status in ("done", "reverted"):
        return job
    try:
        return Importer(job, **kwargs).run()
    except Stop:
        raise
    except Exception as exc:
        with write():
            ImportJob.update(status="failed", error=f"{type(exc).__name__}: {exc}"[:2000]).where(
                ImportJob.id == job.id
            ).execute()
        raise


def stalled(minutes=STALL_MINUTES):
    """Real imports whose worker died (`kill -9`): no batch for `minutes`."""
    limit = utcnow() - dt.timedelta(minutes=minutes)
    last = fn.COALESCE(ImportJob.heartbeat_at, ImportJob.started_at, ImportJob.created_at)
    return [
        job.id
        for job in ImportJob.select(ImportJob.id).where(
            ImportJob.status.in_(("pending", "running")) & (last < limit)
        )
    ]


def revert(user, job):
    """Remove what the job created and put back what it overwrote (newest batch first)."""
    if not access.can(user, "import"):
        raise Forbidden("import")
    if job.status != "done" or job.dry_run:
        raise ValidationError({"job": _("Only a finished import can be reverted.")})
    models = {m._meta.table_name: m for m in MODELS.values()}
    removed = restored = 0
    with write():
        batches = list(job.batches.order_by(ImportBatch.seq.desc()))
        for batch in batches:
            for table, record_id, before in batch.updated:
                before = dict(before)
                tag_ids = before.pop("tags", None)
                if tag_ids is not None:
                    set_record_tags(models[table].entity, record_id, tag_ids)
                if before:
                    writing.update_rows(
                        table, list(before), [tuple(before.values()) + (record_id,)]
                    )
                if before or tag_ids is not None:
                    restored += 1
        # People before the companies created for them.
        for batch in batches:
            for table, first, last in reversed(batch.created):
                ids = range(first, last + 1)
                writing.delete_ids(table, ids)
                model = models[table]
                Activity.delete().where(
                    (Activity.entity_kind == model.entity) & Activity.record_id.between(first, last)
                ).execute()
                RecordTag.delete().where(
                    (RecordTag.entity_kind == model.entity)
                    & RecordTag.record_id.between(first, last)
                ).execute()
                removed += len(ids)
        ImportJob.update(status="reverted").where(ImportJob.id == job.id).execute()
        events.emit(
            "import.reverted",
            None,
            user,
            job_id=job.id,
            entity=job.target,
            removed=removed,
            restored=restored,
        )
    job.status = "reverted"
    return removed, restored

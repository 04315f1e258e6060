"""Exports too big for one HTTP answer: an ExportJob run by huey, with progress.

The web request compiles the list's query (its scope, filters and search) into SQL with
bound parameters and stores it on the job together with the order (`snapshot()`); the
job pages through it by keyset, scoped again by the access policy for the job's user at
run time, and writes ACCORD_HOME/exports/<generated name>. When it is done it emits
`export.finished` (record None, actor the user; payload job_id, entity, rows, url), which
the notifications turn into a message to that user.
"""

import datetime as dt
import logging
import secrets
from decimal import Decimal

from accord.core import events, export, export_paging
from accord.core.db import after_commit, write
from accord.core.models import User, utcnow
from accord.core.models.exports import ExportJob

log = logging.getLogger(__name__)

DIRECT_ROWS = 5000  # up to this many rows an export is answered at once
PROGRESS_EVERY = 500  # rows between progress updates
LOST_AFTER = dt.timedelta(minutes=2)  # a pending job this old lost its enqueue: hand it out
STALLED_AFTER = dt.timedelta(hours=6)  # a running job this old lost its worker
KEEP_FILES = dt.timedelta(days=7)  # finished files are removed after this
JOB_PATH = "/admin/exports/{id}/"  # the back-office page of a job (progress, download)


def direct_rows(config):
    return int(config.extra.get("export_direct_rows", DIRECT_ROWS))


def exports_dir(config):
    folder = config.ensure_home() / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def job_url(job_id):
    return JOB_PATH.format(id=job_id)


# The compiled query -------------------------------------------------------------------------


def _encode(value):
    """A bound parameter as JSON (dates, times and decimals tagged)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dt.datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    if isinstance(value, dt.time):
        return {"$time": value.isoformat()}
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    raise TypeError(f"cannot keep a {type(value).__name__} parameter in an export job")


def _decode(value):
    if isinstance(value, dict):
        ((tag, text),) = value.items()
        return {
            "$datetime": dt.datetime.fromisoformat,
            "$date": dt.date.fromisoformat,
            "$time": dt.time.fromisoformat,
            "$decimal": Decimal,
        }[tag](text)
    return value


def snapshot(ids, sort):
    """What a job needs to page through a list later: the id query and the order."""
    sql, params = ids.sql()
    return {"sql": sql, "params": [_encode(p) for p in params], "sort": sort.as_dict()}


def ids_of(query_snapshot):
    return export_paging.subquery(
        query_snapshot["sql"], [_decode(p) for p in query_snapshot.get("params") or []]
    )


# Start and run -------------------------------------------------------------------------------


def start(runtime, user, spec, fmt, ids, sort, filters=None):
    """Create the job and hand it to the queue once committed; returns the job."""
    if fmt not in export.FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    with write():
        job = ExportJob.create(
            user=user.id,
            list_key=spec.entity,
            format=fmt,
            filters=filters or {},
            query=snapshot(ids, sort),
            download_name=export.file_name(spec, fmt),
        )
    after_commit(lambda: runtime.tasks["run_export"](job.id))
    return job


def _claim(job_id):
    with write():
        return (
            ExportJob.update(status="running", started_at=utcnow())
            .where((ExportJob.id == job_id) & (ExportJob.status == "pending"))
            .execute()
            == 1
        )


def _progress(job_id, done):
    with write():
        ExportJob.update(rows_done=done).where(ExportJob.id == job_id).execute()


def run(runtime, job_id):
    """Run one pending job to the end; a job already taken is left alone."""
    if not _claim(job_id):
        return None
    job = ExportJob.get_by_id(job_id)
    user = User.get_or_none(User.id == job.user_id)
    spec = export.spec_for(job.list_key)
    folder = exports_dir(runtime.config)
    name = f"{secrets.token_hex(16)}.{job.format}"
    partial = folder / (name + ".part")
    try:
        ids = ids_of(job.query)
        sort = export_paging.Sort.from_dict(job.query.get("sort"))
        total = export_paging.scoped(spec, user, ids).count()
        with write():
            ExportJob.update(rows_total=total).where(ExportJob.id == job_id).execute()
        counter = {"n": 0}

        def counted(cells_iter):
            for cells in cells_iter:
                counter["n"] += 1
                if counter["n"] % PROGRESS_EVERY == 0:
                    _progress(job_id, counter["n"])
                yield cells

        head = export.header(spec)
        cells_iter = counted(export.rows(spec, user, ids, sort))
        export.write(job.format, partial, head, cells_iter, title=spec.entity)
        partial.rename(folder / name)
    except Exception as exc:
        log.exception("export job %s failed", job_id)
        partial.unlink(missing_ok=True)
        with write():
            # The user sees this; the details (SQL, paths) stay in the server log.
            error = f"The export failed ({type(exc).__name__}); the server log has the details."
            ExportJob.update(status="failed", error=error, finished_at=utcnow()).where(
                ExportJob.id == job_id
            ).execute()
        return "failed"
    with write():
        ExportJob.update(
            status="done", rows_done=counter["n"], file_name=name, finished_at=utcnow()
        ).where(ExportJob.id == job_id).execute()
        events.emit(
            "export.finished",
            None,
            user,
            job_id=job_id,
            entity=spec.entity,
            rows=counter["n"],
            url=job_url(job_id),
        )
    return "done"


def file_of(runtime, job):
    """The finished file of a job, or None."""
    if job.status != "done" or not job.file_name:
        return None
    path = exports_dir(runtime.config) / job.file_name
    return path if path.is_file() else None


def sweep(runtime, now=None):
    """Periodic upkeep: hand out jobs whose enqueue was lost (run() claims each once),
    fail jobs whose worker died, remove files older than KEEP_FILES."""
    now = now or utcnow()
    lost = ExportJob.select(ExportJob.id).where(
        (ExportJob.status == "pending") & (ExportJob.created_at <= now - LOST_AFTER)
    )
    for job in lost:
        runtime.tasks["run_export"](job.id)
    with write():
        ExportJob.update(
            status="failed",
            error="The export was interrupted; please start it again.",
            finished_at=now,
        ).where(
            (ExportJob.status == "running") & (ExportJob.started_at <= now - STALLED_AFTER)
        ).execute()
    old = ExportJob.select().where(
        (ExportJob.status == "done") & (ExportJob.finished_at <= now - KEEP_FILES)
    )
    for job in old:
        if job.file_name:
            (exports_dir(runtime.config) / job.file_name).unlink(missing_ok=True)
        with write():
            ExportJob.update(status="expired", file_name="").where(ExportJob.id == job.id).execute()

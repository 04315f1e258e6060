"""Exports from the back office: every record list's Export button, and the export jobs.

The Export button (Flask-Admin's, in each list's toolbar) links to `<list>/export/<fmt>/`
with the list's own arguments, so the file holds what the list shows: the same scope,
filters, search and order (accord.core.export writes it). Small exports stream back at
once; bigger ones become an export job with a progress page at /admin/exports/<id>/, and
its file is downloaded only by the user who asked for it.
"""

from tempfile import SpooledTemporaryFile

from flask import Response, abort, flash, jsonify, redirect, send_file, stream_with_context
from flask_admin import BaseView, expose
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from peewee import Field

from accord.admin.app import current_runtime
from accord.admin.views.custom_fields import CustomSort
from accord.admin.views.formatters import local_datetime
from accord.admin.views.gate import GateMixin, current_user
from accord.admin.views.lookups import parse_id
from accord.core import export, export_jobs, export_paging
from accord.core.models.exports import ExportJob

LIST_LABELS = {
    "lead": _l("leads"),
    "contact": _l("contacts"),
    "company": _l("companies"),
    "deal": _l("deals"),
    "task": _l("tasks"),
    "appointment": _l("appointments"),
    "note": _l("notes"),
    "document": _l("documents"),
}
STATUS_LABELS = {
    "pending": _l("Waiting to start."),
    "running": _l("Running."),
    "done": _l("Finished."),
    "failed": _l("Failed."),
    "expired": _l("Expired: the file was removed after a few days."),
}


def spec_of(view):
    """The export Spec of a model view (its endpoint), or None for lists without one."""
    spec = export.SPECS.get(view.endpoint)
    return spec if spec is not None and spec.model is view.model else None


def list_sort(view, sort_column, sort_desc):
    """The list's order as an export Sort (a model column or a custom field)."""
    if sort_column is not None:
        target, desc = view._sortable_columns.get(sort_column), sort_desc
    else:
        order = view._get_default_order() or [("id", True)]
        target, desc = order[0]
    if isinstance(target, CustomSort):
        definition = target.definition
        return export_paging.Sort(f"custom.{definition.key}", bool(desc), definition.type)
    if isinstance(target, Field):
        target = target.name if target.model is view.model else None
    if isinstance(target, str) and target in view.model._meta.fields:
        return export_paging.Sort(target, bool(desc))
    return export_paging.Sort("id", True)


def export_list(view, fmt):
    """The answer to a list's Export link: the file, or a redirect to a new job."""
    spec = spec_of(view)
    user = current_user()
    args = view._get_list_extra_args()  # the list's own allowlist (SECURITY C15)
    sort_column = view._get_column_by_idx(args.sort)
    sort_column = sort_column[0] if sort_column is not None else None
    _count, query = view.get_list(
        0, sort_column, args.sort_desc, args.search, args.filters, execute=False, page_size=0
    )
    ids = export_paging.id_query(spec, query)
    sort = list_sort(view, sort_column, args.sort_desc)
    runtime = current_runtime()
    limit = export_jobs.direct_rows(runtime.config)
    if export_paging.count_upto(ids, limit) > limit:
        filters = {
            "search": args.search or "",
            "filters": [[str(name), value] for _i, name, value in args.filters or []],
            "sort": sort.as_dict(),
        }
        job = export_jobs.start(runtime, user, spec, fmt, ids, sort, filters)
        flash(gettext("The export runs in the background; this page shows its progress."), "info")
        return redirect(export_jobs.job_url(job.id))
    return send_export(spec, fmt, user, ids, sort)


def send_export(spec, fmt, user, ids, sort):
    head = export.header(spec)
    name = export.file_name(spec, fmt)
    disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
    cells = export.rows(spec, user, ids, sort)
    if fmt == "csv":
        body = stream_with_context(export.stream_csv(head, cells))
        return Response(body, mimetype="text/csv", headers=disposition)
    # send_file closes it once sent; up to 8 MB it stays in memory.
    buffer = SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    export.write("xlsx", buffer, head, cells, title=spec.entity)
    buffer.seek(0)
    return send_file(
        buffer, mimetype=export.CONTENT_TYPES["xlsx"], as_attachment=True, download_name=name
    )


class ExportJobsView(GateMixin, BaseView):
    """The current user's export jobs: progress, then the download (theirs only)."""

    # Any logged-in user, for their own jobs only (own_job); not a records model view.
    access_policy = "authenticated"

    def is_visible(self):
        return False  # reached from the Export button and the notification

    def own_job(self, job_id):
        """The job if it is the current user's; anything else is a plain 404."""
        pk = parse_id(job_id)
        job = ExportJob.get_or_none(ExportJob.id == pk) if pk is not None else None
        if job is None or job.user_id != current_user().id:
            abort(404)
        return job

    @expose("/")
    def index(self):
        jobs = (
            ExportJob.select()
            .where(ExportJob.user == current_user().id)
            .order_by(ExportJob.id.desc())
            .limit(50)
        )
        return self.render(
            "accord/exports.html",
            jobs=list(jobs),
            local_datetime=local_datetime,
            list_labels=LIST_LABELS,
            status_labels=STATUS_LABELS,
        )

    @expose("/<job_id>/")
    def job(self, job_id):
        job = self.own_job(job_id)
        return self.render(
            "accord/export_job.html",
            job=job,
            state=state(job),
            labels={key: str(text) for key, text in STATUS_LABELS.items()},
            list_label=LIST_LABELS.get(job.list_key, job.list_key),
        )

    @expose("/<job_id>/status.json")
    def status(self, job_id):
        return jsonify(state(self.own_job(job_id)))

    @expose("/<job_id>/download/")
    def download(self, job_id):
        job = self.own_job(job_id)
        path = export_jobs.file_of(current_runtime(), job)
        if path is None:
            abort(404)
        return send_file(
            path,
            mimetype=export.CONTENT_TYPES[job.format],
            as_attachment=True,
            download_name=job.download_name,
        )


def state(job):
    """What the progress page shows, and what its script polls."""
    total = job.rows_total
    percent = 100 if job.status == "done" else 0
    if job.status != "done" and total:
        percent = min(99, int(100 * job.rows_done / total))
    return {
        "status": job.status,
        "rows_done": job.rows_done,
        "rows_total": total,
        "percent": percent,
        "error": job.error if job.status == "failed" else "",
        "download": f"/admin/exports/{job.id}/download/" if job.status == "done" else None,
    }


def export_jobs_view():
    return ExportJobsView(name=_l("Exports"), endpoint="exports", url="/admin/exports")

"""Back-office pages: upload or paste -> map and preview -> dry run or run -> progress,
error file, revert. Every page needs the import right (DESIGN §5); a job is shown only to
the user who started it and to admins."""

import itertools
import re
import secrets
from pathlib import Path

from flask import Response, abort, flash, jsonify, redirect, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from accord.admin.security import error_response
from accord.core import access, custom_values
from accord.core.fields import FieldError
from accord.core.services.errors import Forbidden, ValidationError
from accord.plugins.import_csv import mappings, report, run
from accord.plugins.import_csv.convert import Converter
from accord.plugins.import_csv.models import ImportJob, SavedMapping
from accord.plugins.import_csv.reading import ReadError, bad_bytes, read_file
from accord.plugins.import_csv.targets import ENTITIES, TARGETS, auto_map

HERE = Path(__file__).resolve().parent
PREVIEW_ROWS = 10
EXTENSIONS = (".csv", ".tsv", ".txt", ".xlsx")
_UPLOAD = re.compile(r"^(\d+)-[0-9a-f]{32}\.(csv|tsv|txt|xlsx)$")
ENTITY_LABELS = {
    "contact": _l("Contacts"),
    "company": _l("Companies"),
    "lead": _l("Leads"),
    "deal": _l("Deals"),
    "task": _l("Tasks"),
}
MODE_LABELS = {
    "create": _l("Create new records only"),
    "update": _l("Update matching records only"),
    "upsert": _l("Create or update"),
}


# A spreadsheet of a million rows is ~150 MB: more than the back office's request limit.
MAX_UPLOAD_BYTES = 512 * 1024 * 1024
UPLOAD_ENDPOINT = "import_csv.upload"


def allow_big_uploads(app):
    """Raise the request size limit for the upload endpoint only. It must run before
    CSRFProtect reads the form, so it goes first among the app's before_request hooks."""

    def raise_limit():
        if request.endpoint == UPLOAD_ENDPOINT:
            request.max_content_length = MAX_UPLOAD_BYTES

    app.before_request_funcs.setdefault(None, []).insert(0, raise_limit)


def _upload_dir(runtime):
    folder = Path(runtime.config.home) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def import_view():
    from flask_admin import BaseView, expose

    from accord.admin.app import current_runtime
    from accord.admin.views.gate import GateMixin, current_user

    class ImportView(GateMixin, BaseView):
        access_policy = "authenticated"

        def is_visible(self):
            return access.can(current_user(), "import")

        def create_blueprint(self, admin):
            blueprint = super().create_blueprint(admin)
            # The plugin's own templates and static files (import.js).
            blueprint.template_folder = str(HERE / "templates")
            return blueprint

        def _user(self):
            user = current_user()
            if not access.can(user, "import"):
                # DESIGN §5: only administrators and managers import (normal users export).
                abort(error_response(403, gettext("Forbidden"), run.not_allowed()))
            return user

        def _job(self, job_id, user):
            job = ImportJob.get_or_none(ImportJob.id == job_id)
            if job is None or (job.user_id != user.id and not access.can(user, "settings")):
                abort(404)
            return job

        def _upload(self, token, user):
            match = _UPLOAD.match(token or "")
            if not match or int(match.group(1)) != user.id:
                abort(404)
            path = _upload_dir(current_runtime()) / token
            if not path.exists():
                abort(404)
            return path

        @expose("/")
        def index(self):
            user = self._user()
            jobs = ImportJob.select().order_by(ImportJob.id.desc()).limit(20)
            if not access.can(user, "settings"):
                jobs = jobs.where(ImportJob.user == user.id)
            return self.render("import_csv/index.html", jobs=list(jobs), entities=ENTITY_LABELS)

        @expose("/upload", methods=["POST"])
        def upload(self):
            user = self._user()
            entity = request.form.get("entity", "contact")
            if entity not in ENTITIES:
                abort(400)
            token = f"{user.id}-{secrets.token_hex(16)}"
            folder = _upload_dir(current_runtime())
            pasted = request.form.get("paste", "")
            upload = request.files.get("file")
            if upload and upload.filename:
                ext = Path(upload.filename).suffix.lower()
                if ext not in EXTENSIONS:
                    flash(gettext("Upload a CSV, TSV or XLSX file."), "error")
                    return redirect(url_for(".index"))
                name = token + ext
                upload.save(folder / name)
                source = upload.filename
            elif pasted.strip():
                name = token + ".txt"
                (folder / name).write_text(pasted, encoding="utf-8")
                source = gettext("pasted rows")
            else:
                flash(gettext("Choose a file or paste rows."), "error")
                return redirect(url_for(".index"))
            return redirect(url_for(".mapping", token=name, entity=entity, source=source[:200]))

        @expose("/map", methods=["GET", "POST"])
        def mapping(self):
            user = self._user()
            token = request.values.get("token", "")
            entity = request.values.get("entity", "contact")
            if entity not in ENTITIES:
                abort(400)
            path = self._upload(token, user)
            source = request.values.get("source", "")[:200]
            try:
                table = read_file(path)
            except ReadError as exc:
                flash(str(exc), "error")
                return redirect(url_for(".index"))
            definitions = custom_values.definitions(entity)
            saved = list(SavedMapping.select().where(SavedMapping.target == entity))
            if request.method == "POST":
                mapping = [request.form.get(f"col{i}") or None for i in range(len(table.header))]
            elif request.args.get("saved"):
                row = SavedMapping.get_or_none(SavedMapping.id == request.args.get("saved"))
                mapping = mappings.apply(row, table.header) if row else None
            else:
                mapping = None
            if mapping is None:
                mapping = auto_map(entity, table.header, definitions)
            mode = request.form.get("mode", "create")
            match_by = request.form.get("match_by", "email")
            action = request.form.get("action", "")
            if request.method == "POST" and action == "save":
                try:
                    mappings.save(
                        user, entity, request.form.get("mapping_name"), table.header, mapping
                    )
                    flash(gettext("Mapping saved."), "success")
                except ValidationError as exc:
                    flash(str(exc), "error")
            if request.method == "POST" and action in ("dry_run", "run"):
                try:
                    job = run.prepare(
                        user,
                        entity,
                        path,
                        source_name=source,
                        mapping=mapping,
                        mode=mode,
                        match_by=match_by,
                        dry_run=action == "dry_run",
                    )
                except (ValidationError, Forbidden) as exc:
                    flash(str(exc), "error")
                else:
                    current_runtime().tasks["import_csv.run"](job.id)
                    return redirect(url_for(".job", job_id=job.id))
            preview, preview_error = [], ""
            try:
                converter = Converter(user, entity, table.header, mapping, definitions)
                for line, cells in itertools.islice(table.rows, PREVIEW_ROWS):
                    if bad_bytes(cells) is not None:
                        problems = {table.header[bad_bytes(cells)]: gettext("Invalid characters.")}
                    else:
                        _values, _custom, errors = converter.convert(cells)
                        problems = {column or "": str(reason) for column, reason in errors}
                    preview.append((line, cells, problems))
            except (KeyError, FieldError) as exc:
                preview_error = str(exc)
            choices = [(t.key, str(t.label)) for t in TARGETS[entity]] + [
                (f"custom.{d.key}", d.label) for d in definitions
            ]
            return self.render(
                "import_csv/map.html",
                token=token,
                entity=entity,
                entity_label=ENTITY_LABELS[entity],
                source=source,
                table=table,
                mapping=mapping,
                choices=choices,
                preview=preview,
                preview_error=preview_error,
                modes=MODE_LABELS,
                mode=mode,
                match_options=run.match_options(entity),
                match_by=match_by,
                saved=saved,
            )

        @expose("/job/<int:job_id>")
        def job(self, job_id):
            user = self._user()
            job = self._job(job_id, user)
            errors = list(report.error_rows(job).limit(50))
            return self.render(
                "import_csv/job.html",
                job=job,
                errors=errors,
                entity_label=ENTITY_LABELS[job.target],
            )

        @expose("/job/<int:job_id>/status")
        def status(self, job_id):
            user = self._user()
            job = self._job(job_id, user)
            rate = job.rows_done / job.seconds if job.seconds else None
            left = None
            if rate and job.total:
                left = max(job.total - job.rows_done, 0) / rate
            return jsonify(
                status=job.status,
                rows_done=job.rows_done,
                total=job.total,
                created=job.created,
                updated=job.updated,
                failed=job.failed,
                rows_per_second=round(rate) if rate else None,
                seconds_left=round(left) if left is not None else None,
            )

        @expose("/job/<int:job_id>/errors.csv")
        def errors(self, job_id):
            user = self._user()
            job = self._job(job_id, user)
            header = read_file(job.source_path).header if Path(job.source_path).exists() else []
            return Response(
                report.errors_csv(job, header),
                mimetype="text/csv",
                headers={
                    "Content-Disposition": f'attachment; filename="import-{job.id}-errors.csv"'
                },
            )

        @expose("/job/<int:job_id>/revert", methods=["POST"])
        def revert(self, job_id):
            user = self._user()
            job = self._job(job_id, user)
            try:
                removed, restored = run.revert(user, job)
            except (ValidationError, Forbidden) as exc:
                flash(str(exc), "error")
            else:
                flash(
                    gettext(
                        "Import reverted: %(r)s removed, %(u)s restored.", r=removed, u=restored
                    ),
                    "success",
                )
            return redirect(url_for(".job", job_id=job.id))

        @expose("/job/<int:job_id>/run", methods=["POST"])
        def run_for_real(self, job_id):
            """After a dry run: the same file, mapping and mode, written this time."""
            user = self._user()
            job = self._job(job_id, user)
            try:
                new = run.prepare(
                    user,
                    job.target,
                    job.source_path,
                    source_name=job.source_name,
                    mapping=job.mapping,
                    mode=job.mode,
                    match_by=job.match_by,
                )
            except (ValidationError, Forbidden) as exc:
                flash(str(exc), "error")
                return redirect(url_for(".job", job_id=job.id))
            current_runtime().tasks["import_csv.run"](new.id)
            return redirect(url_for(".job", job_id=new.id))

    return ImportView(
        name=_l("Import"),
        endpoint="import_csv",
        url="/admin/import",
        static_folder=str(HERE / "static"),
    )

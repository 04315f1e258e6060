"""Documents: upload through services.documents, download as an inert attachment.

Files live under generated keys (never a user-given path) and are always served as
attachments with nosniff and a sandboxing CSP; HTML, SVG and anything else a browser
might run goes out as application/octet-stream (SECURITY D21/D22).
"""

from flask import abort, current_app, request, send_file, url_for
from flask_admin import expose
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms import FileField
from wtforms.validators import InputRequired

from accord.admin.views import formatters as fmt
from accord.admin.views.filters import owner_filters
from accord.admin.views.gate import current_user
from accord.admin.views.records import LABELS, LinkedView
from accord.core import access
from accord.core.db import write
from accord.core.models import Document
from accord.core.services import Forbidden, ValidationError, documents, records

# Types a browser shows without running anything; all else is a plain download.
INERT_TYPES = {
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "text/plain",
    "text/csv",
    "application/zip",
    "application/msword",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
}


def served_type(content_type):
    base = (content_type or "").split(";", 1)[0].strip().lower()
    return base if base in INERT_TYPES else "application/octet-stream"


def upload_dir():
    return current_app.config["ACCORD_UPLOAD_DIR"]


def filename_link(view, context, model, name):
    url = url_for("document.download_view", id=model.id)
    return Markup('<a href="{}">{}</a>').format(url, model.filename)


class DocumentView(LinkedView):
    column_labels = {
        **LABELS,
        "filename": _l("File"),
        "content_type": _l("Type"),
        "size": _l("Size"),
        "uploaded_at": _l("Uploaded"),
        "file": _l("File"),
    }
    column_list = ["filename", "size", "linked", "owner", "uploaded_at"]
    column_details_list = ["filename", "content_type", "size", "linked", "owner", "uploaded_at"]
    column_default_sort = ("uploaded_at", True)
    column_formatters = {
        **LinkedView.column_formatters,
        "filename": filename_link,
        "size": fmt.file_size,
    }
    column_formatters_detail = {**column_formatters}
    column_searchable_list = ["filename"]
    search_label = _l("File name")
    column_filters = [*owner_filters(Document), Document.uploaded_at]
    form_columns = ["filename", "lead", "contact", "deal", "owner"]
    form_extra_fields = {"file": FileField(_l("File"), validators=[InputRequired()])}
    form_create_rules = ["file", "lead", "contact", "deal", "owner"]
    form_edit_rules = ["filename", "lead", "contact", "deal", "owner"]

    def get_edit_form(self):
        form = super().get_edit_form()
        del form.file  # the file itself is never replaced in place
        return form

    def get_create_form(self):
        form = super().get_create_form()
        del form.filename  # taken from the upload
        return form

    def create_record(self, user, data, owner, form):
        upload = form.file.data
        if not upload or not getattr(upload, "filename", ""):
            raise ValidationError({"file": gettext("Choose a file.")})
        owner_id = owner.get("owner", user.id)
        if owner_id != user.id and not access.can_assign(user, owner_id):
            raise Forbidden("owner")
        link = {k: v for k, v in data.items() if k in ("lead", "contact", "deal") and v}
        document = documents.store(user, upload_dir(), upload.filename, upload.stream, link)
        if owner_id != user.id:
            try:
                with write():
                    records.assign(user, document, owner_id)
            except Exception:
                documents.remove(user, document, upload_dir())
                raise
        return document

    def update_record(self, user, record, data, owner, form):
        if "filename" in data:
            data["filename"] = documents.safe_filename(data["filename"])
        return records.update(user, record, data, **owner)

    def delete_record(self, user, record):
        return documents.remove(user, record, upload_dir())

    def delete_many(self, user, rows):
        # Each removal commits and then unlinks its file: no transaction around them.
        for row in rows:
            self.delete_record(user, row)

    @expose("/download/")
    def download_view(self):
        document = self.get_one(request.args.get("id"))
        try:
            handle = documents.open_for(current_user(), document, upload_dir())
        except (Forbidden, ValidationError, OSError):
            abort(404)
        response = send_file(
            handle,
            mimetype=served_type(document.content_type),
            as_attachment=True,
            download_name=documents.safe_filename(document.filename),
            max_age=0,
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
        response.headers["Cache-Control"] = "private, no-store"
        return response


def document_view():
    return DocumentView(Document, _l("Documents"), endpoint="document", url="document")

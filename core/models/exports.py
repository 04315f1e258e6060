"""Export jobs and their progress (issue 7)."""

from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from accord.core.models.base import BaseModel, JSONField, utcnow
from accord.core.models.users import User

EXPORT_STATUSES = ("pending", "running", "done", "failed", "expired")


class ExportJob(BaseModel):
    """One big export run in the background; its file is only ever given to `user`."""

    entity = "export_job"
    user = ForeignKeyField(User, on_delete="CASCADE", backref="+", index=True)
    list_key = CharField()  # lead, contact, company, deal, task, appointment, note
    format = CharField(choices=[("csv", "csv"), ("xlsx", "xlsx")])
    # What the list showed (search, filters, sort as the list's URL had them): for people.
    filters = JSONField(default=dict)
    # The same, compiled: the scoped id query and the order (accord.core.export_jobs).
    query = JSONField(default=dict)
    status = CharField(default="pending", choices=[(s, s) for s in EXPORT_STATUSES])
    rows_done = IntegerField(default=0)
    rows_total = IntegerField(null=True)  # counted when the job starts
    # A generated name under ACCORD_HOME/exports (never a user-given one).
    file_name = CharField(default="")
    download_name = CharField(default="")
    error = TextField(default="")
    created_at = DateTimeField(default=utcnow, index=True)
    started_at = DateTimeField(null=True)
    finished_at = DateTimeField(null=True)


# In dependency order; appended to CORE_MODELS.
MODELS = [ExportJob]

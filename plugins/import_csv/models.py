"""The import plugin's tables (prefixed import_csv_): jobs, their batches, error rows and
saved mappings."""

from peewee import BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from accord.core.migrate import Migration
from accord.core.models import BaseModel, JSONField, User, utcnow

PLUGIN = "import_csv"
JOB_STATES = ("pending", "running", "done", "failed", "reverted")


class ImportJob(BaseModel):
    """One import (or dry run) of one file; its counters are the resume checkpoint."""

    entity = "import_job"
    user = ForeignKeyField(User, on_delete="CASCADE", backref="+")
    target = CharField()  # contact, company, lead, deal, task
    mode = CharField(default="create")  # create, update, upsert
    match_by = CharField(default="email")  # email, phone, custom.<key>
    dry_run = BooleanField(default=False)
    status = CharField(default="pending", index=True)
    source_name = CharField(default="")
    source_path = TextField(default="")
    sha256 = CharField(default="", index=True)
    # [target key or None] per column, in the file's order.
    mapping = JSONField(default=list)
    options = JSONField(default=dict)  # encoding, delimiter, batch size
    total = IntegerField(null=True)  # data rows, when known
    rows_done = IntegerField(default=0)
    line_done = IntegerField(default=0)  # the last physical line committed
    created = IntegerField(default=0)
    updated = IntegerField(default=0)
    failed = IntegerField(default=0)
    error = TextField(default="")
    created_at = DateTimeField(default=utcnow)
    started_at = DateTimeField(null=True)
    finished_at = DateTimeField(null=True)
    seconds = IntegerField(default=0)  # time spent running (over resumes)
    # Written with every batch: a running job whose heartbeat stopped lost its worker.
    heartbeat_at = DateTimeField(null=True)

    class Meta:
        table_name = "import_csv_job"

    @property
    def name(self):
        return self.source_name or f"import #{self.id}"


class ImportBatch(BaseModel):
    """What one committed batch did: created ids (as ranges) and the old values it
    overwrote, so a revert removes and restores exactly that."""

    job = ForeignKeyField(ImportJob, on_delete="CASCADE", backref="batches")
    seq = IntegerField()
    first_line = IntegerField()
    last_line = IntegerField()
    created = JSONField(default=list)  # [[model key, first id, last id], …]
    updated = JSONField(default=list)  # [[model key, id, {column: old value}], …]

    class Meta:
        table_name = "import_csv_batch"
        indexes = ((("job", "seq"), True),)


class ImportError_(BaseModel):
    """A row that was not imported: where it is in the file, which column, why."""

    job = ForeignKeyField(ImportJob, on_delete="CASCADE", backref="errors")
    line = IntegerField()
    column = CharField(default="")
    reason = TextField()
    raw = JSONField(default=list)  # the row's cells

    class Meta:
        table_name = "import_csv_error"
        indexes = ((("job", "line"), False),)


class SavedMapping(BaseModel):
    """A mapping kept under a name, to reuse with the next file of the same shape."""

    name = CharField()
    target = CharField()
    # {normalised header: target key or ""}
    columns = JSONField(default=dict)
    user = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "import_csv_mapping"
        indexes = ((("target", "name"), True),)


MODELS = [ImportJob, ImportBatch, ImportError_, SavedMapping]


def _create(db):
    db.create_tables(MODELS)


def _heartbeat(db):
    from accord.core.migrate import add_columns

    add_columns(db, ImportJob, ImportJob.heartbeat_at)


MIGRATIONS = [
    Migration(PLUGIN, 1, "import jobs, batches, errors, mappings", _create),
    Migration(PLUGIN, 2, "import job heartbeat", _heartbeat),
]

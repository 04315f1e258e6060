"""Built-in plugin `import_csv`: import of CSV/TSV/XLSX files and pasted rows.

Registered through the `accord` entry point in setup.py, exactly like a third-party
plugin, and disabled with `ACCORD_PLUGINS=-import_csv`. Modules: reading (files and
encodings), targets (fields and header aliases), convert (row checks), writing (batch
SQL), run (jobs, resume, revert), cli, views.
"""

from accord.core.hookspecs import hookimpl
from accord.plugins.import_csv.models import MIGRATIONS, MODELS


@hookimpl
def accord_models():
    return MODELS


@hookimpl
def accord_migrations():
    return MIGRATIONS


@hookimpl
def accord_jobs(huey, runtime):
    from huey import crontab

    from accord.plugins.import_csv import run

    @huey.task(name="import_csv.run")
    def run_import(job_id):
        run.run(job_id)

    @huey.periodic_task(crontab(minute="*"), name="import_csv.resume")
    def resume_stalled():
        # huey is at-most-once: a job whose worker was killed is handed out again and
        # resumes from its last committed batch.
        for job_id in run.stalled():
            run_import(job_id)

    runtime.tasks["import_csv.run"] = run_import
    runtime.tasks["import_csv.resume"] = resume_stalled


@hookimpl
def accord_cli_commands():
    from accord.plugins.import_csv.cli import COMMANDS

    return COMMANDS


@hookimpl
def accord_admin_views(app):
    from accord.plugins.import_csv.views import allow_big_uploads, import_view

    allow_big_uploads(app)
    return [import_view()]


@hookimpl
def accord_blueprints(app):
    return []

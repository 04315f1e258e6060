"""Built-in: the export job tasks (accord.core.export_jobs), registered like a plugin's."""

from huey import crontab

from accord.core import export_jobs
from accord.core.hookspecs import hookimpl


@hookimpl
def accord_jobs(huey, runtime):
    @huey.task(name="accord.run_export")
    def run_export(job_id):
        export_jobs.run(runtime, job_id)

    runtime.tasks["run_export"] = run_export

    @huey.periodic_task(crontab(minute="*/5"), name="accord.sweep_exports")
    def sweep_exports():
        export_jobs.sweep(runtime)

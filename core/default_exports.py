"""Built-in: the export job task (accord.core.export_jobs), registered like a plugin's."""

from accord.core import export_jobs
from accord.core.hookspecs import hookimpl


@hookimpl
def accord_jobs(huey, runtime):
    @huey.task(name="accord.run_export")
    def run_export(job_id):
        export_jobs.run(runtime, job_id)

    runtime.tasks["run_export"] = run_export

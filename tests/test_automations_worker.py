"""A real `accord worker` killed with SIGKILL in the middle of an automation run: after the
lease expires another worker finishes the run, and no action happens twice (SECURITY F28)."""

import signal

import pytest

from accord.core.models import Deal, Task
from accord.core.models.automations import Automation, AutomationRun
from accord.core.services import records, users
from tests.test_worker import Instance, local_runtime, wait_for

pytestmark = pytest.mark.slow

STALL = '''
"""Test plugin: an automation action that stalls the first time it runs."""

import os
import time
from pathlib import Path

from accord.core.automation import Action
from accord.core.hookspecs import hookimpl

DIR = Path(os.environ["ACCORD_PROBE_DIR"])


class Pause(Action):
    name = "stall.pause"
    label = "Pause (test)"

    def run(self, ctx):
        marker = DIR / "stalled"
        if not marker.exists():
            marker.write_text(str(os.getpid()))
            time.sleep(60)  # the test kills this worker now
        return "resumed"


@hookimpl
def accord_automation_actions():
    return [Pause]
'''


@pytest.fixture
def instance(tmp_path):
    inst = Instance(tmp_path)
    site = tmp_path / "site"
    (site / "accord_stall.py").write_text(STALL)
    dist = site / "accord_stall-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: accord-stall\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[accord]\nstall = accord_stall\n")
    result = inst.run("migrate")
    assert result.returncode == 0, result.stderr
    yield inst
    inst.stop_all()


def test_kill_9_mid_run_finishes_the_run_and_creates_the_task_once(instance):
    first = instance.start_worker(
        "--no-periodic",
        name="first",
        ACCORD_OUTBOX_LEASE_SECONDS="2",
        ACCORD_OUTBOX_SWEEP_SECONDS="3600",
    )
    with local_runtime(instance):
        admin = users.create_user(None, "admin@auto.test", role="admin")
        # Written directly: the stall action exists only in the workers' plugin set.
        automation = Automation.create(
            name="Create, pause, create",
            author=admin.id,
            trigger="deal.created",
            trigger_params={},
            conditions={},
            actions=[
                {"type": "create_tasks", "params": {"content": "Before the crash"}},
                {"type": "stall.pause", "params": {}},
                {"type": "create_tasks", "params": {"content": "After the crash"}},
            ],
        )
        deal = records.create(admin, Deal, {"name": "Crash test"})
        wait_for(lambda: instance.probe_file("stalled"), what="the run to reach the pause")
        # The first action committed with its key; the run is half done.
        assert [t.content for t in Task.select()] == ["Before the crash"]
        run = AutomationRun.get(AutomationRun.automation == automation.id)
        assert run.status == "running"
        assert [r.get("status") for r in run.results] == ["done"]

        first.kill()
        first.wait(10)
        assert first.returncode == -signal.SIGKILL

        second = instance.start_worker(
            name="second", ACCORD_OUTBOX_LEASE_SECONDS="2", ACCORD_OUTBOX_SWEEP_SECONDS="1"
        )
        run = wait_for(
            lambda: (r := AutomationRun.get_by_id(run.id)).status == "done" and r,
            timeout=40,
            what="the second worker to finish the run",
        )
        contents = sorted(t.content for t in Task.select().where(Task.deal == deal.id))
        assert contents == ["After the crash", "Before the crash"]
        assert [r["status"] for r in run.results] == ["done", "done", "done"]
        assert run.results[1]["result"] == "resumed"
        assert AutomationRun.select().count() == 1
    instance.stop(second)

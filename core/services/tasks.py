"""Completing tasks."""

from accord.core.services import records


def complete(user, task, done=True):
    """Mark a task done (or open again); the history shows when.

    A task becoming done emits `task.completed` (in records.update, so the inline "done"
    checkbox and the edit form emit it too); automations and notifications react to it."""
    return records.update(user, task, {"done": bool(done)})

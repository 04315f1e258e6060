"""Moving deals through a pipeline and closing them with a reason."""

from accord.core.i18n import gettext as _
from accord.core.models import LossReason, Stage, UnqualifiedReason
from accord.core.services import records
from accord.core.services.errors import ValidationError


def move_stage(user, deal, stage, reason=None):
    """Move `deal` to `stage` (same or another pipeline). Lost/unqualified need a reason."""
    stage = stage if isinstance(stage, Stage) else Stage.get_or_none(Stage.id == stage)
    if stage is None:
        raise ValidationError({"stage": _("Unknown stage.")})
    data = {"stage": stage.id}
    if stage.category == "lost":
        reason = reason if isinstance(reason, LossReason) else LossReason.get_or_none(id=reason)
        if reason is None:
            raise ValidationError({"loss_reason": _("Choose why the deal was lost.")})
        data["loss_reason"] = reason.id
    elif stage.category == "unqualified":
        reason = (
            reason
            if isinstance(reason, UnqualifiedReason)
            else UnqualifiedReason.get_or_none(id=reason)
        )
        if reason is None:
            raise ValidationError({"unqualified_reason": _("Choose why it is unqualified.")})
        data["unqualified_reason"] = reason.id
    return records.update(user, deal, data)

"""Notifications, per-user channel choices and custom notification rules (issue 5)."""

# In dependency order; appended to CORE_MODELS.
MODELS = []

"""Automations and their run log (issue 6)."""

# In dependency order; appended to CORE_MODELS.
MODELS = []

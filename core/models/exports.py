"""Export jobs and their progress (issue 7)."""

# In dependency order; appended to CORE_MODELS.
MODELS = []

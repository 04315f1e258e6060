"""Public lead-capture forms (issue 5)."""

# In dependency order; appended to CORE_MODELS.
MODELS = []

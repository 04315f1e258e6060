"""Outgoing webhook deliveries: retries, backoff, dead letters (issue 6)."""

# In dependency order; appended to CORE_MODELS.
MODELS = []

"""Calendar: RSVP tokens of attendees, private feed tokens (issue 5)."""

# In dependency order; appended to CORE_MODELS.
MODELS = []

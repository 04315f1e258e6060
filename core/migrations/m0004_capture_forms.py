"""Public lead-capture forms and their rate limit (issue 5)."""


def apply(db):
    pass

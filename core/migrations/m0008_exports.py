"""Export jobs and their progress (issue 7)."""


def apply(db):
    pass

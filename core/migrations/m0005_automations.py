"""Automations, their actions and their run log (issue 6)."""


def apply(db):
    pass

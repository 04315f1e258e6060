"""Errors the services raise; every surface turns them into a clear message."""

from accord.core.access import Forbidden


class ValidationError(ValueError):
    """Bad input: `errors` maps a field name (or "" for the whole record) to a message."""

    def __init__(self, errors):
        self.errors = {k: str(v) for k, v in errors.items()}
        super().__init__("; ".join(f"{k}: {v}" if k else v for k, v in self.errors.items()))


class NotFound(LookupError):
    """No such record, or the policy hides it (the two look the same on purpose)."""


__all__ = ["Forbidden", "NotFound", "ValidationError"]

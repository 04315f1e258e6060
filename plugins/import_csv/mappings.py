"""Saved mappings: {normalised header: target key} under a name, per target."""

from accord.core.db import write
from accord.core.services.errors import ValidationError
from accord.plugins.import_csv.models import SavedMapping
from accord.plugins.import_csv.reading import read_file
from accord.plugins.import_csv.targets import normalise


def save(user, target, name, header, mapping):
    name = (name or "").strip()[:100]
    if not name:
        raise ValidationError({"name": "Name the mapping."})
    columns = {normalise(h): (k or "") for h, k in zip(header, mapping, strict=False)}
    with write():
        row = SavedMapping.get_or_none(
            (SavedMapping.target == target) & (SavedMapping.name == name)
        )
        if row is None:
            row = SavedMapping.create(name=name, target=target, columns=columns, user=user.id)
        else:
            row.columns = columns
            row.save()
    return row


def apply(saved, header):
    return [saved.columns.get(normalise(h)) or None for h in header]


def apply_saved(target, name, path):
    saved = SavedMapping.get_or_none((SavedMapping.target == target) & (SavedMapping.name == name))
    if saved is None:
        raise ValidationError({"mapping": f"No saved mapping {name!r} for {target}."})
    return apply(saved, read_file(path).header)

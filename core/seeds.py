"""Defaults a new database starts with: a pipeline, statuses, action types, reasons."""

from accord.core.models import (
    ActionType,
    LossReason,
    Pipeline,
    Source,
    Stage,
    Status,
    UnqualifiedReason,
)

DEFAULT_STAGES = [
    # name, category, likelihood %
    ("Incoming", "active", 10),
    ("Qualified", "active", 20),
    ("Quote", "active", 40),
    ("Proposal", "active", 60),
    ("Negotiation", "active", 80),
    ("For payment", "active", 90),
    ("Won", "won", 100),
    ("Lost", "lost", 0),
    ("Unqualified", "unqualified", 0),
]

STATUSES = {
    "lead": [
        ("New", "NEW", "#ffffff", "#0d6efd"),
        ("Active", "ACT", "#ffffff", "#198754"),
        ("Unqualified", "UNQ", "#ffffff", "#6c757d"),
    ],
    "contact": [
        ("Active", "ACT", "#ffffff", "#198754"),
        ("Inactive", "INA", "#ffffff", "#6c757d"),
        ("Lead", "LEA", "#ffffff", "#0d6efd"),
        ("Customer", "CUS", "#ffffff", "#6f42c1"),
        ("On hold", "HLD", "#212529", "#ffc107"),
    ],
    "task": [
        ("Awaiting approval", "AWA", "#212529", "#ffc107"),
        ("No answer", "NOA", "#ffffff", "#dc3545"),
        ("Done", "DON", "#ffffff", "#198754"),
    ],
}

ACTION_TYPES = [
    ("Call", "CALL", "#ffffff", "#0d6efd"),
    ("Email", "MAIL", "#ffffff", "#6610f2"),
    ("Meeting", "MEET", "#ffffff", "#198754"),
    ("Fax", "FAX", "#212529", "#adb5bd"),
    ("Ship sample", "SHIP", "#212529", "#ffc107"),
    ("Handle order", "ORD", "#ffffff", "#fd7e14"),
]

SOURCES = ["Website", "Referral", "Cold call", "Trade show", "Advertisement", "Partner"]
LOSS_REASONS = [
    "Price too high",
    "Chose a competitor",
    "No budget",
    "No decision",
    "Timing",
]
UNQUALIFIED_REASONS = ["Not a fit", "No need", "Could not reach", "Duplicate"]


def create_pipeline(name, stages=DEFAULT_STAGES, is_default=False, position=0):
    pipeline = Pipeline.create(name=name, is_default=is_default, position=position)
    for index, (stage, category, likelihood) in enumerate(stages):
        Stage.create(
            pipeline=pipeline,
            name=stage,
            position=index,
            category=category,
            likelihood=likelihood,
        )
    return pipeline


def seed_defaults():
    """Idempotent: only fills empty vocabularies."""
    if not Pipeline.select().exists():
        create_pipeline("Sales", is_default=True)
    for kind, rows in STATUSES.items():
        if not Status.select().where(Status.entity_kind == kind).exists():
            for position, (name, abbr, font, bg) in enumerate(rows):
                Status.create(
                    entity_kind=kind,
                    name=name,
                    abbreviation=abbr,
                    font_color=font,
                    background_color=bg,
                    position=position,
                )
    if not ActionType.select().exists():
        for position, (name, abbr, font, bg) in enumerate(ACTION_TYPES):
            ActionType.create(
                name=name,
                abbreviation=abbr,
                font_color=font,
                background_color=bg,
                position=position,
            )
    for model, names in (
        (Source, SOURCES),
        (LossReason, LOSS_REASONS),
        (UnqualifiedReason, UNQUALIFIED_REASONS),
    ):
        if not model.select().exists():
            model.insert_many([{"name": n} for n in names]).execute()

"""Deals."""

from peewee import (
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    DecimalField,
    ForeignKeyField,
    IntegerField,
)

from accord.core.models.contacts import Contact
from accord.core.models.pipelines import Pipeline, Stage
from accord.core.models.records import TrashableRecord
from accord.core.models.vocabularies import LossReason, Source, UnqualifiedReason


class Deal(TrashableRecord):
    entity = "deal"
    name = CharField(index=True)
    value = DecimalField(max_digits=16, decimal_places=2, default=0, auto_round=True)
    currency = CharField(default="EUR", max_length=3)
    contact = ForeignKeyField(Contact, null=True, on_delete="SET NULL", backref="deals")
    organization = ForeignKeyField(
        Contact, null=True, on_delete="SET NULL", backref="organization_deals"
    )
    # The pipeline follows the stage; stored to filter and index per pipeline.
    pipeline = ForeignKeyField(Pipeline, on_delete="RESTRICT", backref="deals")
    stage = ForeignKeyField(Stage, on_delete="RESTRICT", backref="deals")
    # Null: use the stage's likelihood.
    probability = IntegerField(null=True)
    hot = BooleanField(default=False)
    estimated_close_date = DateField(null=True)
    source = ForeignKeyField(Source, null=True, on_delete="SET NULL", backref="+")
    loss_reason = ForeignKeyField(LossReason, null=True, on_delete="SET NULL", backref="+")
    unqualified_reason = ForeignKeyField(
        UnqualifiedReason, null=True, on_delete="SET NULL", backref="+"
    )
    last_stage_change_at = DateTimeField(null=True)
    closed_at = DateTimeField(null=True, index=True)

    class Meta:
        indexes = (
            (("owner", "updated_at"), False),
            (("stage", "updated_at"), False),
            (("pipeline", "stage"), False),
        )

    @property
    def effective_probability(self):
        return self.probability if self.probability is not None else self.stage.likelihood

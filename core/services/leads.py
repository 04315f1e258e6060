"""Converting a lead into a contact (with an organization and a deal). Irreversible."""

from peewee import fn

from accord.core import access, events
from accord.core.db import write
from accord.core.i18n import gettext as _
from accord.core.models import (
    ADDRESS_FIELDS,
    REACH_FIELDS,
    Appointment,
    Contact,
    Deal,
    Document,
    Note,
    Task,
    utcnow,
)
from accord.core.services import activity, records
from accord.core.services.errors import Forbidden, ValidationError

PERSON_FIELDS = ("first_name", "last_name", "title", *REACH_FIELDS, *ADDRESS_FIELDS, "description")


def find_duplicate(user, email):
    """An existing person with this email that `user` can see, offered instead of a copy."""
    if not email:
        return None
    query = Contact.select().where((Contact.email == email.strip()) & ~Contact.is_organization)
    return access.visible(query, user, Contact).first()


def convert(user, lead, organization=None, create_organization=True, deal=None, contact=None):
    """Turn `lead` into a person contact, optionally with its organization and a deal.

    organization: an existing organization Contact to link (else one matched or made from
    the lead's organization name when `create_organization`). deal: dict of deal fields
    (name, value, stage …) or None. contact: an existing person to merge into instead of
    a new one. Tasks, notes, appointments and documents move to the contact.
    """
    if lead.converted_at is not None:
        raise ValidationError({"": _("This lead was already converted.")})
    if not access.can(user, "edit", lead):
        raise Forbidden("convert")
    owner = lead.owner_id if lead.owner_id is not None else user.id
    with write():
        if organization is None and create_organization and lead.organization_name.strip():
            org_name = lead.organization_name.strip()
            organization = access.visible(
                Contact.select().where(
                    Contact.is_organization & (fn.LOWER(Contact.name) == org_name.lower())
                ),
                user,
                Contact,
            ).first() or records.create(
                user,
                Contact,
                {"is_organization": True, "name": org_name},
                owner=owner,
                owner_of=lead,
            )
        if contact is None:
            data = {f: getattr(lead, f) for f in PERSON_FIELDS}
            data.update(source=lead.source_id, organization=getattr(organization, "id", None))
            contact = records.create(user, Contact, data, owner=owner, owner_of=lead)
        made_deal = None
        if deal:
            deal = dict(deal)
            deal.setdefault("contact", contact.id)
            if organization is not None:
                deal.setdefault("organization", organization.id)
            deal.setdefault("source", lead.source_id)
            made_deal = records.create(user, Deal, deal, owner=owner, owner_of=lead)
        for model in (Task, Note, Appointment, Document):
            model.update(lead=None, contact=contact.id).where(model.lead == lead.id).execute()
        lead.converted_at = utcnow()
        lead.converted_contact = contact.id
        lead.updated_at = utcnow()
        lead.save()
        activity.log(user, "converted", lead, {"contact": (None, contact.id)})
        events.emit(
            "lead.converted",
            lead,
            user,
            contact_id=contact.id,
            organization_id=getattr(organization, "id", None),
            deal_id=getattr(made_deal, "id", None),
        )
    return contact, organization, made_deal

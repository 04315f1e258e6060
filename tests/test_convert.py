"""Converting a lead from its page (/admin/lead/convert/?id=): a person, optionally with
its company (matched by name or new) and a deal; a person with the same email is offered
instead of a duplicate; conversion is final; the lead's work moves with it."""

import datetime as dt
import io
import re
from decimal import Decimal

from accord.core.models import Appointment, Contact, Deal, Document, Lead, Note, Stage, Task
from accord.core.services import documents, records
from tests.web import csrf_token, login
from tests.world import build_world


def text(response):
    return response.get_data(as_text=True)


def make_lead(user, **fields):
    data = {
        "first_name": "Grace",
        "last_name": "Lovelace",
        "organization_name": "Analytical Engines",
    }
    data.update(fields)
    return records.create(user, Lead, data)


def convert(client, lead, token, **form):
    return client.post(f"/admin/lead/convert/?id={lead.id}", data={"csrf_token": token, **form})


def test_convert_with_a_new_organization_and_a_deal_moves_the_leads_work(app, client):
    world = build_world()
    user = world.users["N1"]
    lead = make_lead(user, email="grace@engines.test", phone="+44 20 1234 5678", title="CTO")
    task = records.create(user, Task, {"content": "Call Grace", "lead": lead.id})
    note = records.create(user, Note, {"content": "Met at the fair", "lead": lead.id})
    meeting = records.create(
        user,
        Appointment,
        {"title": "Demo", "starts_at": dt.datetime(2040, 1, 1, 9), "lead": lead.id},
    )
    document = documents.store(
        user, app.config["ACCORD_UPLOAD_DIR"], "brief.txt", io.BytesIO(b"x"), link={"lead": lead.id}
    )
    login(client, user.email)
    url = f"/admin/lead/convert/?id={lead.id}"
    page = text(client.get(url))
    assert "Conversion cannot be undone." in page
    assert 'value="new" checked' in page  # a new company from the lead's organization name
    assert "Analytical Engines" in page

    qualified = Stage.get(Stage.name == "Qualified")
    response = convert(
        client,
        lead,
        csrf_token(client, url),
        contact="new",
        organization="new",
        create_deal="1",
        deal_name="Engines – first order",
        deal_value="12,500.50",
        deal_currency="gbp",
        deal_stage=str(qualified.id),
    )
    assert response.status_code == 302
    lead = Lead.get_by_id(lead.id)
    contact = Contact.get_by_id(lead.converted_contact_id)
    assert lead.converted_at is not None
    assert response.headers["Location"] == f"/admin/contact/details/?id={contact.id}"
    assert (contact.name, contact.email, contact.title) == (
        "Grace Lovelace",
        "grace@engines.test",
        "CTO",
    )
    assert contact.owner_id == user.id
    company = contact.organization
    assert company.is_organization and company.name == "Analytical Engines"
    deal = Deal.get(Deal.name == "Engines – first order")
    assert (deal.value, deal.currency, deal.stage_id) == (Decimal("12500.50"), "GBP", qualified.id)
    assert (deal.contact_id, deal.organization_id, deal.owner_id) == (
        contact.id,
        company.id,
        user.id,
    )
    # The lead's to-dos, notes, appointments and documents are the contact's now.
    for model, row in ((Task, task), (Note, note), (Appointment, meeting), (Document, document)):
        moved = model.get_by_id(row.id)
        assert (moved.contact_id, moved.lead_id) == (contact.id, None), model.__name__
    sheet = text(client.get(response.headers["Location"]))
    assert "Grace Lovelace is now a contact, with the deal Engines – first order." in sheet
    assert "Call Grace" in sheet and "Met at the fair" in sheet and "brief.txt" in sheet
    assert f"/admin/lead/details/?id={lead.id}" in sheet  # "converted from the lead"


def test_an_existing_company_is_matched_by_name_whatever_the_case(app, client):
    world = build_world()
    user = world.users["N1"]
    existing = records.create(
        user, Contact, {"is_organization": True, "name": "ACME Corp", "city": "Springfield"}
    )
    lead = make_lead(user, organization_name="acme corp")
    login(client, user.email)
    url = f"/admin/lead/convert/?id={lead.id}"
    page = text(client.get(url))
    assert re.search(
        rf'name="organization" id="org-{existing.id}" value="{existing.id}" checked', page
    )
    companies = Contact.select().where(Contact.is_organization).count()
    response = convert(
        client, lead, csrf_token(client, url), contact="new", organization=str(existing.id)
    )
    assert response.status_code == 302
    contact = Contact.get_by_id(Lead.get_by_id(lead.id).converted_contact_id)
    assert contact.organization_id == existing.id
    assert Contact.select().where(Contact.is_organization).count() == companies
    assert not Deal.select().where(Deal.contact == contact.id).exists()  # no deal asked for


def test_no_organization_and_a_company_offered_only_if_visible(app, client):
    world = build_world()
    r = world.users["R"]
    hidden = world.record("company", "N1")  # R cannot see it, so it is not offered
    lead = make_lead(r, organization_name=hidden.name)
    login(client, r.email)
    url = f"/admin/lead/convert/?id={lead.id}"
    page = text(client.get(url))
    assert f'id="org-{hidden.id}"' not in page and 'id="org-new"' in page
    response = convert(
        client, lead, csrf_token(client, url), contact="new", organization=str(hidden.id)
    )
    assert response.status_code == 200
    assert "Choose one of the organizations offered." in text(response)
    assert Lead.get_by_id(lead.id).converted_at is None
    response = convert(client, lead, csrf_token(client, url), contact="new", organization="none")
    assert response.status_code == 302
    contact = Contact.get_by_id(Lead.get_by_id(lead.id).converted_contact_id)
    assert contact.organization_id is None and contact.owner_id == r.id


def test_a_contact_with_the_same_email_is_offered_and_used(app, client):
    world = build_world()
    user = world.users["N1"]
    existing = world.record("contact", "N3")  # person.N3@x.test, another owner: N1 sees it
    lead = make_lead(user, email=existing.email)
    records.create(user, Note, {"content": "Wants a call", "lead": lead.id})
    login(client, user.email)
    url = f"/admin/lead/convert/?id={lead.id}"
    page = text(client.get(url))
    assert f"A contact with the email {existing.email} already exists." in page
    assert re.search(rf'name="contact" id="contact-existing" value="{existing.id}" checked', page)
    assert 'id="contact-new" value="new"' in page
    people = Contact.select().where(~Contact.is_organization).count()
    response = convert(
        client, lead, csrf_token(client, url), contact=str(existing.id), organization="none"
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/contact/details/?id={existing.id}"
    assert Lead.get_by_id(lead.id).converted_contact_id == existing.id
    assert Contact.select().where(~Contact.is_organization).count() == people
    assert Note.get(Note.content == "Wants a call").contact_id == existing.id


def test_a_new_contact_may_still_be_chosen_over_the_duplicate(app, client):
    world = build_world()
    user = world.users["N1"]
    existing = world.record("contact", "N1")
    lead = make_lead(user, email=existing.email)
    login(client, user.email)
    url = f"/admin/lead/convert/?id={lead.id}"
    response = convert(client, lead, csrf_token(client, url), contact="new", organization="none")
    assert response.status_code == 302
    made = Lead.get_by_id(lead.id).converted_contact_id
    assert made != existing.id and Contact.get_by_id(made).email == existing.email


def test_a_second_conversion_is_refused(app, client):
    world = build_world()
    user = world.users["N1"]
    lead = make_lead(user)
    login(client, user.email)
    url = f"/admin/lead/convert/?id={lead.id}"
    token = csrf_token(client, url)
    assert convert(client, lead, token, contact="new", organization="new").status_code == 302
    first = Lead.get_by_id(lead.id)
    contacts = Contact.select().count()

    response = convert(client, lead, token, contact="new", organization="new")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/lead/details/?id={lead.id}"
    assert "This lead was already converted." in text(client.get(response.headers["Location"]))
    assert Contact.select().count() == contacts
    again = Lead.get_by_id(lead.id)
    assert (again.converted_at, again.converted_contact_id) == (
        first.converted_at,
        first.converted_contact_id,
    )
    page = text(client.get(url))
    assert 'id="already-converted"' in page and 'id="convert-form"' not in page
    # The datasheet no longer offers the conversion.
    assert url not in text(client.get(f"/admin/lead/details/?id={lead.id}"))


def test_bad_deal_input_is_shown_and_nothing_is_converted(app, client):
    world = build_world()
    user = world.users["N1"]
    lead = make_lead(user)
    login(client, user.email)
    url = f"/admin/lead/convert/?id={lead.id}"
    response = convert(
        client,
        lead,
        csrf_token(client, url),
        contact="new",
        organization="new",
        create_deal="1",
        deal_name="Typed by hand",
        deal_value="lots",
        deal_stage="999999",
    )
    assert response.status_code == 200
    body = text(response)
    assert "Enter the value as a number." in body and "Choose a stage." in body
    assert 'value="Typed by hand"' in body and 'value="lots"' in body
    assert Lead.get_by_id(lead.id).converted_at is None
    assert not Contact.select().where(Contact.name == "Analytical Engines").exists()


def test_hidden_lead_cannot_be_converted_and_csrf_is_required(app, client):
    world = build_world()
    lead = world.record("lead", "N1")
    login(client, world.users["R"].email)
    assert client.get(f"/admin/lead/convert/?id={lead.id}").status_code == 404
    token = csrf_token(client, "/admin/")
    assert convert(client, lead, token, contact="new").status_code == 404
    assert Lead.get_by_id(lead.id).converted_at is None

    owner = app.test_client()
    login(owner, world.users["N1"].email)
    response = owner.post(f"/admin/lead/convert/?id={lead.id}", data={"contact": "new"})
    assert response.status_code == 400
    assert Lead.get_by_id(lead.id).converted_at is None

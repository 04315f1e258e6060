"""Public lead-capture forms (issue 5; SECURITY C13, C16): one new lead per post with only
the form's fields, never an update of an existing record, a honeypot, a per-IP rate limit,
404 for disabled or unknown forms, and the `lead.captured` event in the outbox."""

import re
import threading

import pytest

from accord.core.db import database
from accord.core.models import Activity, Contact, Lead, OutboxEvent, Source, Status, User
from accord.core.models.capture_forms import CaptureForm, CaptureHit
from accord.core.services import Forbidden, ValidationError, custom_fields, records
from accord.core.services import capture_forms as service
from tests.web import csrf_token, login, post
from tests.world import make_user

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def text(response):
    return response.get_data(as_text=True)


@pytest.fixture
def admin(rt):
    return make_user("Boss", "admin")


@pytest.fixture
def seller(rt):
    return make_user("Seller", "normal")


def make_form(admin, assignee, **data):
    values = {
        "name": "Website contact",
        "fields": ["first_name", "last_name", "email", "phone", "description"],
        "required": ["last_name", "email"],
        "source": Source.get(Source.name == "Website").id,
        "assignment": "owner",
        "owner": assignee.id,
        "thank_you": "Thanks, we call you back.",
    }
    values.update(data)
    return service.create_form(admin, values)


def send(client, form, data, ip="203.0.113.10", **kwargs):
    # No CSRF token: an embedded form on another site cannot have one.
    return client.post(
        f"/forms/{form.token}", data=data, environ_base={"REMOTE_ADDR": ip}, **kwargs
    )


def person(**extra):
    return {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.test", **extra}


# One lead, only the allowed fields ---------------------------------------------------------


def test_a_post_creates_exactly_one_lead_with_the_forms_source_and_owner(client, admin, seller):
    form = make_form(admin, seller)
    page = client.get(f"/forms/{form.token}")
    assert page.status_code == 200
    body = text(page)
    assert 'name="first_name"' in body and 'name="homepage"' in body
    assert 'name="csrf_token"' not in body
    assert not re.search(r'(src|href)="(https?:)?//', body)  # offline: no CDN

    before = Lead.select().count()
    response = send(client, form, person(phone="+36 1 234 5678"))
    assert response.status_code == 200
    assert "Thanks, we call you back." in text(response)
    assert Lead.select().count() == before + 1
    lead = Lead.get(Lead.email == "ada@example.test")
    assert (lead.first_name, lead.last_name, lead.name) == ("Ada", "Lovelace", "Ada Lovelace")
    assert lead.owner_id == seller.id
    assert lead.source_id == Source.get(Source.name == "Website").id
    assert lead.status.name == "New"  # the same default a hand-made lead gets
    created = Activity.get((Activity.entity_kind == "lead") & (Activity.record_id == lead.id))
    assert created.actor_id is None and created.verb == "created"
    assert created.changes == {"capture_form": [None, "Website contact"]}


def test_only_the_forms_fields_are_read(client, admin, seller):
    custom_fields.define(admin, "lead", "budget", "Budget", "text")
    custom_fields.define(admin, "lead", "secret_rating", "Rating", "text")
    form = make_form(
        admin, seller, fields=["last_name", "email", "custom.budget"], required=["last_name"]
    )
    other_source = Source.get(Source.name == "Partner")
    unqualified = Status.get((Status.entity_kind == "lead") & (Status.name != "New"))
    existing = Lead.select().order_by(Lead.id).first()
    response = send(
        client,
        form,
        {
            "last_name": "Mallory",
            "email": "mallory@example.test",
            "first_name": "Not on the form",
            "custom.budget": "10k",
            "custom.secret_rating": "A+",
            "custom": "{}",
            "owner_id": str(admin.id),
            "owner": str(admin.id),
            "id": str(getattr(existing, "id", 1)),
            "status": str(unqualified.id),
            "status_id": str(unqualified.id),
            "source": str(other_source.id),
            "source_id": str(other_source.id),
            "created_at": "2001-01-01 00:00:00",
            "deleted_at": "2001-01-01 00:00:00",
            "converted_at": "2001-01-01 00:00:00",
        },
    )
    assert response.status_code == 200
    lead = Lead.get(Lead.email == "mallory@example.test")
    assert lead.first_name == ""
    assert lead.custom == {"budget": "10k"}
    assert lead.owner_id == seller.id
    assert lead.status.name == "New"
    assert lead.source_id == Source.get(Source.name == "Website").id
    assert lead.created_at.year > 2001
    assert lead.deleted_at is None and lead.converted_at is None
    assert existing is None or existing.id != lead.id


def test_the_same_email_never_updates_an_existing_lead_or_contact(client, admin, seller):
    form = make_form(admin, seller)
    old_lead = records.create(
        admin, Lead, {"first_name": "Old", "last_name": "Lead", "email": "ada@example.test"}
    )
    contact = records.create(
        admin, Contact, {"first_name": "Old", "last_name": "Contact", "email": "ada@example.test"}
    )
    lead_before = dict(Lead.get_by_id(old_lead.id).__data__)
    contact_before = dict(Contact.get_by_id(contact.id).__data__)
    for _ in range(2):
        assert send(client, form, person(description="Call me")).status_code == 200
    assert Lead.get_by_id(old_lead.id).__data__ == lead_before
    assert Contact.get_by_id(contact.id).__data__ == contact_before
    assert Lead.select().where(Lead.email == "ada@example.test").count() == 3
    assert Contact.select().count() == 1


def test_bad_input_re_renders_the_form_with_the_input_kept(client, admin, seller):
    form = make_form(admin, seller)
    before = Lead.select().count()
    response = send(client, form, {"first_name": "Ada", "email": "not-an-email"})
    assert response.status_code == 400
    body = text(response)
    assert 'value="Ada"' in body and 'value="not-an-email"' in body
    assert re.search(r'data-field="last_name">This field is required', body)
    assert re.search(r'data-field="email">Enter an email address', body)
    too_long = send(client, form, person(last_name="x" * 300))
    assert too_long.status_code == 400 and "too long" in text(too_long)
    assert Lead.select().count() == before


# Abuse ---------------------------------------------------------------------------------


def test_the_honeypot_answers_like_success_and_writes_nothing(client, admin, seller):
    form = make_form(admin, seller)
    before = (Lead.select().count(), OutboxEvent.select().count())
    response = send(client, form, person(homepage="http://spam.example"))
    assert response.status_code == 200
    assert "Thanks, we call you back." in text(response)
    assert (Lead.select().count(), OutboxEvent.select().count()) == before


def test_rate_limit_per_ip_and_another_ip_still_passes(client, admin, seller):
    form = make_form(admin, seller)
    for i in range(service.RATE_LIMIT):
        response = send(client, form, person(email=f"a{i}@example.test"), ip="198.51.100.7")
        assert response.status_code == 200, i
    refused = send(
        client,
        form,
        person(email="late@example.test"),
        ip="198.51.100.7",
        headers={"X-Forwarded-For": "192.0.2.99"},  # a client-sent header changes nothing
    )
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "60"
    assert "Too many submissions" in text(refused)
    assert 'value="late@example.test"' in text(refused)  # nothing typed is lost
    assert not Lead.select().where(Lead.email == "late@example.test").exists()
    # Another address, and the same address on another form, still pass.
    assert send(client, form, person(email="b@example.test"), ip="198.51.100.8").status_code == 200
    other = make_form(admin, seller, name="Trade show")
    assert send(client, other, person(email="c@example.test"), ip="198.51.100.7").status_code == 200
    # Honeypot posts count too: a bot cannot hammer the form through it.
    for _ in range(service.RATE_LIMIT):
        send(client, other, person(homepage="x"), ip="198.51.100.9")
    assert send(client, other, person(), ip="198.51.100.9").status_code == 429
    assert CaptureHit.select().count() >= 3


def test_the_limit_is_kept_in_the_database_for_every_process(admin, seller):
    form = make_form(admin, seller)
    assert all(service.allow(form, "192.0.2.1") for _ in range(service.RATE_LIMIT))
    assert not service.allow(form, "192.0.2.1")
    row = CaptureHit.get((CaptureHit.form == form.id) & (CaptureHit.ip == "192.0.2.1"))
    assert row.hits == service.RATE_LIMIT + 1


def test_an_oversized_body_is_refused(client, admin, seller):
    form = make_form(admin, seller)
    before = Lead.select().count()
    response = send(client, form, person(description="x" * (70 * 1024)))
    assert response.status_code == 413
    assert Lead.select().count() == before


def test_disabled_and_unknown_forms_answer_404(client, admin, seller):
    form = make_form(admin, seller)
    assert client.get("/forms/no-such-token").status_code == 404
    assert send(client, type("F", (), {"token": "no-such-token"}), person()).status_code == 404
    service.disable_form(admin, form)
    assert client.get(f"/forms/{form.token}").status_code == 404
    assert send(client, form, person()).status_code == 404
    service.disable_form(admin, CaptureForm.get_by_id(form.id), active=True)
    old_token = form.token
    service.new_token(admin, CaptureForm.get_by_id(form.id))
    assert client.get(f"/forms/{old_token}").status_code == 404
    assert not Lead.select().where(Lead.email == "ada@example.test").exists()


def test_xss_payloads_are_stored_inert_on_the_lead_list_and_datasheet(app, client, admin, seller):
    form = make_form(admin, seller)
    assert (
        send(
            client,
            form,
            {"first_name": XSS, "last_name": XSS, "email": "x@example.test", "description": XSS},
        ).status_code
        == 200
    )
    lead = Lead.get(Lead.email == "x@example.test")
    assert lead.description == XSS  # stored as typed …
    staff = app.test_client()
    login(staff, seller.email)
    for url in ("/admin/lead/", f"/admin/lead/details/?id={lead.id}", "/admin/"):
        body = text(staff.get(url))
        assert "<script>alert" not in body and "<img src=x" not in body, url
    assert "&lt;script&gt;alert" in text(staff.get(f"/admin/lead/details/?id={lead.id}"))
    # … and the form's own error page escapes it too.
    body = text(send(client, form, {"first_name": XSS, "email": "bad"}))
    assert "<script>alert" not in body and "&lt;script&gt;" in body


# Owners and the event -----------------------------------------------------------------


def test_round_robin_takes_turns_among_active_users(client, admin):
    users = [make_user(f"Rr{i}", "normal") for i in range(3)]
    form = make_form(
        admin, users[0], assignment="round_robin", owner=None, assignees=[u.id for u in users]
    )
    owners = []
    for i in range(6):
        send(client, form, person(email=f"rr{i}@example.test"), ip=f"192.0.2.{i}")
        owners.append(Lead.get(Lead.email == f"rr{i}@example.test").owner_id)
    ids = [u.id for u in users]
    assert owners == ids + ids
    User.update(active=False).where(User.id == users[1].id).execute()
    for i in range(6, 10):
        send(client, form, person(email=f"rr{i}@example.test"), ip=f"192.0.2.{i}")
        owners.append(Lead.get(Lead.email == f"rr{i}@example.test").owner_id)
    assert set(owners[6:]) == {users[0].id, users[2].id}
    assert owners[6] != owners[7] and owners[8] != owners[9]


def test_lead_captured_is_in_the_outbox_with_its_payload(client, admin, seller):
    form = make_form(admin, seller)
    send(client, form, person())
    lead = Lead.get(Lead.email == "ada@example.test")
    captured = OutboxEvent.get(OutboxEvent.type == "lead.captured")
    assert captured.entity_kind == "lead" and captured.record_id == lead.id
    assert captured.actor_id is None
    assert captured.payload == {"form_id": form.id, "form_name": "Website contact"}
    created = OutboxEvent.get(
        (OutboxEvent.type == "lead.created") & (OutboxEvent.record_id == lead.id)
    )
    assert created.actor_id is None and created.payload == {"form_id": form.id}


def test_the_service_refuses_non_admins_and_bad_definitions(admin, seller):
    with pytest.raises(Forbidden):
        make_form(seller, seller)
    with pytest.raises(ValidationError) as exc:
        make_form(admin, seller, fields=["email", "owner"], assignment="owner")
    assert "fields" in exc.value.errors
    with pytest.raises(ValidationError) as exc:
        make_form(admin, seller, fields=["email"])
    assert "first name, last name or company" in exc.value.errors["fields"]
    with pytest.raises(ValidationError) as exc:
        make_form(admin, seller, assignment="round_robin", assignees=[])
    assert "assignees" in exc.value.errors
    custom_fields.define(admin, "lead", "vat", "VAT number", "text", required=True)
    with pytest.raises(ValidationError) as exc:
        make_form(admin, seller)
    assert "VAT number" in exc.value.errors["fields"]


# The settings page --------------------------------------------------------------------


def test_admins_manage_lead_forms_and_get_url_and_snippet(app, client, admin, seller):
    login(client, admin.email)
    token = csrf_token(client, "/admin/capture_form/new/")
    response = client.post(
        "/admin/capture_form/new/",
        data={
            "csrf_token": token,
            "name": "Newsletter",
            "fields": ["first_name", "last_name", "email"],
            "required": ["email"],
            "source": "",
            "assignment": "owner",
            "owner": str(seller.id),
            "thank_you": "Welcome aboard",
            "active": "y",
        },
    )
    assert response.status_code == 302
    form = CaptureForm.get(CaptureForm.name == "Newsletter")
    page = text(client.get(f"/admin/capture_form/edit/?id={form.id}"))
    url = f"http://127.0.0.1:5000/forms/{form.token}"
    assert url in page
    snippet = re.search(r'id="lead-form-snippet">(.*?)</textarea>', page, re.S).group(1)
    assert f'action="{url}"' in snippet.replace("&#34;", '"').replace("&quot;", '"')
    assert "homepage" in snippet and "last_name" in snippet and "phone" not in snippet
    assert url in text(client.get("/admin/capture_form/"))

    # Errors keep the input.
    bad = post(
        client,
        "/admin/capture_form/new/",
        {"name": "Broken", "fields": ["email"], "assignment": "owner", "owner": ""},
        token_from="/admin/capture_form/new/",
    )
    assert bad.status_code == 200 and 'value="Broken"' in text(bad)
    assert not CaptureForm.select().where(CaptureForm.name == "Broken").exists()

    toggle = post(client, f"/admin/capture_form/toggle/?id={form.id}", {"active": "0"})
    assert toggle.status_code == 302
    assert not CaptureForm.get_by_id(form.id).active

    other = app.test_client()
    login(other, seller.email)
    assert other.get("/admin/capture_form/").status_code == 403
    assert other.get(f"/admin/capture_form/edit/?id={form.id}").status_code == 403


def test_public_routes_are_declared_public_and_only_they_skip_csrf(app, client, admin, seller):
    rules = [r for r in app.url_map.iter_rules() if r.rule.startswith("/forms/")]
    assert rules
    for rule in rules:
        assert getattr(app.view_functions[rule.endpoint], "access_policy", None) == "public"
    form = make_form(admin, seller)
    assert send(client, form, person()).status_code == 200  # no token needed (embeds)
    # The settings pages keep CSRF: a forged post from another site changes nothing.
    login(client, admin.email)
    forged = client.post(f"/admin/capture_form/toggle/?id={form.id}", data={"active": "0"})
    assert forged.status_code == 400
    assert CaptureForm.get_by_id(form.id).active


def run_at_once(count, work):
    """Run work(i) in `count` threads started together, each on its own connection."""
    if not database.is_closed():
        database.close()
    start = threading.Barrier(count)
    results = {}

    def run(i):
        database.connect(reuse_if_open=True)
        try:
            start.wait(timeout=30)
            results[i] = work(i)
        except Exception as exc:  # reported below rather than lost in the thread
            results[i] = exc
        finally:
            database.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    database.connect(reuse_if_open=True)
    errors = [r for r in results.values() if isinstance(r, Exception)]
    assert len(results) == count and not errors, errors
    return results


def test_concurrent_submissions_take_distinct_turns_and_share_one_limit(admin):
    users = [make_user(f"Turn{i}", "normal") for i in range(3)]
    form = make_form(
        admin, users[0], assignment="round_robin", owner=None, assignees=[u.id for u in users]
    )
    run_at_once(12, lambda i: service.submit(form, person(email=f"t{i}@example.test")).id)
    owners = [lead.owner_id for lead in Lead.select().where(Lead.email.startswith("t"))]
    assert len(owners) == 12
    assert {uid: owners.count(uid) for uid in set(owners)} == {u.id: 4 for u in users}
    assert CaptureForm.get_by_id(form.id).assigned_count == 12

    allowed = run_at_once(9, lambda i: service.allow(form, "192.0.2.200"))
    assert sorted(allowed.values()).count(True) == service.RATE_LIMIT


def test_a_required_custom_field_is_required_on_the_public_form(client, admin, seller):
    custom_fields.define(admin, "lead", "vat", "VAT number", "text", required=True)
    form = make_form(
        admin, seller, fields=["last_name", "email", "custom.vat"], required=["last_name"]
    )
    assert form.required == ["last_name", "custom.vat"]
    body = text(client.get(f"/forms/{form.token}"))
    assert re.search(r'name="custom\.vat"[^>]*required', body)
    response = send(client, form, person())
    assert response.status_code == 400
    assert 'data-field="custom.vat">This field is required' in text(response)
    assert send(client, form, person(**{"custom.vat": "HU123"})).status_code == 200
    assert Lead.get(Lead.email == "ada@example.test").custom == {"vat": "HU123"}

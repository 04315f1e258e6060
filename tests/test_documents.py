"""SECURITY D21/D22: uploads live under generated keys and come back as inert
attachments; names and ids that look like paths go nowhere."""

import io
from pathlib import Path

from accord.core.models import Document
from accord.core.services import documents
from tests.web import csrf_token, login
from tests.world import build_world


def upload(client, filename, content, **fields):
    data = {"file": (io.BytesIO(content), filename), "csrf_token": csrf_token(client, "/admin/")}
    data.update(fields)
    return client.post("/admin/document/new/", data=data, content_type="multipart/form-data")


def test_upload_then_download_as_an_attachment(app, client):
    world = build_world()
    contact = world.record("contact", "N1")
    login(client, world.users["N1"].email)
    response = upload(client, "offer.pdf", b"%PDF-1.4 offer", contact=str(contact.id))
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    document = Document.get(Document.filename == "offer.pdf")
    assert document.owner_id == world.users["N1"].id
    assert document.contact_id == contact.id
    stored = documents.path_for(app.config["ACCORD_UPLOAD_DIR"], document.storage_key)
    assert stored.read_bytes() == b"%PDF-1.4 offer"
    assert "offer" not in stored.name  # a generated key, never the user's name

    response = client.get(f"/admin/document/download/?id={document.id}")
    assert response.status_code == 200
    assert response.get_data() == b"%PDF-1.4 offer"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert "offer.pdf" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"].startswith("sandbox")
    assert response.mimetype == "application/pdf"

    # The list links the file, and the contact's datasheet lists it.
    listing = client.get("/admin/document/").get_data(as_text=True)
    assert f"/admin/document/download/?id={document.id}" in listing
    sheet = client.get(f"/admin/contact/details/?id={contact.id}").get_data(as_text=True)
    assert "offer.pdf" in sheet


def test_html_and_svg_uploads_are_served_inert(app, client):
    world = build_world()
    login(client, world.users["A"].email)
    payloads = {
        "page.html": b"<html><script>alert(1)</script></html>",
        "image.svg": b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        "page.xhtml": b"<html xmlns='http://www.w3.org/1999/xhtml'><script>alert(1)</script></html>",
        "script.js": b"alert(1)",
        "polyglot.png.html": b"\x89PNG<script>alert(1)</script>",
    }
    for name, content in payloads.items():
        assert upload(client, name, content).status_code == 302, name
        document = Document.get(Document.filename == name)
        response = client.get(f"/admin/document/download/?id={document.id}")
        assert response.status_code == 200
        assert response.mimetype == "application/octet-stream", name
        assert response.headers["Content-Disposition"].startswith("attachment")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response.headers["Content-Security-Policy"]
        assert response.get_data() == content  # served byte for byte, never rendered


def test_traversal_names_are_flattened(app, client):
    world = build_world()
    login(client, world.users["A"].email)
    upload_dir = Path(app.config["ACCORD_UPLOAD_DIR"])
    for name in ("../../evil.txt", "..\\..\\evil2.txt", "/etc/passwd", "a\x00b.txt"):
        response = upload(client, name, b"x")
        assert response.status_code == 302, name
    names = {d.filename for d in Document.select()}
    assert not any("/" in n or "\\" in n or "\x00" in n or n.startswith(".") for n in names), names
    assert not (upload_dir.parent / "evil.txt").exists()
    assert not (upload_dir.parent.parent / "evil.txt").exists()
    for document in Document.select():
        path = documents.path_for(upload_dir, document.storage_key).resolve()
        assert upload_dir.resolve() in path.parents


def test_traversal_ids_and_keys_go_nowhere(app, client):
    world = build_world(upload_dir=app.config["ACCORD_UPLOAD_DIR"])
    login(client, world.users["A"].email)
    document = world.record("document", "N1")
    for bad in (
        "../",
        "..%2f..%2fetc%2fpasswd",
        "%2e%2e%2f",
        "../../etc/passwd",
        "..\\..\\x",
        "1/../2",
        f"{document.id}%00",
        f"{document.id}\x00",
        document.storage_key,
        f"../{document.storage_key}",
    ):
        response = client.get("/admin/document/download/", query_string={"id": bad})
        assert response.status_code in (400, 404), bad
        assert b"secret of" not in response.get_data()
    for path in (
        "/admin/document/download/../../etc/passwd",
        "/admin/document/download/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        f"/static/../uploads/{document.storage_key[:2]}/{document.storage_key}",
        f"/uploads/{document.storage_key[:2]}/{document.storage_key}",
    ):
        response = client.get(path)
        assert response.status_code in (400, 404), path
        assert b"secret of" not in response.get_data()


def test_restricted_user_cannot_download_another_owners_document(app, client):
    world = build_world(upload_dir=app.config["ACCORD_UPLOAD_DIR"])
    login(client, world.users["R"].email)
    theirs = world.record("document", "N1")
    response = client.get(f"/admin/document/download/?id={theirs.id}")
    assert response.status_code == 404
    assert b"secret of" not in response.get_data()
    assert theirs.filename.encode() not in response.get_data()
    mine = world.record("document", "R")
    response = client.get(f"/admin/document/download/?id={mine.id}")
    assert response.status_code == 200
    assert response.get_data() == b"secret of R"


def test_deleting_a_document_removes_its_file(app, client):
    world = build_world(upload_dir=app.config["ACCORD_UPLOAD_DIR"])
    login(client, world.users["N1"].email)
    document = world.record("document", "N1")
    stored = documents.path_for(app.config["ACCORD_UPLOAD_DIR"], document.storage_key)
    assert stored.exists()
    token = csrf_token(client, "/admin/document/")
    response = client.post("/admin/document/delete/", data={"id": document.id, "csrf_token": token})
    assert response.status_code == 302
    assert Document.get_or_none(Document.id == document.id) is None
    assert not stored.exists()


def test_upload_without_a_file_is_refused_with_a_message(app, client):
    world = build_world()
    login(client, world.users["N1"].email)
    before = Document.select().count()
    response = client.post(
        "/admin/document/new/",
        data={"csrf_token": csrf_token(client, "/admin/")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert Document.select().count() == before
    assert "This field is required" in response.get_data(as_text=True)

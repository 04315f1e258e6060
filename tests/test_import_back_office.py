"""The import pages: paste or upload, map with preview, run, progress, errors, revert."""

import io

from accord.core.models import Contact
from accord.plugins.import_csv.models import ImportJob, SavedMapping
from tests.web import csrf_token, login, post

PASTE = (
    "First name\tLast name\tE-mail\tShoe size\r\n"
    "Ann\tLee\tann@example.com\t40\r\n"
    "Bo\tEk\tnot-an-email\t41\r\n"
    "Cy\tPo\tcy@example.com\t42\r\n"
)


def _start(client, **data):
    response = post(client, "/admin/import/upload", data, token_from="/admin/import/")
    assert response.status_code == 302
    return response.headers["Location"]


def test_paste_map_preview_run_errors_and_revert(client, world):
    login(client, world.users["A"].email)
    map_url = _start(client, entity="contact", paste=PASTE)
    page = client.get(map_url).get_data(as_text=True)
    # Auto-mapped, the unknown column ignored, and the bad cell flagged in the preview.
    assert '<option value="email" selected>' in page
    assert "Enter a valid email address." in page and "import-cell-error" in page
    token = map_url.split("token=")[1].split("&")[0]
    form = {
        "token": token,
        "entity": "contact",
        "source": "pasted",
        "col0": "first_name",
        "col1": "last_name",
        "col2": "email",
        "col3": "",
        "mode": "create",
        "match_by": "email",
    }
    saved = post(
        client,
        "/admin/import/map",
        dict(form, action="save", mapping_name="Shoes"),
        token_from=map_url,
    )
    assert saved.status_code == 200 and SavedMapping.get().name == "Shoes"
    response = post(client, "/admin/import/map", dict(form, action="run"), token_from=map_url)
    assert response.status_code == 302
    job = ImportJob.get()
    assert (job.status, job.created, job.failed) == ("done", 2, 1)
    page = client.get(f"/admin/import/job/{job.id}").get_data(as_text=True)
    assert "import.js" in page and "Revert this import" in page
    status = client.get(f"/admin/import/job/{job.id}/status").get_json()
    assert status["status"] == "done" and status["rows_done"] == 3
    errors = client.get(f"/admin/import/job/{job.id}/errors.csv").get_data(as_text=True)
    assert errors.splitlines()[0] == "line,column,reason,First name,Last name,E-mail,Shoe size"
    assert errors.splitlines()[1].startswith("3,E-mail,Enter a valid email address.,Bo,Ek")
    assert client.get("/admin/import/static/import.js").status_code == 200
    post(client, f"/admin/import/job/{job.id}/revert", token_from=f"/admin/import/job/{job.id}")
    assert ImportJob.get_by_id(job.id).status == "reverted"
    assert not Contact.select().where(Contact.email == "ann@example.com").exists()


def test_dry_run_then_for_real_with_an_uploaded_file(client, world):
    login(client, world.users["M"].email)
    data = {
        "entity": "contact",
        "file": (io.BytesIO(b"Name,Email\nAnn Lee,ann@example.com\n"), "p.csv"),
    }
    token = csrf_token(client, "/admin/import/")
    response = client.post(
        "/admin/import/upload",
        data=dict(data, csrf_token=token),
        content_type="multipart/form-data",
    )
    map_url = response.headers["Location"]
    token_value = map_url.split("token=")[1].split("&")[0]
    form = {
        "token": token_value,
        "entity": "contact",
        "col0": "full_name",
        "col1": "email",
        "mode": "create",
        "match_by": "email",
        "action": "dry_run",
    }
    post(client, "/admin/import/map", form, token_from=map_url)
    dry = ImportJob.get()
    assert dry.dry_run and dry.created == 1
    assert not Contact.select().where(Contact.email == "ann@example.com").exists()
    post(client, f"/admin/import/job/{dry.id}/run", token_from=f"/admin/import/job/{dry.id}")
    assert Contact.get(Contact.email == "ann@example.com").owner_id == world.users["M"].id


def test_who_may_import(app, world):
    """DESIGN §5: restricted and normal users may not import (normal users only export):
    every import page and action answers 403 with the reason, and nothing changes."""
    client = app.test_client()
    login(client, world.users["A"].email)
    map_url = _start(client, entity="contact", paste=PASTE)
    token = map_url.split("token=")[1].split("&")[0]
    form = {"token": token, "entity": "contact", "col0": "first_name", "col1": "last_name"}
    form |= {"col2": "email", "col3": "", "mode": "create", "match_by": "email"}
    assert post(client, "/admin/import/map", dict(form, action="dry_run")).status_code == 302
    job = ImportJob.get()
    before = (job.status, Contact.select().count(), ImportJob.select().count())
    surfaces = [
        ("get", "/admin/import/", None),
        ("post", "/admin/import/upload", {"paste": PASTE}),
        ("get", map_url, None),
        ("post", "/admin/import/map", dict(form, action="run")),
        ("get", f"/admin/import/job/{job.id}", None),
        ("get", f"/admin/import/job/{job.id}/status", None),
        ("get", f"/admin/import/job/{job.id}/errors.csv", None),
        ("post", f"/admin/import/job/{job.id}/run", {}),
        ("post", f"/admin/import/job/{job.id}/revert", {}),
    ]
    for key in ("N1", "R"):
        client = app.test_client()
        login(client, world.users[key].email)
        for method, url, data in surfaces:
            if method == "get":
                response = client.get(url)
            else:
                response = post(client, url, data, token_from="/admin/")
            assert response.status_code == 403, (key, url, response.status_code)
            assert "Your role may not import records" in response.get_data(as_text=True), url
        assert (ImportJob.get_by_id(job.id).status, Contact.select().count()) == before[:2]
        assert ImportJob.select().count() == before[2]
    # The menu does not offer it either.
    assert "/admin/import/" not in client.get("/admin/").get_data(as_text=True)
    client = app.test_client()
    login(client, world.users["A"].email)
    map_url = _start(client, entity="contact", paste=PASTE)
    # Another importer cannot open someone else's upload.
    client = app.test_client()
    login(client, world.users["M"].email)
    assert client.get(map_url).status_code == 404
    # No CSRF token, no upload.
    assert client.post("/admin/import/upload", data={"paste": PASTE}).status_code == 400


def test_an_upload_may_be_bigger_than_other_requests(client, world):
    from accord.admin.app import MAX_CONTENT_LENGTH

    login(client, world.users["A"].email)
    row = b"Ann,Lee,ann@example.com," + b"x" * 1000 + b"\n"
    body = b"First,Last,Email,Notes\n" + row * (MAX_CONTENT_LENGTH // len(row) + 10)
    token = csrf_token(client, "/admin/import/")
    response = client.post(
        "/admin/import/upload",
        data={"entity": "contact", "csrf_token": token, "file": (io.BytesIO(body), "big.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302 and "/admin/import/map" in response.headers["Location"]
    # Everywhere else the limit holds.
    response = client.post("/admin/contact/new/", data={"x": "y" * (MAX_CONTENT_LENGTH + 10)})
    assert response.status_code == 413

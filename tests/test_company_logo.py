"""Settings › Company logo: admins only, PNG/JPEG by content, size-limited, stored under
a generated name, served with nosniff and a sandboxing CSP."""

import io

from accord.core.models.calendar import CompanyLogo
from accord.core.services import branding
from tests.web import csrf_token, login

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 100


def upload(client, data, filename="logo.png"):
    token = csrf_token(client, "/admin/company_logo/")
    return client.post(
        "/admin/company_logo/",
        data={"csrf_token": token, "logo": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def test_admin_uploads_png_then_jpeg(rt, client, world):
    login(client, world.A.email)
    assert "The logo was saved." in upload(client, PNG).get_data(as_text=True)
    row = CompanyLogo.get()
    assert row.storage_key.startswith("logo-") and row.storage_key.endswith(".png")
    image = client.get("/admin/company_logo/image")
    assert image.status_code == 200 and image.data == PNG
    assert image.mimetype == "image/png"
    assert image.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in image.headers["Content-Security-Policy"]
    upload(client, JPEG, "../../evil.jpg")
    assert CompanyLogo.select().count() == 1
    row = CompanyLogo.get()
    assert row.content_type == "image/jpeg" and ".." not in row.storage_key
    files = list((rt.config.home / "branding").iterdir())
    assert [f.name for f in files] == [row.storage_key]  # the old file went
    branding.remove_logo(world.A, rt.config)


def test_other_types_and_big_files_are_refused(rt, client, world):
    login(client, world.A.email)
    for data, name in (
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "logo.png"),
        (b"<html><script>x</script></html>", "logo.jpg"),
        (b"GIF89a" + b"\x00" * 10, "logo.gif"),
        (PNG + b"\x00" * branding.MAX_LOGO_BYTES, "big.png"),
    ):
        html = upload(client, data, name).get_data(as_text=True)
        big = len(data) > branding.MAX_LOGO_BYTES
        assert ("at most 512 KB" if big else "Only PNG and JPEG images are accepted.") in html
    assert CompanyLogo.select().count() == 0
    assert client.get("/admin/company_logo/image").status_code == 404


def test_only_admins(rt, app, world):
    for key in ("M", "N1", "R"):
        client = app.test_client()
        login(client, world.users[key].email)
        assert client.get("/admin/company_logo/").status_code == 403
        token = csrf_token(client, "/admin/")
        response = client.post(
            "/admin/company_logo/",
            data={"csrf_token": token, "logo": (io.BytesIO(PNG), "logo.png")},
            content_type="multipart/form-data",
        )
        assert response.status_code == 403
    assert CompanyLogo.select().count() == 0

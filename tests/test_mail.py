"""core/mail.py against a real SMTP server (aiosmtpd)."""

import pytest

from accord.core import mail
from accord.core.config import Config
from tests.mailbox import start_mailbox


@pytest.fixture
def box():
    mailbox, controller = start_mailbox()
    yield mailbox
    controller.stop()


def config(tmp_path, url):
    return Config.from_env({"ACCORD_HOME": str(tmp_path)}, smtp_url=url)


def test_send_delivers_text_html_and_attachment(box, tmp_path):
    cfg = config(tmp_path, box.url)
    msg = mail.build_message(
        sender=mail.sender_for(cfg, "Ann Owner"),
        to=[("bob@example.test", "Bob Buyer")],
        subject="Meeting",
        text="plain body",
        html="<p>html body</p>",
        attachments=[
            ("invite.ics", "text", "calendar", b"BEGIN:VCALENDAR\r\n", {"method": "REQUEST"})
        ],
    )
    mail.send(cfg, msg)
    ((rcpts, got),) = box.messages
    assert rcpts == ["bob@example.test"]
    assert got["Subject"] == "Meeting"
    assert "Ann Owner via Accord" in got["From"]
    parts = {p.get_content_type(): p for p in got.walk()}
    assert parts["text/plain"].get_content().strip() == "plain body"
    assert parts["text/calendar"].get_param("method") == "REQUEST"


def test_crlf_in_names_and_subject_yields_one_recipient(box, tmp_path):
    cfg = config(tmp_path, box.url)
    evil = "Eve\r\nBcc: thief@evil.test"
    msg = mail.build_message(
        sender=mail.sender_for(cfg, evil),
        to=[("bob@example.test", evil)],
        subject=f"Hi {evil}",
        text="x",
    )
    mail.send(cfg, msg)
    ((rcpts, got),) = box.messages
    assert rcpts == ["bob@example.test"]
    assert got["Bcc"] is None
    assert "\n" not in got["Subject"] and "thief@evil.test" in got["Subject"]


@pytest.mark.parametrize(
    "bad", ["bob@example.test\r\nBcc: x@evil.test", "not-an-address", "a@b.test, c@d.test"]
)
def test_bad_addresses_are_refused(bad):
    with pytest.raises(mail.MailError):
        mail.address(bad)


def test_unconfigured_and_unreachable_smtp_raise_mail_error(tmp_path):
    msg = mail.build_message(sender="a@b.test", to=["b@c.test"], subject="s", text="t")
    with pytest.raises(mail.MailError, match="not configured"):
        mail.send(config(tmp_path, None), msg)
    with pytest.raises(mail.MailError, match="failed"):
        mail.send(config(tmp_path, "smtp://127.0.0.1:9"), msg)
    with pytest.raises(mail.MailError):
        mail.parse_smtp_url("http://example.test")


def test_smtp_url_forms():
    s = mail.parse_smtp_url("smtps://u%40x:p%3Aw@mail.example.test?starttls=0")
    assert (s.host, s.port, s.username, s.password, s.implicit_tls) == (
        "mail.example.test",
        465,
        "u@x",
        "p:w",
        True,
    )
    assert mail.parse_smtp_url("smtp://h:2525?starttls=1").starttls

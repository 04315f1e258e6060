"""Outgoing email over SMTP (`ACCORD_SMTP_URL`).

URL forms: ``smtp://[user:password@]host[:port]`` (plain, or STARTTLS with ``?starttls=1``)
and ``smtps://...`` (implicit TLS). Names and subjects come from users and records, so
every header value is cleaned of line breaks before it reaches the message (C19).
"""

import smtplib
import ssl
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formataddr, make_msgid, parseaddr
from urllib.parse import parse_qs, unquote, urlsplit

TIMEOUT_SECONDS = 20


class MailError(RuntimeError):
    """Email could not be built or sent (not configured, refused, bad address)."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    implicit_tls: bool = False
    starttls: bool = False


def parse_smtp_url(url):
    parts = urlsplit(url or "")
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise MailError(f"ACCORD_SMTP_URL must look like smtp://host:port, got {url!r}")
    query = parse_qs(parts.query)
    implicit = parts.scheme == "smtps"
    return SmtpSettings(
        host=parts.hostname,
        port=parts.port or (465 if implicit else 25),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        implicit_tls=implicit,
        starttls=query.get("starttls", ["0"])[0] in ("1", "true", "yes"),
    )


def one_line(value):
    """A header-safe version of a user-given text: no CR, LF or other control characters."""
    text = "".join(ch if ch.isprintable() else " " for ch in str(value or ""))
    return " ".join(text.split())


def address(email, name=""):
    """A single, well-formed recipient; a name like 'x\\r\\nBcc: y' stays part of the name."""
    email = one_line(email)
    _, addr_spec = parseaddr(email)
    if not addr_spec or "@" not in addr_spec or addr_spec != email:
        raise MailError(f"not an email address: {email!r}")
    local, _, domain = addr_spec.rpartition("@")
    try:
        return str(Address(display_name=one_line(name), username=local, domain=domain))
    except (ValueError, IndexError) as exc:
        raise MailError(f"not an email address: {email!r}") from exc


def build_message(
    *,
    sender,
    to,
    subject,
    text,
    html=None,
    attachments=(),
    reply_to=None,
    headers=None,
    message_id_domain=None,
):
    """An EmailMessage. `to` is a list of (email, name) pairs or addresses made by `address`.

    `attachments`: (filename, maintype, subtype, bytes, params) tuples; params is a dict of
    extra Content-Type parameters (e.g. {"method": "REQUEST"} for iCalendar).
    """
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = ", ".join(r if isinstance(r, str) else address(*r) for r in to)
    msg["Subject"] = one_line(subject)
    msg["Message-ID"] = make_msgid(domain=message_id_domain)
    if reply_to:
        msg["Reply-To"] = reply_to
    for name, value in (headers or {}).items():
        msg[one_line(name)] = one_line(value)
    msg.set_content(text)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    for filename, maintype, subtype, data, params in attachments:
        msg.add_attachment(
            data, maintype=maintype, subtype=subtype, filename=one_line(filename), params=params
        )
    return msg


def sender_for(config, display_name=None):
    """The configured From address, optionally shown as "<display_name> via Accord"."""
    name, addr = parseaddr(config.mail_from)
    if display_name:
        name = f"{one_line(display_name)} via {name or 'Accord'}"
    return formataddr((one_line(name), addr)) if name else addr


def send(config, msg):
    """Send one message through ACCORD_SMTP_URL; raises MailError on any failure."""
    if not config.smtp_url:
        raise MailError("email is not configured: set ACCORD_SMTP_URL")
    s = parse_smtp_url(config.smtp_url)
    try:
        if s.implicit_tls:
            client = smtplib.SMTP_SSL(
                s.host, s.port, timeout=TIMEOUT_SECONDS, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(s.host, s.port, timeout=TIMEOUT_SECONDS)
        with client:
            if s.starttls:
                client.starttls(context=ssl.create_default_context())
            if s.username:
                client.login(s.username, s.password or "")
            client.send_message(msg)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"sending email failed: {exc}") from exc

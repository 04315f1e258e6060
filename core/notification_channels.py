"""The built-in notification channels: web (the bell) and email (ACCORD_SMTP_URL).

A channel has a unique `name`, a `label`, and `send(user, message, runtime)`, called by
`accord.core.notifications.notify()` inside a write transaction that also records the
message's idempotency key: raise to roll both back (the event is retried later).
"""

import hashlib
import logging

from accord.core import mail
from accord.core.i18n import lazy_gettext as _
from accord.core.models.notifications import Notification

log = logging.getLogger(__name__)


class WebChannel:
    """A row in the user's notification list; the navbar bell counts the unread ones."""

    name = "web"
    label = _("In Accord (the bell)")

    def send(self, user, message, runtime):
        Notification.create(
            user=user.id,
            kind=message.kind,
            title=mail.one_line(message.title)[:255],
            body=message.body,
            url=message.url[:500],
            record_kind=message.record_kind,
            record_id=message.record_id,
        )


def absolute(runtime, url):
    if url.startswith("/"):
        return runtime.config.base_url + url
    return url


class EmailChannel:
    """An email to the user through ACCORD_SMTP_URL; it ends with the sender's signature."""

    name = "email"
    label = _("Email")

    def build(self, user, message, runtime):
        # The person the mail is from: whoever caused it, else the user themself (their
        # own reminders), each signed with that person's profile signature.
        sender_user = message.actor or user
        lines = [message.title, ""]
        if message.body:
            lines += [message.body, ""]
        if message.url:
            lines += [absolute(runtime, message.url), ""]
        signature = (getattr(sender_user, "signature", "") or "").strip()
        if signature:
            lines += ["-- ", signature]
        msg = mail.build_message(
            sender=mail.sender_for(runtime.config, getattr(message.actor, "name", None)),
            to=[(user.email, user.name)],
            subject=message.title,
            text="\n".join(lines).rstrip() + "\n",
            headers={"X-Accord-Kind": message.kind},
        )
        # The key travels as the Message-ID: a receiver can drop a repeat.
        digest = hashlib.sha256(message.key.encode()).hexdigest()[:40]
        del msg["Message-ID"]
        msg["Message-ID"] = f"<{digest}.{user.id}@accord.notification>"
        return msg

    def send(self, user, message, runtime):
        if not runtime.config.smtp_url:
            log.info("email notification to %s skipped: ACCORD_SMTP_URL is not set", user.id)
            return
        try:
            msg = self.build(user, message, runtime)
        except mail.MailError as exc:
            # A bad address will not get better with retries: skip it, keep the rest.
            log.warning("email notification to user %s not sent: %s", user.id, exc)
            return
        mail.send(runtime.config, msg)  # a failed send raises: the event is retried


BUILT_IN = [WebChannel, EmailChannel]

"""A real SMTP server for tests: aiosmtpd on a free loopback port, keeping what it receives."""

import email
import email.policy
import socket
import time

from aiosmtpd.controller import Controller


class Mailbox:
    """Messages received, as (envelope recipients, parsed EmailMessage) pairs."""

    def __init__(self):
        self.messages = []
        self.url = None

    async def handle_DATA(self, server, session, envelope):
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 OK"

    def to(self, address):
        return [m for rcpts, m in self.messages if address in rcpts]

    def wait_for(self, count, timeout=10.0):
        """Block until `count` messages arrived (for mail sent by another process)."""
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.messages


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_mailbox():
    """(mailbox, controller); call controller.stop() when done."""
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    box.url = f"smtp://127.0.0.1:{port}"
    return box, controller

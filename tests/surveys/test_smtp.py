"""Handing serialized messages to a real SMTP server, with and without PIPELINING."""

import functools
import smtplib
from email import message_from_bytes

import pytest

from surveys.delivery import smtp
from tests.surveys.delivery_support import Sink

SENDER = "surveys@ecoute.example.com"
MESSAGE = (
    b"From: surveys@ecoute.example.com\r\n"
    b"To: ana@example.com\r\n"
    b"Subject: One question\r\n"
    b"X-Ecoute-Invitation: 7 invitation\r\n"
    b"\r\n"
    b"How likely are you to recommend us?\r\n"
    b".a line that starts with a dot\r\n"
    b".\r\n"
    b"the end"
)


class Refusing:
    """Wraps the sink's handler to refuse one recipient or one sender."""

    def __init__(self, handler, *, recipient: str = "", sender: str = "") -> None:
        self.handler = handler
        self.recipient = recipient
        self.sender = sender

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        return await self.handler.handle_EHLO(server, session, envelope, hostname, responses)

    async def handle_MAIL(self, server, session, envelope, address, options):
        if address == self.sender:
            return "553 sender not allowed"
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, options):
        if address == self.recipient:
            return "550 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        return await self.handler.handle_DATA(server, session, envelope)


def connect(sink: Sink) -> smtplib.SMTP:
    return smtplib.SMTP("127.0.0.1", sink.port, timeout=10)


@pytest.mark.parametrize("pipelining", [True, False])
def test_a_message_arrives_whole_with_or_without_pipelining(pipelining):
    with Sink(pipelining=pipelining) as sink:
        client = connect(sink)
        smtp.send_raw(client, SENDER, ["ana@example.com"], MESSAGE)
        smtp.send_raw(client, SENDER, ["bea@example.com"], MESSAGE)
        client.quit()
    assert sink.handler.total == 2
    received = message_from_bytes(sink.handler.messages[0])
    # Dot-stuffing undone by the server: lines starting with a dot arrive as written.
    assert received.get_payload().splitlines()[1:3] == [".a line that starts with a dot", "."]
    assert received["X-Ecoute-Invitation"] == "7 invitation"


def test_the_envelope_goes_in_one_write_when_the_server_offers_pipelining():
    with Sink(pipelining=True) as sink:
        client = connect(sink)
        writes = []
        send = client.send
        client.send = lambda data: (writes.append(data), send(data))[1]
        smtp.send_raw(client, SENDER, ["ana@example.com"], MESSAGE)
        client.quit()
    [envelope] = [data for data in writes if isinstance(data, bytes) and data[:4] == b"MAIL"]
    assert envelope == (
        b"MAIL FROM:<surveys@ecoute.example.com>\r\nRCPT TO:<ana@example.com>\r\nDATA\r\n"
    )
    assert sink.handler.total == 1


@pytest.mark.parametrize("pipelining", [True, False])
def test_a_refused_recipient_raises_as_sendmail_does_and_the_connection_goes_on(pipelining):
    refusing = functools.partial(Refusing, recipient="gone@example.com")
    with Sink(pipelining=pipelining, wrap=refusing) as sink:
        client = connect(sink)
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            smtp.send_raw(client, SENDER, ["gone@example.com"], MESSAGE)
        smtp.send_raw(client, SENDER, ["ana@example.com"], MESSAGE)
        client.quit()
    assert refused.value.recipients == {"gone@example.com": (550, b"no such user")}
    assert sink.handler.total == 1


def test_a_refused_sender_raises_as_sendmail_does():
    with Sink(wrap=functools.partial(Refusing, sender=SENDER)) as sink:
        client = connect(sink)
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            smtp.send_raw(client, SENDER, ["ana@example.com"], MESSAGE)
        client.quit()
    assert refused.value.smtp_code == 553
    assert sink.handler.total == 0


def test_display_names_and_bare_addresses_make_the_same_envelope():
    assert smtp.envelope_address("ana@example.com", "utf-8") == "ana@example.com"
    assert smtp.envelope_address("Écoute <surveys@example.com>", "utf-8") == (
        "=?utf-8?q?=C3=89coute?= <surveys@example.com>"
    )

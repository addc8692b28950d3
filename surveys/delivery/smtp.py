"""Handing one serialized message to an open SMTP connection, pipelined when the server allows.

smtplib waits for the reply to MAIL, then to RCPT, then to DATA before it sends the message:
four round trips per email. Servers that advertise PIPELINING (RFC 2920; Postfix, Exim and the
big providers do) take the three envelope commands in one write, which halves the round trips
and the CPU a batch spends per message. Errors are those smtplib.SMTP.sendmail raises, so the
caller treats both paths alike.
"""

import contextlib
import re
import smtplib
from functools import lru_cache

from django.core.mail.message import sanitize_address

# The envelope of one message, in one write; DATA must be the last command of a group.
_ENVELOPE = "MAIL FROM:{sender}\r\nRCPT TO:{recipient}\r\nDATA\r\n"
_LEADING_DOT = re.compile(rb"(?m)^\.")
# A bare ASCII addr-spec, which sanitize_address and quoteaddr would parse to no change.
_BARE_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+")


def send_raw(smtp: smtplib.SMTP, sender: str, recipients: list[str], raw: bytes) -> None:
    """Send `raw` (CRLF line ends) from `sender` to `recipients`, as sendmail would."""
    addresses = [sender, *recipients]
    if len(recipients) != 1 or not all(address.isascii() for address in addresses):
        smtp.sendmail(sender, recipients, raw)
        return
    smtp.ehlo_or_helo_if_needed()
    if not smtp.has_extn("pipelining"):
        smtp.sendmail(sender, recipients, raw)
        return
    [recipient] = recipients
    envelope = _ENVELOPE.format(sender=_quoted(sender), recipient=_quoted(recipient))
    smtp.send(envelope.encode("ascii"))
    (mail, mail_reply), (rcpt, rcpt_reply), (data, data_reply) = (
        smtp.getreply(),
        smtp.getreply(),
        smtp.getreply(),
    )
    accepted = mail == 250 and rcpt in (250, 251)
    if data == 354 and not accepted:
        # The server opened a message for a refused envelope: end it empty before resetting.
        smtp.send(b".\r\n")
        smtp.getreply()
    if mail != 250:
        _abort(smtp, mail, smtplib.SMTPSenderRefused(mail, mail_reply, sender))
    if rcpt not in (250, 251):
        _abort(smtp, rcpt, smtplib.SMTPRecipientsRefused({recipient: (rcpt, rcpt_reply)}))
    if data != 354:
        _abort(smtp, data, smtplib.SMTPDataError(data, data_reply))
    body = _LEADING_DOT.sub(b"..", raw) if raw.startswith(b".") or b"\n." in raw else raw
    if not body.endswith(b"\r\n"):
        body += b"\r\n"
    smtp.send(body + b".\r\n")
    code, reply = smtp.getreply()
    if code != 250:
        _abort(smtp, code, smtplib.SMTPDataError(code, reply))


def envelope_address(address: str, encoding: str) -> str:
    """sanitize_address, skipping its header parser (a third of a send) for a bare address."""
    if _BARE_ADDRESS.fullmatch(address):
        return address
    return _sanitized(address, encoding)


@lru_cache(maxsize=64)
def _sanitized(address: str, encoding: str) -> str:
    # Cached for the sender, the same on every message.
    return sanitize_address(address, encoding)


def _quoted(address: str) -> str:
    # quoteaddr parses the address with the email package: skipped for a bare addr-spec.
    return f"<{address}>" if _BARE_ADDRESS.fullmatch(address) else _quoteaddr(address)


@lru_cache(maxsize=64)
def _quoteaddr(address: str) -> str:
    # Cached for the sender, the same on every message.
    return smtplib.quoteaddr(address)


def _abort(smtp: smtplib.SMTP, code: int, error: smtplib.SMTPException):
    # As sendmail: 421 means the server is closing the connection; otherwise reset and go on.
    if code == 421:
        smtp.close()
    else:
        # A reset that fails must not hide the refusal, which is what the caller acts on.
        with contextlib.suppress(smtplib.SMTPServerDisconnected):
            smtp.rset()
    raise error

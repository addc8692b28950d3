"""The demo's mailbox: the emails Django's file backend wrote, read back for a page.

`make demo` sends its surveys and alerts with django.core.mail.backends.filebased, which
appends each message to a file of EMAIL_FILE_PATH, separated by a line of dashes. This reads
them, newest first, with the survey links they carry made relative to the site, so that a click
opens the survey on whatever address the demo is served at. Only with DEBUG and that backend.
"""

import re
from dataclasses import dataclass, field
from email import message_from_string, policy
from email.message import EmailMessage
from pathlib import Path

from django.conf import settings

FILE_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
SEPARATOR = "\n" + "-" * 79 + "\n"
LIMIT = 200
_LINK = re.compile(r"https?://[^\s\"'<>]+")


@dataclass
class Mail:
    to: str
    subject: str
    date: str
    text: str
    survey_url: str = ""
    other_links: list[str] = field(default_factory=list)


def mailbox_enabled() -> bool:
    return bool(settings.DEBUG) and settings.EMAIL_BACKEND == FILE_BACKEND


def mailbox_read(limit: int = LIMIT) -> list[Mail]:
    folder = Path(settings.EMAIL_FILE_PATH)
    if not folder.is_dir():
        return []
    files = sorted(folder.glob("*.log"), key=lambda path: path.stat().st_mtime, reverse=True)
    mails: list[Mail] = []
    for path in files:
        chunks = path.read_text(encoding="utf-8", errors="replace").split(SEPARATOR)
        for chunk in reversed(chunks):
            if chunk.strip():
                mails.append(_mail(chunk.strip("\n")))
            if len(mails) >= limit:
                return mails
    return mails


def _mail(raw: str) -> Mail:
    message = message_from_string(raw, policy=policy.default)
    text = _text(message)
    links = [_local(url) for url in _LINK.findall(text)]
    survey = [url for url in links if url.startswith("/s/") and "/unsubscribe/" not in url]
    return Mail(
        to=str(message.get("To", "")),
        subject=str(message.get("Subject", "")),
        date=str(message.get("Date", "")),
        text=text,
        # The plain answer link (the scale's links carry a score).
        survey_url=next((url for url in survey if "?" not in url), survey[0] if survey else ""),
        other_links=[url for url in links if not url.startswith("/s/")],
    )


def _text(message) -> str:
    if isinstance(message, EmailMessage):
        part = message.get_body(preferencelist=("plain",))
        if part is not None:
            return str(part.get_content())
    return str(message.get_payload())


def _local(url: str) -> str:
    site = settings.SITE_URL
    return url[len(site) :] if site and url.startswith(site) else url

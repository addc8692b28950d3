"""The messages customers receive: one function per kind, each in the invitation's language.

Emails are three templates each in templates/emails/ (`<kind>-subject.txt`, `<kind>-body.txt`,
`<kind>-body.html`). The scale is in the message itself: every score is a link to the survey
page with that score selected, where one tap on "send" records it (a GET never records an
answer: mail scanners open every link).
"""

from dataclasses import dataclass
from email.utils import formatdate, make_msgid
from functools import lru_cache

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.utils import DNS_NAME
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from surveys.models import SCALES, Invitation, QuestionKind
from tickets.labels import reason_label

from .chat import ChatMessage
from .sms import SmsMessage

# Words at the two ends of each scale, so that no score is explained by colour alone.
SCALE_ENDS = {
    QuestionKind.NPS: (gettext_lazy("Not at all likely"), gettext_lazy("Extremely likely")),
    QuestionKind.CSAT: (gettext_lazy("Very dissatisfied"), gettext_lazy("Very satisfied")),
    QuestionKind.CES: (gettext_lazy("Very difficult"), gettext_lazy("Very easy")),
}
# Marks the message for our SMTP tests and for support: "<invitation id> <kind>".
INVITATION_HEADER = "X-Ecoute-Invitation"
# Stand-ins for the tokens in a rendered message (URL-safe, so escaping leaves them alone).
_ANSWER_SLOT = "ANSWERxTOKENxSLOTx7f3c"
_UNSUBSCRIBE_SLOT = "UNSUBSCRIBExTOKENxSLOTx7f3c"
_TO_SLOT = "recipientxslotx7f3c@example.invalid"
_ID_SLOT = "INVITATIONxIDxSLOTx7f3c"
_MESSAGE_ID_SLOT = "<MESSAGExIDxSLOTx7f3c>"
_DATE_SLOT = "DATExSLOTx7f3c"


@dataclass(frozen=True)
class Links:
    """Raw tokens for one message; each sending gets new ones."""

    answer_token: str
    unsubscribe_token: str

    @property
    def answer_url(self) -> str:
        return f"{settings.SITE_URL}/s/{self.answer_token}/"

    @property
    def unsubscribe_url(self) -> str:
        return f"{settings.SITE_URL}/s/{self.unsubscribe_token}/unsubscribe/"

    def score_url(self, score: int) -> str:
        return f"{self.answer_url}?score={score}"


def message_language(invitation: Invitation) -> str:
    languages = {code for code, _name in settings.LANGUAGES}
    return invitation.language if invitation.language in languages else settings.LANGUAGE_CODE


def invitation_email(invitation: Invitation, links: Links) -> EmailMultiAlternatives:
    return _email("invitation", invitation, links)


def reminder_email(invitation: Invitation, links: Links) -> EmailMultiAlternatives:
    return _email("reminder", invitation, links)


def invitation_sms(invitation: Invitation, links: Links) -> SmsMessage:
    with translation.override(message_language(invitation)):
        body = _("%(question)s Answer in one tap: %(url)s") % {
            "question": _question(invitation),
            "url": links.answer_url,
        }
    return SmsMessage(invitation.customer.phone, body, reference=f"invitation-{invitation.pk}")


def reminder_sms(invitation: Invitation, links: Links) -> SmsMessage:
    with translation.override(message_language(invitation)):
        body = _("Reminder: %(question)s Answer in one tap: %(url)s") % {
            "question": _question(invitation),
            "url": links.answer_url,
        }
    return SmsMessage(invitation.customer.phone, body, reference=f"reminder-{invitation.pk}")


def invitation_chat(invitation: Invitation, links: Links) -> ChatMessage:
    """The message a chat backend posts in the conversation of the invitation's ticket."""
    with translation.override(message_language(invitation)):
        body = _("%(question)s Answer in one tap: %(url)s") % {
            "question": _question(invitation),
            "url": links.answer_url,
        }
    ticket = invitation.ticket.external_id if invitation.ticket_id else ""
    return ChatMessage(ticket, body, links.answer_url, reference=f"invitation-{invitation.pk}")


def _question(invitation: Invitation) -> str:
    language = translation.get_language() or settings.LANGUAGE_CODE
    text = invitation.questionnaire.question(language)
    if invitation.questionnaire.kind == QuestionKind.REPEAT:
        reason = reason_label(invitation.contact.reason) if invitation.contact_id else ""
        text = text.replace("{reason}", reason)
    return text


def _scale(kind: str, links: Links) -> dict | None:
    scale = SCALES.get(kind)
    if scale is None:
        return None
    low, high = scale
    low_label, high_label = SCALE_ENDS[kind]
    return {
        "scores": [{"value": n, "url": links.score_url(n)} for n in range(low, high + 1)],
        "low": low,
        "high": high,
        "low_label": str(low_label),
        "high_label": str(high_label),
    }


def _owner() -> tuple[str, str]:
    """Whose surveys these are (company name, privacy notice URL): every message says so."""
    return settings.SURVEY_COMPANY_NAME, settings.SURVEY_PRIVACY_URL


@lru_cache(maxsize=512)
def _rendered(
    kind: str,
    language: str,
    question_kind: str,
    question: str,
    site_url: str,
    owner: tuple[str, str] = ("", ""),
):
    """Subject, text and HTML with placeholder tokens: rendered once, then filled per message.

    Nothing in a message depends on the customer but its two tokens, and rendering three
    templates costs more than everything else a worker does for one email. The key holds all
    the rest, so an edited question is a new key; templates change only with a deploy.
    """
    links = Links(_ANSWER_SLOT, _UNSUBSCRIBE_SLOT)
    with translation.override(language):
        context = {
            "language": language,
            "question": question,
            "scale": _scale(question_kind, links),
            "answer_url": links.answer_url,
            "unsubscribe_url": links.unsubscribe_url,
            "company": owner[0],
            "privacy_url": owner[1],
        }
        subject = render_to_string(f"emails/{kind}-subject.txt", context)
        text = render_to_string(f"emails/{kind}-body.txt", context)
        html = render_to_string(f"emails/{kind}-body.html", context)
    return " ".join(subject.split()), text, html


def invitation_preview(language: str, question_kind: str, question: str) -> tuple[str, str]:
    """The invitation's subject and HTML for a question, with links that lead nowhere (the
    admin's preview)."""
    subject, _text, html = _rendered(
        "invitation", language, question_kind, question, settings.SITE_URL, _owner()
    )
    return subject, _fill(html, Links("preview", "preview"))


def _fill(template: str, links: Links) -> str:
    return template.replace(_ANSWER_SLOT, links.answer_token).replace(
        _UNSUBSCRIBE_SLOT, links.unsubscribe_token
    )


def _build(kind, language, question_kind, question, to, links, reference) -> EmailMultiAlternatives:
    subject, text, html = _rendered(
        kind, language, question_kind, question, settings.SITE_URL, _owner()
    )
    message = EmailMultiAlternatives(
        subject=subject,
        body=_fill(text, links),
        to=[to],
        headers={
            "List-Unsubscribe": f"<{links.unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
            "Content-Language": language,
            INVITATION_HEADER: f"{reference} {kind}",
        },
    )
    message.attach_alternative(_fill(html, links), "text/html")
    return message


def _email(kind: str, invitation: Invitation, links: Links) -> EmailMultiAlternatives:
    language = message_language(invitation)
    with translation.override(language):
        question = _question(invitation)
    key = (kind, language, invitation.questionnaire.kind, question)
    message = _build(*key, invitation.customer.email, links, invitation.pk)
    # What email_bytes() needs to produce the same message without building it again.
    message.ecoute_slots = (key, links, invitation.pk)
    return message


@lru_cache(maxsize=512)
def _serialized(key: tuple, site_url: str, from_email: str, owner: tuple[str, str]) -> bytes:
    """The whole message as bytes with slots for what differs per customer."""
    links = Links(_ANSWER_SLOT, _UNSUBSCRIBE_SLOT)
    message = _build(*key, _TO_SLOT, links, _ID_SLOT).message()
    message.replace_header("Message-ID", _MESSAGE_ID_SLOT)
    message.replace_header("Date", _DATE_SLOT)
    return message.as_bytes(linesep="\r\n")


def email_bytes(message: EmailMultiAlternatives) -> bytes | None:
    """The SMTP bytes of a message made by this module, from a serialized template.

    Serializing a MIME message costs more than half of what a worker spends per email; every
    message of a batch has the same parts but for the address, tokens, id and date, which
    are ASCII and never wrapped or encoded, so they are written into slots. None when the
    message is not ours or has a non-ASCII address (then the backend serializes it).
    """
    slots = getattr(message, "ecoute_slots", None)
    to = message.to[0] if len(message.to) == 1 else ""
    if slots is None or not to.isascii() or "\n" in to or "\r" in to:
        return None
    key, links, reference = slots
    raw = _serialized(key, settings.SITE_URL, message.from_email, _owner())
    for slot, value in (
        (_TO_SLOT, to),
        (_ANSWER_SLOT, links.answer_token),
        (_UNSUBSCRIBE_SLOT, links.unsubscribe_token),
        (_ID_SLOT, str(reference)),
        (_MESSAGE_ID_SLOT, make_msgid(domain=DNS_NAME)),
        (_DATE_SLOT, formatdate(localtime=settings.EMAIL_USE_LOCALTIME)),
    ):
        raw = raw.replace(slot.encode(), value.encode())
    return raw

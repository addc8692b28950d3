"""The messages customers receive: one function per kind, each in the invitation's language.

Emails are three templates each in templates/emails/ (`<kind>-subject.txt`, `<kind>-body.txt`,
`<kind>-body.html`). The scale is in the message itself: every score is a link to the survey
page with that score selected, where one tap on "send" records it (a GET never records an
answer: mail scanners open every link).
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from surveys.models import Invitation, QuestionKind

from .sms import SmsMessage

# Words at the two ends of each scale, so that no score is explained by colour alone.
SCALE_ENDS = {
    QuestionKind.NPS: (gettext_lazy("Not at all likely"), gettext_lazy("Extremely likely")),
    QuestionKind.CSAT: (gettext_lazy("Very dissatisfied"), gettext_lazy("Very satisfied")),
    QuestionKind.CES: (gettext_lazy("Very difficult"), gettext_lazy("Very easy")),
}
# Marks the message for our SMTP tests and for support: "<invitation id> <kind>".
INVITATION_HEADER = "X-Ecoute-Invitation"


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


def _question(invitation: Invitation) -> str:
    language = translation.get_language() or settings.LANGUAGE_CODE
    text = invitation.questionnaire.question(language)
    if invitation.questionnaire.kind == QuestionKind.REPEAT:
        reason = invitation.contact.reason if invitation.contact_id else ""
        text = text.replace("{reason}", reason)
    return text


def _scale(invitation: Invitation, links: Links) -> dict | None:
    questionnaire = invitation.questionnaire
    if questionnaire.scale is None:
        return None
    low, high = questionnaire.scale
    low_label, high_label = SCALE_ENDS[questionnaire.kind]
    return {
        "scores": [{"value": n, "url": links.score_url(n)} for n in range(low, high + 1)],
        "low": low,
        "high": high,
        "low_label": str(low_label),
        "high_label": str(high_label),
    }


def _email(kind: str, invitation: Invitation, links: Links) -> EmailMultiAlternatives:
    language = message_language(invitation)
    with translation.override(language):
        context = {
            "invitation": invitation,
            "language": language,
            "question": _question(invitation),
            "scale": _scale(invitation, links),
            "answer_url": links.answer_url,
            "unsubscribe_url": links.unsubscribe_url,
        }
        subject = render_to_string(f"emails/{kind}-subject.txt", context)
        text = render_to_string(f"emails/{kind}-body.txt", context)
        html = render_to_string(f"emails/{kind}-body.html", context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),
        body=text,
        to=[invitation.customer.email],
        headers={
            "List-Unsubscribe": f"<{links.unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
            "Content-Language": language,
            INVITATION_HEADER: f"{invitation.pk} {kind}",
        },
    )
    message.attach_alternative(html, "text/html")
    return message

"""What a customer would receive and see, drawn from a questionnaire before anyone is asked:
the email (subject, HTML) and the survey page, in each language. Nothing is written."""

from django.template.loader import render_to_string
from django.utils import translation

from .delivery.messages import invitation_preview
from .models import Invitation, QuestionKind, Questionnaire, RepeatCauseCode
from .views.public import _scale

SAMPLE_REASON = {"fr": "ma facture", "en": "my invoice"}


def question_text(questionnaire: Questionnaire, language: str) -> str:
    return questionnaire.question(language).replace("{reason}", SAMPLE_REASON[language])


def email_preview(questionnaire: Questionnaire, language: str) -> tuple[str, str]:
    """The invitation email's subject and HTML, with links that go nowhere."""
    return invitation_preview(language, questionnaire.kind, question_text(questionnaire, language))


def page_preview(questionnaire: Questionnaire, language: str) -> str:
    """The survey page as the customer sees it first (the language links are left out)."""
    with translation.override(language):
        context = {
            "question": question_text(questionnaire, language),
            "lang": language,
            "languages": [],
            "preview": True,
        }
        if questionnaire.kind == QuestionKind.REPEAT:
            context["causes"] = [
                {"value": value, "label": label, "checked": False}
                for value, label in RepeatCauseCode.choices
            ]
            return render_to_string("surveys/public/repeat.html", context)
        context["scale"] = _scale(Invitation(questionnaire=questionnaire), None)
        return render_to_string("surveys/public/answer.html", context)

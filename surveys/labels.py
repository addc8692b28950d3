"""Labels people read instead of codes, for the survey app's staff pages and emails.

Contact reasons, channels and directions are named by tickets.labels (the reasons from the
catalogue editable in the admin), re-exported here for these pages.
Repeat-contact causes have two wordings: the customer's own ("My request was not taken into
account", on the survey page) and the agent's ("The customer's request was not taken into
account", on the agent page), each translated.
"""

from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from tickets.labels import channel_label, direction_label, reason_label

from .models import RepeatCauseCode

# The agent's reading of why a customer came back, in the third person.
AGENT_CAUSE_WORDING: dict[str, StrOrPromise] = {
    RepeatCauseCode.NOT_TAKEN_INTO_ACCOUNT: _("The customer's request was not taken into account"),
    RepeatCauseCode.ANSWER_RAISED_NEW_QUESTIONS: _("Our answer raised new questions"),
    RepeatCauseCode.WRONG_DEPARTMENT: _("The customer was sent to the wrong department"),
    RepeatCauseCode.UNCLEAR_ANSWER: _("Our answer was unclear"),
    RepeatCauseCode.OTHER: _("Another cause"),
}


def cause_choices_for_customer() -> list[tuple[str, str]]:
    return [(code, str(label)) for code, label in RepeatCauseCode.choices]


def cause_choices_for_agent() -> list[tuple[str, str]]:
    return [(code, str(AGENT_CAUSE_WORDING[code])) for code in RepeatCauseCode.values]


def cause_label(code: str, reporter: str) -> str:
    if reporter == "agent" and code in AGENT_CAUSE_WORDING:
        return str(AGENT_CAUSE_WORDING[code])
    return str(RepeatCauseCode(code).label) if code in RepeatCauseCode.values else code


__all__ = [
    "AGENT_CAUSE_WORDING", "cause_choices_for_agent", "cause_choices_for_customer", "cause_label",
    "channel_label", "direction_label", "reason_label",
]  # fmt: skip

"""What every page's navigation needs to know about the survey pages: each role sees its own."""

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from tickets.permissions import is_agent, is_quality_manager, led_team_ids

from . import selectors
from .mailbox import mailbox_enabled


def staff_pages(request: HttpRequest) -> dict[str, object]:
    """Asked only when a template reads them: anonymous pages cost no query."""

    def follow_ups() -> int | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if is_quality_manager(request):
            return selectors.followups_open_count(user, all_teams=True)
        if led_team_ids(user):
            return selectors.followups_open_count(user, all_teams=False)
        return None

    return {
        "nav_agent": SimpleLazyObject(lambda: is_agent(request)),
        # None: not for this user; a number: the open follow-ups they can see.
        "nav_followups": SimpleLazyObject(follow_ups),
        "nav_mailbox": SimpleLazyObject(lambda: mailbox_enabled() and is_quality_manager(request)),
    }


def survey_owner(request: HttpRequest) -> dict[str, object]:
    """Whose surveys these are, for the survey pages' footer."""
    return {
        "survey_company": settings.SURVEY_COMPANY_NAME,
        "survey_privacy_url": settings.SURVEY_PRIVACY_URL,
    }

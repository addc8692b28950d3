"""What every page's navigation needs to know about the survey pages: each role sees its own."""

from typing import cast

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject
from rest_framework.request import Request

from tickets.permissions import is_agent, is_quality_manager, led_team_ids

from . import selectors
from .mailbox import mailbox_enabled


def staff_pages(http_request: HttpRequest) -> dict[str, object]:
    """Asked only when a template reads them: anonymous pages cost no query."""
    # The role predicates take DRF's request type; a page's request answers them the same.
    request = cast(Request, http_request)

    def all_teams() -> bool:
        return is_quality_manager(request)

    def follows_up() -> bool:
        user = getattr(request, "user", None)
        return bool(user and user.is_authenticated) and (all_teams() or bool(led_team_ids(user)))

    return {
        "nav_agent": SimpleLazyObject(lambda: is_agent(request)),
        "nav_followups": SimpleLazyObject(follows_up),
        # The open follow-ups the user can see (read only when the link is shown).
        "nav_followups_open": SimpleLazyObject(
            lambda: selectors.followups_open_count(request.user, all_teams=all_teams())
        ),
        "nav_mailbox": SimpleLazyObject(lambda: mailbox_enabled() and is_quality_manager(request)),
    }


def survey_owner(request: HttpRequest) -> dict[str, object]:
    """Whose surveys these are, for the survey pages' footer."""
    return {
        "survey_company": settings.SURVEY_COMPANY_NAME,
        "survey_privacy_url": settings.SURVEY_PRIVACY_URL,
    }

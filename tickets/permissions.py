"""Who may call what. Every app's API imports its permission classes from here.

Roles:
- integration: a request authenticated by an API token (tickets.tokens), whoever owns it, and
  only for what its scopes allow: each API view names the scope it needs (`token_scope`), and a
  view that names none lets no token in;
- quality manager: a member of the "quality_managers" group (created by a migration), or staff;
- agent: a user linked to a tickets.Agent (Agent.user);
- team lead: a user whose email is a team's `lead_email` (they get that team's alerts and work
  its follow-ups);
- staff: Django's is_staff, which may do what an integration does from a logged-in session.

The predicates take a request so that views, selectors and templates can ask the same question
the permission classes ask.
"""

from django.utils.translation import gettext as _
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from .models import Team
from .tokens import ApiToken

QUALITY_MANAGERS_GROUP = "quality_managers"


def is_integration(request: Request) -> bool:
    """The request comes with an API token (whatever it may do)."""
    return isinstance(getattr(request, "auth", None), ApiToken)


def _person(request: Request) -> bool:
    """A logged-in person, not a token: a token only ever acts as an integration, whoever owns
    it, so that minting a token for a staff user does not hand out staff rights."""
    user = request.user
    return bool(user and user.is_authenticated and user.is_active) and not is_integration(request)


def is_staff(request: Request) -> bool:
    return _person(request) and request.user.is_staff


def is_quality_manager(request: Request) -> bool:
    """A logged-in person in the quality managers' group, or staff."""
    if not _person(request):
        return False
    if request.user.is_staff:
        return True
    # Asked by the view and again by every page's navigation: one query per request.
    known = getattr(request, "_is_quality_manager", None)
    if known is None:
        known = request.user.groups.filter(name=QUALITY_MANAGERS_GROUP).exists()
        setattr(request, "_is_quality_manager", known)  # noqa: B010 (not a Request field)
    return known


def led_team_ids(user) -> list[int]:
    """The teams whose lead's email is the user's (the address their alerts go to)."""
    email = (getattr(user, "email", "") or "").strip()
    if not email or not getattr(user, "is_authenticated", False):
        return []
    return list(Team.objects.filter(lead_email__iexact=email).values_list("pk", flat=True))


def is_team_lead(request: Request) -> bool:
    return _person(request) and bool(led_team_ids(request.user))


def is_agent(request: Request) -> bool:
    """A logged-in person linked to an agent of the ticket history."""
    return _person(request) and hasattr(request.user, "agent")


class _Role(BasePermission):
    """A token is let in when it has the view's scope; a person, when `person_allowed`."""

    who = ""

    def has_permission(self, request, view) -> bool:
        if not is_integration(request):
            if self.person_allowed(request):
                return True
            self.message = self.who
            return False
        scope = getattr(view, "token_scope", None)
        if scope is not None and request.auth.has_scope(scope):
            return True
        self.message = _("This token does not have the “%(scope)s” scope this needs.") % {
            "scope": scope or "-"
        }
        return False

    def person_allowed(self, request) -> bool:
        return False


class IsIntegration(_Role):
    def __init__(self) -> None:
        self.who = _("Only an integration (an API token) may do this.")


class IsIntegrationOrStaff(_Role):
    """Writing the ticket history: integrations, and staff for manual fixes."""

    def __init__(self) -> None:
        self.who = _("Only an integration (an API token) or staff may do this.")

    def person_allowed(self, request) -> bool:
        return is_staff(request)


class IsQualityManager(BasePermission):
    def __init__(self) -> None:
        self.message = _("Only a quality manager may do this.")

    def has_permission(self, request, view) -> bool:
        return is_quality_manager(request)


class IsQualityManagerOrIntegration(_Role):
    def __init__(self) -> None:
        self.who = _("Only a quality manager or an integration (an API token) may do this.")

    def person_allowed(self, request) -> bool:
        return is_quality_manager(request)


class IsAgent(BasePermission):
    def __init__(self) -> None:
        self.message = _("Only an agent may do this.")

    def has_permission(self, request, view) -> bool:
        return is_agent(request)


class IsAgentOrIntegration(_Role):
    def __init__(self) -> None:
        self.who = _("Only an agent or an integration (an API token) may do this.")

    def person_allowed(self, request) -> bool:
        return is_agent(request)

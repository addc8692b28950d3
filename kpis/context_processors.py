"""What every page's navigation needs to know about the kpis pages."""

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from tickets.permissions import is_quality_manager


def manager_pages(request: HttpRequest) -> dict[str, object]:
    """Whether to link the overview and the comments (asked only when a template reads it)."""
    return {"can_see_overview": SimpleLazyObject(lambda: is_quality_manager(request))}

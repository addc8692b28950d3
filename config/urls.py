"""URL wiring: each app owns its routes."""

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import BadRequest, PermissionDenied
from django.http import Http404
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from web import errors

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view loads its start-up script from a URL instead of inlining it (CSP).
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="api/swagger_ui.html"),
        name="api-docs",
    ),
    path("api/v1/", include("tickets.api_urls")),
    path("api/v1/", include("surveys.api_urls")),
    path("api/v1/", include("workforce.api_urls")),
    path("api/v1/kpis/", include("kpis.api_urls")),
    path("api/v1/staffing/", include("kpis.staffing_api_urls")),
    # Before the account pages kpis.urls includes: the same names, with abuse limits.
    path("accounts/", include("guard.urls")),
    path("s/", include("surveys.urls")),
    path("hooks/", include("connectors.urls")),
    path("surveys/", include("surveys.staff_urls")),
    path("", include("kpis.urls")),
]

handler400 = errors.bad_request
handler403 = errors.permission_denied
handler404 = errors.page_not_found
handler500 = errors.server_error

if settings.DEBUG:
    # With DEBUG, Django shows its technical pages instead: these show the real ones.
    urlpatterns += [
        path("errors/400/", lambda request: errors.bad_request(request, BadRequest())),
        path("errors/403/", lambda request: errors.permission_denied(request, PermissionDenied())),
        path("errors/404/", lambda request: errors.page_not_found(request, Http404())),
        path("errors/500/", errors.server_error),
    ]

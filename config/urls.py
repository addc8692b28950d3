"""URL wiring: each app owns its routes."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/v1/", include("tickets.api_urls")),
    path("api/v1/", include("surveys.api_urls")),
    path("api/v1/kpis/", include("kpis.api_urls")),
    # Before the account pages kpis.urls includes: the same names, with abuse limits.
    path("accounts/", include("guard.urls")),
    path("s/", include("surveys.urls")),
    path("surveys/", include("surveys.staff_urls")),
    path("", include("kpis.urls")),
]

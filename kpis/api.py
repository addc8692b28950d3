"""KPI API: `GET /api/v1/kpis/<name>/`, for quality managers and integrations."""

from typing import Any

from django.conf import settings
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from guard.api_schema import RETRY_AFTER, error_responses
from tickets.facts_state import facts_stale
from tickets.permissions import IsQualityManagerOrIntegration
from tickets.tokens import TokenScope

from . import render
from .attachments import XLSX_TYPE
from .compare import comparable, compare
from .downloads import kpi_download
from .registry import KPIS
from .routers import kpi_reads
from .scope import DIMENSIONS, Scope, ScopeError
from .serializers import KpiOutputSerializer, KpiQueryInputSerializer

KPI_DESCRIPTION = """One KPI for a period, cut by period and dimensions, every figure with its n.

Survey figures carry their 95 % confidence interval (`*_ci_low`, `*_ci_high`) and every figure
from fewer answers than the minimum sample is flagged (`*_low_sample`: true), never hidden.
A ratio whose denominator is empty is null. Periods are cut in the service's time zone.
KPIs: """ + ", ".join(sorted(KPIS))


def _day_parameter(name: str, example: str, description: str) -> OpenApiParameter:
    return OpenApiParameter(
        name,
        OpenApiTypes.DATE,
        required=True,
        description=f"{description} Days from HISTORY_MAX_AGE_DAYS ago to a year ahead.",
        examples=[OpenApiExample(example, value=example)],
    )


class KpiApi(APIView):
    permission_classes = [IsQualityManagerOrIntegration]
    token_scope = TokenScope.KPI_READ

    @extend_schema(
        parameters=[
            KpiQueryInputSerializer,
            OpenApiParameter("name", OpenApiTypes.STR, OpenApiParameter.PATH, enum=sorted(KPIS)),
            _day_parameter("from", "2024-03-01", "First day of the period, included."),
            _day_parameter("to", "2024-03-31", "Last day of the period, included."),
            RETRY_AFTER,
        ],
        responses={
            200: KpiOutputSerializer,
            (200, "text/csv"): OpenApiTypes.STR,
            (200, XLSX_TYPE): OpenApiTypes.BINARY,
            **error_responses(404),
        },
        description=KPI_DESCRIPTION,
    )
    def get(self, request: Request, name: str) -> Response | HttpResponse:
        if name not in KPIS:
            raise Http404(_("No such KPI."))
        query = KpiQueryInputSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        filters = {d: params[d] for d in DIMENSIONS if params.get(d)}
        with kpi_reads():
            return self._answer(name, params, filters)

    def _answer(
        self, name: str, params: dict[str, Any], filters: dict[str, Any]
    ) -> Response | HttpResponse:
        kpi = KPIS[name]
        try:
            scope = Scope(
                params["from"], params["to"], params.get("granularity"), tuple(params["by"]),
                filters, max_points=settings.KPI_MAX_POINTS,
            )  # fmt: skip
            table = kpi(scope)
            if params.get("export"):
                return kpi_download(kpi, scope, table, params["export"])
            other = _compared_scope(scope, params)
            compared = compare(kpi, other, scope) if other and comparable(kpi) else None
        except ScopeError as exc:  # too many rows asked for
            raise ValidationError({api_settings.NON_FIELD_ERRORS_KEY: [str(exc)]}) from None
        data: dict[str, Any] = {
            "kpi": name,
            "period": {"from": scope.start.isoformat(), "to": scope.end.isoformat()},
            "granularity": scope.granularity,
            "by": list(scope.by),
            "filters": filters,
            "time_zone": settings.TIME_ZONE,
            "min_sample": settings.KPI_MIN_SAMPLE,
            "fcr_window_days": settings.FCR_WINDOW_DAYS,
            "facts_current": facts_stale() is None,
            **render.as_plain(table),
        }
        if compared is not None:
            data["comparison"] = render.as_plain(compared)
        return Response(data)


def _compared_scope(scope: Scope, params: dict[str, Any]) -> Scope | None:
    """The period or segment to compare with, when one is asked."""
    segment = {d: params[f"compare_{d}"] for d in DIMENSIONS if params.get(f"compare_{d}")}
    if not segment and not params.get("compare_from"):
        return None
    other = scope.with_(filters={**scope.filters, **segment})
    if params.get("compare_from"):
        other = other.with_(start=params["compare_from"], end=params["compare_to"])
    return other

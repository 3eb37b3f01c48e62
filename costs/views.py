"""Staff pages of the cost control room (under /admin/costs/), the CSV export and /metrics."""

import csv
import hmac
import json
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from . import selectors
from .calculator import OPTIMIZATIONS, CalculatorInputs, scenarios
from .metrics import render_metrics
from .models import CacheLayer, Feature, Provider
from .periods import PERIOD_CHOICES, resolve_period


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def period_from_request(params) -> tuple:
    """The period and filters a dashboard/export request asks for (bad input falls back to defaults)."""
    period = resolve_period(
        params.get("period"), now=timezone.now(), start=_date(params.get("start")), end=_date(params.get("end"))
    )
    provider = params.get("provider", "")
    feature = params.get("feature", "")
    return (
        period,
        provider if provider in Provider.values else "",
        feature if feature in Feature.values else "",
    )


def _admin_context(request, title: str) -> dict:
    return {**admin.site.each_context(request), "title": title}


@staff_member_required
@require_GET
def dashboard(request):
    period, provider, feature = period_from_request(request.GET)
    data = selectors.dashboard(period=period, provider=provider, feature=feature)
    return render(
        request,
        "admin/costs/dashboard.html",
        {
            **_admin_context(request, "Cost dashboard"),
            "data": data,
            "h": data["headline"],
            "charts": selectors.chart_data(data),
            "hit_rates": [
                (label, data["headline"]["hit_rates"][value])
                for value, label in CacheLayer.choices
                if value != CacheLayer.NONE
            ],
            "period_choices": PERIOD_CHOICES,
            "providers": Provider.choices,
            "features": Feature.choices,
            "selected": {
                "period": period.key,
                "provider": provider,
                "feature": feature,
                "start": period.start.date().isoformat(),
                "end": request.GET.get("end", ""),
            },
            "query": request.GET.urlencode(),
        },
    )


@staff_member_required
@require_GET
def calculator(request):
    measured = selectors.measured_averages()
    defaults = selectors.calculator_defaults(measured)
    error = ""
    try:
        inputs = CalculatorInputs.from_mapping(request.GET, base=defaults)
    except ValueError as exc:
        error, inputs = str(exc), defaults
    result = scenarios(inputs)
    fields = [(name, result["inputs"][name], measured.get(name)) for name in result["inputs"]]
    return render(
        request,
        "admin/costs/calculator.html",
        {
            **_admin_context(request, "Cost calculator"),
            "result": result,
            "fields": fields,
            "error": error,
            "optimizations": OPTIMIZATIONS,
            "result_json": json.dumps(result, default=str),
        },
    )


class _Echo:
    def write(self, value):
        return value


EXPORT_COLUMNS = [
    "id",
    "created_at",
    "provider",
    "operation",
    "model",
    "user",
    "feature",
    "problem_slug",
    "reference",
    "cache_layer",
    "status",
    "input_tokens",
    "cached_tokens",
    "cache_write_tokens",
    "output_tokens",
    "thinking_tokens",
    "executions",
    "baseline_executions",
    "http_requests",
    "latency_ms",
    "cost_usd",
    "baseline_cost_usd",
]


def _csv_cell(value):
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")  # 0.00000000, never 0E-8
    if hasattr(value, "isoformat"):
        return value.isoformat()
    # Spreadsheet formula injection: a text cell starting with = + - @ is neutralised.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


@staff_member_required
@require_GET
def export_csv(request):
    """The filtered ledger as CSV, streamed from a server-side cursor (constant memory)."""
    period, provider, feature = period_from_request(request.GET)
    qs = selectors.ledger(period=period, provider=provider, feature=feature).order_by("created_at", "id")
    columns = [c if c != "user" else "user__username" for c in EXPORT_COLUMNS]
    writer = csv.writer(_Echo())

    def rows():
        yield writer.writerow(EXPORT_COLUMNS)
        for row in qs.values_list(*columns).iterator(chunk_size=2000):
            yield writer.writerow([_csv_cell(v) for v in row])

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    name = f"ledger-{period.start.date()}-{period.end.date()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_GET
def metrics(request):
    """Prometheus text format; a `Authorization: Bearer <METRICS_TOKEN>` or a staff session."""
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    by_token = (
        bool(token)
        and header.startswith("Bearer ")
        and hmac.compare_digest(header.removeprefix("Bearer ").strip().encode(), token.encode())
    )
    by_staff = request.user.is_authenticated and request.user.is_staff
    if not (by_token or by_staff):
        status = 403 if request.user.is_authenticated or header else 401
        response = HttpResponse(
            "metrics need a bearer token or a staff session\n", status=status, content_type="text/plain"
        )
        if status == 401:
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(render_metrics(), content_type="text/plain; version=0.0.4; charset=utf-8")

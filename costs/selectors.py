"""Reads of the cost ledger: every dashboard figure is a SQL aggregate (no per-row Python),
so a page costs a fixed number of queries whatever the ledger's size."""

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import Aggregate, Count, F, FloatField, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from .models import Alert, ApiCall, CacheLayer, CallStatus, DailySpend, Provider
from .periods import Period, projected_month_end, start_of_month
from .rollup import GLOBAL as GLOBAL_SCOPE

ZERO = Decimal("0")
EXECUTION_PROVIDERS = [Provider.JUDGE0, Provider.LOCAL_SANDBOX]
PAID = Q(cache_layer=CacheLayer.NONE)
HIT = ~PAID
GEMINI = Q(provider=Provider.GEMINI)
EXECUTION = Q(provider__in=EXECUTION_PROVIDERS)


class Percentile(Aggregate):
    """PostgreSQL's percentile_cont(fraction) WITHIN GROUP (ORDER BY expr)."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, fraction: float, **extra):
        super().__init__(expression, fraction=float(fraction), **extra)


def ledger(*, period: Period, provider: str = "", feature: str = "", user_id: int | None = None) -> QuerySet:
    qs = ApiCall.objects.filter(created_at__gte=period.start, created_at__lt=period.end)
    if provider:
        qs = qs.filter(provider=provider)
    if feature:
        qs = qs.filter(feature=feature)
    if user_id:
        qs = qs.filter(user_id=user_id)
    return qs


def _ratio(part, whole) -> float | None:
    return round(float(part) / float(whole), 4) if whole else None


def headline(qs: QuerySet) -> dict:
    """Spend, savings, executions, tokens and per-layer hit rates in one query.

    A layer's hit rate is hits / lookups that reached it, following the order the
    pipeline and the mentor consult them: result cache, then single-flight; pattern
    responder, then response cache. Context-cache rate = paid Gemini calls that read
    cached tokens / paid Gemini calls. Refused and failed calls count as lookups (misses).
    """
    tokens = F("input_tokens") + F("output_tokens") + F("thinking_tokens")
    served = F("input_tokens") + F("cached_tokens") + F("output_tokens") + F("thinking_tokens")
    row = qs.order_by().aggregate(
        calls=Count("id"),
        paid_calls=Count("id", filter=PAID),
        refused_calls=Count("id", filter=Q(status=CallStatus.REFUSED)),
        error_calls=Count("id", filter=Q(status=CallStatus.ERROR)),
        spend=Sum("cost_usd", default=ZERO),
        baseline=Sum("baseline_cost_usd", default=ZERO),
        executions=Sum("executions", default=0),
        baseline_executions=Sum("baseline_executions", default=0),
        active_users=Count("user", distinct=True),
        gemini_billed_tokens=Sum(tokens, filter=GEMINI & PAID, default=0),
        gemini_cache_read_tokens=Sum("cached_tokens", filter=GEMINI & PAID, default=0),
        gemini_hit_tokens=Sum(served, filter=GEMINI & HIT, default=0),
        exec_lookups=Count("id", filter=EXECUTION),
        result_hits=Count("id", filter=Q(cache_layer=CacheLayer.RESULT)),
        single_flight_hits=Count("id", filter=Q(cache_layer=CacheLayer.SINGLE_FLIGHT)),
        mentor_lookups=Count("id", filter=GEMINI),
        pattern_hits=Count("id", filter=Q(cache_layer=CacheLayer.PATTERN)),
        response_hits=Count("id", filter=Q(cache_layer=CacheLayer.RESPONSE)),
        model_calls=Count("id", filter=GEMINI & (PAID | Q(cache_layer=CacheLayer.CONTEXT))),
        context_hits=Count("id", filter=GEMINI & (Q(cache_layer=CacheLayer.CONTEXT) | (PAID & Q(cached_tokens__gt=0)))),
    )
    row["savings"] = row["baseline"] - row["spend"]
    row["executions_avoided"] = max(row["baseline_executions"] - row["executions"], 0)
    row["spend_per_active_user"] = (
        (row["spend"] / row["active_users"]).quantize(Decimal("0.000001")) if row["active_users"] else None
    )
    row["gemini_tokens_from_cache"] = row["gemini_cache_read_tokens"] + row["gemini_hit_tokens"]
    row["hit_rates"] = {
        CacheLayer.RESULT: _ratio(row["result_hits"], row["exec_lookups"]),
        CacheLayer.SINGLE_FLIGHT: _ratio(row["single_flight_hits"], row["exec_lookups"] - row["result_hits"]),
        CacheLayer.PATTERN: _ratio(row["pattern_hits"], row["mentor_lookups"]),
        CacheLayer.RESPONSE: _ratio(row["response_hits"], row["mentor_lookups"] - row["pattern_hits"]),
        CacheLayer.CONTEXT: _ratio(row["context_hits"], row["model_calls"]),
    }
    return row


def daily_series(qs: QuerySet) -> list[dict]:
    """Per UTC day and provider: spend, calls, cache hits."""
    return list(
        qs.annotate(day=TruncDate("created_at", tzinfo=UTC))
        .values("day", "provider")
        .annotate(spend=Sum("cost_usd", default=ZERO), calls=Count("id"), hits=Count("id", filter=HIT))
        .order_by("day", "provider")
    )


def spend_by_model(qs: QuerySet) -> list[dict]:
    """Spend per provider and model (Gemini model, or the language of an execution)."""
    return list(
        qs.values("provider", "model")
        .annotate(spend=Sum("cost_usd", default=ZERO), calls=Count("id"))
        .order_by("-spend", "provider", "model")
    )


def latency_percentiles(qs: QuerySet) -> list[dict]:
    """p50/p95/p99 latency (ms) of successful paid calls per provider and operation."""
    paid = qs.filter(PAID, status=CallStatus.OK).order_by()
    if connection.vendor == "postgresql":
        return list(
            paid.values("provider", "operation")
            .annotate(
                calls=Count("id"),
                p50=Percentile("latency_ms", 0.5),
                p95=Percentile("latency_ms", 0.95),
                p99=Percentile("latency_ms", 0.99),
            )
            .order_by("provider", "operation")
        )
    # Fallback for SQLite (the embedded default), which has no percentile aggregate.
    groups: dict[tuple, list[int]] = defaultdict(list)
    for provider, operation, latency in paid.values_list("provider", "operation", "latency_ms").iterator():
        groups[(provider, operation)].append(latency)
    return [
        {
            "provider": p,
            "operation": o,
            "calls": len(v),
            **{f"p{int(q * 100)}": percentile_cont(v, q) for q in (0.5, 0.95, 0.99)},
        }
        for (p, o), v in sorted(groups.items())
    ]


def percentile_cont(values: list[int], fraction: float) -> float:
    """Linear interpolation between closest ranks, as PostgreSQL's percentile_cont."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    pos = (len(ordered) - 1) * fraction
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return float(ordered[low] + (ordered[high] - ordered[low]) * (pos - low))


def top_users(qs: QuerySet, *, limit: int = 10) -> list[dict]:
    return list(
        qs.filter(user__isnull=False)
        .values("user_id", "user__username")
        .annotate(spend=Sum("cost_usd", default=ZERO), calls=Count("id"))
        .order_by("-spend", "user_id")[:limit]
    )


def top_problems(qs: QuerySet, *, limit: int = 10) -> list[dict]:
    return list(
        qs.exclude(problem_slug="")
        .values("problem_slug")
        .annotate(spend=Sum("cost_usd", default=ZERO), calls=Count("id"), executions=Sum("executions"))
        .order_by("-spend", "problem_slug")[:limit]
    )


def savings_by_layer(qs: QuerySet) -> list[dict]:
    """Counterfactual: what the unoptimized path would have cost, per cache layer."""
    rows = list(
        qs.values("cache_layer")
        .annotate(
            calls=Count("id"),
            baseline=Sum("baseline_cost_usd", default=ZERO),
            spend=Sum("cost_usd", default=ZERO),
            baseline_executions=Sum("baseline_executions", default=0),
            executions=Sum("executions", default=0),
        )
        .order_by("cache_layer")
    )
    for row in rows:
        row["saved"] = row["baseline"] - row["spend"]
    return rows


def month_to_date_spend(*, now: datetime) -> Decimal:
    # From the daily rollup (<= 31 rows): whole days, so "now" means "through today".
    return DailySpend.objects.filter(
        scope=GLOBAL_SCOPE, day__gte=start_of_month(now).date(), day__lte=now.astimezone(UTC).date()
    ).aggregate(s=Sum("cost_usd", default=ZERO))["s"]


def month_projection(*, now: datetime | None = None) -> dict:
    now = now or timezone.now()
    spend = month_to_date_spend(now=now)
    return {"month_to_date": spend, "projected": projected_month_end(spend_to_date=spend, now=now)}


def dashboard(*, period: Period, now: datetime | None = None, provider: str = "", feature: str = "") -> dict:
    """Everything the dashboard shows, in a fixed number of queries."""
    qs = ledger(period=period, provider=provider, feature=feature)
    days = daily_series(qs)
    return {
        "period": period,
        "headline": headline(qs),
        "projection": month_projection(now=now),
        "daily": days,
        "by_model": spend_by_model(qs),
        "latency": latency_percentiles(qs),
        "top_users": top_users(qs),
        "top_problems": top_problems(qs),
        "savings": savings_by_layer(qs),
    }


def chart_data(data: dict) -> dict:
    """Reshape the aggregates for Chart.js (loops over aggregated rows, not the ledger)."""
    period: Period = data["period"]
    labels = [(period.start + timedelta(days=i)).date().isoformat() for i in range(period.days)]
    index = {d: i for i, d in enumerate(labels)}
    providers = sorted({r["provider"] for r in data["daily"]})
    spend = {p: [0.0] * len(labels) for p in providers}
    calls = [0] * len(labels)
    hits = [0] * len(labels)
    for r in data["daily"]:
        i = index.get(r["day"].isoformat())
        if i is None:
            continue
        spend[r["provider"]][i] += float(r["spend"])
        calls[i] += r["calls"]
        hits[i] += r["hits"]
    return {
        "days": labels,
        "spend_by_provider": [{"label": p, "data": spend[p]} for p in providers],
        "calls": calls,
        "hits": hits,
        "by_model": {
            "labels": [f"{r['provider']}/{r['model'] or '-'}" for r in data["by_model"][:15]],
            "data": [float(r["spend"]) for r in data["by_model"][:15]],
        },
        "latency": {
            "labels": [f"{r['provider']}.{r['operation']}" for r in data["latency"]],
            "p50": [r["p50"] for r in data["latency"]],
            "p95": [r["p95"] for r in data["latency"]],
            "p99": [r["p99"] for r in data["latency"]],
        },
        "top_users": {
            "labels": [r["user__username"] for r in data["top_users"]],
            "data": [float(r["spend"]) for r in data["top_users"]],
        },
        "top_problems": {
            "labels": [r["problem_slug"] for r in data["top_problems"]],
            "data": [float(r["spend"]) for r in data["top_problems"]],
        },
    }


def unacknowledged_alerts(*, limit: int = 10) -> list[Alert]:
    return list(Alert.objects.filter(acknowledged=False).select_related("budget", "user")[:limit])


def measured_averages(*, now: datetime | None = None, days: int = 30, cheap_model: str = "") -> dict:
    """Per-user averages of the last `days` days for the calculator, each with its sample size.

    Returns {name: {"value": Decimal|int|None, "n": int, "basis": str}}; value None when
    the ledger has no sample for it (the calculator then keeps its default).
    """
    from django.conf import settings

    now = now or timezone.now()
    cheap_model = cheap_model or settings.MENTOR_CHEAP_MODEL
    qs = ApiCall.objects.filter(created_at__gte=now - timedelta(days=days), created_at__lt=now).order_by()
    per_day = list(
        qs.filter(user__isnull=False)
        .annotate(day=TruncDate("created_at", tzinfo=UTC))
        .values("day")
        .annotate(users=Count("user_id", distinct=True))
        .values_list("users", flat=True)
    )
    user_days, active_days = sum(per_day), len(per_day)
    paid_gemini = GEMINI & PAID
    row = qs.aggregate(
        exec_rows=Count("id", filter=EXECUTION),
        exec_dupes=Count("id", filter=EXECUTION & Q(cache_layer__in=[CacheLayer.RESULT, CacheLayer.SINGLE_FLIGHT])),
        tests_rows=Count("id", filter=EXECUTION & Q(baseline_executions__gt=0)),
        tests_sum=Sum("baseline_executions", filter=EXECUTION & Q(baseline_executions__gt=0), default=0),
        gemini_rows=Count("id", filter=GEMINI),
        gemini_turns=Count("reference", filter=GEMINI & ~Q(reference=""), distinct=True),
        mentor_hits=Count("id", filter=Q(cache_layer__in=[CacheLayer.PATTERN, CacheLayer.RESPONSE])),
        paid_rows=Count("id", filter=paid_gemini),
        cheap_rows=Count("id", filter=paid_gemini & Q(model=cheap_model)),
        in_tokens=Sum(F("input_tokens") + F("cached_tokens"), filter=paid_gemini, default=0),
        cached=Sum("cached_tokens", filter=paid_gemini, default=0),
        out_tokens=Sum(F("output_tokens") + F("thinking_tokens"), filter=paid_gemini, default=0),
    )

    def share(part, whole) -> Decimal | None:
        return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.001")) if whole else None

    def per(total, n) -> Decimal | None:
        return (Decimal(total) / Decimal(n)).quantize(Decimal("0.01")) if n else None

    turns = row["gemini_turns"] or row["gemini_rows"]
    return {
        "users": {
            "value": round(user_days / active_days) if active_days else None,
            "n": active_days,
            "basis": "distinct users per day with traffic (n = days)",
        },
        "problems_per_user_day": {
            "value": per(row["exec_rows"], user_days),
            "n": row["exec_rows"],
            "basis": "judged runs and submissions per user-day",
        },
        "tests_per_problem": {
            "value": per(row["tests_sum"], row["tests_rows"]),
            "n": row["tests_rows"],
            "basis": "executions a per-test run would need",
        },
        "duplicate_share": {
            "value": share(row["exec_dupes"], row["exec_rows"]),
            "n": row["exec_rows"],
            "basis": "result cache + single-flight hits / judged runs",
        },
        "mentor_turns_per_user_day": {
            "value": per(turns, user_days),
            "n": turns,
            "basis": "mentor turns (distinct message references) per user-day",
        },
        "input_tokens_per_turn": {
            "value": round(row["in_tokens"] / row["paid_rows"]) if row["paid_rows"] else None,
            "n": row["paid_rows"],
            "basis": "prompt tokens per paid Gemini call",
        },
        "output_tokens_per_turn": {
            "value": round(row["out_tokens"] / row["paid_rows"]) if row["paid_rows"] else None,
            "n": row["paid_rows"],
            "basis": "output + thinking tokens per paid Gemini call",
        },
        "cheap_model_share": {
            "value": share(row["cheap_rows"], row["paid_rows"]),
            "n": row["paid_rows"],
            "basis": f"paid Gemini calls on {cheap_model}",
        },
        "mentor_cache_share": {
            "value": share(row["mentor_hits"], row["gemini_rows"]),
            "n": row["gemini_rows"],
            "basis": "pattern + response cache hits / mentor lookups",
        },
        "context_cached_share": {
            "value": share(row["cached"], row["in_tokens"]),
            "n": row["paid_rows"],
            "basis": "cached / all prompt tokens of paid Gemini calls",
        },
    }


def calculator_defaults(measured: dict):
    """CalculatorInputs with every measured value that has a sample."""
    from .calculator import CalculatorInputs

    base = CalculatorInputs()
    values = {k: v["value"] for k, v in measured.items() if v["value"] is not None}
    if not values.get("users"):
        values.pop("users", None)
    return CalculatorInputs.from_mapping(values, base=base)

"""Prometheus exposition of the ledger.

A custom collector reads all-time aggregates from the database at scrape time instead
of in-process counters: web and worker processes all write the ledger, so only the
database has the platform-wide totals, and they survive restarts. Each scrape costs
two aggregate queries; the rendered text is cached for METRICS_CACHE_SECONDS.
"""

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Q, Sum
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

from .models import ApiCall, CacheLayer
from .selectors import month_projection

# Milliseconds; from a cached answer (~1 ms) to a slow Gemini turn or Judge0 batch.
LATENCY_BUCKETS_MS = [5, 25, 100, 250, 500, 1000, 2500, 5000, 10000, 30000]
CACHE_KEY = "costs:metrics:v1"


class LedgerCollector:
    def collect(self):
        labels = ["provider", "operation", "cache_layer", "status"]
        calls = CounterMetricFamily("codementor_api_calls", "Ledger rows: calls and cache hits", labels=labels)
        cost = CounterMetricFamily("codementor_cost_usd", "Spend in USD", labels=labels)
        baseline = CounterMetricFamily(
            "codementor_baseline_cost_usd", "Counterfactual spend without optimizations, USD", labels=labels
        )
        executions = CounterMetricFamily("codementor_executions", "Code executions run", labels=labels)
        tokens = CounterMetricFamily("codementor_tokens", "Gemini tokens by bucket", labels=[*labels, "kind"])
        hits = CounterMetricFamily("codementor_cache_hits", "Calls answered by a cache layer", labels=["cache_layer"])
        hit_totals: dict[str, int] = {}
        rows = (
            ApiCall.objects.order_by()
            .values(*labels)
            .annotate(
                n=Count("id"),
                cost=Sum("cost_usd"),
                base=Sum("baseline_cost_usd"),
                ex=Sum("executions"),
                input=Sum("input_tokens"),
                cached=Sum("cached_tokens"),
                output=Sum("output_tokens"),
                thinking=Sum("thinking_tokens"),
            )
        )
        for r in rows:
            values = [r[k] for k in labels]
            calls.add_metric(values, r["n"])
            cost.add_metric(values, float(r["cost"] or 0))
            baseline.add_metric(values, float(r["base"] or 0))
            executions.add_metric(values, r["ex"] or 0)
            for kind in ("input", "cached", "output", "thinking"):
                if r[kind]:
                    tokens.add_metric([*values, kind], r[kind])
            if r["cache_layer"] != CacheLayer.NONE:
                hit_totals[r["cache_layer"]] = hit_totals.get(r["cache_layer"], 0) + r["n"]
        for layer in CacheLayer.values:
            if layer != CacheLayer.NONE:
                hits.add_metric([layer], hit_totals.get(layer, 0))
        yield from (calls, cost, baseline, executions, tokens, hits)

        latency = HistogramMetricFamily(
            "codementor_call_latency_ms", "Latency of paid calls in milliseconds", labels=["provider", "operation"]
        )
        buckets = {f"le{b}": Count("id", filter=Q(latency_ms__lte=b)) for b in LATENCY_BUCKETS_MS}
        for r in (
            ApiCall.objects.filter(cache_layer=CacheLayer.NONE)
            .order_by()
            .values("provider", "operation")
            .annotate(n=Count("id"), total=Sum("latency_ms"), **buckets)
        ):
            series = [(str(b), r[f"le{b}"]) for b in LATENCY_BUCKETS_MS] + [("+Inf", r["n"])]
            latency.add_metric([r["provider"], r["operation"]], series, sum_value=float(r["total"] or 0))
        yield latency

        projection = month_projection()
        month = GaugeMetricFamily("codementor_month_spend_usd", "Spend this calendar month (UTC)", labels=["kind"])
        month.add_metric(["to_date"], float(projection["month_to_date"]))
        month.add_metric(["projected"], float(projection["projected"]))
        yield month


def render_metrics() -> bytes:
    cached = cache.get(CACHE_KEY)
    if cached is not None:
        return cached
    registry = CollectorRegistry(auto_describe=False)
    registry.register(LedgerCollector())
    text = generate_latest(registry)
    seconds = getattr(settings, "METRICS_CACHE_SECONDS", 15)
    if seconds:
        cache.set(CACHE_KEY, text, seconds)
    return text

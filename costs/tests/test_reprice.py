"""`manage.py reprice`, `record_call` and the dashboard price every row kind the same way:
one pricing path (costs/pricing.py: candidate_names -> _pick -> _total) for all three."""

import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command

from accounts.tests.factories import UserFactory
from costs import selectors
from costs.models import ApiCall, CacheLayer, CallStatus, DailySpend, PriceRule
from costs.periods import Period
from costs.pricing import Usage
from costs.rollup import GLOBAL
from costs.services import record_call

pytestmark = pytest.mark.django_db

LITE, FLASH = "gemini-2.5-flash-lite", "gemini-2.5-flash"


def every_row_kind(at: datetime) -> list[dict]:
    """record_call arguments for each kind of row the platform writes."""
    user = UserFactory()
    mentor = {"provider": "gemini", "feature": "mentor", "user": user, "at": at}
    judge = {
        "provider": "judge0",
        "operation": "execute",
        "feature": "submission",
        "user": user,
        "at": at,
        "problem_slug": "two-sum",
    }
    return [
        # Mentor: a routed (cheap model) paid turn, its baseline on the strong model.
        {
            **mentor,
            "operation": "generate",
            "model": LITE,
            "baseline_model": FLASH,
            "usage": Usage(input_tokens=1200, cached_tokens=4100, output_tokens=180, thinking_tokens=40),
        },
        {
            **mentor,
            "operation": "generate",
            "model": FLASH,
            "usage": Usage(input_tokens=900, output_tokens=300, thinking_tokens=200),
        },
        {**mentor, "operation": "generate", "model": FLASH, "status": CallStatus.ERROR, "error": "HTTP 503"},
        {**mentor, "operation": "generate", "model": FLASH, "status": CallStatus.REFUSED, "error": "budget"},
        {**mentor, "operation": "count_tokens", "model": LITE},
        {
            **mentor,
            "operation": "cache.create",
            "model": LITE,
            "usage": Usage(cache_write_tokens=4100, storage_token_hours=Decimal("1025.0000")),
        },
        {**mentor, "operation": "cache.extend", "model": LITE, "usage": Usage(storage_token_hours=Decimal("512.5"))},
        # Mentor cache hits: cost 0, baseline what the model would have cost.
        {
            **mentor,
            "operation": "generate",
            "model": FLASH,
            "cache_layer": CacheLayer.PATTERN,
            "usage": Usage(input_tokens=800, output_tokens=120),
        },
        {
            **mentor,
            "operation": "generate",
            "model": LITE,
            "cache_layer": CacheLayer.RESPONSE,
            "baseline_model": FLASH,
            "usage": Usage(input_tokens=600, cached_tokens=4000, output_tokens=90),
        },
        # Judging: Judge0 paid (one execution for eight tests), its retries, cache hits.
        {
            **judge,
            "model": "python",
            "usage": Usage(executions=1, http_requests=2),
            "baseline_usage": Usage(executions=8, http_requests=16),
        },
        {**judge, "model": "cpp", "usage": Usage(executions=3, http_requests=1)},
        {**judge, "model": "java", "status": CallStatus.ERROR, "error": "Judge0 503", "usage": Usage(http_requests=1)},
        {
            **judge,
            "model": "python",
            "cache_layer": CacheLayer.RESULT,
            "usage": Usage(executions=1),
            "baseline_usage": Usage(executions=8),
        },
        {
            **judge,
            "model": "python",
            "cache_layer": CacheLayer.SINGLE_FLIGHT,
            "usage": Usage(executions=1),
            "baseline_usage": Usage(executions=8),
        },
        {
            **judge,
            "provider": "local_sandbox",
            "model": "javascript",
            "usage": Usage(executions=1),
            "baseline_usage": Usage(executions=6),
        },
        {**judge, "feature": "run", "model": "python", "usage": Usage(executions=1)},
    ]


def snapshot() -> dict[int, tuple[Decimal, Decimal]]:
    return {c.pk: (c.cost_usd, c.baseline_cost_usd) for c in ApiCall.objects.order_by("pk")}


def reprice(since: date) -> str:
    out = io.StringIO()
    call_command("reprice", "--since", since.isoformat(), stdout=out)
    return out.getvalue()


def assert_dashboard_and_rollup_agree_with_the_ledger(now: datetime, since: date):
    rows = list(ApiCall.objects.all())
    total = sum((r.cost_usd for r in rows), Decimal(0))
    baseline = sum((r.baseline_cost_usd for r in rows), Decimal(0))
    period = Period(
        key="custom", start=datetime.combine(since, datetime.min.time(), tzinfo=UTC), end=now + timedelta(days=1)
    )
    headline = selectors.dashboard(period=period, now=now)["headline"]
    assert (headline["spend"], headline["baseline"]) == (total, baseline)
    rolled = sum((d.cost_usd for d in DailySpend.objects.filter(scope=GLOBAL)), Decimal(0))
    assert rolled == total


@pytest.mark.parametrize("plan", ["hosted", "self-hosted"])
def test_reprice_agrees_with_record_call_on_every_row_kind(settings, plan):
    settings.JUDGE0_PRICE_PLAN = plan
    now = datetime.now(UTC).replace(microsecond=0)
    since = (now - timedelta(days=3)).date()
    kinds = every_row_kind(now) + every_row_kind(now - timedelta(days=2))
    for kwargs in kinds:
        record_call(**kwargs)
    # Rows from before baseline usage was stored: reprice derives it as record_call did.
    legacy = record_call(
        provider="judge0",
        operation="execute",
        feature="submission",
        model="python",
        usage=Usage(executions=1),
        baseline_usage=Usage(executions=5),
        at=now,
    )
    ApiCall.objects.filter(pk=legacy.pk).update(baseline_usage={})
    written = snapshot()
    # The plan is what record_call used: Judge0 executions at that plan's rule.
    per_execution = Decimal("0.00004") if plan == "self-hosted" else Decimal("0.0005")
    cpp = ApiCall.objects.filter(provider="judge0", model="cpp").first()
    assert cpp.cost_usd == 3 * per_execution and cpp.baseline_cost_usd == 3 * per_execution

    text = reprice(since)

    assert f"examined {len(kinds) + 1} ledger rows" in text and "changed 0" in text
    assert snapshot() == written  # row by row, cost and baseline
    assert_dashboard_and_rollup_agree_with_the_ledger(now, since)


@pytest.mark.parametrize("plan", ["hosted", "self-hosted"])
def test_after_a_price_correction_each_repriced_row_equals_what_record_call_writes_now(settings, plan):
    settings.JUDGE0_PRICE_PLAN = plan
    now = datetime.now(UTC).replace(microsecond=0)
    since = (now - timedelta(days=3)).date()
    kinds = every_row_kind(now - timedelta(days=1))
    originals = [record_call(**kwargs).pk for kwargs in kinds]
    # Corrections: every Judge0 rule (the plan's and the hosted one), a Gemini price, the sandbox.
    start = (now - timedelta(days=30)).date()  # newer than the seeded rules (2025-01-01)
    for model, price in (("self-hosted", "0.00007"), ("*", "0.0009")):
        PriceRule.objects.create(
            provider="judge0",
            model=model,
            unit="execution",
            price_usd=Decimal(price),
            unit_size=1,
            effective_from=start,
        )
    PriceRule.objects.filter(provider="gemini", model=LITE, unit="input_token").update(price_usd=Decimal("0.20"))
    PriceRule.objects.filter(provider="local_sandbox").update(price_usd=Decimal("0.00005"))

    text = reprice(since)
    assert "changed" in text and "changed 0" not in text
    ApiCall.objects.filter(pk__in=originals).update(reference="repriced")
    twins = [record_call(**kwargs).pk for kwargs in kinds]  # the same calls, priced by record_call today
    for original, twin in zip(originals, twins):
        a, b = ApiCall.objects.get(pk=original), ApiCall.objects.get(pk=twin)
        assert (a.operation, a.model, a.cache_layer) == (b.operation, b.model, b.cache_layer)
        assert (a.cost_usd, a.baseline_cost_usd) == (b.cost_usd, b.baseline_cost_usd), (a.operation, a.model)
    judged = ApiCall.objects.get(pk=originals[10])  # judge0 cpp, 3 executions
    assert judged.cost_usd == 3 * (Decimal("0.00007") if plan == "self-hosted" else Decimal("0.0009"))
    assert_dashboard_and_rollup_agree_with_the_ledger(now, since)

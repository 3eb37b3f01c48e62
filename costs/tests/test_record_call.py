from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from costs.models import CacheLayer, PriceRule
from costs.pricing import Usage, usage_from_gemini
from costs.services import record_call

pytestmark = pytest.mark.django_db


def test_gemini_cost_counts_cached_tokens_once_and_thinking_at_output_price():
    # The worked example of gemini-api.md s.4: 2168 prompt of which 2048 cached,
    # 18 output, 40 thinking on 2.5 Flash = $0.00024244.
    usage = usage_from_gemini(
        {
            "promptTokenCount": 2168,
            "cachedContentTokenCount": 2048,
            "candidatesTokenCount": 18,
            "thoughtsTokenCount": 40,
        }
    )
    assert usage == Usage(input_tokens=120, cached_tokens=2048, output_tokens=18, thinking_tokens=40)
    call = record_call(
        provider="gemini",
        operation="generate",
        feature="mentor",
        model="gemini-2.5-flash",
        usage=usage,
        at=datetime(2026, 11, 22, tzinfo=UTC),
    )
    assert call.cost_usd == Decimal("0.00024244")
    # Baseline: all 2168 prompt tokens at $0.30/1M + 58 output at $2.50/1M.
    assert call.baseline_cost_usd == Decimal("0.00079540")


def test_snake_case_and_missing_counts():
    usage = usage_from_gemini({"prompt_token_count": 10, "candidates_token_count": None})
    assert usage == Usage(input_tokens=10)


def test_price_in_force_at_call_time_is_used():
    at_2026 = datetime(2026, 12, 31, 23, 0, tzinfo=UTC)
    at_2027 = datetime(2027, 1, 1, 0, 0, tzinfo=UTC)
    usage = Usage(input_tokens=1_000_000)
    before = record_call(
        provider="gemini", operation="generate", feature="mentor", model="gemini-3.8-flash", usage=usage, at=at_2026
    )
    after = record_call(
        provider="gemini", operation="generate", feature="mentor", model="gemini-3.8-flash", usage=usage, at=at_2027
    )
    assert before.cost_usd == Decimal("0.75")
    assert after.cost_usd == Decimal("1.50")


def test_model_rule_beats_wildcard_and_cache_hit_costs_nothing():
    PriceRule.objects.create(
        provider="judge0",
        model="python",
        unit="execution",
        price_usd=Decimal("0.001"),
        unit_size=1,
        effective_from=date(2020, 1, 1),
    )
    paid = record_call(
        provider="judge0",
        operation="execute",
        feature="submission",
        model="python",
        usage=Usage(executions=2, http_requests=1),
    )
    assert paid.cost_usd == Decimal("0.002")
    hit = record_call(
        provider="judge0",
        operation="execute",
        feature="submission",
        model="python",
        usage=Usage(executions=1),
        cache_layer=CacheLayer.RESULT,
        baseline_usage=Usage(executions=8),
    )
    assert hit.cost_usd == 0
    assert hit.executions == 0
    assert hit.baseline_executions == 8
    assert hit.baseline_cost_usd == Decimal("0.008")


@pytest.mark.parametrize(("plan", "expected"), [("hosted", Decimal("0.0010")), ("self-hosted", Decimal("0.00008"))])
def test_judge0_price_plan_picks_the_seeded_hosted_or_self_hosted_rule(settings, plan, expected):
    # Seeded rules (migration 0002): "*" = hosted $0.0005/execution, "self-hosted" = $0.00004.
    settings.JUDGE0_PRICE_PLAN = plan
    call = record_call(
        provider="judge0",
        operation="execute",
        feature="submission",
        model="cpp",
        usage=Usage(executions=2, http_requests=2),
        baseline_usage=Usage(executions=10),
    )
    assert call.model == "cpp"  # the ledger still says which language ran
    assert call.cost_usd == expected
    assert call.baseline_cost_usd == expected * 5
    # The plan is Judge0's alone: the local sandbox keeps its worker-CPU rule ($0.00004).
    local = record_call(
        provider="local_sandbox", operation="execute", feature="submission", model="cpp", usage=Usage(executions=2)
    )
    assert local.cost_usd == Decimal("0.00008")


@pytest.mark.django_db(transaction=True)
def test_a_paid_call_keeps_its_row_when_the_database_connection_died_meanwhile():
    """The call happened while our connection was terminated (failover, restart): the row
    is written on a fresh connection instead of being lost with the old one."""
    import psycopg
    from django.db import connection

    from costs.models import ApiCall

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    params = connection.get_connection_params()
    with psycopg.connect(**{k: v for k, v in params.items() if k != "cursor_factory"}, autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    call = record_call(
        provider="judge0", operation="execute", feature="submission", model="python", usage=Usage(executions=1)
    )
    # Priced exactly as the same call on a healthy connection (the price table is the suite's).
    healthy = record_call(
        provider="judge0", operation="execute", feature="submission", model="python", usage=Usage(executions=1)
    )
    row = ApiCall.objects.get(pk=call.pk)
    assert row.executions == 1 and row.cost_usd == ApiCall.objects.get(pk=healthy.pk).cost_usd
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.tests.factories import StaffFactory, UserFactory
from costs.calculator import CalculatorInputs, scenarios
from costs.models import CacheLayer
from costs.pricing import Usage
from costs.selectors import calculator_defaults, measured_averages
from costs.services import record_call

pytestmark = pytest.mark.django_db

INPUTS = CalculatorInputs(
    users=10,
    problems_per_user_day=Decimal("2"),
    tests_per_problem=Decimal("5"),
    duplicate_share=Decimal("0.5"),
    mentor_turns_per_user_day=Decimal("2"),
    input_tokens_per_turn=1000,
    output_tokens_per_turn=100,
    cheap_model_share=Decimal("0.5"),
    mentor_cache_share=Decimal("0.2"),
    context_cached_share=Decimal("0.5"),
    cheap_model="gemini-2.5-flash-lite",
    strong_model="gemini-2.5-flash",
    judge0_price_per_execution=Decimal("0.001"),
    self_hosted_monthly_usd=Decimal("50"),
)


def test_scenarios_match_hand_computation():
    # 300 user-days: 600 problems, 600 mentor turns. Flash turn $0.00055, Flash-Lite $0.00014;
    # with half the input cached: Flash $0.000415, Flash-Lite $0.000095.
    result = scenarios(INPUTS)
    rows = {r["key"]: r for r in result["rows"]}
    expect = {  # executions, gemini $, hosted Judge0 $
        "unoptimized": (3000, "0.33", "3.00"),
        "batching": (600, "0.33", "0.60"),
        "result_cache": (1500, "0.33", "1.50"),
        "mentor_cache": (3000, "0.26", "3.00"),
        "routing": (3000, "0.21", "3.00"),
        "context_cache": (3000, "0.25", "3.00"),
        "all": (300, "0.12", "0.30"),
    }
    for key, (executions, gemini, hosted) in expect.items():
        row = rows[key]
        assert (row["executions"], row["gemini_usd"], row["judge0_hosted_usd"]) == (
            Decimal(executions),
            Decimal(gemini),
            Decimal(hosted),
        ), key
        assert row["total_hosted_usd"] == Decimal(gemini) + Decimal(hosted)
        assert row["total_self_hosted_usd"] == Decimal(gemini) + Decimal("50")
    # $50 / $0.001 = 50,000 executions; all-on users run 2 x 30 x 0.5 = 30 per month.
    assert result["break_even"]["executions_per_month"] == Decimal("50000")
    assert result["break_even"]["daily_active_users"] == Decimal("1666.7")


def test_prices_come_from_the_price_table():
    from costs.models import PriceRule

    rule = PriceRule.objects.get(provider="judge0", model="*", unit="execution")
    result = scenarios(CalculatorInputs(users=1))
    assert Decimal(result["inputs"]["judge0_price_per_execution"]) == rule.price_per_unit


def test_inputs_are_validated():
    with pytest.raises(ValueError, match="duplicate_share"):
        CalculatorInputs.from_mapping({"duplicate_share": "1.5"}, base=INPUTS)
    with pytest.raises(ValueError, match="users"):
        CalculatorInputs.from_mapping({"users": "many"}, base=INPUTS)
    assert CalculatorInputs.from_mapping({"users": "7", "tests_per_problem": ""}, base=INPUTS).users == 7


@pytest.fixture
def measured_ledger():
    now = datetime.now(UTC)
    day = now - timedelta(days=2)
    alice, bob = UserFactory(), UserFactory()
    record_call(
        provider="judge0",
        operation="execute",
        feature="submission",
        model="python",
        user=alice,
        usage=Usage(executions=1),
        baseline_usage=Usage(executions=8),
        cache_layer=CacheLayer.RESULT,
        at=day,
    )
    record_call(
        provider="judge0",
        operation="execute",
        feature="submission",
        model="python",
        user=alice,
        usage=Usage(executions=1),
        baseline_usage=Usage(executions=10),
        at=day,
    )
    record_call(
        provider="gemini",
        operation="generate",
        feature="mentor",
        model="gemini-2.5-flash-lite",
        user=bob,
        usage=Usage(input_tokens=300, cached_tokens=700, output_tokens=50),
        reference="message:1",
        at=day,
    )
    # Older than 30 days: not part of the averages.
    record_call(
        provider="judge0",
        operation="execute",
        feature="submission",
        model="python",
        user=bob,
        usage=Usage(executions=1),
        at=now - timedelta(days=31),
    )
    return now


def test_measured_averages_with_sample_sizes(measured_ledger, settings):
    settings.MENTOR_CHEAP_MODEL = "gemini-2.5-flash-lite"
    m = measured_averages(now=measured_ledger)
    got = {k: (v["value"], v["n"]) for k, v in m.items()}
    assert got == {
        "users": (2, 1),
        "problems_per_user_day": (Decimal("1.00"), 2),
        "tests_per_problem": (Decimal("9.00"), 2),
        "duplicate_share": (Decimal("0.500"), 2),
        "mentor_turns_per_user_day": (Decimal("0.50"), 1),
        "input_tokens_per_turn": (1000, 1),
        "output_tokens_per_turn": (50, 1),
        "cheap_model_share": (Decimal("1.000"), 1),
        "mentor_cache_share": (Decimal("0.000"), 1),
        "context_cached_share": (Decimal("0.700"), 1),
    }
    defaults = calculator_defaults(m)
    assert defaults.users == 2 and defaults.tests_per_problem == Decimal("9.00")


def test_empty_ledger_keeps_stated_defaults():
    m = measured_averages()
    assert all(v["value"] is None and v["n"] == 0 for v in m.values())
    assert calculator_defaults(m) == CalculatorInputs()


def test_calculator_page_and_json(client, measured_ledger):
    client.force_login(StaffFactory())
    page = client.get(reverse("costs:calculator"), {"users": "500"})
    html = page.content.decode()
    assert page.status_code == 200 and "All optimizations on" in html and "(n=2)" in html
    assert page.context["result"]["inputs"]["users"] == 500
    api = client.get(reverse("costs_api:calculator"), {"users": "500", "self_hosted_monthly_usd": "100"})
    assert api.status_code == 200
    body = api.json()
    assert body["inputs"]["users"] == 500 and body["inputs"]["self_hosted_monthly_usd"] == "100"
    assert body["measured"]["tests_per_problem"] == {
        "value": "9.00",
        "n": 2,
        "basis": "executions a per-test run would need",
    }
    assert [r["key"] for r in body["rows"]][0] == "unoptimized" and body["rows"][-1]["key"] == "all"
    assert isinstance(body["rows"][0]["gemini_usd"], str)  # money as Decimal strings
    bad = client.get(reverse("costs_api:calculator"), {"duplicate_share": "2"})
    assert bad.status_code == 400

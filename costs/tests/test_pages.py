"""Permission matrix of every cost page and endpoint, and what the dashboard shows."""

import json
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token

from accounts.tests.factories import StaffFactory, UserFactory
from costs.models import Alert, CacheLayer
from costs.pricing import Usage
from costs.selectors import headline, ledger
from costs.services import record_call
from costs.tests.factories import BudgetFactory

pytestmark = pytest.mark.django_db

PAGES = ["costs:dashboard", "costs:calculator", "costs:export_csv"]
API = ["costs_api:summary", "costs_api:calculator"]
ADMIN = [
    "admin:index",
    "admin:costs_budget_changelist",
    "admin:costs_alert_changelist",
    "admin:costs_pricerule_changelist",
    "admin:costs_apicall_changelist",
]


@pytest.fixture
def staff(client):
    user = StaffFactory()
    client.force_login(user)
    return user


@pytest.mark.parametrize("name", PAGES + ADMIN)
def test_staff_pages_open_for_staff(client, staff, name):
    assert client.get(reverse(name)).status_code == 200


@pytest.mark.parametrize("name", PAGES + ADMIN[1:])
@pytest.mark.parametrize("who", ["student", "anonymous"])
def test_pages_redirect_students_and_anonymous_to_admin_login(client, name, who):
    if who == "student":
        client.force_login(UserFactory())
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.parametrize("name", API)
def test_api_is_staff_only(client, name):
    url = reverse(name)
    assert client.get(url).status_code == 401  # anonymous: token auth asks for credentials
    student = UserFactory()
    token = Token.objects.create(user=student)
    assert client.get(url, HTTP_AUTHORIZATION=f"Token {token.key}").status_code == 403
    staff_token = Token.objects.create(user=StaffFactory())
    assert client.get(url, HTTP_AUTHORIZATION=f"Token {staff_token.key}").status_code == 200


def test_metrics_need_token_or_staff(client, settings):
    settings.METRICS_TOKEN = "s3cret-metrics-token"
    url = reverse("costs:metrics")
    assert client.get(url).status_code == 401
    assert client.get(url, HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    assert client.get(url, HTTP_AUTHORIZATION="Bearer s3cret-metrics-token").status_code == 200
    client.force_login(UserFactory())
    assert client.get(url).status_code == 403
    client.force_login(StaffFactory())
    assert client.get(url).status_code == 200


def test_metrics_token_unset_means_no_token_access(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get(reverse("costs:metrics"), HTTP_AUTHORIZATION="Bearer ").status_code == 403


@pytest.fixture
def savings_fixture():
    """Four calls with hand-computed costs (seeded list prices):

    1. gemini-2.5-flash, 120 input + 2048 cached + 18 output + 40 thinking:
       cost 0.00024244, baseline (all 2168 input at full price) 0.00079540.
    2. Judge0 result-cache hit, a per-test run would need 8 executions at $0.0005: cost 0, baseline 0.004.
    3. Routed turn on flash-lite (1000 in, 100 out) instead of flash: cost 0.00014, baseline 0.00055.
    4. Paid Judge0 batch, 1 execution instead of 10: cost 0.0005, baseline 0.005.
    Spend 0.00088244, baseline 0.01034540, savings 0.00946296; executions 1 run, 17 avoided.
    """
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    record_call(
        provider="gemini",
        operation="generate",
        feature="mentor",
        model="gemini-2.5-flash",
        user=alice,
        usage=Usage(input_tokens=120, cached_tokens=2048, output_tokens=18, thinking_tokens=40),
        latency_ms=800,
        at=now,
    )
    record_call(
        provider="judge0",
        operation="execute",
        feature="submission",
        model="python",
        user=bob,
        usage=Usage(executions=1),
        baseline_usage=Usage(executions=8),
        cache_layer=CacheLayer.RESULT,
        problem_slug="two-sum",
        latency_ms=3,
        at=now,
    )
    record_call(
        provider="gemini",
        operation="generate",
        feature="mentor",
        model="gemini-2.5-flash-lite",
        baseline_model="gemini-2.5-flash",
        user=alice,
        usage=Usage(input_tokens=1000, output_tokens=100),
        latency_ms=400,
        at=now,
    )
    record_call(
        provider="judge0",
        operation="execute",
        feature="submission",
        model="python",
        user=bob,
        usage=Usage(executions=1),
        baseline_usage=Usage(executions=10),
        problem_slug="two-sum",
        latency_ms=1200,
        at=now,
    )
    # A refused call costs nothing and adds no latency sample.
    record_call(
        provider="judge0",
        operation="execute",
        feature="submission",
        model="python",
        user=bob,
        status="refused",
        error="budget",
        at=now,
    )
    return now


def test_counterfactual_savings_match_hand_computation(savings_fixture):
    from costs.periods import resolve_period

    period = resolve_period("today", now=savings_fixture)
    h = headline(ledger(period=period))
    assert h["spend"] == Decimal("0.00088244")
    assert h["baseline"] == Decimal("0.01034540")
    assert h["savings"] == Decimal("0.00946296")
    assert (h["executions"], h["baseline_executions"], h["executions_avoided"]) == (1, 18, 17)
    assert h["gemini_billed_tokens"] == 120 + 18 + 40 + 1000 + 100
    assert h["gemini_tokens_from_cache"] == 2048
    assert h["active_users"] == 2
    assert (h["refused_calls"], h["error_calls"]) == (1, 0)
    assert h["spend_per_active_user"] == Decimal("0.000441")
    # The refused call was a lookup that missed: 1 hit in 3 execution lookups.
    assert h["hit_rates"] == {"result": 0.3333, "single_flight": 0.0, "pattern": 0.0, "response": 0.0, "context": 0.5}


def test_dashboard_renders_figures_and_charts(client, staff, savings_fixture):
    response = client.get(reverse("costs:dashboard"), {"period": "today"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Savings (counterfactual)" in html and "0.0095" in html
    assert "vendor/chartjs/chart.umd.min.js" in html
    # The chart data reaches the page as JSON for Chart.js.
    found = re.search(r'<script id="costs-chart-data" type="application/json">(.*?)</script>', html, re.S)
    charts = json.loads(found.group(1))
    assert charts["days"] == [savings_fixture.date().isoformat()]
    assert {d["label"] for d in charts["spend_by_provider"]} == {"gemini", "judge0"}
    assert charts["calls"] == [5] and charts["hits"] == [1]
    assert charts["top_users"]["labels"][0] == "bob"  # 0.0005 > alice's 0.00038244
    assert charts["top_problems"]["labels"] == ["two-sum"]
    latency = {(r["provider"], r["operation"]): r for r in response.context["data"]["latency"]}
    # Paid calls only: the 3 ms cache hit is not a Judge0 latency.
    assert latency[("judge0", "execute")]["p50"] == 1200
    assert latency[("gemini", "generate")]["p50"] == 600  # interpolated between 400 and 800


def test_dashboard_filters_by_provider(client, staff, savings_fixture):
    response = client.get(reverse("costs:dashboard"), {"period": "today", "provider": "judge0"})
    assert response.context["h"]["calls"] == 3
    assert response.context["h"]["spend"] == Decimal("0.0005")


def test_admin_index_shows_unacknowledged_alert_banner(client, staff):
    budget = BudgetFactory(name="Platform monthly", amount_usd=Decimal("5"))
    alert = Alert.objects.create(
        budget=budget,
        threshold=85,
        period_start=datetime.now(UTC).date(),
        spend_usd=Decimal("4.25"),
        amount_usd=Decimal("5"),
    )
    html = client.get(reverse("admin:index")).content.decode()
    assert "Budget alerts (1 unacknowledged)" in html and "Platform monthly" in html and "85%" in html
    assert reverse("costs:dashboard") in html
    client.post(reverse("admin:costs_alert_changelist"), {"action": "acknowledge", "_selected_action": [alert.pk]})
    alert.refresh_from_db()
    assert alert.acknowledged
    assert "Budget alerts" not in client.get(reverse("admin:index")).content.decode()


def test_ledger_is_read_only_in_admin_and_prices_editable(client, staff, savings_fixture):
    from costs.models import ApiCall, PriceRule

    call = ApiCall.objects.first()
    assert client.get(reverse("admin:costs_apicall_add")).status_code == 403
    assert client.post(reverse("admin:costs_apicall_change", args=[call.pk]), {"cost_usd": "0"}).status_code == 403
    rule = PriceRule.objects.get(provider="judge0", model="*", unit="execution")
    response = client.post(
        reverse("admin:costs_pricerule_change", args=[rule.pk]),
        {
            "provider": "judge0",
            "model": "*",
            "unit": "execution",
            "price_usd": "0.00060000",
            "unit_size": 1,
            "effective_from": rule.effective_from.isoformat(),
            "source": "corrected",
        },
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.price_usd == Decimal("0.0006")


def test_custom_period_bounds_are_inclusive(client, staff, savings_fixture):
    day = savings_fixture.date()
    before = (day - timedelta(days=3)).isoformat()
    response = client.get(
        reverse("costs:dashboard"), {"period": "custom", "start": before, "end": (day - timedelta(days=1)).isoformat()}
    )
    assert response.context["h"]["calls"] == 0
    response = client.get(reverse("costs:dashboard"), {"period": "custom", "start": before, "end": day.isoformat()})
    assert response.context["h"]["calls"] == 5


def test_python_percentile_fallback_matches_postgresql():
    from costs.models import ApiCall
    from costs.selectors import latency_percentiles, percentile_cont
    from costs.tests.factories import ApiCallFactory

    values = [5, 17, 17, 40, 41, 99, 230, 231, 1000, 2500, 7]
    for v in values:
        ApiCallFactory(provider="judge0", operation="execute", latency_ms=v)
    [row] = latency_percentiles(ApiCall.objects.all())
    for q in (0.5, 0.95, 0.99):
        assert row[f"p{int(q * 100)}"] == pytest.approx(percentile_cont(values, q))


def test_budget_validation_in_admin(client, staff):
    from costs.models import Budget

    url = reverse("admin:costs_budget_add")
    base = {
        "name": "b",
        "period": "month",
        "amount_usd": "10",
        "thresholds": "[50, 100]",
        "active": "on",
        "notify_emails": "",
    }
    response = client.post(url, {**base, "scope": "provider", "provider": ""})
    assert response.status_code == 200 and "needs a provider" in response.content.decode()
    response = client.post(url, {**base, "scope": "global", "thresholds": '["half"]'})
    assert response.status_code == 200 and "whole percentages" in response.content.decode()
    response = client.post(url, {**base, "scope": "provider", "provider": "gemini", "hard_stop": "on"})
    assert response.status_code == 302
    budget = Budget.objects.get()
    assert (budget.provider, budget.hard_stop, budget.thresholds) == ("gemini", True, [50, 100])

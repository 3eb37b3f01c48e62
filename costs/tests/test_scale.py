"""The dashboard on a 100,000-row ledger stays within a fixed query budget."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from accounts.tests.factories import StaffFactory
from costs.models import ApiCall
from costs.tests.factories import build_ledger_rows

pytestmark = pytest.mark.django_db

# session + user, then 8 aggregates (headline, month projection, daily, by model, latency,
# top users, top problems, savings); the bound leaves no room for per-row queries.
DASHBOARD_MAX_QUERIES = 11


def test_dashboard_query_budget_with_100k_rows(client, django_assert_max_num_queries):
    User = get_user_model()
    User.objects.bulk_create([User(username=f"scale{i}") for i in range(60)])
    user_ids = list(User.objects.filter(username__startswith="scale").values_list("pk", flat=True))
    start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=27)
    ApiCall.objects.bulk_create(build_ledger_rows(100_000, user_ids=user_ids, start=start, days=28), batch_size=5000)
    assert ApiCall.objects.count() == 100_000
    client.force_login(StaffFactory())
    params = {"period": "custom", "start": start.date().isoformat(), "end": datetime.now(UTC).date().isoformat()}
    with django_assert_max_num_queries(DASHBOARD_MAX_QUERIES):
        response = client.get(reverse("costs:dashboard"), params)
    assert response.status_code == 200
    h = response.context["h"]
    assert h["calls"] == 100_000
    assert h["active_users"] == 60
    assert len(response.context["charts"]["days"]) == 28
    assert sum(response.context["charts"]["calls"]) == 100_000
    assert all(r["p50"] <= r["p95"] <= r["p99"] for r in response.context["data"]["latency"])
    with django_assert_max_num_queries(DASHBOARD_MAX_QUERIES):
        api = client.get(reverse("costs_api:summary"), params)
    assert api.json()["headline"]["calls"] == 100_000

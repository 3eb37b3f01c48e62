import csv
import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.http import StreamingHttpResponse
from django.urls import reverse

from accounts.tests.factories import StaffFactory, UserFactory
from costs.models import ApiCall, CacheLayer, PriceRule
from costs.pricing import Usage
from costs.services import record_call

pytestmark = pytest.mark.django_db


@pytest.fixture
def ledger_rows():
    now = datetime.now(UTC).replace(microsecond=0)
    alice = UserFactory(username="alice")
    paid = record_call(
        provider="judge0",
        operation="execute",
        feature="submission",
        model="python",
        user=alice,
        usage=Usage(executions=1),
        baseline_usage=Usage(executions=4),
        problem_slug="two-sum",
        latency_ms=120,
        at=now,
    )
    hit = record_call(
        provider="judge0",
        operation="execute",
        feature="run",
        model="python",
        user=alice,
        usage=Usage(executions=1),
        cache_layer=CacheLayer.RESULT,
        problem_slug="=HYPERLINK(1)",
        latency_ms=2,
        at=now,
    )
    turn = record_call(
        provider="gemini",
        operation="generate",
        feature="mentor",
        model="gemini-2.5-flash",
        usage=Usage(input_tokens=100, cached_tokens=50, output_tokens=10),
        latency_ms=700,
        at=now,
    )
    old = record_call(
        provider="gemini",
        operation="generate",
        feature="mentor",
        model="gemini-2.5-flash",
        usage=Usage(input_tokens=100),
        at=now - timedelta(days=40),
    )
    return {"now": now, "paid": paid, "hit": hit, "turn": turn, "old": old}


@pytest.fixture
def staff_client(client):
    client.force_login(StaffFactory())
    return client


def read_csv(response) -> list[dict]:
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_export_streams_the_filtered_ledger(staff_client, ledger_rows):
    response = staff_client.get(reverse("costs:export_csv"), {"period": "today"})
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = read_csv(response)
    assert [int(r["id"]) for r in rows] == sorted(c.pk for k, c in ledger_rows.items() if k in ("paid", "hit", "turn"))
    paid = next(r for r in rows if int(r["id"]) == ledger_rows["paid"].pk)
    assert paid["user"] == "alice" and paid["cost_usd"] == "0.00050000" and paid["baseline_executions"] == "4"
    assert paid["baseline_cost_usd"] == "0.00200000" and paid["latency_ms"] == "120"
    assert datetime.fromisoformat(paid["created_at"]) == ledger_rows["now"]
    hit = next(r for r in rows if int(r["id"]) == ledger_rows["hit"].pk)
    assert hit["problem_slug"] == "'=HYPERLINK(1)"  # no formula injection into spreadsheets
    assert hit["cost_usd"] == "0.00000000"
    turn = next(r for r in rows if int(r["id"]) == ledger_rows["turn"].pk)
    assert turn["user"] == ""
    only_gemini = read_csv(staff_client.get(reverse("costs:export_csv"), {"period": "today", "provider": "gemini"}))
    assert [int(r["id"]) for r in only_gemini] == [ledger_rows["turn"].pk]


def test_json_summary(staff_client, ledger_rows):
    body = staff_client.get(reverse("costs_api:summary"), {"period": "today"}).json()
    assert body["period"]["key"] == "today"
    h = body["headline"]
    assert h["calls"] == 3 and h["paid_calls"] == 2
    # 0.0005 (Judge0) + 100 x 0.30/1M + 50 x 0.03/1M + 10 x 2.50/1M = 0.0005 + 0.0000565
    assert h["spend"] == "0.00055650"
    assert Decimal(h["savings"]) == Decimal(h["baseline"]) - Decimal(h["spend"])
    assert h["hit_rates"]["result"] == 0.5
    assert body["top_problems"][0]["problem_slug"] == "two-sum"
    assert Decimal(body["projection"]["month_to_date"]) >= Decimal("0.00055650")
    assert "Counterfactual" in body["counterfactual_note"]
    bad = staff_client.get(reverse("costs_api:summary"), {"period": "custom"})
    assert bad.status_code == 400
    custom = staff_client.get(
        reverse("costs_api:summary"),
        {
            "period": "custom",
            "start": (ledger_rows["now"] - timedelta(days=45)).date().isoformat(),
            "end": (ledger_rows["now"] - timedelta(days=35)).date().isoformat(),
        },
    ).json()
    assert custom["headline"]["calls"] == 1


def test_metrics_output(client, settings, ledger_rows):
    settings.METRICS_TOKEN = "tok"
    text = client.get(reverse("costs:metrics"), HTTP_AUTHORIZATION="Bearer tok").content.decode()
    assert (
        'codementor_api_calls_total{cache_layer="none",operation="execute",provider="judge0",status="ok"} 1.0' in text
    )
    assert 'codementor_cache_hits_total{cache_layer="result"} 1.0' in text
    assert (
        'codementor_executions_total{cache_layer="none",operation="execute",provider="judge0",status="ok"} 1.0' in text
    )
    assert (
        'codementor_tokens_total{cache_layer="none",kind="cached",operation="generate",provider="gemini",'
        'status="ok"} 50.0'
    ) in text
    # Latency histogram of paid calls: gemini 700 ms and 0 ms (the old call).
    assert 'codementor_call_latency_ms_bucket{le="500",operation="generate",provider="gemini"} 1.0' in text
    assert 'codementor_call_latency_ms_bucket{le="1000",operation="generate",provider="gemini"} 2.0' in text
    assert 'codementor_call_latency_ms_count{operation="generate",provider="gemini"} 2.0' in text
    assert 'codementor_month_spend_usd{kind="projected"}' in text
    cost_line = next(
        line
        for line in text.splitlines()
        if line.startswith("codementor_cost_usd_total{")
        and 'provider="judge0"' in line
        and 'cache_layer="none"' in line
    )
    assert cost_line.endswith(" 0.0005")


def test_cost_report_command(ledger_rows):
    out = io.StringIO()
    call_command("cost_report", "--days", "7", stdout=out)
    text = out.getvalue()
    assert "Cost report, last 7 day(s)" in text
    assert "spend $0.0006" in text and "calls 3 (paid 2)" in text
    assert "judge0" in text and "gemini-2.5-flash" in text
    assert "result" in text and "50.0%" in text
    assert "alice" in text


def test_reprice_recomputes_after_a_price_correction(ledger_rows):
    since = ledger_rows["now"].date() - timedelta(days=1)
    # A corrected Judge0 price from 2020 on, and a correction of the flash input price.
    PriceRule.objects.create(
        provider="judge0",
        model="python",
        unit="execution",
        price_usd=Decimal("0.001"),
        unit_size=1,
        effective_from=date(2020, 1, 1),
        source="corrected",
    )
    PriceRule.objects.filter(provider="gemini", model="gemini-2.5-flash", unit="input_token").update(
        price_usd=Decimal("0.60")
    )
    out = io.StringIO()
    call_command("reprice", "--since", since.isoformat(), "--dry-run", stdout=out)
    assert "would change 3" in out.getvalue()
    assert ApiCall.objects.get(pk=ledger_rows["paid"].pk).cost_usd == Decimal("0.0005")  # dry run wrote nothing
    out = io.StringIO()
    call_command("reprice", "--since", since.isoformat(), stdout=out)
    text = out.getvalue()
    assert "examined 3 ledger rows" in text and "changed 3" in text
    paid = ApiCall.objects.get(pk=ledger_rows["paid"].pk)
    assert (paid.cost_usd, paid.baseline_cost_usd) == (Decimal("0.001"), Decimal("0.004"))
    hit = ApiCall.objects.get(pk=ledger_rows["hit"].pk)
    assert hit.cost_usd == 0 and hit.baseline_cost_usd == Decimal("0.001")
    turn = ApiCall.objects.get(pk=ledger_rows["turn"].pk)
    # 100 x 0.60/1M + 50 x 0.03/1M + 10 x 2.50/1M; baseline 150 x 0.60/1M + 10 x 2.50/1M
    assert turn.cost_usd == Decimal("0.0000865") and turn.baseline_cost_usd == Decimal("0.000115")
    assert "judge0: +0.00050000" in text
    # Rows before --since keep their price.
    assert ApiCall.objects.get(pk=ledger_rows["old"].pk).cost_usd == Decimal("0.00003")


def test_month_projection_reads_the_rollup(ledger_rows):
    from costs.selectors import month_projection

    now = ledger_rows["now"]
    result = month_projection(now=now)
    # The rows of today (paid Judge0 + Gemini turn); the 40-day-old call is another month.
    assert result["month_to_date"] == Decimal("0.00055650")
    assert result["projected"] >= result["month_to_date"]

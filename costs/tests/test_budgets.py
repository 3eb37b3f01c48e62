import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import IntegrityError
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from accounts.tests.factories import UserFactory
from costs.models import Alert, ApiCall, BudgetPeriod, BudgetScope, CacheLayer
from costs.pricing import Usage
from costs.services import BudgetExceeded, check_budget, record_call
from costs.tests.factories import BudgetFactory

pytestmark = pytest.mark.django_db


def spend(dollars: int, *, user=None, provider="judge0", at=None, cache_layer=CacheLayer.NONE):
    return record_call(
        provider=provider,
        operation="execute",
        feature="submission",
        model="dollar",
        user=user,
        usage=Usage(executions=dollars),
        cache_layer=cache_layer,
        at=at,
    )


def thresholds_alerted(budget, user=None):
    return sorted(Alert.objects.filter(budget=budget, user=user).values_list("threshold", flat=True))


def test_threshold_is_reached_at_equal_spend_not_only_above(dollar_execution):
    budget = BudgetFactory(amount_usd=Decimal("10"), thresholds=[50, 85, 95, 100])
    spend(4)
    assert thresholds_alerted(budget) == []
    spend(1)  # exactly 50 %
    assert thresholds_alerted(budget) == [50]
    spend(5)  # exactly 100 %: 85, 95 and 100 in one step
    assert thresholds_alerted(budget) == [50, 85, 95, 100]
    alert = Alert.objects.get(budget=budget, threshold=100)
    assert alert.spend_usd == Decimal("10") and alert.amount_usd == Decimal("10")


def test_alerts_are_deduplicated_per_threshold_and_period(dollar_execution):
    budget = BudgetFactory(amount_usd=Decimal("4"), period=BudgetPeriod.DAY, thresholds=[50, 100])
    today = datetime.now(UTC).replace(hour=10)
    for _ in range(6):
        spend(1, at=today)
    assert Alert.objects.filter(budget=budget).count() == 2
    # The next day is a new period: the same thresholds alert again, once.
    for _ in range(3):
        spend(2, at=today + timedelta(days=1))
    assert sorted(Alert.objects.filter(budget=budget).values_list("period_start", "threshold")) == [
        (today.date(), 50),
        (today.date(), 100),
        (today.date() + timedelta(days=1), 50),
        (today.date() + timedelta(days=1), 100),
    ]
    # The database itself refuses a duplicate (concurrent requests cannot both create one).
    with pytest.raises(IntegrityError):
        Alert.objects.create(budget=budget, threshold=50, period_start=today.date(), spend_usd=1, amount_usd=4)


def test_cache_hits_cost_nothing_and_raise_no_alert(dollar_execution):
    budget = BudgetFactory(amount_usd=Decimal("1"), thresholds=[50, 100], hard_stop=True)
    for _ in range(3):
        spend(5, cache_layer=CacheLayer.RESULT)
    assert not Alert.objects.filter(budget=budget).exists()
    check_budget(user=None, provider="judge0", feature="submission")


def test_hard_stop_refuses_once_spend_equals_the_amount(dollar_execution):
    student = UserFactory()
    BudgetFactory(amount_usd=Decimal("3"), hard_stop=True, period=BudgetPeriod.DAY)
    spend(2, user=student)
    check_budget(user=student, provider="judge0", feature="submission")  # $2 < $3: allowed
    spend(1, user=student)
    with pytest.raises(BudgetExceeded) as refused:
        check_budget(user=student, provider="judge0", feature="submission")
    message = refused.value.message
    assert "daily spending limit for code execution" in message and "UTC" in message
    assert "$" not in message  # students are not shown platform figures
    assert 0 < int(refused.value.headers["Retry-After"]) <= 86400


def test_soft_budget_never_refuses(dollar_execution):
    BudgetFactory(amount_usd=Decimal("1"), hard_stop=False)
    spend(5)
    check_budget(user=None, provider="judge0", feature="submission")


def test_inactive_budget_is_ignored(dollar_execution):
    BudgetFactory(amount_usd=Decimal("1"), hard_stop=True, active=False)
    spend(5)
    check_budget(user=None, provider="judge0", feature="submission")


def test_user_budget_precedence_over_default_and_global_still_applies(dollar_execution):
    """A budget naming a user replaces the default per-user budget for that user;
    global (and provider) budgets apply on top, so the strictest one decides."""
    alice, bob = UserFactory(), UserFactory()
    BudgetFactory(name="default per user", scope=BudgetScope.USER, amount_usd=Decimal("2"), hard_stop=True)
    BudgetFactory(name="alice", scope=BudgetScope.USER, user=alice, amount_usd=Decimal("5"), hard_stop=True)
    spend(3, user=alice)
    spend(2, user=bob)
    check_budget(user=alice, provider="judge0", feature="submission")  # $3 of her own $5
    with pytest.raises(BudgetExceeded, match="You have used up your monthly allowance"):
        check_budget(user=bob, provider="judge0", feature="submission")  # $2 of the default $2
    # A global cap of $6 is reached by their combined $5 + $1: alice is refused despite her own $5.
    BudgetFactory(name="global", amount_usd=Decimal("6"), hard_stop=True)
    spend(1)
    with pytest.raises(BudgetExceeded, match="CodeMentor has reached its monthly spending limit"):
        check_budget(user=alice, provider="judge0", feature="submission")


def test_default_user_budget_alerts_per_user(dollar_execution):
    alice, bob = UserFactory(), UserFactory()
    default = BudgetFactory(scope=BudgetScope.USER, amount_usd=Decimal("2"), thresholds=[100])
    spend(2, user=alice)
    spend(1, user=bob)
    assert list(Alert.objects.filter(budget=default).values_list("user", flat=True)) == [alice.pk]
    spend(1, user=bob)
    assert sorted(Alert.objects.filter(budget=default).values_list("user", flat=True)) == sorted([alice.pk, bob.pk])


def test_provider_budget_counts_only_its_provider(dollar_execution):
    BudgetFactory(scope=BudgetScope.PROVIDER, provider="gemini", amount_usd=Decimal("1"), hard_stop=True)
    spend(5)  # judge0 spend
    check_budget(user=None, provider="gemini", feature="mentor")
    record_call(
        provider="gemini",
        operation="generate",
        feature="mentor",
        model="gemini-2.5-pro",
        usage=Usage(output_tokens=100_000),
    )  # $1.00
    with pytest.raises(BudgetExceeded, match="the AI mentor"):
        check_budget(user=None, provider="gemini", feature="mentor")
    check_budget(user=None, provider="judge0", feature="submission")


class _PaidView(APIView):
    """Stands for any API view that checks the budget before a paid call."""

    def post(self, request):
        check_budget(user=request.user, provider="judge0", feature="submission")
        return Response({"ok": True})


def test_api_answers_402_with_reason_not_500(dollar_execution):
    student = UserFactory()
    BudgetFactory(scope=BudgetScope.USER, amount_usd=Decimal("1"), hard_stop=True)
    view = _PaidView.as_view()
    request = APIRequestFactory().post("/x")
    force_authenticate(request, user=student)
    assert view(request).status_code == 200
    spend(1, user=student)
    request = APIRequestFactory().post("/x")
    force_authenticate(request, user=student)
    response = view(request)
    assert response.status_code == 402
    assert response.data["code"] == "budget_exceeded"
    assert "allowance" in response.data["detail"]
    assert int(response["Retry-After"]) > 0


def test_alert_is_emailed_and_posted_to_webhook(
    dollar_execution, settings, webhook, django_capture_on_commit_callbacks
):
    settings.ADMINS = [("Ops", "ops@example.com")]
    budget = BudgetFactory(name="platform", amount_usd=Decimal("2"), thresholds=[100], notify_emails="cfo@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        spend(2)
    alert = Alert.objects.get(budget=budget)
    assert alert.email_sent and alert.webhook_sent and alert.attempts == 1 and alert.last_error == ""
    assert len(mail.outbox) == 1
    assert sorted(mail.outbox[0].to) == ["cfo@example.com", "ops@example.com"]
    assert "platform" in mail.outbox[0].subject
    [post] = webhook.received
    assert post["body"]["event"] == "budget_threshold_reached"
    assert post["body"]["threshold_percent"] == 100
    assert post["body"]["spend_usd"] == "2.00000000"


def test_failing_webhook_is_retried_and_never_breaks_the_request(
    dollar_execution, settings, webhook, django_capture_on_commit_callbacks
):
    settings.ADMINS = [("Ops", "ops@example.com")]
    webhook.reset(statuses=[500] * 50)
    budget = BudgetFactory(amount_usd=Decimal("1"), thresholds=[100])
    with django_capture_on_commit_callbacks(execute=True):
        call = spend(1)  # returns normally although every delivery attempt fails
    assert ApiCall.objects.filter(pk=call.pk).exists()
    alert = Alert.objects.get(budget=budget)
    assert alert.attempts == 6  # first try + 5 retries
    assert len(webhook.received) == 6
    assert not alert.webhook_sent and "HTTP 500" in alert.last_error
    assert alert.email_sent and len(mail.outbox) == 1  # the channel that worked is not repeated


def test_webhook_recovers_after_transient_errors(dollar_execution, webhook, django_capture_on_commit_callbacks):
    webhook.reset(statuses=[500, 503])
    budget = BudgetFactory(amount_usd=Decimal("1"), thresholds=[100])
    with django_capture_on_commit_callbacks(execute=True):
        spend(1)
    alert = Alert.objects.get(budget=budget)
    assert alert.webhook_sent and alert.attempts == 3 and alert.last_error == ""


def test_unreachable_webhook_does_not_break_the_request(dollar_execution, settings, django_capture_on_commit_callbacks):
    settings.COSTS_ALERT_WEBHOOK_URL = "http://127.0.0.1:9/unreachable"
    budget = BudgetFactory(amount_usd=Decimal("1"), thresholds=[100])
    with django_capture_on_commit_callbacks(execute=True):
        call = spend(1)
    assert call.pk
    alert = Alert.objects.get(budget=budget)
    assert not alert.webhook_sent and "ConnectionError" in alert.last_error


def test_daily_rollup_matches_the_ledger_and_survives_reprice(dollar_execution):
    from django.core.management import call_command

    from costs.models import DailySpend, PriceRule
    from costs.rollup import rebuild

    alice = UserFactory()
    now = datetime.now(UTC)
    spend(2, user=alice, at=now)
    spend(3, at=now)
    spend(4, user=alice, provider="local_sandbox", at=now)  # no 'dollar' rule for local_sandbox: $0.00016
    spend(7, cache_layer=CacheLayer.RESULT, at=now)  # free: not in the rollup
    incremental = {(r.scope, r.cost_usd, r.calls) for r in DailySpend.objects.all()}
    assert incremental == {
        ("global", Decimal("5.00016"), 3),
        ("provider:judge0", Decimal("5"), 2),
        ("provider:local_sandbox", Decimal("0.00016"), 1),
        (f"user:{alice.pk}", Decimal("2.00016"), 2),
    }
    rebuild(ApiCall=ApiCall, DailySpend=DailySpend)
    assert {(r.scope, r.cost_usd, r.calls) for r in DailySpend.objects.all()} == incremental

    # A price correction raises the stored costs; the rollup (and so the hard stop) follows.
    BudgetFactory(scope=BudgetScope.USER, user=alice, amount_usd=Decimal("3"), hard_stop=True)
    check_budget(user=alice, provider="judge0", feature="submission")
    PriceRule.objects.filter(provider="judge0", model="dollar").update(price_usd=Decimal("2"))
    call_command("reprice", "--since", (now - timedelta(days=1)).date().isoformat(), stdout=io.StringIO())
    assert DailySpend.objects.get(scope=f"user:{alice.pk}", day=now.date()).cost_usd == Decimal("4.00016")
    with pytest.raises(BudgetExceeded):
        check_budget(user=alice, provider="judge0", feature="submission")


def test_resend_picks_up_alerts_never_enqueued(webhook):
    from costs.services import resend_undelivered_alerts

    budget = BudgetFactory(amount_usd=Decimal("1"))
    never = Alert.objects.create(
        budget=budget,
        threshold=50,
        period_start=datetime.now(UTC).date(),
        spend_usd=Decimal("0.5"),
        amount_usd=Decimal("1"),
    )
    done = Alert.objects.create(
        budget=budget,
        threshold=85,
        period_start=datetime.now(UTC).date(),
        spend_usd=Decimal("0.9"),
        amount_usd=Decimal("1"),
        attempts=1,
        webhook_sent=True,
    )
    assert resend_undelivered_alerts() == 1
    never.refresh_from_db()
    done.refresh_from_db()
    assert never.webhook_sent and never.attempts == 1
    assert done.attempts == 1
    assert [p["body"]["alert_id"] for p in webhook.received] == [never.pk]

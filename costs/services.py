"""State changes of the cost ledger. `record_call` is the one door every external call
(Gemini, Judge0, the local sandbox) and every cache hit that avoided one passes through.

Budgets: `check_budget` runs before a paid call (hard stops); `record_call` evaluates the
soft thresholds after a paid call and raises deduplicated alerts, delivered by a Celery
task so a failing mail server or webhook never breaks the request that crossed them.
"""

import logging
from dataclasses import asdict, replace
from datetime import UTC, datetime, time
from decimal import Decimal

import requests
from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from codementor.api_errors import DomainError

from . import rollup
from .models import Alert, ApiCall, Budget, BudgetPeriod, BudgetScope, CacheLayer, CallStatus, DailySpend, Provider
from .periods import period_bounds
from .pricing import PriceBook, Usage, cost_of, usage_from_json

logger = logging.getLogger(__name__)
ZERO = Decimal("0")


class BudgetExceeded(DomainError):
    """A hard budget stop refused a paid call; the message is shown to the user."""

    status_code = 402
    code = "budget_exceeded"


class AlertDeliveryFailed(Exception):
    """Some channel of an alert could not be delivered; the task retries it."""


# --- Which budgets apply ------------------------------------------------------------


def _candidate_budgets(*, user, provider: str, hard_stop_only: bool) -> list[Budget]:
    has_user = getattr(user, "is_authenticated", False) and user.pk is not None
    scope = Q(scope=BudgetScope.GLOBAL) | Q(scope=BudgetScope.PROVIDER, provider=provider)
    if has_user:
        scope |= Q(scope=BudgetScope.USER, user_id=user.pk) | Q(scope=BudgetScope.USER, user__isnull=True)
    qs = Budget.objects.filter(scope, active=True)
    if hard_stop_only:
        qs = qs.filter(hard_stop=True)
    return list(qs)


def applicable_budgets(*, user, provider: str, hard_stop_only: bool = False) -> list[Budget]:
    """Budgets a call by `user` to `provider` must fit.

    Precedence: a per-user budget naming this user replaces the default per-user budget
    (scope user, no user) of the same period; global and per-provider budgets always
    apply too, so the strictest applicable budget decides.
    """
    budgets = _candidate_budgets(user=user, provider=provider, hard_stop_only=hard_stop_only)
    own_periods = {b.period for b in budgets if b.scope == BudgetScope.USER and b.user_id is not None}
    return [b for b in budgets if not (b.scope == BudgetScope.USER and b.user_id is None and b.period in own_periods)]


def _scope_key(budget: Budget, *, user) -> str:
    if budget.scope == BudgetScope.PROVIDER:
        return f"provider:{budget.provider}"
    if budget.scope == BudgetScope.USER:
        return f"user:{user.pk}"
    return rollup.GLOBAL


def budget_spend(budgets: list[Budget], *, user, at: datetime) -> dict[int, Decimal]:
    """Spend so far in each budget's current period: one query over the daily rollup."""
    if not budgets:
        return {}
    sums = {}
    for b in budgets:
        start, end = period_bounds(b.period, at)
        sums[f"b{b.pk}"] = Sum(
            "cost_usd",
            filter=Q(scope=_scope_key(b, user=user), day__gte=start.date(), day__lt=end.date()),
            default=ZERO,
        )
    keys = {_scope_key(b, user=user) for b in budgets}
    earliest = min(period_bounds(b.period, at)[0] for b in budgets).date()
    row = DailySpend.objects.filter(scope__in=keys, day__gte=earliest).aggregate(**sums)
    return {b.pk: row[f"b{b.pk}"] for b in budgets}


# --- Hard stops ---------------------------------------------------------------------

_WHAT = {Provider.GEMINI: "the AI mentor", Provider.JUDGE0: "code execution", Provider.LOCAL_SANDBOX: "code execution"}


def _refusal_message(budget: Budget, *, provider: str, resets_at: datetime) -> str:
    when = f"{resets_at:%Y-%m-%d %H:%M} UTC"
    span = "daily" if budget.period == BudgetPeriod.DAY else "monthly"
    what = _WHAT.get(provider, "paid features")
    if budget.scope == BudgetScope.USER:
        return f"You have used up your {span} allowance for {what}. It resets at {when}."
    return (
        f"CodeMentor has reached its {span} spending limit for {what}, so it is paused until {when}. "
        "Please try again later."
    )


def check_budget(*, user, provider: str, feature: str, at: datetime | None = None) -> None:
    """Raise BudgetExceeded before a paid call when a hard-stop budget is used up.

    Called by the executor pipeline and the mentor before every paid call. "Used up"
    means spend >= amount. The error carries a Retry-After header for the API (402).
    """
    at = at or timezone.now()
    budgets = applicable_budgets(user=user, provider=provider, hard_stop_only=True)
    if not budgets:
        return
    spend = budget_spend(budgets, user=user, at=at)
    # Report the budget that stays exhausted longest, so "try again at" is honest.
    exhausted = [b for b in budgets if spend[b.pk] >= b.amount_usd]
    if not exhausted:
        return
    worst = max(exhausted, key=lambda b: period_bounds(b.period, at)[1])
    resets_at = period_bounds(worst.period, at)[1]
    logger.info("budget %s refused a %s call (feature %s)", worst.pk, provider, feature)
    raise BudgetExceeded(
        _refusal_message(worst, provider=provider, resets_at=resets_at),
        headers={"Retry-After": str(max(int((resets_at - at).total_seconds()), 1))},
    )


# --- Soft thresholds and alerts -----------------------------------------------------


def evaluate_budgets(*, call: ApiCall) -> list[Alert]:
    """Create the alerts for every threshold the spend has reached (>=) after `call`.

    At most one alert per (budget, threshold, period, user): the unique constraints
    deduplicate, also between concurrent requests. Returns the alerts created now.
    """
    budgets = applicable_budgets(user=call.user, provider=call.provider)
    budgets = [b for b in budgets if b.thresholds]
    if not budgets:
        return []
    spend = budget_spend(budgets, user=call.user, at=call.created_at)
    created = []
    for budget in budgets:
        reached = [t for t in budget.thresholds if spend[budget.pk] * 100 >= budget.amount_usd * t]
        if not reached:
            continue
        period_start = period_bounds(budget.period, call.created_at)[0].date()
        alert_user = call.user if budget.scope == BudgetScope.USER else None
        known = set(
            Alert.objects.filter(budget=budget, period_start=period_start, user=alert_user).values_list(
                "threshold", flat=True
            )
        )
        for threshold in sorted(set(reached) - known):
            try:
                with transaction.atomic():
                    alert = Alert.objects.create(
                        budget=budget,
                        threshold=threshold,
                        period_start=period_start,
                        user=alert_user,
                        spend_usd=spend[budget.pk],
                        amount_usd=budget.amount_usd,
                    )
            except IntegrityError:
                continue  # a concurrent request raised the same alert first
            created.append(alert)
            logger.warning("cost alert: %s", alert.message)
            transaction.on_commit(lambda pk=alert.pk: _enqueue_delivery(pk))
    return created


def _enqueue_delivery(alert_id: int) -> None:
    from .tasks import deliver_alert_task

    try:
        deliver_alert_task.delay(alert_id)
    except Exception:  # broker down: the periodic resend task picks it up later
        logger.exception("could not enqueue delivery of alert %s", alert_id)


def alert_recipients(alert: Alert) -> list[str]:
    emails = [email for _name, email in settings.ADMINS] + alert.budget.emails
    return list(dict.fromkeys(e for e in emails if e))


def deliver_alert(*, alert_id: int) -> Alert:
    """Send an alert by email and to the webhook; each channel succeeds at most once.

    Raises AlertDeliveryFailed (after recording the error) when a channel failed, so the
    Celery task can retry just the missing channel.
    """
    with transaction.atomic():
        alert = Alert.objects.select_for_update(of=("self",)).select_related("budget", "user").get(pk=alert_id)
        alert.attempts += 1
        errors = []
        recipients = alert_recipients(alert)
        if recipients and not alert.email_sent:
            try:
                send_mail(
                    f"[CodeMentor] budget alert: {alert.budget.name} at {alert.threshold}%",
                    alert.message,
                    None,
                    recipients,
                )
                alert.email_sent = True
            except Exception as exc:
                errors.append(f"email: {exc.__class__.__name__}: {exc}")
        url = settings.COSTS_ALERT_WEBHOOK_URL
        if url and not alert.webhook_sent:
            try:
                response = requests.post(url, json=alert_payload(alert), timeout=(3, 5))  # connect, read
                if response.status_code >= 400:
                    errors.append(f"webhook: HTTP {response.status_code}")
                else:
                    alert.webhook_sent = True
            except requests.RequestException as exc:
                errors.append(f"webhook: {exc.__class__.__name__}")
        alert.last_error = "; ".join(errors)[:2000]
        alert.save(update_fields=["attempts", "email_sent", "webhook_sent", "last_error"])
    if errors:
        raise AlertDeliveryFailed(alert.last_error)
    return alert


def alert_payload(alert: Alert) -> dict:
    return {
        "event": "budget_threshold_reached",
        "alert_id": alert.pk,
        "budget": alert.budget.name,
        "scope": alert.budget.scope,
        "period": alert.budget.period,
        "period_start": alert.period_start.isoformat(),
        "threshold_percent": alert.threshold,
        "spend_usd": str(alert.spend_usd),
        "amount_usd": str(alert.amount_usd),
        "user": alert.user.get_username() if alert.user_id else None,
        "hard_stop": alert.budget.hard_stop,
        "message": alert.message,
    }


def resend_undelivered_alerts(*, max_attempts: int = 10) -> int:
    """Re-enqueue alerts a channel still owes (e.g. the broker was down at the time)."""
    # Never tried (enqueue failed) or the last try left an error behind.
    pending = Alert.objects.filter(Q(attempts=0) | ~Q(last_error=""), attempts__lt=max_attempts)
    ids = list(pending.values_list("pk", flat=True)[:500])
    for pk in ids:
        _enqueue_delivery(pk)
    return len(ids)


def acknowledge_alerts(*, alert_ids: list[int]) -> int:
    return Alert.objects.filter(pk__in=alert_ids, acknowledged=False).update(acknowledged=True)


# --- The ledger door ----------------------------------------------------------------


def usage_to_json(usage: Usage) -> dict:
    return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in asdict(usage).items() if v}


def record_call(
    *,
    provider: str,
    operation: str,
    feature: str,
    model: str = "",
    user=None,
    usage: Usage | None = None,
    raw_usage: dict | None = None,
    latency_ms: int = 0,
    cache_layer: str = CacheLayer.NONE,
    status: str = CallStatus.OK,
    error: str = "",
    problem_slug: str = "",
    reference: str = "",
    baseline_model: str | None = None,
    baseline_usage: Usage | None = None,
    at: datetime | None = None,
) -> ApiCall:
    """Write one ledger row and price it with the rule in force at the call's time.

    A cache hit (cache_layer != none) costs 0 whatever usage it reports: `usage` then
    describes what was served. `baseline_usage`/`baseline_model` describe what the
    unoptimized path would have spent (per-test executions, uncached tokens, the strong
    model); without them the baseline is the call itself at full price.
    A paid call then evaluates budget thresholds; that never fails the call.
    """
    at = at or timezone.now()
    usage = usage or Usage()
    on = at.date()
    is_hit = cache_layer != CacheLayer.NONE
    if baseline_usage is None:
        baseline_usage = default_baseline_usage(usage)

    def write() -> tuple[ApiCall, Decimal]:
        cost = Decimal("0") if is_hit else cost_of(provider=provider, model=model, usage=usage, on=on)
        baseline_cost = cost_of(provider=provider, model=baseline_model or model, usage=baseline_usage, on=on)
        with transaction.atomic():
            call = _create_call(
                at=at,
                provider=provider,
                operation=operation,
                model=model,
                user=user,
                feature=feature,
                problem_slug=problem_slug,
                reference=reference,
                usage=usage,
                is_hit=is_hit,
                raw_usage=raw_usage,
                cost=cost,
                baseline_cost=baseline_cost,
                baseline_usage=baseline_usage,
                baseline_model=baseline_model,
                latency_ms=latency_ms,
                cache_layer=cache_layer,
                status=status,
                error=error,
            )
            if cost > 0:
                rollup.add_spend(day=at.astimezone(UTC).date(), provider=provider, user_id=call.user_id, cost=cost)
        return call, cost

    try:
        call, cost = write()
    except (OperationalError, InterfaceError):
        # The call already happened (and was paid): a database connection that died meanwhile
        # (server restart, failover, terminated backend) must not lose its row. Retry once
        # on a fresh connection; any other database error (or one inside the caller's own
        # transaction, which a new connection cannot continue) propagates.
        if connection.in_atomic_block or _connection_usable():
            raise
        logger.warning("ledger write lost its database connection; writing it on a new one")
        connection.close()
        call, cost = write()
    if cost > 0:
        try:
            with transaction.atomic():
                evaluate_budgets(call=call)
        except Exception:  # alerts are bookkeeping: the paid call already happened
            logger.exception("budget evaluation failed after ledger row %s", call.pk)
    return call


def _connection_usable() -> bool:
    try:
        return connection.connection is not None and connection.is_usable()
    except Exception:
        return False


def _create_call(
    *,
    at,
    provider,
    operation,
    model,
    user,
    feature,
    problem_slug,
    reference,
    usage,
    is_hit,
    raw_usage,
    cost,
    baseline_cost,
    baseline_usage,
    baseline_model,
    latency_ms,
    cache_layer,
    status,
    error,
) -> ApiCall:
    return ApiCall.objects.create(
        created_at=at,
        provider=provider,
        operation=operation,
        model=model,
        user=user if getattr(user, "is_authenticated", False) else None,
        feature=feature,
        problem_slug=problem_slug,
        reference=reference,
        input_tokens=usage.input_tokens,
        cached_tokens=usage.cached_tokens,
        cache_write_tokens=usage.cache_write_tokens,
        output_tokens=usage.output_tokens,
        thinking_tokens=usage.thinking_tokens,
        storage_token_hours=usage.storage_token_hours,
        executions=0 if is_hit else usage.executions,
        http_requests=0 if is_hit else usage.http_requests,
        usage=raw_usage or {},
        cost_usd=cost,
        baseline_cost_usd=baseline_cost,
        baseline_executions=baseline_usage.executions,
        baseline_model=baseline_model or "",
        baseline_usage=usage_to_json(baseline_usage),
        latency_ms=max(int(latency_ms), 0),
        cache_layer=cache_layer,
        status=status,
        error=error[:2000],
    )


def default_baseline_usage(usage: Usage) -> Usage:
    # Without optimizations, cache reads would have been full-price input tokens.
    return Usage(
        input_tokens=usage.input_tokens + usage.cached_tokens,
        output_tokens=usage.output_tokens,
        thinking_tokens=usage.thinking_tokens,
        executions=usage.executions,
        http_requests=usage.http_requests,
    )


def reprice_calls(*, since, dry_run: bool = False, batch_size: int = 2000) -> dict:
    """Recompute cost_usd and baseline_cost_usd of ledger rows from `since` (a date) on
    with the price rules now in the table (e.g. after correcting a rule).

    Returns {"examined", "changed", "old_total", "new_total", "old_baseline", "new_baseline",
    "by_provider": {provider: delta}}.
    """

    book = PriceBook()
    start = datetime.combine(since, time.min, tzinfo=UTC)
    report = {
        "examined": 0,
        "changed": 0,
        "old_total": ZERO,
        "new_total": ZERO,
        "old_baseline": ZERO,
        "new_baseline": ZERO,
        "by_provider": {},
    }
    pending: list[ApiCall] = []

    def flush():
        if pending and not dry_run:
            ApiCall.objects.bulk_update(pending, ["cost_usd", "baseline_cost_usd"], batch_size=batch_size)
        pending.clear()

    qs = ApiCall.objects.filter(created_at__gte=start).order_by("pk")
    with transaction.atomic():
        for call in qs.iterator(chunk_size=batch_size):
            report["examined"] += 1
            on = call.created_at.astimezone(UTC).date()
            usage = Usage(
                input_tokens=call.input_tokens,
                cached_tokens=call.cached_tokens,
                cache_write_tokens=call.cache_write_tokens,
                output_tokens=call.output_tokens,
                thinking_tokens=call.thinking_tokens,
                storage_token_hours=call.storage_token_hours,
                executions=call.executions,
                http_requests=call.http_requests,
            )
            hit = call.cache_layer != CacheLayer.NONE
            cost = ZERO if hit else book.cost_of(provider=call.provider, model=call.model, usage=usage, on=on)
            if call.baseline_usage:
                base_usage = usage_from_json(call.baseline_usage)
            else:  # rows written before baseline usage was stored
                base_usage = replace_executions(default_baseline_usage(usage), call.baseline_executions)
            baseline = book.cost_of(
                provider=call.provider, model=call.baseline_model or call.model, usage=base_usage, on=on
            )
            report["old_total"] += call.cost_usd
            report["new_total"] += cost
            report["old_baseline"] += call.baseline_cost_usd
            report["new_baseline"] += baseline
            if cost != call.cost_usd or baseline != call.baseline_cost_usd:
                report["changed"] += 1
                delta = report["by_provider"].get(call.provider, ZERO)
                report["by_provider"][call.provider] = delta + cost - call.cost_usd
                call.cost_usd, call.baseline_cost_usd = cost, baseline
                pending.append(call)
                if len(pending) >= batch_size:
                    flush()
        flush()
        if not dry_run and report["changed"]:
            rollup.rebuild(ApiCall=ApiCall, DailySpend=DailySpend, since=since)
    return report


def replace_executions(usage: Usage, executions: int) -> Usage:
    return replace(usage, executions=executions)

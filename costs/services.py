"""State changes of the cost ledger. `record_call` is the one door every external call
(Gemini, Judge0, the local sandbox) and every cache hit that avoided one passes through."""

from datetime import datetime
from decimal import Decimal

from django.utils import timezone

from codementor.api_errors import DomainError

from .models import ApiCall, CacheLayer, CallStatus
from .pricing import Usage, cost_of


class BudgetExceeded(DomainError):
    """A hard budget stop refused a paid call; the message is shown to the user."""

    status_code = 402
    code = "budget_exceeded"


def check_budget(*, user, provider: str, feature: str) -> None:
    """Raise BudgetExceeded before a paid call when a hard-stop budget is used up.

    Called by the executor pipeline and the mentor before every paid call.
    (Budgets themselves arrive with the cost-control issue.)
    """
    return None


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
    """
    at = at or timezone.now()
    usage = usage or Usage()
    on = at.date()
    is_hit = cache_layer != CacheLayer.NONE
    cost = Decimal("0") if is_hit else cost_of(provider=provider, model=model, usage=usage, on=on)

    if baseline_usage is None:
        # Without optimizations, cache reads would have been full-price input tokens.
        baseline_usage = Usage(
            input_tokens=usage.input_tokens + usage.cached_tokens,
            output_tokens=usage.output_tokens,
            thinking_tokens=usage.thinking_tokens,
            executions=usage.executions,
            http_requests=usage.http_requests,
        )
    baseline_cost = cost_of(provider=provider, model=baseline_model or model, usage=baseline_usage, on=on)

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
        latency_ms=max(int(latency_ms), 0),
        cache_layer=cache_layer,
        status=status,
        error=error[:2000],
    )

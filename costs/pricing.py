"""Cost arithmetic: turns usage into Decimal USD using the price rules in the database."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from .models import PriceRule, Unit

ZERO = Decimal("0")


@dataclass(frozen=True)
class Usage:
    """Non-overlapping billable quantities of one call."""

    input_tokens: int = 0
    cached_tokens: int = 0
    cache_write_tokens: int = 0
    output_tokens: int = 0
    thinking_tokens: int = 0
    storage_token_hours: Decimal = ZERO
    executions: int = 0
    http_requests: int = 0


def price_per_unit(*, provider: str, model: str, unit: str, on: date) -> Decimal:
    """The price of one unit in force on `on`: the model's own rule, else the provider's "*" rule."""
    rules = PriceRule.objects.filter(provider=provider, unit=unit, effective_from__lte=on, model__in=[model, "*"])
    best = None
    for rule in rules:
        # The model's own rule wins over "*"; among equals the latest effective date wins.
        rank = (rule.model != "*", rule.effective_from)
        if best is None or rank > best[0]:
            best = (rank, rule)
    return best[1].price_per_unit if best else ZERO


def cost_of(*, provider: str, model: str, usage: Usage, on: date) -> Decimal:
    def rate(unit: str) -> Decimal:
        return price_per_unit(provider=provider, model=model, unit=unit, on=on)

    total = ZERO
    # Each term is looked up only when used, so a call with only executions costs one query.
    if usage.input_tokens or usage.cache_write_tokens:
        # Writing an explicit cache is billed as ordinary input tokens.
        total += (usage.input_tokens + usage.cache_write_tokens) * rate(Unit.INPUT_TOKEN)
    if usage.cached_tokens:
        total += usage.cached_tokens * rate(Unit.CACHED_TOKEN)
    if usage.output_tokens or usage.thinking_tokens:
        # Thinking tokens are billed at the output price.
        total += (usage.output_tokens + usage.thinking_tokens) * rate(Unit.OUTPUT_TOKEN)
    if usage.storage_token_hours:
        total += usage.storage_token_hours * rate(Unit.CACHE_STORAGE_TOKEN_HOUR)
    if usage.executions:
        total += usage.executions * rate(Unit.EXECUTION)
    if usage.http_requests:
        total += usage.http_requests * rate(Unit.REQUEST)
    return total.quantize(Decimal("0.00000001"))


def usage_from_gemini(usage_metadata: dict | None) -> Usage:
    """Split Gemini's usage metadata (camelCase or snake_case keys) into our buckets.

    promptTokenCount already includes cachedContentTokenCount, so uncached input is the
    difference; tool-use prompt tokens are input too. Counts may be missing or None.
    """
    data = usage_metadata or {}

    def count(camel: str, snake: str) -> int:
        value = data.get(camel, data.get(snake))
        return int(value or 0)

    prompt = count("promptTokenCount", "prompt_token_count")
    cached = count("cachedContentTokenCount", "cached_content_token_count")
    tool_use = count("toolUsePromptTokenCount", "tool_use_prompt_token_count")
    return Usage(
        input_tokens=max(prompt - cached, 0) + tool_use,
        cached_tokens=cached,
        output_tokens=count("candidatesTokenCount", "candidates_token_count"),
        thinking_tokens=count("thoughtsTokenCount", "thoughts_token_count"),
    )

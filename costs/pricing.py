"""Cost arithmetic: turns usage into Decimal USD using the price rules in the database."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings

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


def candidate_names(provider: str, model: str) -> list[str]:
    """Rule names that may price a call, best first: the model's own rule, else the
    provider's "*" rule. Judge0 on the self-hosted plan (settings.JUDGE0_PRICE_PLAN) prefers
    the "self-hosted" rule over both. The one place that decides which rule applies."""
    names = [model, "*"]
    if provider == "judge0" and settings.JUDGE0_PRICE_PLAN == "self-hosted":
        names.insert(0, "self-hosted")
    return names


def _pick(rules, names: list[str], on: date) -> Decimal:
    best = None
    for rule in rules:
        if rule.model not in names or rule.effective_from > on:
            continue
        # Earlier names win (plan, model, "*"); among equals the latest effective date wins.
        rank = (-names.index(rule.model), rule.effective_from)
        if best is None or rank > best[0]:
            best = (rank, rule)
    return best[1].price_per_unit if best else ZERO


def _total(usage: Usage, rate) -> Decimal:
    """The cost of `usage` with `rate(unit)`; each rate is looked up only when its quantity is
    used, so a call with only executions costs one lookup."""
    total = ZERO
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
    return Decimal(total).quantize(Decimal("0.00000001"))


def price_per_unit(*, provider: str, model: str, unit: str, on: date) -> Decimal:
    """The price of one unit in force on `on` (rule choice: `candidate_names`)."""
    names = candidate_names(provider, model)
    rules = PriceRule.objects.filter(provider=provider, unit=unit, effective_from__lte=on, model__in=names)
    return _pick(rules, names, on)


def cost_of(*, provider: str, model: str, usage: Usage, on: date) -> Decimal:
    """What `record_call` charges; `PriceBook.cost_of` is the same arithmetic over preloaded rules."""
    return _total(usage, lambda unit: price_per_unit(provider=provider, model=model, unit=unit, on=on))


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


class PriceBook:
    """All price rules loaded once, for pricing many rows without a query each (reprice, the
    calculator). Same rule choice and arithmetic as `price_per_unit`/`cost_of`."""

    def __init__(self, rules=None):
        self._rules: dict[tuple[str, str, str], list[PriceRule]] = {}
        for rule in rules if rules is not None else PriceRule.objects.all():
            self._rules.setdefault((rule.provider, rule.model, rule.unit), []).append(rule)

    def rate(self, *, provider: str, model: str, unit: str, on: date) -> Decimal:
        names = candidate_names(provider, model)
        rules = [rule for name in dict.fromkeys(names) for rule in self._rules.get((provider, name, unit), ())]
        return _pick(rules, names, on)

    def named_rate(self, *, provider: str, name: str, unit: str, on: date) -> Decimal:
        """The rule called exactly `name` (e.g. Judge0's hosted "*" rule), whatever the plan."""
        return _pick(self._rules.get((provider, name, unit), ()), [name], on)

    def cost_of(self, *, provider: str, model: str, usage: Usage, on: date) -> Decimal:
        return _total(usage, lambda unit: self.rate(provider=provider, model=model, unit=unit, on=on))


def usage_from_json(data: dict | None) -> Usage:
    data = data or {}
    return Usage(
        input_tokens=int(data.get("input_tokens", 0)),
        cached_tokens=int(data.get("cached_tokens", 0)),
        cache_write_tokens=int(data.get("cache_write_tokens", 0)),
        output_tokens=int(data.get("output_tokens", 0)),
        thinking_tokens=int(data.get("thinking_tokens", 0)),
        storage_token_hours=Decimal(str(data.get("storage_token_hours", "0"))),
        executions=int(data.get("executions", 0)),
        http_requests=int(data.get("http_requests", 0)),
    )

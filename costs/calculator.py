"""Monthly cost scenarios: what the platform costs with and without each optimization,
with hosted vs. self-hosted Judge0, from per-user figures (defaults measured from the
ledger, see selectors.measured_averages). Decimal arithmetic throughout."""

from dataclasses import asdict, dataclass, fields, replace
from datetime import date
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.utils import timezone

from .models import Unit
from .pricing import PriceBook

DAYS_PER_MONTH = Decimal(30)
CENT = Decimal("0.01")
OPTIMIZATIONS = [
    ("batching", "One execution per submission (all tests in one harness run)"),
    ("result_cache", "Result cache + single-flight (duplicates not re-run)"),
    ("mentor_cache", "Pattern responder + response cache"),
    ("routing", "Model routing (cheap model for simple turns)"),
    ("context_cache", "Context caching (cached input tokens at the cached price)"),
]


@dataclass(frozen=True)
class CalculatorInputs:
    users: int = 100  # daily active users
    problems_per_user_day: Decimal = Decimal("3")
    tests_per_problem: Decimal = Decimal("12")
    duplicate_share: Decimal = Decimal("0.2")
    mentor_turns_per_user_day: Decimal = Decimal("4")
    input_tokens_per_turn: int = 3000
    output_tokens_per_turn: int = 400
    cheap_model_share: Decimal = Decimal("0.6")
    mentor_cache_share: Decimal = Decimal("0.15")
    context_cached_share: Decimal = Decimal("0.5")
    cheap_model: str = ""
    strong_model: str = ""
    judge0_price_per_execution: Decimal | None = None
    self_hosted_monthly_usd: Decimal = Decimal("80")

    @classmethod
    def from_mapping(cls, data, *, base: "CalculatorInputs") -> "CalculatorInputs":
        """Override `base` with the non-empty values of a GET/POST mapping; bad values raise ValueError."""
        changes = {}
        for f in fields(cls):
            raw = data.get(f.name)
            if raw in (None, ""):
                continue
            try:
                if f.name in ("cheap_model", "strong_model"):
                    changes[f.name] = str(raw)[:100]
                elif f.name in ("users", "input_tokens_per_turn", "output_tokens_per_turn"):
                    changes[f.name] = int(raw)
                else:
                    changes[f.name] = Decimal(str(raw))
            except (ValueError, InvalidOperation):
                raise ValueError(f"{f.name}: not a number")
            value = changes[f.name]
            if isinstance(value, int | Decimal) and value < 0:
                raise ValueError(f"{f.name}: must not be negative")
            if f.name.endswith("_share") and value > 1:
                raise ValueError(f"{f.name}: a share between 0 and 1")
        return replace(base, **changes)

    def as_dict(self) -> dict:
        return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in asdict(self).items()}


def _prices(inputs: CalculatorInputs, book: PriceBook, on: date) -> dict:
    def gemini(model: str) -> dict:
        return {
            u: book.rate(provider="gemini", model=model, unit=u, on=on)
            for u in (Unit.INPUT_TOKEN, Unit.CACHED_TOKEN, Unit.OUTPUT_TOKEN)
        }

    return {"cheap": gemini(inputs.cheap_model), "strong": gemini(inputs.strong_model)}


def _scenario(inputs: CalculatorInputs, prices: dict, on: set[str]) -> dict:
    user_days = Decimal(inputs.users) * DAYS_PER_MONTH
    problems = user_days * inputs.problems_per_user_day
    per_problem = Decimal(1) if "batching" in on else inputs.tests_per_problem
    run_share = (1 - inputs.duplicate_share) if "result_cache" in on else Decimal(1)
    executions = problems * per_problem * run_share

    turns = user_days * inputs.mentor_turns_per_user_day
    paid_turns = turns * ((1 - inputs.mentor_cache_share) if "mentor_cache" in on else Decimal(1))
    cached = inputs.context_cached_share if "context_cache" in on else Decimal(0)

    def turn_cost(p: dict) -> Decimal:
        tokens_in = Decimal(inputs.input_tokens_per_turn)
        return (
            tokens_in * (1 - cached) * p[Unit.INPUT_TOKEN]
            + tokens_in * cached * p[Unit.CACHED_TOKEN]
            + Decimal(inputs.output_tokens_per_turn) * p[Unit.OUTPUT_TOKEN]
        )

    if "routing" in on:
        per_turn = inputs.cheap_model_share * turn_cost(prices["cheap"]) + (1 - inputs.cheap_model_share) * turn_cost(
            prices["strong"]
        )
    else:
        per_turn = turn_cost(prices["strong"])
    gemini = paid_turns * per_turn
    hosted = executions * (inputs.judge0_price_per_execution or Decimal(0))
    self_hosted = inputs.self_hosted_monthly_usd
    return {
        "executions": executions.quantize(Decimal(1)),
        "mentor_paid_turns": paid_turns.quantize(Decimal(1)),
        "gemini_usd": gemini.quantize(CENT),
        "judge0_hosted_usd": hosted.quantize(CENT),
        "judge0_self_hosted_usd": self_hosted.quantize(CENT),
        "total_hosted_usd": (gemini + hosted).quantize(CENT),
        "total_self_hosted_usd": (gemini + self_hosted).quantize(CENT),
    }


def complete(inputs: CalculatorInputs, *, book: PriceBook | None = None, on: date | None = None) -> CalculatorInputs:
    """Fill model names and the hosted Judge0 price from settings and the price table."""
    on = on or timezone.now().date()
    book = book or PriceBook()
    return replace(
        inputs,
        cheap_model=inputs.cheap_model or settings.MENTOR_CHEAP_MODEL,
        strong_model=inputs.strong_model or settings.MENTOR_STRONG_MODEL,
        judge0_price_per_execution=(
            inputs.judge0_price_per_execution
            if inputs.judge0_price_per_execution is not None
            else book.named_rate(provider="judge0", name="*", unit=Unit.EXECUTION, on=on)
        ),
    )


def scenarios(inputs: CalculatorInputs, *, book: PriceBook | None = None, on: date | None = None) -> dict:
    """Monthly scenario table and the self-hosting break-even."""
    on = on or timezone.now().date()
    book = book or PriceBook()
    inputs = complete(inputs, book=book, on=on)
    prices = _prices(inputs, book, on)
    every = {key for key, _ in OPTIMIZATIONS}
    rows = [{"key": "unoptimized", "label": "Unoptimized (no optimization)", **_scenario(inputs, prices, set())}]
    for key, label in OPTIMIZATIONS:
        rows.append({"key": key, "label": f"Only: {label}", **_scenario(inputs, prices, {key})})
    rows.append({"key": "all", "label": "All optimizations on", **_scenario(inputs, prices, every)})

    price = inputs.judge0_price_per_execution
    break_even_executions = (inputs.self_hosted_monthly_usd / price).quantize(Decimal(1)) if price else None
    per_user_month = rows[-1]["executions"] / Decimal(inputs.users) if inputs.users else Decimal(0)
    # Exact (unrounded) executions per user-month of the all-on scenario.
    exact_per_user = inputs.problems_per_user_day * DAYS_PER_MONTH * (1 - inputs.duplicate_share)
    break_even_dau = (
        (break_even_executions / exact_per_user).quantize(Decimal("0.1"))
        if break_even_executions is not None and exact_per_user
        else None
    )
    return {
        "inputs": inputs.as_dict(),
        "prices": {k: {u: str(v) for u, v in p.items()} for k, p in prices.items()},
        "rows": rows,
        "break_even": {
            "executions_per_month": break_even_executions,
            "daily_active_users": break_even_dau,
            "executions_per_user_month": per_user_month.quantize(Decimal("0.1")) if inputs.users else None,
        },
    }

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import factory

from costs.models import ApiCall, Budget, BudgetPeriod, BudgetScope


class ApiCallFactory(factory.django.DjangoModelFactory):
    """A ledger row written directly (no pricing): give cost_usd/baseline explicitly."""

    class Meta:
        model = ApiCall

    created_at = factory.LazyFunction(lambda: datetime.now(UTC))
    provider = "gemini"
    operation = "generate"
    model = "gemini-2.5-flash"
    feature = "mentor"
    cost_usd = Decimal("0.001")
    baseline_cost_usd = factory.LazyAttribute(lambda o: o.cost_usd)


class BudgetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Budget

    name = factory.Sequence(lambda n: f"budget {n}")
    scope = BudgetScope.GLOBAL
    period = BudgetPeriod.MONTH
    amount_usd = Decimal("10.00")
    hard_stop = False


LANGUAGES = ["python", "javascript", "cpp", "java"]
GEMINI_MODELS = ["gemini-2.5-flash", "gemini-2.5-flash-lite"]
EXEC_LAYERS = ["none"] * 7 + ["result", "result", "single_flight"]
MENTOR_LAYERS = ["none"] * 6 + ["pattern", "response", "response", "context"]


def build_ledger_rows(n: int, *, user_ids: list[int], start: datetime, days: int, seed: int = 7) -> list[ApiCall]:
    """`n` plausible ledger rows (unsaved) spread over `days` days from `start`, for scale tests and the bench."""
    rng = random.Random(seed)
    span = days * 86400
    rows = []
    for i in range(n):
        at = start + timedelta(seconds=rng.randrange(span))
        user_id = rng.choice(user_ids) if rng.random() < 0.95 else None
        if i % 3:
            layer = rng.choice(EXEC_LAYERS)
            tests = rng.randint(5, 20)
            paid = layer == "none"
            cost = Decimal("0.0005") if paid else Decimal("0")
            rows.append(
                ApiCall(
                    created_at=at,
                    provider=rng.choice(["judge0", "local_sandbox"]),
                    operation="execute",
                    model=rng.choice(LANGUAGES),
                    user_id=user_id,
                    feature=rng.choice(["submission", "run"]),
                    problem_slug=f"problem-{rng.randrange(200)}",
                    executions=1 if paid else 0,
                    baseline_executions=tests,
                    cost_usd=cost,
                    baseline_cost_usd=Decimal("0.0005") * tests,
                    latency_ms=rng.randint(50, 3000) if paid else rng.randint(1, 10),
                    cache_layer=layer,
                )
            )
        else:
            layer = rng.choice(MENTOR_LAYERS)
            model = rng.choice(GEMINI_MODELS)
            inp, cached, out = rng.randint(200, 4000), rng.choice([0, 0, 2048]), rng.randint(20, 600)
            paid = layer in ("none", "context")
            cost = (Decimal(inp) * Decimal("0.0000003") + Decimal(out) * Decimal("0.0000025")) if paid else Decimal(0)
            rows.append(
                ApiCall(
                    created_at=at,
                    provider="gemini",
                    operation="generate",
                    model=model,
                    user_id=user_id,
                    feature="mentor",
                    reference=f"message:{i}",
                    input_tokens=inp,
                    cached_tokens=cached,
                    output_tokens=out,
                    cost_usd=cost.quantize(Decimal("0.00000001")),
                    baseline_cost_usd=(cost * 2).quantize(Decimal("0.00000001")) if paid else Decimal("0.001"),
                    latency_ms=rng.randint(300, 6000) if paid else rng.randint(1, 20),
                    cache_layer="none" if layer == "context" else layer,
                )
            )
    return rows

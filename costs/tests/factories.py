from datetime import UTC, datetime
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

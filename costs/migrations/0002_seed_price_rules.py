"""Seed dated list prices. Prices are data, edited in admin; this only provides a start.

Gemini: USD per 1M tokens, Gemini Developer API standard tier, from
shared/docs/reference/gemini-api.md section 5 (checked 2026-11-22).
Judge0: no public per-execution price exists; the figures below are stated assumptions
(see docs/costs.md) that admins should replace with their own contract.
"""

from datetime import date
from decimal import Decimal

from django.db import migrations

GEMINI_SOURCE = "Gemini API list price (gemini-api.md s.5, checked 2026-11-22)"
EFFECTIVE = date(2025, 1, 1)

# model: (input, output incl. thinking, cached read, cache storage per token-hour)
GEMINI_PRICES = {
    "gemini-2.5-flash": ("0.30", "2.50", "0.03", "1.00"),
    "gemini-2.5-flash-lite": ("0.10", "0.40", "0.01", "1.00"),
    "gemini-2.5-pro": ("1.25", "10.00", "0.125", "4.50"),
    "gemini-3-flash-preview": ("0.50", "3.00", "0.05", "1.00"),
    "gemini-3.1-flash-lite": ("0.25", "1.50", "0.025", "1.00"),
    "gemini-3.8-flash": ("0.75", "3.75", "0.075", "1.00"),
}
# Introductory 3.8 Flash prices end 2026-12-31.
GEMINI_LATER = {"gemini-3.8-flash": (date(2027, 1, 1), ("1.50", "7.50", "0.15", "1.00"))}

JUDGE0_RULES = [
    # Hosted (RapidAPI) per-execution figure: an assumption derived from a paid plan's
    # daily quota; replace with the real contract price.
    ("judge0", "*", "execution", "0.00050000", 1, "Assumed hosted Judge0 price per execution (verify plan)"),
    # Self-hosted Judge0: a 4 vCPU host at ~$80/month serving ~2M executions/month.
    ("judge0", "self-hosted", "execution", "0.00004000", 1, "Self-hosted Judge0: $80/month / 2M executions"),
    # The local sandbox runs on the worker we already pay for: its marginal cost per
    # execution is the worker's CPU-time share (~$40/month / 1M executions).
    ("local_sandbox", "*", "execution", "0.00004000", 1, "Worker CPU share: $40/month / 1M executions"),
]


def seed(apps, schema_editor):
    PriceRule = apps.get_model("costs", "PriceRule")

    def put(provider, model, unit, price, size, effective, source):
        PriceRule.objects.update_or_create(
            provider=provider,
            model=model,
            unit=unit,
            effective_from=effective,
            defaults={"price_usd": Decimal(price), "unit_size": size, "source": source},
        )

    def put_gemini(model, prices, effective):
        units = ("input_token", "output_token", "cached_token", "cache_storage_token_hour")
        for unit, price in zip(units, prices):
            put("gemini", model, unit, price, 1_000_000, effective, GEMINI_SOURCE)

    for model, prices in GEMINI_PRICES.items():
        put_gemini(model, prices, EFFECTIVE)
    for model, (effective, prices) in GEMINI_LATER.items():
        put_gemini(model, prices, effective)
    for provider, model, unit, price, size, source in JUDGE0_RULES:
        put(provider, model, unit, price, size, EFFECTIVE, source)


class Migration(migrations.Migration):
    dependencies = [("costs", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

"""The DailySpend rollup: per UTC day and budget scope, kept in step with the ledger."""

from collections import defaultdict
from datetime import UTC, date, datetime, time
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Sum
from django.db.models.functions import TruncDate

GLOBAL = "global"


def scopes_of(*, provider: str, user_id: int | None) -> list[str]:
    keys = [GLOBAL, f"provider:{provider}"]
    if user_id:
        keys.append(f"user:{user_id}")
    return keys


def add_spend(*, day: date, provider: str, user_id: int | None, cost: Decimal) -> None:
    """Add one paid call to its day's rows, atomically (INSERT ... ON CONFLICT DO UPDATE,
    PostgreSQL and SQLite alike), so concurrent writers never lose an increment."""
    from .models import DailySpend

    table = connection.ops.quote_name(DailySpend._meta.db_table)
    keys = scopes_of(provider=provider, user_id=user_id)
    values = ", ".join(["(%s, %s, %s, 1)"] * len(keys))
    params = [p for key in keys for p in (day, key, cost)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (day, scope, cost_usd, calls) VALUES {values} "  # noqa: S608 - names are ours
            f"ON CONFLICT (scope, day) DO UPDATE SET cost_usd = {table}.cost_usd + EXCLUDED.cost_usd, "
            f"calls = {table}.calls + EXCLUDED.calls",
            params,
        )


def rebuild(*, ApiCall, DailySpend, since: date | None = None) -> int:
    """Recompute the rollup from the ledger (all of it, or from `since` on); returns rows written.

    Takes the model classes so the data migration can pass its historical models.
    """
    calls = ApiCall.objects.filter(cost_usd__gt=0)
    rollup = DailySpend.objects.all()
    if since is not None:
        calls = calls.filter(created_at__gte=datetime.combine(since, time.min, tzinfo=UTC))
        rollup = rollup.filter(day__gte=since)
    totals: dict[tuple, list] = defaultdict(lambda: [Decimal("0"), 0])
    grouped = (
        calls.order_by()
        .annotate(d=TruncDate("created_at", tzinfo=UTC))
        .values("d", "provider", "user_id")
        .annotate(cost=Sum("cost_usd"), n=Count("id"))
    )
    for row in grouped:
        for key in scopes_of(provider=row["provider"], user_id=row["user_id"]):
            total = totals[(row["d"], key)]
            total[0] += row["cost"]
            total[1] += row["n"]
    rollup.delete()
    DailySpend.objects.bulk_create(
        [DailySpend(day=d, scope=key, cost_usd=cost, calls=n) for (d, key), (cost, n) in totals.items()],
        batch_size=2000,
    )
    return len(totals)

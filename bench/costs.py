"""Cost control room on a big ledger: dashboard render time and query count, JSON
summary, streamed CSV export, /metrics scrape, and the per-call overhead of budgets
(check_budget before a paid call, threshold evaluation inside record_call).

Uses its own PostgreSQL database (created if missing, tables emptied on each run):

    .venv/bin/python bench/costs.py [--rows 100000] [--repeat 5]
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/cm_costs_bench (default)
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
DB_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cm_costs_bench")
os.environ["DATABASE_URL"] = DB_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "codementor.settings")
os.environ.setdefault("DEBUG", "true")
os.environ["REDIS_URL"] = ""  # local-memory cache: measure the database, not Redis

import django  # noqa: E402


def ensure_database(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def timed(fn, repeat: int) -> tuple[float, float, object]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), max(times), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    ensure_database(DB_URL)
    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.urls import reverse

    setup_test_environment()
    call_command("migrate", verbosity=0)

    from datetime import UTC, datetime, timedelta
    from decimal import Decimal

    from django.contrib.auth import get_user_model

    from costs.metrics import render_metrics
    from costs.models import Alert, ApiCall, Budget
    from costs.pricing import Usage
    from costs.services import check_budget, record_call
    from costs.tests.factories import build_ledger_rows

    User = get_user_model()
    Alert.objects.all().delete()
    Budget.objects.all().delete()
    with connection.cursor() as cur:
        cur.execute("TRUNCATE costs_apicall, costs_dailyspend")
    User.objects.filter(username__startswith="bench").delete()
    User.objects.bulk_create([User(username=f"bench{i}") for i in range(200)])
    staff = User.objects.create(username="benchstaff", is_staff=True, is_superuser=True)
    user_ids = list(User.objects.filter(username__startswith="bench", is_staff=False).values_list("pk", flat=True))
    now = datetime.now(UTC)
    start = now.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=29)
    t0 = time.perf_counter()
    ApiCall.objects.bulk_create(build_ledger_rows(args.rows, user_ids=user_ids, start=start, days=30), batch_size=5000)
    from costs.models import DailySpend
    from costs.rollup import rebuild

    rebuild(ApiCall=ApiCall, DailySpend=DailySpend)
    with connection.cursor() as cur:
        cur.execute("ANALYZE costs_apicall")
    print(
        f"ledger rows: {ApiCall.objects.count()} over 30 days, 200 users (inserted in {time.perf_counter() - t0:.1f} s)"
    )

    client = Client()
    client.force_login(staff)
    periods = {
        "today": {"period": "today"},
        "7 days": {"period": "7d"},
        "30 days (all rows)": {"period": "custom", "start": start.date().isoformat(), "end": now.date().isoformat()},
    }
    slowest: dict = {}
    print(f"\n{'page':<34}{'median ms':>10}{'max ms':>9}{'queries':>9}")
    for label, params in periods.items():
        queries = []

        def timed_query(execute, sql, *a, q=queries):
            t = time.perf_counter()
            try:
                return execute(sql, *a)
            finally:
                q.append(((time.perf_counter() - t) * 1000, sql))

        # Count through a wrapper: the request_started signal resets connection.queries.
        with connection.execute_wrapper(timed_query):
            client.get(reverse("costs:dashboard"), params)
        slowest[label] = sorted(queries, reverse=True)[:3]
        med, worst, _ = timed(lambda p=params: client.get(reverse("costs:dashboard"), p), args.repeat)
        print(f"{'dashboard, ' + label:<34}{med:>10.1f}{worst:>9.1f}{len(queries):>9}")
    for label, queries in slowest.items():
        print(f"  slowest queries, {label}: " + ", ".join(f"{ms:.0f} ms {sql[:60]!r}" for ms, sql in queries))
    params = periods["30 days (all rows)"]
    med, worst, _ = timed(lambda: client.get(reverse("costs_api:summary"), params), args.repeat)
    print(f"{'JSON summary, 30 days':<34}{med:>10.1f}{worst:>9.1f}")
    med, worst, _ = timed(lambda: client.get(reverse("costs:calculator")), args.repeat)
    print(f"{'calculator (30-day averages)':<34}{med:>10.1f}{worst:>9.1f}")

    def scrape():
        cache.clear()
        return render_metrics()

    med, worst, text = timed(scrape, args.repeat)
    print(f"{'/metrics (uncached scrape)':<34}{med:>10.1f}{worst:>9.1f}   {len(text) / 1024:.0f} KiB")

    def export():
        response = client.get(reverse("costs:export_csv"), params)
        return sum(len(chunk) for chunk in response.streaming_content)

    med, worst, size = timed(export, max(1, args.repeat // 2))
    print(
        f"{'CSV export, all rows (streamed)':<34}{med:>10.1f}{worst:>9.1f}   {size / 1e6:.1f} MB, "
        f"{args.rows / (med / 1000):,.0f} rows/s"
    )

    # Per-call overhead of budgets: 0 vs 3 budgets (global, per-user default, provider).
    student = User.objects.get(username="bench0")

    def paid_call():
        return record_call(
            provider="judge0",
            operation="execute",
            feature="bench",
            model="python",
            user=student,
            usage=Usage(executions=1),
        )

    rounds = 200
    print(f"\n{'per paid call (' + str(rounds) + ' calls)':<34}{'median ms':>10}{'max ms':>9}")
    for label in ("no budgets", "3 budgets"):
        if label == "3 budgets":
            Budget.objects.create(name="global", scope="global", amount_usd=Decimal("100000"), hard_stop=True)
            Budget.objects.create(name="per user", scope="user", amount_usd=Decimal("1000"), hard_stop=True)
            Budget.objects.create(name="judge0", scope="provider", provider="judge0", amount_usd=Decimal("100000"))
        med, worst, _ = timed(lambda: check_budget(user=student, provider="judge0", feature="bench"), rounds)
        print(f"{'check_budget, ' + label:<34}{med:>10.2f}{worst:>9.2f}")
        med, worst, _ = timed(paid_call, rounds)
        print(f"{'record_call, ' + label:<34}{med:>10.2f}{worst:>9.2f}")


if __name__ == "__main__":
    main()

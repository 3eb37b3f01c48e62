"""Catalog read paths on the shipped pack: pack load time (first, idempotent re-run) and the
latency + query count of the catalog API and pages for a user with a year of history.

Uses its own PostgreSQL database (created if missing, migrated, catalog tables emptied):

    .venv/bin/python bench/catalog.py [--requests 200]
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/cm_catalog_bench (default)
"""

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
DB_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cm_catalog_bench")
os.environ["DATABASE_URL"] = DB_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "codementor.settings")
os.environ.setdefault("DEBUG", "true")
os.environ["REDIS_URL"] = ""  # local-memory cache: measure the database path
os.environ["ALLOWED_HOSTS"] = "testserver"

import django  # noqa: E402


def ensure_database(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    ensure_database(DB_URL)
    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from accounts.tests.factories import UserFactory
    from problems.models import DailyActivity, Problem, ProblemProgress
    from problems.packfile import read_pack_dir
    from problems.services import load_problem_pack, record_verdict

    call_command("migrate", verbosity=0)
    ProblemProgress.objects.all().delete()
    DailyActivity.objects.all().delete()
    Problem.objects.all().delete()

    t0 = time.perf_counter()
    pack = read_pack_dir()
    read_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    load_problem_pack(problems=pack)
    first_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    report = load_problem_pack(problems=pack)
    second_s = time.perf_counter() - t0
    assert report.changed == 0

    user = UserFactory(username="bench-user")
    problems = list(Problem.objects.order_by("id"))
    now = datetime.now(UTC)
    t0 = time.perf_counter()
    verdicts = 0
    for day in range(365):
        for k in range(3):
            problem = problems[(day * 3 + k) % len(problems)]
            verdict = "accepted" if (day + k) % 3 else "wrong_answer"
            record_verdict(
                user=user, problem=problem, verdict=verdict, runtime_ms=50 + k, at=now - timedelta(days=day, minutes=k)
            )
            verdicts += 1
    record_ms = (time.perf_counter() - t0) * 1000 / verdicts

    client = Client()
    client.force_login(user)
    anon = Client()
    print(
        f"catalog bench: {len(pack)} problems, user with {verdicts} verdicts over 365 days, "
        f"{args.requests} requests per path, db={DB_URL.rsplit('/', 1)[1]}"
    )
    print(
        f"pack read {read_s * 1000:.0f} ms; load (first) {first_s * 1000:.0f} ms; "
        f"load (re-run, 0 changes) {second_s * 1000:.0f} ms; record_verdict {record_ms:.2f} ms/call"
    )
    paths = [
        ("anon", anon, "/api/v1/problems/"),
        ("anon", anon, "/api/v1/problems/two-sum/"),
        ("user", client, "/api/v1/problems/?status=unsolved&difficulty=medium"),
        ("user", client, "/api/v1/me/progress/"),
        ("user", client, "/api/v1/me/recommendations/"),
        ("user", client, "/"),
        ("user", client, "/problems/"),
        ("user", client, "/problems/two-sum/?lang=java"),
    ]
    print(f"{'who':5} {'path':55} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}")
    for who, c, path in paths:
        assert c.get(path).status_code == 200, path
        queries = []
        # request_started resets connection.queries, so count with an execute wrapper instead.
        with connection.execute_wrapper(lambda execute, sql, *a, _q=queries: _q.append(sql) or execute(sql, *a)):
            c.get(path)
        times = []
        for _ in range(args.requests):
            t0 = time.perf_counter()
            c.get(path)
            times.append((time.perf_counter() - t0) * 1000)
        print(f"{who:5} {path:55} {statistics.median(times):8.2f} {percentile(times, 0.95):8.2f} {len(queries):8d}")


if __name__ == "__main__":
    main()

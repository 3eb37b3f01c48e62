"""Student UI pages: server render latency and SQL query count per page for a user with a
year of history, plus the size of the vendored front-end assets (raw and gzip).

Uses its own PostgreSQL database (created if missing, migrated, its rows replaced):

    .venv/bin/python bench/ui.py [--requests 100]
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/cm_ui_bench (default)
"""

import argparse
import gzip
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cm_ui_bench")
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
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()
    ensure_database(DB_URL)
    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from accounts.tests.factories import UserFactory
    from mentor.models import Conversation, Layer, Message, Role
    from problems.models import DailyActivity, Problem, ProblemProgress
    from problems.packfile import read_pack_dir
    from problems.services import load_problem_pack, record_verdict
    from submissions.models import Status, Submission

    call_command("migrate", verbosity=0)
    get_user_model().objects.filter(username="ui-bench").delete()
    load_problem_pack(problems=read_pack_dir())
    user = UserFactory(username="ui-bench")
    ProblemProgress.objects.filter(user=user).delete()
    DailyActivity.objects.filter(user=user).delete()
    problems = list(Problem.objects.filter(is_published=True).order_by("slug"))
    now = datetime.now(UTC)
    # A year of practice: most days 1-3 verdicts over rotating problems.
    for day in range(365):
        for k in range(day % 4):
            problem = problems[(day * 3 + k) % len(problems)]
            verdict = "accepted" if (day + k) % 3 else "wrong_answer"
            record_verdict(user=user, problem=problem, verdict=verdict, runtime_ms=5, at=now - timedelta(days=day))
    two_sum = Problem.objects.get(slug="two-sum")
    tests = [
        {
            "index": i,
            "sample": i < 2,
            "passed": i != 1,
            "verdict": "accepted" if i != 1 else "wrong_answer",
            "time_ms": 3,
            "memory_kb": 9000,
            "input": "{}" if i < 2 else None,
            "expected": "[0, 1]",
            "actual": "[1, 0]",
            "stdout": "",
            "stderr": "",
            "message": "",
        }
        for i in range(20)
    ]
    subs = [
        Submission(
            user=user,
            problem=two_sum,
            language="python",
            code="def two_sum(nums, target): ...",
            status=Status.FINISHED,
            verdict="wrong_answer",
            tests=tests,
            finished_at=timezone.now(),
        )
        for _ in range(30)
    ]
    Submission.objects.bulk_create(subs)
    conversation = Conversation.objects.create(user=user, problem=two_sum)
    for i in range(10):
        Message.objects.create(conversation=conversation, role=Role.USER, text=f"question {i}")
        Message.objects.create(
            conversation=conversation,
            role=Role.MENTOR,
            layer=Layer.OFFLINE,
            text="**Hint:** use a dict.\n\n```python\nseen = {}\n```\n" * 3,
        )
    last = Submission.objects.filter(user=user).order_by("-id").first()

    client = Client()
    client.force_login(user)
    pages = [
        ("dashboard /", "/"),
        ("problem list /problems/", "/problems/"),
        ("workspace /problems/two-sum/", "/problems/two-sum/"),
        ("result JSON (polled)", f"/submissions/{last.pk}/result/"),
        ("submission detail", f"/submissions/{last.pk}/"),
        ("history fragment", "/submissions/history/two-sum/"),
        ("mentor panel (20 messages)", "/mentor/panel/two-sum/"),
    ]
    print(f"{'page':32} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8} {'KiB':>6}")
    for name, url in pages:
        queries = []
        # request_started resets connection.queries, so count with an execute wrapper instead.
        with connection.execute_wrapper(lambda execute, sql, *a, _q=queries: _q.append(sql) or execute(sql, *a)):
            response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        times = []
        for _ in range(args.requests):
            started = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - started) * 1000)
        print(
            f"{name:32} {statistics.median(times):8.1f} {percentile(times, 0.95):8.1f} {len(queries):8d}"
            f" {len(response.content) / 1024:6.1f}"
        )
    print()
    print(f"{'asset':40} {'raw KiB':>8} {'gzip KiB':>9}")
    for rel in ["static/vendor/codemirror/codemirror.js", "static/js/workspace.js", "static/css/app.css"]:
        data = (ROOT / rel).read_bytes()
        print(f"{rel:40} {len(data) / 1024:8.1f} {len(gzip.compress(data, 6)) / 1024:9.1f}")


if __name__ == "__main__":
    main()

"""Fairness figure: one account's 4 sleeping runs vs another student's uncached verdict.

    .venv/bin/python bench/fairness.py [--rounds 3]

A real Celery worker (4 threads, local sandbox) on its own database (cm_fairness_bench)
and Redis DB 12. Per round: the victim's idle submit->verdict latency, then the attacker
posts 4 sleeping stdio runs (each holds a worker until its time limit) and the victim
submits new code at once. Measured with the per-user cap at its default (2) and off (100).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
DB_NAME = "cm_fairness_bench"
os.environ["TEST_DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{DB_NAME}"
os.environ["TEST_REDIS_URL"] = "redis://127.0.0.1:6379/12"
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "codementor.settings_test")
os.environ.setdefault("LOG_LEVEL", "WARNING")

from bench.pipeline import ensure_database  # noqa: E402  (also sets up Django on its own DB)

ensure_database()
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from problems.models import Problem, TestCase  # noqa: E402
from submissions import services  # noqa: E402
from submissions.models import Status, Submission  # noqa: E402
from testing.celery_worker import CeleryWorker, database_url, purge_queues  # noqa: E402


def wait(ids, timeout=120):
    deadline = time.monotonic() + timeout
    while Submission.objects.filter(pk__in=ids, status=Status.FINISHED).count() < len(ids):
        if time.monotonic() > deadline:
            raise RuntimeError("not finished")
        time.sleep(0.05)


def latency(pk) -> float:
    s = Submission.objects.get(pk=pk)
    return (s.finished_at - s.created_at).total_seconds()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    problem, _ = Problem.objects.get_or_create(
        slug="bench-echo",
        defaults=dict(
            title="Echo", difficulty="easy", statement="echo", kind="stdio", signature={}, time_limit_ms=2000
        ),
    )
    if not problem.test_cases.exists():
        TestCase.objects.create(problem=problem, order=0, input="hi\n", expected_output="hi\n", is_sample=True)
    User = get_user_model()
    attacker = User.objects.get_or_create(username="bench-attacker")[0]
    victim = User.objects.get_or_create(username="bench-victim")[0]
    settings.REST_FRAMEWORK  # noqa: B018 - throttles are per user; the bench posts through the service
    results = {}
    for cap in (2, 100):
        purge_queues(settings.CELERY_BROKER_URL)
        worker = CeleryWorker(
            database_url=database_url(connection.settings_dict),
            redis_url=settings.REDIS_URL,
            broker_url=settings.CELERY_BROKER_URL,
            concurrency=4,
            env={"SUBMISSION_USER_CONCURRENCY": str(cap), "LOG_LEVEL": "WARNING"},
        ).start()
        idle, loaded = [], []
        try:
            for r in range(args.rounds):
                tag = f"{cap}-{r}-{time.time_ns()}"
                first = services.submit_code(
                    user=victim,
                    problem=problem,
                    language="python",
                    mode="run",
                    code=f"t = 'idle {tag}'\nprint(input())\n",
                ).pk
                wait([first])
                idle.append(latency(first))
                slow = [
                    services.submit_code(
                        user=attacker,
                        problem=problem,
                        language="python",
                        mode="run",
                        code=f"import time\nt = '{tag} {n}'\ntime.sleep(60)\n",
                    ).pk
                    for n in range(4)
                ]
                time.sleep(0.3)
                hit = services.submit_code(
                    user=victim,
                    problem=problem,
                    language="python",
                    mode="run",
                    code=f"t = 'victim {tag}'\nprint(input())\n",
                ).pk
                wait([hit] + slow)
                loaded.append(latency(hit))
        finally:
            worker.stop()
        results[f"cap={cap}"] = {
            "idle_s": [round(x, 2) for x in idle],
            "with_4_sleepers_s": [round(x, 2) for x in loaded],
            "max_delay_s": round(max(b - a for a, b in zip(idle, loaded)), 2),
        }
        print(json.dumps(results[f"cap={cap}"]), flush=True)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

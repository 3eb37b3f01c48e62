"""Submission pipeline benchmark: the same workload twice, optimizations off vs on.

    .venv/bin/python bench/pipeline.py [--students 40] [--problems 10] [--rate 25] [--worker celery]

Workload (seeded): every simulated student works through every problem: sometimes a
Run on the samples first, often a wrong attempt, then a correct one; correct answers are
mostly the popular solution (verbatim or with cosmetic edits: comments, blank lines,
trailing spaces, CRLF), some are the student's own; some students resubmit unchanged.
Submissions arrive at `--rate` per second (a class working at once), so identical ones
overlap in flight. Off = one execution per test, no result cache, no single-flight
(bench/baseline.py, judged in-process: that path is not in the production services).

Execution goes through the Judge0 executor against testing/judge0_standin (it runs
the programs for real, as subprocesses/sandbox on this machine), judged by a real
Celery worker subprocess (`--worker celery`) or by 4 in-process threads calling the
same service (`--worker inline`, no broker hop). Own database cm_pipeline_bench and
Redis DB 11. Prints executions, HTTP requests, ledger cost, submit->verdict p50/p95
for both modes and the ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import threading
import time
from pathlib import Path
from queue import Empty, Queue

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
DB_NAME = os.environ.get("BENCH_DB_NAME", "cm_pipeline_bench")
# The bench owns its database and Redis DB (a test run's TEST_* variables must not leak in).
os.environ["TEST_DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{DB_NAME}"
os.environ["TEST_REDIS_URL"] = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")
os.environ.pop("CELERY_BROKER_URL", None)
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "codementor.settings_test")
os.environ.setdefault("LOG_LEVEL", "WARNING")


def ensure_database() -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')


ensure_database()
import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.db.models import Sum  # noqa: E402

from bench.baseline import judge_unoptimized  # noqa: E402
from costs.models import ApiCall  # noqa: E402
from problems.models import DailyActivity, Problem, ProblemProgress, TestCase  # noqa: E402
from submissions import services  # noqa: E402
from submissions.models import CachedResult, Status, Submission  # noqa: E402
from testing.celery_worker import CeleryWorker, database_url, purge_queues  # noqa: E402
from testing.judge0_standin import Judge0StandIn  # noqa: E402

TESTS_PER_PROBLEM = 8
SAMPLES = 2


# --- workload ---------------------------------------------------------------------


def function_problem(k: int) -> tuple[dict, list[tuple[str, str, bool]]]:
    signature = {
        "function": f"solve_{k}",
        "params": [{"name": "a", "type": "int"}, {"name": "b", "type": "int"}],
        "returns": "int",
    }
    cases = []
    for i in range(TESTS_PER_PROBLEM):
        a, b = i * 3 + 1, 7 - i
        cases.append((json.dumps({"a": a, "b": b}), json.dumps(a * k + b), i < SAMPLES))
    return signature, cases


def stdio_problem(k: int) -> list[tuple[str, str, bool]]:
    cases = []
    for i in range(TESTS_PER_PROBLEM):
        a, b = i * 3 + 1, 7 - i
        cases.append((f"{a} {b}\n", f"{a * k + b}\n", i < SAMPLES))
    return cases


def solutions(kind: str, k: int) -> dict:
    if kind == "function":
        head = f"def solve_{k}(a: int, b: int) -> int:\n"
        popular = head + f"    return a * {k} + b\n"
        wrong = head + "    return a + b\n"

        def own(student: int) -> str:
            return head + f"    x_{student} = a * {k}\n    return x_{student} + b\n"
    else:
        head = "a, b = map(int, input().split())\n"
        popular = head + f"print(a * {k} + b)\n"
        wrong = head + "print(a + b)\n"

        def own(student: int) -> str:
            return head + f"x_{student} = a * {k}\nprint(x_{student} + b)\n"

    cosmetic = [
        "# my solution\n" + popular,
        popular.replace("\n", "   \n"),
        popular.replace("\n", "\r\n") + "\n\n",
        popular.replace("\n", "  # done\n", 1),
    ]
    return {"popular": popular, "cosmetic": cosmetic, "wrong": wrong, "own": own}


def workload(*, students: int, problems: list[Problem], kind: str, seed: int) -> list[dict]:
    rng = random.Random(seed)
    per_student = []
    for s in range(students):
        items = []
        for p in problems:
            sols = solutions(kind, p.bench_k)
            if rng.random() < 0.4:
                items.append({"student": s, "problem": p.pk, "mode": "run", "code": sols["popular"]})
            if rng.random() < 0.5:
                wrong = sols["wrong"] if rng.random() < 0.7 else sols["own"](s).replace("+ b", "- b")
                items.append({"student": s, "problem": p.pk, "mode": "submit", "code": wrong})
            roll = rng.random()
            if roll < 0.55:
                code = sols["popular"]
            elif roll < 0.8:
                code = rng.choice(sols["cosmetic"])
            else:
                code = sols["own"](s)
            items.append({"student": s, "problem": p.pk, "mode": "submit", "code": code})
            if rng.random() < 0.2:
                items.append({"student": s, "problem": p.pk, "mode": "submit", "code": code})  # resubmit
        per_student.append(items)
    # Students work at the same time: interleave their sequences round-robin.
    order = []
    while any(per_student):
        for items in per_student:
            if items:
                order.append(items.pop(0))
    return order


# --- setup and measurement ------------------------------------------------------------


def reset_data() -> None:
    Submission.objects.all().delete()
    CachedResult.objects.all().delete()
    ApiCall.objects.all().delete()
    ProblemProgress.objects.all().delete()
    DailyActivity.objects.all().delete()
    cache.delete_pattern("*")


def make_problems(count: int, kind: str) -> list[Problem]:
    Problem.objects.filter(slug__startswith="bench-").delete()
    problems = []
    for n in range(count):
        k = n + 2
        problem = Problem.objects.create(
            slug=f"bench-{kind}-{k}",
            title=f"Bench {k}",
            difficulty="easy",
            statement="a*k+b",
            kind=kind,
            signature={},
            test_set_version=f"bench-{k}",
        )
        if kind == "function":
            problem.signature, cases = function_problem(k)
            problem.save(update_fields=["signature"])
        else:
            cases = stdio_problem(k)
        TestCase.objects.bulk_create(
            TestCase(problem=problem, order=i, input=inp, expected_output=out, is_sample=sample)
            for i, (inp, out, sample) in enumerate(cases)
        )
        problem.bench_k = k
        problems.append(problem)
    return problems


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def run_inline(ids_queue: Queue, stop: threading.Event, executor, judge) -> None:
    try:
        while not stop.is_set():
            try:
                sub_id = ids_queue.get(timeout=0.1)
            except Empty:
                continue
            judge(submission_id=sub_id, executor=executor)
    finally:
        connections.close_all()


def replay(
    *,
    items,
    users,
    optimized: bool,
    rate: float,
    worker_mode: str,
    standin: Judge0StandIn,
    concurrency: int,
    warm_hits: int = 0,
) -> dict:
    reset_data()
    standin.reset()
    # The unoptimized path lives in bench/baseline.py, not in the services a worker runs:
    # the "off" replay always judges in-process.
    if not optimized:
        worker_mode = "inline"
    env = {
        "EXECUTOR_BACKEND": "judge0",
        "JUDGE0_URL": standin.url,
        "JUDGE0_CALLBACK_BASE_URL": "",
        "JUDGE0_POLL_INITIAL": "0.05",
        "JUDGE0_POLL_MAX_INTERVAL": "0.2",
        "LOG_LEVEL": "WARNING",
        # The workload's simulated students submit faster than real ones; the fairness cap is
        # measured separately (bench/fairness.py).
        "SUBMISSION_USER_CONCURRENCY": "100",
    }
    worker = threads = None
    inline_queue: Queue = Queue()
    stop = threading.Event()
    if worker_mode == "celery":
        purge_queues(settings.CELERY_BROKER_URL)
        worker = CeleryWorker(
            database_url=database_url(connection.settings_dict),
            redis_url=settings.REDIS_URL,
            broker_url=settings.CELERY_BROKER_URL,
            env=env,
            concurrency=concurrency,
        ).start()
    else:
        from submissions.executors.judge0 import Judge0Executor

        settings.JUDGE0_URL = standin.url
        settings.JUDGE0_CALLBACK_BASE_URL = ""
        settings.JUDGE0_POLL_INITIAL = 0.05
        settings.JUDGE0_POLL_MAX_INTERVAL = 0.2
        executor = Judge0Executor(use_callbacks=False)
        judge = services.judge_submission if optimized else judge_unoptimized
        settings.SUBMISSION_USER_CONCURRENCY = 100
        threads = [
            threading.Thread(target=run_inline, args=(inline_queue, stop, executor, judge), daemon=True)
            for _ in range(concurrency)
        ]
        for t in threads:
            t.start()

    def play(batch, pace):
        begun = time.monotonic()
        ids = []
        for n, item in enumerate(batch):
            delay = begun + n / pace - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            problem = Problem.objects.get(pk=item["problem"])
            if worker_mode == "celery":
                sub = services.submit_code(
                    user=users[item["student"]],
                    problem=problem,
                    language="python",
                    code=item["code"],
                    mode=item["mode"],
                )
            else:
                sub = Submission.objects.create(
                    user=users[item["student"]],
                    problem=problem,
                    language="python",
                    code=item["code"],
                    mode=item["mode"],
                )
                inline_queue.put(sub.pk)
            ids.append(sub.pk)
        deadline = time.monotonic() + 1800
        while Submission.objects.filter(pk__in=ids).exclude(status=Status.FINISHED).exists():
            if time.monotonic() > deadline:
                raise RuntimeError("workload did not finish in 30 minutes")
            time.sleep(0.2)
        return ids, time.monotonic() - begun

    warm = None
    try:
        ids, wall = play(items, rate)
        if optimized and warm_hits:
            # Cache hits on an otherwise idle pipeline: resubmissions of already judged code at 10/s.
            sample = random.Random(1).sample([i for i in items if i["mode"] == "submit"], warm_hits)
            warm_ids, _ = play(sample, 10.0)
            warm = measure(warm_ids, 0.0)
    finally:
        stop.set()
        if worker:
            worker.stop()
        for t in threads or []:
            t.join(timeout=10)
    result = measure(ids, wall)
    if warm:
        result["idle_cache_hits"] = {
            k: warm[k]
            for k in (
                "submissions",
                "cache_hits",
                "executions",
                "result_cache_hit_judge_ms_p50",
                "result_cache_hit_judge_ms_p95",
                "submit_to_verdict_ms_p50",
                "submit_to_verdict_ms_p95",
            )
        }
    return result


def measure(ids: list[int], wall: float) -> dict:
    subs = list(Submission.objects.filter(pk__in=ids))
    calls = ApiCall.objects.filter(reference__in=[f"submission:{i}" for i in ids])
    totals = calls.aggregate(
        executions=Sum("executions"), http=Sum("http_requests"), cost=Sum("cost_usd"), baseline=Sum("baseline_cost_usd")
    )
    latency = [(s.finished_at - s.created_at).total_seconds() * 1000 for s in subs]
    # Server-side time of a result-cache hit: the worker picking it up -> verdict stored.
    result_refs = set(calls.filter(cache_layer="result").values_list("reference", flat=True))
    hit_judge = [
        (s.finished_at - s.started_at).total_seconds() * 1000 for s in subs if f"submission:{s.pk}" in result_refs
    ]
    paid = calls.filter(cache_layer="none", status="ok")
    executed_keys = {s.content_key for s in subs if not s.cache_hit}
    unique_keys = {s.content_key for s in subs}
    fn_paid = paid.filter(problem_slug__startswith="bench-function")
    return {
        "submissions": len(subs),
        "unique_contents": len(unique_keys),
        "verdicts": {v: sum(1 for s in subs if s.verdict == v) for v in sorted({s.verdict for s in subs})},
        "executions": totals["executions"] or 0,
        "http_requests": totals["http"] or 0,
        "cost_usd": str(totals["cost"] or 0),
        "paid_calls": paid.count(),
        "cache_hits": sum(s.cache_hit for s in subs),
        "single_flight_hits": calls.filter(cache_layer="single_flight").count(),
        "executions_per_executed_function_submission": (
            round((fn_paid.aggregate(e=Sum("executions"))["e"] or 0) / max(fn_paid.count(), 1), 3)
        ),
        "executed_contents": len(executed_keys),
        "submit_to_verdict_ms_p50": round(percentile(latency, 0.5) or 0, 1),
        "submit_to_verdict_ms_p95": round(percentile(latency, 0.95) or 0, 1),
        "result_cache_hit_judge_ms_p50": round(percentile(hit_judge, 0.5), 1) if hit_judge else None,
        "result_cache_hit_judge_ms_p95": round(percentile(hit_judge, 0.95), 1) if hit_judge else None,
        "cache_hit_submit_to_verdict_ms_p50": round(
            percentile([lat for lat, s in zip(latency, subs) if s.cache_hit], 0.5) or 0, 1
        ),
        "wall_s": round(wall, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--problems", type=int, default=10)
    parser.add_argument("--rate", type=float, default=25.0, help="submissions per second")
    parser.add_argument("--kind", choices=["function", "stdio"], default="function")
    parser.add_argument("--worker", choices=["celery", "inline"], default="celery")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--warm-hits", type=int, default=100, help="extra resubmissions measured on an idle pipeline")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument(
        "--modes",
        default="off,on",
        help="which replays to run (off,on | on): 'on' alone skips "
        "the slow unoptimized baseline when only the optimized figures are re-measured",
    )
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    User = get_user_model()
    users = [User.objects.get_or_create(username=f"bench-student-{i}")[0] for i in range(args.students)]
    problems = make_problems(args.problems, args.kind)
    items = workload(students=args.students, problems=problems, kind=args.kind, seed=args.seed)
    standin = Judge0StandIn(workers=2).start()
    try:
        results = {}
        modes = [m.strip() for m in args.modes.split(",") if m.strip()]
        for name, optimized in (("off", False), ("on", True)):
            if name not in modes:
                continue
            print(f"replaying {len(items)} submissions with optimizations {name} ...", flush=True)
            results[name] = replay(
                items=items,
                users=users,
                optimized=optimized,
                rate=args.rate,
                worker_mode=args.worker,
                standin=standin,
                concurrency=args.concurrency,
                warm_hits=args.warm_hits,
            )
            print(json.dumps(results[name], indent=2), flush=True)
    finally:
        standin.stop()
    off, on = results.get("off"), results.get("on")

    def ratio(key):
        if not (off and on):
            return None
        a, b = float(on[key]), float(off[key])
        return round(a / b, 4) if b else None

    summary = {
        "workload": {
            "students": args.students,
            "problems": args.problems,
            "kind": args.kind,
            "submissions": len(items),
            "rate_per_s": args.rate,
            "worker": args.worker,
            "concurrency": args.concurrency,
            "seed": args.seed,
        },
        "off": off,
        "on": on,
        "ratio_on_off": {k: ratio(k) for k in ("executions", "http_requests", "cost_usd")},
    }
    print(json.dumps(summary["ratio_on_off"], indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()

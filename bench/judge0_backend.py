"""Judge0 backend figures against the in-process stand-in (real HTTP, real execution).

Per stdio problem with N tests: Judge0 executions, HTTP requests (creates + polls) and
wall time of one run; the same for a function problem through the one-execution
harness when `submissions.harness` is available; and how the poll schedule trades
HTTP requests against latency when Judge0 is slow (results after k polls).

    DEBUG=true .venv/bin/python bench/judge0_backend.py [--repeat 3]
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "codementor.settings")
os.environ.setdefault("DEBUG", "true")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

from submissions.executors.base import Job, Limits, TestSpec  # noqa: E402
from submissions.executors.judge0 import Judge0Executor  # noqa: E402
from testing.judge0_standin import Judge0StandIn  # noqa: E402

ADD = "a, b = map(int, input().split())\nprint(a + b)\n"


def stdio_job(n: int) -> Job:
    tests = tuple(TestSpec(index=i, input=f"{i} {i}\n", expected=f"{2 * i}\n") for i in range(n))
    return Job(language="python", code=ADD, kind="stdio", signature=None, tests=tests, limits=Limits())


def function_job(n: int) -> Job | None:
    try:
        from submissions.harness import build_harness  # noqa: F401
    except ImportError:
        return None
    signature = {
        "function": "add",
        "params": [{"name": "a", "type": "int"}, {"name": "b", "type": "int"}],
        "returns": "int",
    }
    code = "def add(a, b):\n    return a + b\n"
    tests = tuple(TestSpec(index=i, input=f'{{"a": {i}, "b": {i}}}', expected=str(2 * i)) for i in range(n))
    return Job(language="python", code=code, kind="function", signature=signature, tests=tests, limits=Limits())


def measure(standin, job, repeat, **executor_options):
    walls, report = [], None
    for _ in range(repeat):
        standin.reset()
        started = time.perf_counter()
        report = Judge0Executor(use_callbacks=False, **executor_options).run(job)
        walls.append((time.perf_counter() - started) * 1000)
    return report, statistics.median(walls)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    standin = Judge0StandIn(workers=2).start()
    settings.JUDGE0_URL = standin.url
    print(f"stand-in runner: {standin.runner.name}; Judge0 batch size {settings.JUDGE0_BATCH_SIZE}")
    print("\nkind      N  verdict         executions  http_requests  wall_ms(median)")
    for n in (1, 5, 20, 45):
        for kind, job in (("stdio", stdio_job(n)), ("function", function_job(n))):
            if job is None:
                continue
            report, wall = measure(standin, job, args.repeat, poll_initial=0.1, poll_max_interval=0.5)
            print(
                f"{kind:8} {n:3}  {report.verdict:15} {report.executions:10}  {report.http_requests:13}  {wall:10.0f}"
            )

    print("\nbusy Judge0 (results visible d seconds after creation), stdio N=5")
    print("poll schedule                   d_s  http_requests  wall_ms")
    schedules = {
        "0.5s x1.5 <=3s (default)": {"poll_initial": 0.5, "poll_factor": 1.5, "poll_max_interval": 3.0},
        "0.1s fixed": {"poll_initial": 0.1, "poll_factor": 1.0, "poll_max_interval": 0.1},
    }
    for delay in (0.0, 2.0, 8.0):
        for name, options in schedules.items():
            standin._initial_delay = delay
            report, wall = measure(standin, stdio_job(5), 1, **options)
            print(f"{name:27} {delay:5.1f}  {report.http_requests:13}  {wall:7.0f}")
    standin.stop()


if __name__ == "__main__":
    main()

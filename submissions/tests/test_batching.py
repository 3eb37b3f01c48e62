"""Cross-submission batching against the Judge0 stand-in (real HTTP, real executions): each
job is one language-89 submission; concurrent jobs share batch creates and polls."""

import json
import threading
import time

import pytest

from submissions.batching import BatchingJudge0Executor
from submissions.executors.base import Job, Limits, RetryableExecutorError, TestSpec


def stdio_job(k: int, code: str | None = None) -> Job:
    tests = tuple(TestSpec(index=i, input=f"{i} {k}\n", expected=f"{i + k}\n", is_sample=i == 0) for i in range(4))
    return Job(
        language="python",
        code=code or "a, b = map(int, input().split())\nprint(a + b)\n",
        kind="stdio",
        signature=None,
        tests=tests,
        limits=Limits(time_limit_ms=2000),
    )


@pytest.fixture
def batching(judge0_executor):
    return BatchingJudge0Executor(judge0_executor, max_wait=0.2)


def test_one_job_alone_is_judged(batching, judge0):
    report = batching.run(stdio_job(2, "a, b = map(int, input().split())\nprint(a * b)\n"))
    assert report.verdict == "wrong_answer" and not report.tests[0].passed
    assert report.executions == 1 == judge0.snapshot()["executions"]
    assert report.http_requests == judge0.snapshot()["requests"] >= 2


def test_concurrent_submissions_share_batch_requests(batching, judge0):
    reports = [None] * 10

    def judge(n):
        reports[n] = batching.run(stdio_job(n))

    threads = [threading.Thread(target=judge, args=(n,)) for n in range(10)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    elapsed = time.monotonic() - started
    assert all(r is not None and r.verdict == "accepted" for r in reports)
    stats = judge0.snapshot()
    assert stats["executions"] == 10 and stats["creates"] == 0  # one submission per job
    assert stats["batch_creates"] <= 4  # 10 submissions in batches of <= 20 (plus stragglers)
    # One shared poll per interval serves all ten submissions: requests grow with the judging
    # time, not with the number of submissions (ten pollers would send ~10x as many). On an
    # idle machine (~1 s) that is under one request per submission.
    assert stats["requests"] <= stats["batch_creates"] + elapsed / batching.poll_interval + 2
    assert sum(r.http_requests for r in reports) == stats["requests"]


def test_busy_judge0_is_retryable_for_every_waiting_submission(batching, judge0):
    judge0.inject(status=503, count=5, body={"error": "queue is full"})
    with pytest.raises(RetryableExecutorError) as info:
        batching.run(stdio_job(3))
    assert info.value.executions == 0


def test_function_jobs_share_the_batches_too(batching, judge0):
    signature = {
        "function": "add",
        "params": [{"name": "a", "type": "int"}, {"name": "b", "type": "int"}],
        "returns": "int",
    }
    tests = tuple(
        TestSpec(index=i, input=json.dumps({"a": i, "b": 1}), expected=str(i + 1), is_sample=i == 0) for i in range(3)
    )
    job = Job(
        language="python",
        code="def add(a, b):\n    return a + b\n",
        kind="function",
        signature=signature,
        tests=tests,
        limits=Limits(time_limit_ms=2000),
    )
    reports = [None] * 3

    def judge(n):
        reports[n] = batching.run(job)

    threads = [threading.Thread(target=judge, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert [r.verdict for r in reports] == ["accepted"] * 3 and [r.executions for r in reports] == [1, 1, 1]
    stats = judge0.snapshot()
    assert stats["executions"] == 3 and stats["creates"] == 0 and stats["batch_creates"] <= 2

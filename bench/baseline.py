"""The unoptimized judging path, for bench/pipeline.py's "off" replay only (not production):
no result cache, no single-flight, one executor call per test. It reuses the pipeline's
own steps (claim, job, execute + ledger, finish) so the two replays differ only in the
optimizations. Import it with Django set up."""

from __future__ import annotations

from dataclasses import replace

from submissions import services
from submissions.executors.base import Verdict
from submissions.judge_result import JudgeResult, first_failure


def judge_unoptimized(*, submission_id: int, executor=None):
    """Judge one submission the naive way: every test is its own execution."""
    with services._judging_claim(submission_id) as claimed:
        if not claimed:
            return None
        submission, fresh = services._take(submission_id, mark_running=True)
        if not fresh:
            return submission
        job = services.build_job(submission)
        submission.content_key = services.result_cache.content_key(
            problem=submission.problem, job=job, mode=submission.mode, stdin=submission.stdin
        )
        results = [services._execute(submission, replace(job, tests=(test,)), executor) for test in job.tests]
        return services._finish(submission, _merged(results), cache_hit=False)


def _merged(results: list[JudgeResult]) -> JudgeResult:
    failed = [r for r in results if r.is_system_error and not r.tests]
    if failed or not results:
        return failed[0] if failed else JudgeResult.system_error("This problem has no tests to run yet.")
    tests = tuple(t for r in results for t in r.tests)
    first = results[0]
    return JudgeResult(
        verdict=first_failure(tests) or Verdict.ACCEPTED,
        tests=tests,
        compile_output=first.compile_output,
        executor=first.executor,
        executions=sum(r.executions for r in results),
    )

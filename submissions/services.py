"""State changes of the submission pipeline.

submit_code -> (on commit) judge task -> judge_submission: claim, cache, single-flight,
execute, ledger, finish (progress once). Every executor call and every cache hit goes
through costs.services.record_call. See docs/pipeline.md.
"""

from __future__ import annotations

import json
import logging
import time
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from costs.models import CacheLayer, CallStatus
from costs.pricing import Usage
from costs.services import BudgetExceeded, check_budget, record_call

from . import progress, result_cache, single_flight
from .executors.base import (
    ExecutionReport,
    ExecutorError,
    Job,
    Limits,
    RetryableExecutorError,
    TestSpec,
    Verdict,
)
from .models import Language, Mode, Status, Submission

logger = logging.getLogger(__name__)

# Executor name -> ledger provider.
PROVIDERS = {"local": "local_sandbox", "judge0": "judge0"}
EXCERPT_CHARS = 4096
# What a student reads when we, not their program, failed.
SYSTEM_ERROR_MESSAGE = (
    "We could not judge this submission because the judging service is busy or unavailable. "
    "It was not counted as an attempt; please submit again in a minute."
)
# pg_try_advisory_lock(classid, objid) namespace of "judging submission <id>".
_LOCK_CLASS = 0x5B


class SubmissionRejected(ValidationError):
    """Raised by submit_code with field messages ({"field": ["message"]}); HTTP 400."""


def queue_for(submission: Submission) -> str:
    if submission.is_rejudge:
        return "rejudge"
    return "run" if submission.mode == Mode.RUN else "submit"


# --- Submitting -------------------------------------------------------------------


def submit_code(*, user, problem, language: str, code: str, mode: str, stdin: str | None = None) -> Submission:
    """Validate and store a submission, then enqueue its judging once the row is committed.

    Raises SubmissionRejected (a ValidationError with field messages) on bad input.
    If the broker is down the submission stays queued and the sweep enqueues it later.
    """
    errors: dict[str, list[str]] = {}
    if problem is None or not problem.is_published:
        errors.setdefault("problem", []).append("No published problem with this slug.")
    if language not in Language.values:
        errors.setdefault("language", []).append(f"Unsupported language; use one of {', '.join(Language.values)}.")
    if mode not in Mode.values:
        errors.setdefault("mode", []).append("Mode must be 'run' or 'submit'.")
    if not isinstance(code, str) or not code.strip():
        errors.setdefault("code", []).append("Code must not be empty.")
    elif len(code.encode()) > settings.SUBMISSION_MAX_CODE_BYTES:
        errors.setdefault("code", []).append(f"Code must be at most {settings.SUBMISSION_MAX_CODE_BYTES} bytes.")
    if stdin is not None:
        if mode != Mode.RUN:
            errors.setdefault("stdin", []).append("Custom input is only allowed with mode 'run'.")
        elif len(stdin.encode()) > settings.SUBMISSION_MAX_STDIN_BYTES:
            errors.setdefault("stdin", []).append(
                f"Custom input must be at most {settings.SUBMISSION_MAX_STDIN_BYTES} bytes."
            )
        elif problem is not None and problem.kind == "function":
            message = _function_input_error(problem, stdin)
            if message:
                errors.setdefault("stdin", []).append(message)
    if errors:
        raise SubmissionRejected(errors)

    answered = {}

    def after_commit() -> None:
        done = None
        try:
            done = finish_from_cache(submission_id=submission.pk)
        except Exception:  # the worker path below is the robust one; never fail the request here
            logger.exception("submission %s: result-cache fast path failed; queueing it", submission.pk)
        if done is None:
            enqueue_judging(submission_id=submission.pk)
        else:
            answered["submission"] = done

    with transaction.atomic():
        submission = Submission.objects.create(
            user=user, problem=problem, language=language, code=code, mode=mode, stdin=stdin
        )
        transaction.on_commit(after_commit)
    return answered.get("submission", submission)


def _function_input_error(problem, stdin: str) -> str:
    """Custom input of a function problem is a JSON object of the arguments by name."""
    names = [p["name"] for p in (problem.signature or {}).get("params", [])]
    example = json.dumps({n: 0 for n in names}) if names else '{"arg": 1}'
    try:
        value = json.loads(stdin)
    except ValueError:
        return f"Custom input must be a JSON object of the arguments, e.g. {example}."
    if not isinstance(value, dict):
        return f"Custom input must be a JSON object of the arguments, e.g. {example}."
    missing = [n for n in names if n not in value]
    unknown = [k for k in value if k not in names]
    if missing or unknown:
        return f"Custom input needs exactly the arguments {', '.join(names)}."
    return ""


def finish_from_cache(*, submission_id: int) -> Submission | None:
    """Finish a just-committed submission from the result cache inside the web request, so
    a duplicate never waits in the queue behind executions (and costs no broker hop).
    None on a miss: the worker judges it as usual. Same claim lock, key and ledger row as
    the worker's cache hit."""
    if not settings.SUBMISSION_PIPELINE_OPTIMIZED:
        return None
    started, claimed_at = time.monotonic(), timezone.now()
    with _judging_claim(submission_id) as claimed:
        if not claimed:
            return None
        submission = (Submission.objects.select_related("problem", "user")
                      .filter(pk=submission_id, status=Status.QUEUED, is_rejudge=False).first())
        if submission is None:
            return None
        job = build_job(submission)
        if not job.tests:
            return None
        key = result_cache.content_key(problem=submission.problem, job=job, mode=submission.mode,
                                       stdin=submission.stdin)
        payload = result_cache.get(key)
        if payload is None:
            return None
        submission.content_key, submission.started_at = key, claimed_at
        return _served(submission, job, key, payload, CacheLayer.RESULT, started)


def enqueue_judging(*, submission_id: int) -> bool:
    """Send the judge task to its queue. False (logged) when the broker refused it."""
    from .tasks import judge_submission as judge_task

    submission = Submission.objects.only("id", "mode", "is_rejudge").get(pk=submission_id)
    try:
        judge_task.apply_async(
            args=[submission_id],
            queue=queue_for(submission),
            # Fail fast: the web request must not hang on a dead broker; the sweep retries.
            retry=True,
            retry_policy={"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2},
        )
    except Exception as exc:  # kombu/redis raise many types for "broker down"
        logger.warning("submission %s not enqueued (broker unavailable: %s); the sweep will retry",
                       submission_id, type(exc).__name__)
        return False
    Submission.objects.filter(pk=submission_id).update(enqueued_at=timezone.now())
    return True


def rejudge(*, submissions) -> int:
    """Admin rejudge: back to queued on the rejudge queue; bypasses the result cache.

    Progress is not counted again (the first verdict already was).
    """
    ids = list(submissions.values_list("pk", flat=True))
    Submission.objects.filter(pk__in=ids).exclude(status=Status.RUNNING).update(
        status=Status.QUEUED, is_rejudge=True, enqueued_at=None, sweeps=0, started_at=None
    )
    for pk in ids:
        transaction.on_commit(lambda pk=pk: enqueue_judging(submission_id=pk))
    return len(ids)


# --- Judging ----------------------------------------------------------------------


@contextmanager
def _judging_claim(submission_id: int):
    """A PostgreSQL session lock held while one worker judges the submission.

    A second delivery of the same task (visibility timeout, sweep) cannot take it while
    the first worker lives; if that worker dies, its connection closes and the lock is
    released at once, so a redelivery can judge. Other databases (SQLite, eager Celery
    in one process) need no lock.
    """
    if connection.vendor != "postgresql":
        yield True
        return
    objid = submission_id % (2**31)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [_LOCK_CLASS, objid])
        got = cursor.fetchone()[0]
    try:
        yield got
    finally:
        if got:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_LOCK_CLASS, objid])


def build_job(submission: Submission) -> Job:
    problem = submission.problem
    limits = Limits(time_limit_ms=problem.time_limit_ms, memory_limit_mb=problem.memory_limit_mb)
    if submission.mode == Mode.RUN and submission.stdin is not None:
        # Custom input: one test, nothing to compare.
        specs = (TestSpec(index=0, input=submission.stdin, expected=None, is_sample=True),)
    else:
        cases = problem.test_cases.order_by("order", "id")
        if submission.mode == Mode.RUN:
            cases = cases.filter(is_sample=True)
        specs = tuple(
            TestSpec(index=i, input=c.input, expected=c.expected_output, comparison=c.comparison,
                     is_sample=c.is_sample)
            for i, c in enumerate(cases)
        )
    return Job(
        language=submission.language,
        code=submission.code,
        kind=problem.kind,
        signature=problem.signature if problem.kind == "function" else None,
        tests=specs,
        limits=limits,
    )


def judge_submission(*, submission_id: int, executor=None) -> Submission | None:
    """Judge one submission, at most once. Idempotent: a finished submission is returned
    as is; None means another live worker is judging it right now. `executor` defaults
    to the configured backend (submissions.executors.get_executor()).

    Raises RetryableExecutorError (status back to queued) when the executor is busy or
    unreachable: the task retries with backoff.
    """
    with _judging_claim(submission_id) as claimed:
        if not claimed:
            logger.info("submission %s is being judged by another worker; skipping", submission_id)
            return None
        now = timezone.now()
        with transaction.atomic():
            _relaxed_commit()
            updated = Submission.objects.filter(pk=submission_id, status__in=[Status.QUEUED, Status.RUNNING]).update(
                status=Status.RUNNING, started_at=now, attempts=F("attempts") + 1
            )
        submission = Submission.objects.select_related("problem", "user").filter(pk=submission_id).first()
        if submission is None:
            logger.warning("submission %s no longer exists; nothing to judge", submission_id)
            return None
        if not updated:
            return submission  # already finished
        job = build_job(submission)
        if not job.tests:
            return _finish(submission, _system_error_payload("This problem has no tests to run yet."),
                           cache_hit=False)
        key = result_cache.content_key(problem=submission.problem, job=job, mode=submission.mode,
                                       stdin=submission.stdin)
        submission.content_key = key  # stored with the verdict
        if not settings.SUBMISSION_PIPELINE_OPTIMIZED:
            # The benchmark's baseline: no cache, no single-flight, one execution per test.
            payload = _execute_per_test(submission, job, executor)
            return _finish(submission, payload, cache_hit=False)
        if submission.is_rejudge:
            payload = _execute(submission, job, executor)
            result_cache.put(key, problem=submission.problem, language=submission.language, payload=payload,
                             executions=payload.pop("_executions", 0))
            return _finish(submission, payload, cache_hit=False)
        return _judge_shared(submission, job, key, executor)


def _judge_shared(submission: Submission, job: Job, key: str, executor) -> Submission:
    started = time.monotonic()
    payload = result_cache.get(key)
    if payload is not None:
        return _served(submission, job, key, payload, CacheLayer.RESULT, started)

    token = single_flight.new_token(submission.pk)
    lock_seconds = settings.SUBMISSION_FLIGHT_LOCK_SECONDS
    while True:
        held = single_flight.acquire(key, token=token, timeout=lock_seconds) or single_flight.take_over(
            key, submission_id=submission.pk, token=token, timeout=lock_seconds
        )
        if held:
            try:
                # A twin may have finished between our miss and our lock.
                payload = result_cache.get(key)
                if payload is not None:
                    return _served(submission, job, key, payload, CacheLayer.RESULT, started)
                payload = _execute(submission, job, executor)
                executions = payload.pop("_executions", 0)
                result_cache.put(key, problem=submission.problem, language=submission.language,
                                 payload=payload, executions=executions)
                if payload["verdict"] != Verdict.SYSTEM_ERROR:
                    single_flight.publish(key, payload)
                return _finish(submission, payload, cache_hit=False)
            finally:
                single_flight.release(key, token=token)
        # A twin is executing this key: wait for its result (bounded by the lock expiry).
        waited_from = time.monotonic()
        while single_flight.is_held(key) and time.monotonic() - waited_from < lock_seconds + 5:
            time.sleep(0.05)
            payload = single_flight.published(key) or result_cache.get_fast(key)
            if payload is not None:
                return _served(submission, job, key, payload, CacheLayer.SINGLE_FLIGHT, started)
        payload = single_flight.published(key) or result_cache.get(key)
        if payload is not None:
            return _served(submission, job, key, payload, CacheLayer.SINGLE_FLIGHT, started)
        # The holder ended without a shareable result (system error or crash): try ourselves.


def _served(submission, job, key, payload, layer, started) -> Submission:
    """Finish from a result someone else paid for: zero executions, a cost-0 ledger row."""
    provider = PROVIDERS.get(payload.get("executor", ""), payload.get("executor") or "local_sandbox")

    def bookkeeping():
        record_call(
            provider=provider,
            operation="execute",
            feature=submission.feature,
            model=submission.language,
            user=submission.user,
            usage=Usage(executions=1),
            latency_ms=int((time.monotonic() - started) * 1000),
            cache_layer=layer,
            problem_slug=submission.problem.slug,
            reference=f"submission:{submission.pk}",
            baseline_usage=_baseline(provider, job),
        )
        if layer == CacheLayer.RESULT:
            result_cache.note_hit(key)

    # One transaction (one WAL flush) for ledger, hit count and verdict: a hit is cheap.
    # Not waiting for the WAL flush is safe here: a lost commit leaves the submission
    # running, and the sweep judges it again from the same cache at no cost.
    return _finish(submission, dict(payload), cache_hit=True, bookkeeping=bookkeeping, relaxed=True)


def _baseline(provider: str, job: Job) -> Usage:
    """The unoptimized path: one execution per test, and for Judge0 one create + one
    poll request per test."""
    n = len(job.tests)
    return Usage(executions=n, http_requests=2 * n if provider == "judge0" else 0)


def _get_executor():
    from .executors import get_executor

    executor = get_executor()
    if executor.name == "judge0" and settings.JUDGE0_CROSS_SUBMISSION_BATCHING and _redis_cache():
        from .batching import BatchingJudge0Executor

        return BatchingJudge0Executor(executor, max_wait=settings.JUDGE0_BATCH_WAIT_MS / 1000)
    return executor


def _redis_cache() -> bool:
    return "django_redis" in settings.CACHES["default"]["BACKEND"]


def _execute(submission: Submission, job: Job, executor=None) -> dict:
    """Run the job on the executor and write the ledger row for it (failed attempts too)."""
    executor = executor or _get_executor()
    provider = PROVIDERS.get(executor.name, executor.name)
    common = {
        "provider": provider,
        "operation": "execute",
        "feature": submission.feature,
        "model": submission.language,
        "user": submission.user,
        "problem_slug": submission.problem.slug,
        "reference": f"submission:{submission.pk}",
    }
    try:
        check_budget(user=submission.user, provider=provider, feature=submission.feature)
    except BudgetExceeded as exc:
        record_call(**common, status=CallStatus.REFUSED, error=exc.message)
        payload = _system_error_payload(exc.message)
        payload["executor"] = executor.name
        return payload

    def on_test(outcome) -> None:
        test = payload_from_report(ExecutionReport(verdict=outcome.verdict, tests=[outcome]), job)["tests"][0]
        progress.publish(submission_id=submission.pk, test=test)

    started = time.monotonic()
    try:
        report = executor.run(job, on_test=on_test)
    except RetryableExecutorError as exc:
        record_call(**common, status=CallStatus.ERROR, error=str(exc), usage=_spent(exc),
                    latency_ms=getattr(exc, "latency_ms", None) or int((time.monotonic() - started) * 1000))
        Submission.objects.filter(pk=submission.pk).update(status=Status.QUEUED)
        raise
    except ExecutorError as exc:
        logger.exception("executor failed on submission %s", submission.pk)
        record_call(**common, status=CallStatus.ERROR, error=str(exc), usage=_spent(exc),
                    latency_ms=getattr(exc, "latency_ms", None) or int((time.monotonic() - started) * 1000))
        payload = _system_error_payload(SYSTEM_ERROR_MESSAGE, internal=str(exc))
        payload["executor"] = executor.name
        return payload
    latency_ms = report.latency_ms or int((time.monotonic() - started) * 1000)
    record_call(
        **common,
        usage=Usage(executions=report.executions, http_requests=report.http_requests),
        latency_ms=latency_ms,
        status=CallStatus.ERROR if report.verdict == Verdict.SYSTEM_ERROR else CallStatus.OK,
        error=report.message if report.verdict == Verdict.SYSTEM_ERROR else "",
        baseline_usage=_baseline(provider, job),
    )
    payload = payload_from_report(report, job)
    payload["executor"] = executor.name
    payload["_executions"] = report.executions
    return payload


def _execute_per_test(submission: Submission, job: Job, executor=None) -> dict:
    """The unoptimized path (bench baseline only): every test is its own executor call."""
    executor = executor or _get_executor()
    payloads = [_execute(submission, replace(job, tests=(test,)), executor) for test in job.tests]
    failed = [p for p in payloads if p["verdict"] == Verdict.SYSTEM_ERROR and not p["tests"]]
    if failed:
        return failed[0]
    tests = sorted((t for p in payloads for t in p["tests"]), key=lambda t: t["index"])
    verdict = next((t["verdict"] for t in tests if not t["passed"]), Verdict.ACCEPTED)
    times = [t["time_ms"] for t in tests if t["time_ms"] is not None]
    mems = [t["memory_kb"] for t in tests if t["memory_kb"] is not None]
    return {
        **payloads[0], "verdict": verdict, "tests": tests, "runtime_ms": max(times, default=None),
        "memory_kb": max(mems, default=None),
    }


def _spent(exc: Exception) -> Usage:
    # Executors attach what a failed attempt already spent to the error.
    return Usage(executions=getattr(exc, "executions", 0) or 0, http_requests=getattr(exc, "http_requests", 0) or 0)


def _excerpt(text: str | None) -> str | None:
    if text is None:
        return None
    return text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS] + "\n…(truncated)"


def payload_from_report(report: ExecutionReport, job: Job) -> dict:
    specs = {t.index: t for t in job.tests}
    tests = []
    for outcome in sorted(report.tests, key=lambda o: o.index):
        spec = specs.get(outcome.index)
        visible = bool(spec and spec.is_sample)
        tests.append({
            "index": outcome.index,
            "sample": visible,
            "custom": bool(spec and spec.expected is None),
            "passed": outcome.passed,
            "verdict": outcome.verdict,
            "time_ms": outcome.time_ms,
            "memory_kb": outcome.memory_kb,
            # Hidden tests' data is never stored on the submission: nothing to leak later.
            "input": spec.input if visible else None,
            "expected": spec.expected if visible else None,
            "actual": _excerpt(outcome.actual),
            "stdout": _excerpt(outcome.stdout) or "",
            "stderr": _excerpt(outcome.stderr) or "",
            "message": _excerpt(outcome.message) or "",
        })
    verdict = report.verdict
    return {
        "verdict": verdict,
        "tests": tests,
        "compile_output": _excerpt(report.compile_output) or "",
        "runtime_ms": report.time_ms,
        "memory_kb": report.memory_kb,
        "error_message": SYSTEM_ERROR_MESSAGE if verdict == Verdict.SYSTEM_ERROR else "",
        "internal_error": report.message if verdict == Verdict.SYSTEM_ERROR else "",
    }


def _system_error_payload(message: str, *, internal: str = "") -> dict:
    return {
        "verdict": Verdict.SYSTEM_ERROR, "tests": [], "compile_output": "", "runtime_ms": None,
        "memory_kb": None, "error_message": message, "internal_error": internal,
    }


def _relaxed_commit() -> None:
    """Skip waiting for the WAL flush of this transaction: losing it in a database crash
    only leaves the submission queued, which the sweep repairs."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _finish(submission: Submission, payload: dict, *, cache_hit: bool, bookkeeping=None,
            relaxed: bool = False) -> Submission:
    """Store the verdict and count progress, exactly once per submission. `bookkeeping`
    runs in the same transaction, only if this call finishes the submission."""
    from problems import services as problem_services

    with transaction.atomic():
        if relaxed:
            _relaxed_commit()
        sub = Submission.objects.select_for_update().select_related("problem", "user").get(pk=submission.pk)
        if sub.status == Status.FINISHED:
            return sub
        if bookkeeping:
            bookkeeping()
        now = timezone.now()
        sub.started_at = sub.started_at or submission.started_at or now
        if submission.content_key:
            sub.content_key = submission.content_key
        sub.status = Status.FINISHED
        sub.verdict = payload["verdict"]
        sub.tests = payload.get("tests", [])
        sub.compile_output = payload.get("compile_output", "")
        sub.runtime_ms = payload.get("runtime_ms")
        sub.memory_kb = payload.get("memory_kb")
        sub.executor = payload.get("executor", "")
        sub.error_message = payload.get("error_message", "")
        sub.internal_error = payload.get("internal_error", "")
        sub.cache_hit = cache_hit
        sub.finished_at = now
        counts = sub.mode == Mode.SUBMIT and sub.verdict != Verdict.SYSTEM_ERROR
        if counts and not sub.progress_recorded and not sub.is_rejudge:
            problem_services.record_verdict(
                user=sub.user, problem=sub.problem, verdict=sub.verdict, runtime_ms=sub.runtime_ms, at=now
            )
            sub.progress_recorded = True
        sub.save()
    if not cache_hit:  # only an execution of its own publishes live progress
        progress.clear(submission_id=sub.pk)
    return sub


def fail_submission(*, submission_id: int, reason: str) -> Submission:
    """End a submission as system_error after the last retry: never left stuck."""
    with transaction.atomic():
        sub = Submission.objects.select_for_update().get(pk=submission_id)
        if sub.status == Status.FINISHED:
            return sub
    logger.warning("submission %s ends as system_error: %s", submission_id, reason)
    return _finish(sub, _system_error_payload(SYSTEM_ERROR_MESSAGE, internal=reason), cache_hit=False)


def requeue_stuck_submissions(*, now=None) -> dict:
    """The beat sweep: enqueue what the broker never got, re-queue what is stuck, and end
    as system_error what has been swept too often. Returns counts per action."""
    now = now or timezone.now()
    unsent = Q(status=Status.QUEUED, enqueued_at__isnull=True,
               created_at__lt=now - timedelta(seconds=settings.SUBMISSION_UNSENT_GRACE))
    stale_queued = Q(status=Status.QUEUED, enqueued_at__lt=now - timedelta(seconds=settings.SUBMISSION_QUEUED_DEADLINE))
    stale_running = Q(status=Status.RUNNING,
                      started_at__lt=now - timedelta(seconds=settings.SUBMISSION_RUNNING_DEADLINE))
    counts = {"enqueued": 0, "failed": 0, "broker_down": 0}
    for sub in Submission.objects.filter(unsent | stale_queued | stale_running).only("id", "sweeps", "status")[:500]:
        if sub.sweeps >= settings.SUBMISSION_MAX_SWEEPS:
            fail_submission(submission_id=sub.pk, reason=f"gave up after {sub.sweeps} sweeps")
            counts["failed"] += 1
            continue
        # A running one goes back to queued only if no live worker holds it.
        Submission.objects.filter(pk=sub.pk, status=sub.status).update(sweeps=F("sweeps") + 1)
        if enqueue_judging(submission_id=sub.pk):
            counts["enqueued"] += 1
        else:
            counts["broker_down"] += 1
            break  # the broker is down: nothing else will get through either
    return counts

"""State changes of the submission pipeline.

create_submission (API and pages) -> submit_code -> on commit: judge(execute=False), the
cache-only fast path inside the POST, else the judge task -> judge(): claim, job, key,
cache, single-flight, per-user execution slot, execute, ledger, finish (progress once).
Every executor result becomes a validated JudgeResult (submissions/judge_result.py) before
it is cached or stored. Every executor call and every cache hit goes through
costs.services.record_call. See docs/pipeline.md.
"""

from __future__ import annotations

import json
import logging
import time
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DataError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from rest_framework.throttling import SimpleRateThrottle

from costs.models import CacheLayer, CallStatus
from costs.pricing import Usage
from costs.services import BudgetExceeded, check_budget, record_call

from . import concurrency, progress, result_cache, single_flight
from .concurrency import UserAtCapacity
from .executors.base import ExecutionReport, ExecutorError, Job, Limits, RetryableExecutorError, TestSpec, Verdict
from .judge_result import SYSTEM_ERROR_MESSAGE, InvalidResult, JudgeResult, test_from_outcome
from .models import Language, Mode, Status, Submission

logger = logging.getLogger(__name__)

__all__ = [
    "SYSTEM_ERROR_MESSAGE",
    "SubmissionRejected",
    "SubmissionThrottled",
    "UserAtCapacity",
    "create_submission",
    "fail_submission",
    "judge",
    "judge_submission",
    "rejudge",
    "requeue_stuck_submissions",
    "submit_code",
]

# Executor name -> ledger provider.
PROVIDERS = {"local": "local_sandbox", "judge0": "judge0"}
# pg_try_advisory_lock(classid, objid) namespace of "judging submission <id>".
_LOCK_CLASS = 0x5B


class SubmissionRejected(ValidationError):
    """Raised by submit_code with field messages ({"field": ["message"]}); HTTP 400."""


class SubmissionThrottled(Exception):
    """Too many new submissions of this mode for the user right now; HTTP 429."""

    def __init__(self, wait: float):
        super().__init__(f"throttled; retry in {wait:.0f}s")
        self.wait = wait


def queue_for(submission: Submission) -> str:
    if submission.is_rejudge:
        return "rejudge"
    return "run" if submission.mode == Mode.RUN else "submit"


# --- Submitting -------------------------------------------------------------------


class SubmissionRateLimit(SimpleRateThrottle):
    """Per-user limit on new submissions, one budget per mode (scopes `submission_run`,
    `submission_submit`; THROTTLE_RUN / THROTTLE_SUBMIT). DRF's sliding window and cache
    keys, checked by create_submission for the REST API and the workspace alike."""

    def __init__(self, mode: str):  # no request: the user is all it keys on
        self.scope = "submission_run" if mode == Mode.RUN else "submission_submit"
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)

    def get_cache_key(self, request, view):  # pragma: no cover - not used as a DRF throttle
        raise NotImplementedError

    def wait_for(self, user) -> float | None:
        """None (and the submission counted) if allowed, else the seconds to wait."""
        if self.rate is None:
            return None
        self.key = self.cache_format % {"scope": self.scope, "ident": user.pk}
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()
        if len(self.history) >= self.num_requests:
            return max(self.wait() or 1.0, 1.0)
        self.throttle_success()
        return None


def create_submission(
    *, user, problem_slug: str, language: str, code: str, mode: str, stdin: str | None = None
) -> Submission:
    """What the REST API and the workspace form both call: the per-user throttle, then
    submit_code. Raises SubmissionThrottled (429) or SubmissionRejected (400)."""
    wait = SubmissionRateLimit(mode if mode in Mode.values else Mode.SUBMIT).wait_for(user)
    if wait is not None:
        raise SubmissionThrottled(wait)
    from .selectors import published_problem

    problem = published_problem(slug=problem_slug or "")
    return submit_code(user=user, problem=problem, language=language, code=code, mode=mode, stdin=stdin)


def submit_code(*, user, problem, language: str, code: str, mode: str, stdin: str | None = None) -> Submission:
    """Validate and store a submission, then judge it once the row is committed: a program
    judged before is finished right here from the result cache; otherwise the judge task is
    enqueued (if the broker is down the submission stays queued and the sweep sends it).

    Raises SubmissionRejected (a ValidationError with field messages) on bad input.
    """
    errors = _input_errors(problem=problem, language=language, code=code, mode=mode, stdin=stdin)
    if errors:
        raise SubmissionRejected(errors)
    answered = {}

    def after_commit() -> None:
        done = None
        try:
            done = judge(submission_id=submission.pk, execute=False)
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


def _input_errors(*, problem, language, code, mode, stdin) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if problem is None or not problem.is_published:
        add("problem", "No published problem with this slug.")
    if language not in Language.values:
        add("language", f"Unsupported language; use one of {', '.join(Language.values)}.")
    if mode not in Mode.values:
        add("mode", "Mode must be 'run' or 'submit'.")
    if not isinstance(code, str) or not code.strip():
        add("code", "Code must not be empty.")
    elif len(code.encode("utf-8", "surrogatepass")) > settings.SUBMISSION_MAX_CODE_BYTES:
        add("code", f"Code must be at most {settings.SUBMISSION_MAX_CODE_BYTES} bytes.")
    elif _has_unstorable(code):
        add("code", "Code must not contain NUL characters or unpaired surrogates.")
    if stdin is not None:
        if mode != Mode.RUN:
            add("stdin", "Custom input is only allowed with mode 'run'.")
        elif len(stdin.encode("utf-8", "surrogatepass")) > settings.SUBMISSION_MAX_STDIN_BYTES:
            add("stdin", f"Custom input must be at most {settings.SUBMISSION_MAX_STDIN_BYTES} bytes.")
        elif _has_unstorable(stdin):
            add("stdin", "Custom input must not contain NUL characters or unpaired surrogates.")
        elif problem is not None and problem.kind == "function":
            message = _function_input_error(problem, stdin)
            if message:
                add("stdin", message)
    return errors


def _has_unstorable(text: str) -> bool:
    """PostgreSQL text cannot hold NUL, and UTF-8 cannot encode a lone surrogate."""
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


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
        logger.warning(
            "submission %s not enqueued (broker unavailable: %s); the sweep will retry",
            submission_id,
            type(exc).__name__,
        )
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
    """A PostgreSQL session lock held while one process judges the submission.

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
            TestSpec(index=i, input=c.input, expected=c.expected_output, comparison=c.comparison, is_sample=c.is_sample)
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


def judge(*, submission_id: int, executor=None, execute: bool = True) -> Submission | None:
    """Judge one submission, at most once: claim -> job -> content key -> result cache ->
    (execute=True only) single-flight -> the user's execution slot -> executor -> finish.

    `execute=False` is the POST fast path: it finishes a just-created submission only if
    the result cache already holds its verdict, and otherwise changes nothing (None).
    With `execute=True` (the task, the mentor): a finished submission is returned as is;
    None means another live process is judging it right now. `executor` defaults to the
    configured backend. Raises RetryableExecutorError (status back to queued) when the
    executor is busy or unreachable, UserAtCapacity (status back to queued) when the
    user already runs SUBMISSION_USER_CONCURRENCY executions: the task retries later.
    """
    started = time.monotonic()
    with _judging_claim(submission_id) as claimed:
        if not claimed:
            logger.info("submission %s is being judged by another worker; skipping", submission_id)
            return None
        submission, fresh = _take(submission_id, mark_running=execute)
        if not fresh:
            return submission if execute else None
        job = build_job(submission)
        if not job.tests:
            if not execute:
                return None
            return _finish(
                submission, JudgeResult.system_error("This problem has no tests to run yet."), cache_hit=False
            )
        key = result_cache.content_key(
            problem=submission.problem, job=job, mode=submission.mode, stdin=submission.stdin
        )
        submission.content_key = key  # stored with the verdict
        if not submission.is_rejudge:
            cached = _cached(key)
            if cached is not None:
                return _served(submission, job, key, cached, CacheLayer.RESULT, started)
        if not execute:
            return None
        if submission.is_rejudge:
            result = _execute_in_slot(submission, job, executor)
            _store(key, submission, result)
            return _finish(submission, result, cache_hit=False)
        return _judge_shared(submission, job, key, executor, started)


def judge_submission(*, submission_id: int, executor=None) -> Submission | None:
    """The task's (and the mentor's) entry point: judge(), executing on a cache miss."""
    return judge(submission_id=submission_id, executor=executor)


def _take(submission_id: int, *, mark_running: bool) -> tuple[Submission | None, bool]:
    """(submission, whether this call may judge it). The worker path marks it running
    (queued/running -> running, attempts + 1); the fast path only reads a queued one."""
    now = timezone.now()
    base = Submission.objects.select_related("problem", "user")
    if not mark_running:
        submission = base.filter(pk=submission_id, status=Status.QUEUED, is_rejudge=False).first()
        if submission is not None:
            submission.started_at = now
        return submission, submission is not None
    with transaction.atomic():
        _relaxed_commit()
        updated = Submission.objects.filter(pk=submission_id, status__in=[Status.QUEUED, Status.RUNNING]).update(
            status=Status.RUNNING, started_at=now, attempts=F("attempts") + 1
        )
    submission = base.filter(pk=submission_id).first()
    if submission is None:
        logger.warning("submission %s no longer exists; nothing to judge", submission_id)
    return submission, bool(updated) and submission is not None


def _cached(key: str) -> JudgeResult | None:
    """The result cache's entry as a JudgeResult; a malformed payload is a miss."""
    return _parsed(result_cache.get(key), key, "result cache")


def _parsed(payload, key: str, where: str) -> JudgeResult | None:
    if payload is None:
        return None
    try:
        return JudgeResult.from_json(payload)
    except InvalidResult as exc:
        logger.warning("%s entry %s rejected (%s); treated as a miss", where, key[:12], exc)
        return None


def _store(key: str, submission: Submission, result: JudgeResult) -> None:
    result_cache.put(
        key,
        problem=submission.problem,
        language=submission.language,
        payload=result.to_json(),
        executions=result.executions,
    )


def _judge_shared(submission: Submission, job: Job, key: str, executor, started: float) -> Submission:
    token = single_flight.new_token(submission.pk)
    lock_seconds = settings.SUBMISSION_FLIGHT_LOCK_SECONDS
    while True:
        held = single_flight.acquire(key, token=token, timeout=lock_seconds) or single_flight.take_over(
            key, submission_id=submission.pk, token=token, timeout=lock_seconds
        )
        if held:
            try:
                # A twin may have finished between our miss and our lock.
                cached = _cached(key)
                if cached is not None:
                    return _served(submission, job, key, cached, CacheLayer.RESULT, started)
                result = _execute_in_slot(submission, job, executor)
                _store(key, submission, result)
                if not result.is_system_error:
                    single_flight.publish(key, result.to_json())
                return _finish(submission, result, cache_hit=False)
            finally:
                single_flight.release(key, token=token)
        shared = _wait_for_twin(key, lock_seconds)
        if shared is not None:
            return _served(submission, job, key, shared, CacheLayer.SINGLE_FLIGHT, started)
        # The holder ended without a shareable result (system error or crash): try ourselves.


def _wait_for_twin(key: str, lock_seconds: int) -> JudgeResult | None:
    """A twin is executing this key: wait for its result (bounded by the lock expiry)."""
    waited_from = time.monotonic()
    while single_flight.is_held(key) and time.monotonic() - waited_from < lock_seconds + 5:
        time.sleep(0.05)
        shared = _parsed(single_flight.published(key) or result_cache.get_fast(key), key, "single-flight")
        if shared is not None:
            return shared
    return _parsed(single_flight.published(key) or result_cache.get(key), key, "single-flight")


def _execute_in_slot(submission: Submission, job: Job, executor) -> JudgeResult:
    """Execute within one of the user's concurrent-execution slots. Over the cap the
    submission goes back to queued and UserAtCapacity is raised (the task retries later
    without holding a worker); with eager Celery (one process, embedded default) it waits."""
    wait = float(settings.SUBMISSION_USER_SLOT_SECONDS) if settings.CELERY_TASK_ALWAYS_EAGER else 0.0
    try:
        with concurrency.execution_slot(submission.user_id, wait_seconds=wait):
            return _execute(submission, job, executor)
    except UserAtCapacity:
        Submission.objects.filter(pk=submission.pk, status=Status.RUNNING).update(status=Status.QUEUED)
        raise


def _served(submission, job, key, result: JudgeResult, layer, started) -> Submission:
    """Finish from a result someone else paid for: zero executions, a cost-0 ledger row."""
    provider = PROVIDERS.get(result.executor, result.executor or "local_sandbox")

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
            baseline_usage=ledger_baseline(provider, job),
        )
        if layer == CacheLayer.RESULT:
            result_cache.note_hit(key)

    # One transaction (one WAL flush) for ledger, hit count and verdict: a hit is cheap.
    # Not waiting for the WAL flush is safe here: a lost commit leaves the submission
    # running, and the sweep judges it again from the same cache at no cost.
    return _finish(submission, result, cache_hit=True, bookkeeping=bookkeeping, relaxed=True)


def ledger_baseline(provider: str, job: Job) -> Usage:
    """What the ledger compares each judging with (the dashboards' savings): one execution
    per test, and for Judge0 one create + one poll request per test."""
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


def _execute(submission: Submission, job: Job, executor=None) -> JudgeResult:
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
        return JudgeResult.system_error(exc.message, executor=executor.name)

    specs = {t.index: t for t in job.tests}

    def on_test(outcome) -> None:
        try:
            test = test_from_outcome(outcome, specs[outcome.index])
        except (InvalidResult, KeyError):
            return  # live display only; the final report is validated below
        progress.publish(submission_id=submission.pk, test=test.to_json())

    started = time.monotonic()
    try:
        report = executor.run(job, on_test=on_test)
    except ExecutorError as exc:
        retryable = isinstance(exc, RetryableExecutorError)
        if not retryable:
            logger.exception("executor failed on submission %s", submission.pk)
        record_call(
            **common,
            status=CallStatus.ERROR,
            error=str(exc),
            usage=_spent(exc),
            latency_ms=getattr(exc, "latency_ms", None) or int((time.monotonic() - started) * 1000),
        )
        if retryable:
            Submission.objects.filter(pk=submission.pk).update(status=Status.QUEUED)
            raise
        return JudgeResult.system_error(internal=str(exc), executor=executor.name)
    result = _result_of(report, job, executor.name, submission.pk)
    record_call(
        **common,
        usage=Usage(executions=report.executions, http_requests=report.http_requests),
        latency_ms=report.latency_ms or int((time.monotonic() - started) * 1000),
        status=CallStatus.ERROR if result.is_system_error else CallStatus.OK,
        error=result.internal_error if result.is_system_error else "",
        baseline_usage=ledger_baseline(provider, job),
    )
    return result


def _result_of(report: ExecutionReport, job: Job, executor_name: str, submission_id: int) -> JudgeResult:
    """The validated result of a report; a malformed report is our system error (never
    cached, never a crash that leaves the submission running)."""
    try:
        return JudgeResult.from_report(report, job, executor=executor_name)
    except InvalidResult as exc:
        logger.error("submission %s: executor report rejected: %s", submission_id, exc)
        return JudgeResult(
            verdict=Verdict.SYSTEM_ERROR,
            error_message=SYSTEM_ERROR_MESSAGE,
            internal_error=f"executor report rejected: {exc}",
            executor=executor_name,
            executions=report.executions if isinstance(report.executions, int) else 0,
        )


def _spent(exc: Exception) -> Usage:
    # Executors attach what a failed attempt already spent to the error.
    return Usage(executions=getattr(exc, "executions", 0) or 0, http_requests=getattr(exc, "http_requests", 0) or 0)


def _relaxed_commit() -> None:
    """Skip waiting for the WAL flush of this transaction: losing it in a database crash
    only leaves the submission queued, which the sweep repairs."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _finish(
    submission: Submission, result: JudgeResult, *, cache_hit: bool, bookkeeping=None, relaxed: bool = False
) -> Submission:
    """Store the verdict and count progress, exactly once per submission. If the database
    refuses the row anyway (JudgeResult makes every string storable; this is the last line
    of defence), the submission ends as system_error instead of staying running for the
    sweep to re-execute and bill again."""
    try:
        return _write_verdict(submission, result, cache_hit=cache_hit, bookkeeping=bookkeeping, relaxed=relaxed)
    except DataError as exc:
        if result.is_system_error and not result.tests:
            raise
        logger.exception("submission %s: the database refused its result", submission.pk)
        failed = JudgeResult.system_error(
            internal=f"result not storable: {exc.__class__.__name__}: {exc}"[:2000], executor=result.executor
        )
        return _write_verdict(submission, failed, cache_hit=False)


def _write_verdict(
    submission: Submission, result: JudgeResult, *, cache_hit: bool, bookkeeping=None, relaxed: bool = False
) -> Submission:
    """One transaction; locks only the submission row (not the joined problem and user)."""
    from problems import services as problem_services

    with transaction.atomic():
        if relaxed:
            _relaxed_commit()
        sub = Submission.objects.select_for_update(of=("self",)).select_related("problem", "user").get(pk=submission.pk)
        if sub.status == Status.FINISHED:
            return sub
        if bookkeeping:
            bookkeeping()
        now = timezone.now()
        sub.started_at = sub.started_at or submission.started_at or now
        if submission.content_key:
            sub.content_key = submission.content_key
        sub.status = Status.FINISHED
        sub.verdict = result.verdict
        sub.tests = [t.to_json() for t in result.tests]
        sub.compile_output = result.compile_output
        sub.runtime_ms = result.runtime_ms
        sub.memory_kb = result.memory_kb
        sub.executor = result.executor
        sub.error_message = result.error_message
        sub.internal_error = result.internal_error
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
    sub = Submission.objects.get(pk=submission_id)
    if sub.status == Status.FINISHED:
        return sub
    logger.warning("submission %s ends as system_error: %s", submission_id, reason)
    return _finish(sub, JudgeResult.system_error(internal=reason), cache_hit=False)


def requeue_stuck_submissions(*, now=None) -> dict:
    """The beat sweep: enqueue what the broker never got, re-queue what is stuck, and end
    as system_error what has been swept too often. Returns counts per action."""
    now = now or timezone.now()
    unsent = Q(
        status=Status.QUEUED,
        enqueued_at__isnull=True,
        created_at__lt=now - timedelta(seconds=settings.SUBMISSION_UNSENT_GRACE),
    )
    stale_queued = Q(status=Status.QUEUED, enqueued_at__lt=now - timedelta(seconds=settings.SUBMISSION_QUEUED_DEADLINE))
    stale_running = Q(
        status=Status.RUNNING, started_at__lt=now - timedelta(seconds=settings.SUBMISSION_RUNNING_DEADLINE)
    )
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

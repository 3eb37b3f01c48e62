"""The executor interface shared by every backend.

Contract: `Executor.run(job) -> ExecutionReport`. A backend compares outputs server-side
for function problems (hidden expected outputs never enter the sandbox); for stdio
problems it may let the remote judge compare (Judge0 `expected_output`).
Retryable infrastructure failures (Judge0 429/503, connection errors) raise
`RetryableExecutorError` so the pipeline can retry; everything else becomes a report.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol


class Verdict:
    ACCEPTED = "accepted"
    WRONG_ANSWER = "wrong_answer"
    TIME_LIMIT_EXCEEDED = "time_limit_exceeded"
    MEMORY_LIMIT_EXCEEDED = "memory_limit_exceeded"
    RUNTIME_ERROR = "runtime_error"
    COMPILE_ERROR = "compile_error"
    OUTPUT_LIMIT_EXCEEDED = "output_limit_exceeded"
    SYSTEM_ERROR = "system_error"  # ours, not the student's fault

    ALL = (
        ACCEPTED,
        WRONG_ANSWER,
        TIME_LIMIT_EXCEEDED,
        MEMORY_LIMIT_EXCEEDED,
        RUNTIME_ERROR,
        COMPILE_ERROR,
        OUTPUT_LIMIT_EXCEEDED,
        SYSTEM_ERROR,
    )
    CHOICES = [(v, v.replace("_", " ").capitalize()) for v in ALL]


class ExecutorError(Exception):
    """A non-retryable failure of ours (misconfiguration): ends as system_error."""


class RetryableExecutorError(ExecutorError):
    """The backend is temporarily unavailable (queue full, rate limited, unreachable)."""


@dataclass(frozen=True)
class Limits:
    time_limit_ms: int = 2000  # per test
    memory_limit_mb: int = 256
    output_limit_bytes: int = 1024 * 1024


@dataclass(frozen=True)
class TestSpec:
    """One test. For function problems `input` is the JSON object of arguments by name
    and `expected` the JSON text; for stdio, both are plain text. `expected` may be None
    for custom runs (nothing to compare)."""

    __test__ = False

    index: int
    input: str
    expected: str | None
    comparison: str = "exact"
    is_sample: bool = False


@dataclass(frozen=True)
class Job:
    language: str  # python | javascript | cpp | java
    code: str
    kind: str  # function | stdio
    signature: dict | None  # problems.signatures JSON for function problems
    tests: tuple[TestSpec, ...]
    limits: Limits = field(default_factory=Limits)
    # Stop at the first failing test (a submit); None: when the job has a hidden test.
    stop_on_failure: bool | None = None


@dataclass
class TestOutcome:
    __test__ = False

    index: int
    verdict: str  # a Verdict value; ACCEPTED when passed
    passed: bool
    actual: str | None = None  # JSON text (function) or stdout (stdio), truncated
    stdout: str = ""  # what the student printed (function problems), truncated
    stderr: str = ""
    time_ms: int | None = None
    memory_kb: int | None = None
    message: str = ""  # e.g. the exception of this test
    hidden: bool = False  # a hidden test: the pipeline applies the visibility rule


@dataclass
class ExecutionReport:
    verdict: str
    tests: list[TestOutcome]
    compile_output: str = ""
    message: str = ""  # admin-readable detail for system_error
    executions: int = 0  # sandbox/Judge0 executions spent (compiles not counted)
    http_requests: int = 0  # Judge0 HTTP requests (0 for local)
    latency_ms: int = 0
    backend: str = ""
    # False when the verdict does not come from a supervisor results block or a compiler
    # (an interrupted run classified from the host's own facts, the legacy in-process
    # harness): such a result is never cached (submissions/judge_result.py).
    cacheable: bool = True

    @property
    def time_ms(self) -> int | None:
        times = [t.time_ms for t in self.tests if t.time_ms is not None]
        return max(times) if times else None

    @property
    def memory_kb(self) -> int | None:
        mems = [t.memory_kb for t in self.tests if t.memory_kb is not None]
        return max(mems) if mems else None


# Called with each test's outcome as soon as it is known (stdio problems, one execution
# per test) so the student watches verdicts arrive; function problems report all at once.
OnTest = Callable[[TestOutcome], None]


class Executor(Protocol):
    name: str

    def run(self, job: Job, *, on_test: OnTest | None = None) -> ExecutionReport: ...


def stops_on_failure(job: Job) -> bool:
    """A submit stops at the first failing test; a run (samples, custom input) runs every test."""
    if job.stop_on_failure is not None:
        return job.stop_on_failure
    return any(not t.is_sample for t in job.tests)


def overall_verdict(outcomes: list[TestOutcome]) -> str:
    """The first failing test decides, in test order (what students expect to read)."""
    for outcome in sorted(outcomes, key=lambda o: o.index):
        if not outcome.passed:
            return outcome.verdict
    return Verdict.ACCEPTED

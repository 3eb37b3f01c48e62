"""The one typed result of judging: executor report -> cache payload -> Submission.

`JudgeResult` is frozen and validated on construction: the verdict is a Verdict value,
every per-test entry has finite non-negative integer time/memory (or None), a hidden
flag decided by the server's own test list, and every string is made safe to store and
show (`safe_text`: NUL and other control characters, lone surrogates from invalid UTF-8
and bidi overrides are escaped as visible `\\xNN`/`\\uNNNN` text, so PostgreSQL accepts the
write and a page shows what was printed instead of interpreting it).

`from_report` is the only way an executor's report becomes a result; `to_json` is what the
cache and single-flight store; `from_json` rejects anything malformed (`InvalidResult`), and
a cache reader treats that as a miss. Hidden tests never carry their input/expected.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from .executors.base import ExecutionReport, Job, Verdict

PAYLOAD_VERSION = 1
EXCERPT_CHARS = 4096
NOT_RUN = getattr(Verdict, "NOT_RUN", "not_run")
# A test's verdict: a submission verdict, or "not run" (stopped at an earlier failure).
TEST_VERDICTS = (*Verdict.ALL, NOT_RUN)
# What a student reads when we, not their program, failed.
SYSTEM_ERROR_MESSAGE = (
    "We could not judge this submission because the judging service is busy or unavailable. "
    "It was not counted as an attempt; please submit again in a minute."
)
_MAX_INT = 2**31 - 1  # PositiveIntegerField / JSON readers: a forged 1e300 is not a time

# C0 controls except tab and newline, DEL, C1 controls, surrogates (lone ones come from
# bytes that were not UTF-8, decoded with surrogateescape), bidi embeddings/overrides/isolates.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")


class InvalidResult(ValueError):
    """A report or payload that is not a well-formed judge result."""


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # surrogateescape'd byte
        return f"\\x{code - 0xDC00:02x}"
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def safe_text(value) -> str:
    """Text safe for PostgreSQL and for display: unsafe characters become visible escapes.
    Bytes are decoded as UTF-8 with their invalid bytes escaped. Idempotent on its output
    (the escapes are plain ASCII)."""
    if value is None:
        return ""
    if isinstance(value, bytes | bytearray):
        value = bytes(value).decode("utf-8", "surrogateescape")
    elif not isinstance(value, str):
        value = str(value)
    if "\r\n" in value:
        value = value.replace("\r\n", "\n")
    return _UNSAFE.sub(_escape, value)


def excerpt(value, limit: int = EXCERPT_CHARS) -> str:
    text = safe_text(value)
    return text if len(text) <= limit else text[:limit] + "\n…(truncated)"


def _optional_text(value) -> str | None:
    return None if value is None else safe_text(value)


def _measure(value, name: str) -> int | None:
    """None, or a finite non-negative number as an int (fractions round up)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidResult(f"{name} must be a number, not {type(value).__name__}")
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidResult(f"{name} must be finite")
    if value < 0 or value > _MAX_INT:
        raise InvalidResult(f"{name} out of range: {value}")
    return math.ceil(value)


def _flag(value, name: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidResult(f"{name} must be a boolean")
    return value


@dataclass(frozen=True)
class TestResult:
    """One test's result as stored and cached (shown through selectors.visible_result)."""

    __test__ = False

    index: int
    verdict: str
    hidden: bool
    custom: bool = False
    time_ms: int | None = None
    memory_kb: int | None = None
    input: str | None = None
    expected: str | None = None
    actual: str | None = None
    stdout: str = ""
    stderr: str = ""
    message: str = ""

    def __post_init__(self):
        if isinstance(self.index, bool) or not isinstance(self.index, int) or not 0 <= self.index <= _MAX_INT:
            raise InvalidResult(f"test index must be a non-negative int, not {self.index!r}")
        if self.verdict not in TEST_VERDICTS:
            raise InvalidResult(f"unknown test verdict {self.verdict!r}")
        _flag(self.hidden, "hidden")
        _flag(self.custom, "custom")
        put = object.__setattr__
        put(self, "time_ms", _measure(self.time_ms, "time_ms"))
        put(self, "memory_kb", _measure(self.memory_kb, "memory_kb"))
        if self.hidden:  # the server never stores a hidden test's data
            put(self, "input", None)
            put(self, "expected", None)
        for name in ("input", "expected", "actual"):
            put(self, name, _optional_text(getattr(self, name)))
        for name in ("stdout", "stderr", "message"):
            put(self, name, safe_text(getattr(self, name)))

    @property
    def passed(self) -> bool:
        return self.verdict == Verdict.ACCEPTED

    @property
    def sample(self) -> bool:
        return not self.hidden

    def to_json(self) -> dict:
        return {
            "index": self.index,
            "sample": self.sample,
            "hidden": self.hidden,
            "custom": self.custom,
            "passed": self.passed,
            "verdict": self.verdict,
            "time_ms": self.time_ms,
            "memory_kb": self.memory_kb,
            "input": self.input,
            "expected": self.expected,
            "actual": self.actual,
            "stdout": self.stdout,
            "stderr": self.stderr,
            "message": self.message,
        }

    @classmethod
    def from_json(cls, data) -> TestResult:
        if not isinstance(data, dict):
            raise InvalidResult("a test entry must be an object")
        try:
            test = cls(
                index=data["index"],
                verdict=data["verdict"],
                hidden=data["hidden"],
                custom=data["custom"],
                time_ms=data["time_ms"],
                memory_kb=data["memory_kb"],
                input=_string_or_none(data["input"]),
                expected=_string_or_none(data["expected"]),
                actual=_string_or_none(data["actual"]),
                stdout=_string(data["stdout"]),
                stderr=_string(data["stderr"]),
                message=_string(data["message"]),
            )
        except KeyError as exc:
            raise InvalidResult(f"test entry misses {exc}") from exc
        if data.get("passed") is not test.passed or data.get("sample") is not test.sample:
            raise InvalidResult("test entry flags disagree with its verdict")
        return test


def _string(value) -> str:
    if not isinstance(value, str):
        raise InvalidResult("expected a string")
    return value


def _string_or_none(value) -> str | None:
    return None if value is None else _string(value)


@dataclass(frozen=True)
class JudgeResult:
    """The verdict of one judged program, everything the submission stores."""

    verdict: str
    tests: tuple[TestResult, ...] = ()
    compile_output: str = ""
    executor: str = ""
    error_message: str = ""  # what the student reads on system_error
    internal_error: str = ""  # staff-only detail of a system error
    trusted: bool = False  # produced by the supervisor (only trusted results are cached)
    executions: int = field(default=0, compare=False)  # what producing it cost; not part of the payload

    def __post_init__(self):
        if self.verdict not in Verdict.ALL:
            raise InvalidResult(f"unknown verdict {self.verdict!r}")
        tests = tuple(self.tests)
        if not all(isinstance(t, TestResult) for t in tests):
            raise InvalidResult("tests must be TestResult entries")
        indexes = [t.index for t in tests]
        if len(set(indexes)) != len(indexes):
            raise InvalidResult("duplicate test index")
        _flag(self.trusted, "trusted")
        put = object.__setattr__
        put(self, "tests", tuple(sorted(tests, key=lambda t: t.index)))
        for name in ("compile_output", "executor", "error_message", "internal_error"):
            put(self, name, safe_text(getattr(self, name)))
        put(self, "executions", _measure(self.executions, "executions") or 0)

    @property
    def runtime_ms(self) -> int | None:
        return max((t.time_ms for t in self.tests if t.time_ms is not None), default=None)

    @property
    def memory_kb(self) -> int | None:
        return max((t.memory_kb for t in self.tests if t.memory_kb is not None), default=None)

    @property
    def is_system_error(self) -> bool:
        return self.verdict == Verdict.SYSTEM_ERROR

    def to_json(self) -> dict:
        return {
            "v": PAYLOAD_VERSION,
            "verdict": self.verdict,
            "tests": [t.to_json() for t in self.tests],
            "compile_output": self.compile_output,
            "runtime_ms": self.runtime_ms,
            "memory_kb": self.memory_kb,
            "executor": self.executor,
            "error_message": self.error_message,
            "internal_error": self.internal_error,
            "trusted": self.trusted,
        }

    @classmethod
    def from_json(cls, data) -> JudgeResult:
        """The result a cache payload holds; InvalidResult on anything malformed."""
        if not isinstance(data, dict) or data.get("v") != PAYLOAD_VERSION:
            raise InvalidResult("not a judge result payload")
        tests = data.get("tests")
        if not isinstance(tests, list):
            raise InvalidResult("tests must be a list")
        try:
            result = cls(
                verdict=data["verdict"],
                tests=tuple(TestResult.from_json(t) for t in tests),
                compile_output=_string(data["compile_output"]),
                executor=_string(data["executor"]),
                error_message=_string(data["error_message"]),
                internal_error=_string(data["internal_error"]),
                trusted=data["trusted"],
            )
        except KeyError as exc:
            raise InvalidResult(f"payload misses {exc}") from exc
        if result.to_json() != data:  # escapes, excerpts, derived fields: only a canonical payload is one
            raise InvalidResult("payload is not canonical")
        return result

    @classmethod
    def system_error(
        cls, message: str = SYSTEM_ERROR_MESSAGE, *, internal: str = "", executor: str = ""
    ) -> JudgeResult:
        return cls(verdict=Verdict.SYSTEM_ERROR, error_message=message, internal_error=internal, executor=executor)

    @classmethod
    def from_report(cls, report: ExecutionReport, job: Job, *, executor: str = "") -> JudgeResult:
        """Validate an executor's report against the job it ran. A report that names a test
        the job does not have, or carries out-of-range fields, raises InvalidResult."""
        specs = {t.index: t for t in job.tests}
        tests = []
        for outcome in report.tests:
            spec = specs.get(outcome.index)
            if spec is None:
                raise InvalidResult(f"report names unknown test {outcome.index!r}")
            tests.append(test_from_outcome(outcome, spec))
        verdict = report.verdict
        if verdict == NOT_RUN or verdict not in Verdict.ALL:
            if verdict != NOT_RUN:
                raise InvalidResult(f"unknown verdict {verdict!r}")
            verdict = first_failure(tests) or Verdict.ACCEPTED
        system_error = verdict == Verdict.SYSTEM_ERROR
        return cls(
            verdict=verdict,
            tests=tuple(tests),
            compile_output=excerpt(report.compile_output),
            executor=executor or report.backend,
            error_message=SYSTEM_ERROR_MESSAGE if system_error else "",
            internal_error=excerpt(report.message) if system_error else "",
            # The harness marks a report cacheable only when its verdict came from a supervisor
            # results block (or a compiler), never from the host guessing after an interrupted run.
            trusted=report.cacheable is True and not system_error,
            executions=report.executions,
        )


def test_from_outcome(outcome, spec) -> TestResult:
    """One executor outcome as a stored test; `spec` is the server's own test (authority on
    hidden, input and expected)."""
    hidden = not spec.is_sample
    return TestResult(
        index=outcome.index,
        verdict=outcome.verdict,
        hidden=hidden,
        custom=spec.expected is None,
        time_ms=outcome.time_ms,
        memory_kb=outcome.memory_kb,
        input=None if hidden else spec.input,
        expected=None if hidden else spec.expected,
        actual=None if outcome.actual is None else excerpt(outcome.actual),
        stdout=excerpt(outcome.stdout),
        stderr=excerpt(outcome.stderr),
        message=excerpt(outcome.message),
    )


test_from_outcome.__test__ = False


def first_failure(tests) -> str | None:
    """The verdict that decides: the first failed test in test order (not-run ones skipped)."""
    for test in sorted(tests, key=lambda t: t.index):
        if not test.passed and test.verdict != NOT_RUN:
            return test.verdict
    return None

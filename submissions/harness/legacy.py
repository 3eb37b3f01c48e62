"""LEGACY in-process harness (sentinel in the student's process), kept only for the paths
not yet on the supervised harness: the Judge0 executor and C++/Java function problems on
the local executor until their supervised runners land. Do not use for new code.

The one-execution harness for function problems (one template per language).

`build_harness(job, sentinel=...)` turns the student's code plus the problem signature
into ONE source file that reads every test's arguments from stdin (JSON, positional in
parameter order; expected outputs never enter the sandbox), calls the student's function
once per test with the per-test time limit, captures what the student prints per test,
and finally writes a line holding the sentinel followed by one JSON array of results:

    {"i": 0, "status": "ok"|"error"|"timeout"|"memory", "value": <JSON>, "error": "...",
     "time_ms": 1.234 (CPU), "memory_kb": peak RSS so far, "stdout": "student prints (truncated)"}

The sentinel is a random per-run token carried in stdin, not in the source, so code
written in advance cannot print it. Each finished test is also written to stderr as
`<sentinel>:<entry>` so a run killed as a whole keeps its finished tests.
`parse_harness_output(...)` finds the results and compares each value server-side with
problems.comparison.values_match in the test's comparison mode. Used by both the local
sandbox executor and the Judge0 executor (which ignores compile_command/run_command).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from problems.comparison import values_match
from problems.signatures import Signature, SignatureError

from ..executors.base import Job, Limits, TestOutcome, Verdict
from . import cpp, java
from . import legacy_javascript as javascript
from . import legacy_python as python

FILENAMES = {"python": "solution.py", "javascript": "solution.js", "cpp": "main.cpp", "java": "Main.java"}
STDOUT_PER_TEST = 4096  # characters of the student's own prints kept per test
ACTUAL_LIMIT = 4096  # characters of a returned value kept for display
_RENDERERS = {"python": python.render, "javascript": javascript.render, "cpp": cpp.render, "java": java.render}

FORGED = "harness output was tampered with (the result marker appeared more than once)"
UNREADABLE = "the harness results could not be read"


class HarnessError(ValueError):
    """The job cannot be turned into a harness (bad signature or test input): ours."""


@dataclass(frozen=True)
class HarnessProgram:
    language: str
    source: str  # student code + generated harness, one file
    filename: str  # solution.py | solution.js | main.cpp | Main.java
    stdin: str  # JSON: sentinel, limits and every test's positional arguments
    sentinel: str


def source_filename(language: str) -> str:
    try:
        return FILENAMES[language]
    except KeyError:
        raise HarnessError(f"unsupported language {language!r}") from None


def build_harness(job: Job, *, sentinel: str) -> HarnessProgram:
    if job.language not in _RENDERERS:
        raise HarnessError(f"unsupported language {job.language!r}")
    try:
        signature = Signature.from_json(job.signature or {})
    except SignatureError as exc:
        raise HarnessError(f"bad signature: {exc}") from exc
    tests = []
    for test in job.tests:
        try:
            named = json.loads(test.input)
            tests.append([named[p.name] for p in signature.params])
        except (ValueError, KeyError, TypeError) as exc:
            raise HarnessError(f"test {test.index}: input must be a JSON object with every parameter ({exc})") from exc
    stdin = json.dumps(
        {
            "sentinel": sentinel,
            "time_limit_ms": job.limits.time_limit_ms,
            "stdout_limit": STDOUT_PER_TEST,
            "tests": tests,
        }
    )
    return HarnessProgram(
        language=job.language,
        source=_RENDERERS[job.language](signature, job.code),
        filename=FILENAMES[job.language],
        stdin=stdin,
        sentinel=sentinel,
    )


def compile_command(language: str, filename: str) -> list[str] | None:
    """The compile step inside the sandbox, or None (Python checks syntax in the harness)."""
    if language == "cpp":
        return ["g++", "-O2", "-std=c++17", "-pipe", "-pthread", "-o", "main", filename]
    if language == "java":
        # javac is itself a JVM: a small heap, and no address-space limit (see sandbox.md).
        return ["javac", "-J-Xmx384m", "-J-XX:+UseSerialGC", "-encoding", "UTF-8", "-nowarn", filename]
    return None


def run_command(language: str, filename: str, limits: Limits) -> list[str]:
    mem = max(limits.memory_limit_mb, 32)
    if language == "python":
        return ["python3", "-B", filename]
    if language == "javascript":
        # RLIMIT_AS breaks V8; the heap flag makes an overflow abort with "heap out of memory".
        return ["node", f"--max-old-space-size={mem}", "--stack-size=8000", filename]
    if language == "cpp":
        return ["./main"]
    if language == "java":
        return [
            "java",
            f"-Xmx{mem}m",
            "-Xss64m",
            "-XX:+ExitOnOutOfMemoryError",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-Xshare:auto",
            "-cp",
            ".",
            filename.removesuffix(".java"),
        ]
    raise HarnessError(f"unsupported language {language!r}")


def _results_after_sentinel(stdout: str, sentinel: str) -> tuple[list | None, bool]:
    """(results, forged). The real harness writes the sentinel line exactly once."""
    lines = stdout.split("\n")
    hits = [k for k, line in enumerate(lines) if line.rstrip("\r") == sentinel]
    if not hits:
        return None, False
    if len(hits) > 1:
        return None, True
    try:
        payload = json.loads("\n".join(lines[hits[0] + 1 :]))
    except ValueError:
        return None, False
    return payload, False


def _progress(stderr: str, sentinel: str) -> list[dict]:
    prefix = sentinel + ":"
    entries = []
    for line in stderr.split("\n"):
        if line.startswith(prefix):
            try:
                entries.append(json.loads(line[len(prefix) :]))
            except ValueError:
                continue
    return entries


def strip_progress(stderr: str, sentinel: str) -> str:
    """The student's own stderr, without the harness's progress lines."""
    prefix = sentinel + ":"
    return "\n".join(line for line in stderr.split("\n") if not line.startswith(prefix)).strip("\n")


def compile_error_in(stdout: str, sentinel: str) -> str | None:
    """The compile error the Python harness reports in place of results, if any."""
    payload, _ = _results_after_sentinel(stdout, sentinel)
    if isinstance(payload, dict) and "compile_error" in payload:
        return str(payload["compile_error"])
    return None


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + "...[truncated]"


def _outcome(test, entry: dict, limits: Limits) -> TestOutcome:
    status = entry.get("status")
    time_ms = entry.get("time_ms")
    time_ms = int(round(float(time_ms))) if isinstance(time_ms, (int, float)) else None
    memory = entry.get("memory_kb")
    memory_kb = int(memory) if isinstance(memory, (int, float)) and memory > 0 else None
    stdout = _truncate(str(entry.get("stdout") or ""), STDOUT_PER_TEST + 32)
    message = str(entry.get("error") or "")
    if status == "timeout" or (status == "ok" and time_ms is not None and time_ms > limits.time_limit_ms):
        return TestOutcome(
            index=test.index,
            verdict=Verdict.TIME_LIMIT_EXCEEDED,
            passed=False,
            stdout=stdout,
            time_ms=time_ms,
            memory_kb=memory_kb,
            message=message or "time limit exceeded",
        )
    if status == "memory":
        return TestOutcome(
            index=test.index,
            verdict=Verdict.MEMORY_LIMIT_EXCEEDED,
            passed=False,
            stdout=stdout,
            time_ms=time_ms,
            memory_kb=memory_kb,
            message=message or "memory limit exceeded",
        )
    if status != "ok":
        return TestOutcome(
            index=test.index,
            verdict=Verdict.RUNTIME_ERROR,
            passed=False,
            stdout=stdout,
            time_ms=time_ms,
            memory_kb=memory_kb,
            message=message or "runtime error",
        )
    value = entry.get("value")
    actual = _truncate(json.dumps(value), ACTUAL_LIMIT)
    if test.expected is None:  # custom run: nothing to judge
        return TestOutcome(
            index=test.index,
            verdict=Verdict.ACCEPTED,
            passed=True,
            actual=actual,
            stdout=stdout,
            time_ms=time_ms,
            memory_kb=memory_kb,
        )
    try:
        expected = json.loads(test.expected)
    except ValueError:
        return TestOutcome(
            index=test.index,
            verdict=Verdict.SYSTEM_ERROR,
            passed=False,
            actual=actual,
            stdout=stdout,
            time_ms=time_ms,
            message="expected output is not valid JSON",
        )
    passed = values_match(expected, value, test.comparison or "exact")
    return TestOutcome(
        index=test.index,
        verdict=Verdict.ACCEPTED if passed else Verdict.WRONG_ANSWER,
        passed=passed,
        actual=actual,
        stdout=stdout,
        time_ms=time_ms,
        memory_kb=memory_kb,
    )


def parse_harness_output(job: Job, program: HarnessProgram, stdout: str, *, stderr: str = "") -> list[TestOutcome]:
    """Per-test outcomes in test order, judged server-side.

    Returns only the tests the harness reported: a run killed as a whole yields the
    finished tests (from the stderr progress lines when given) and the caller decides
    the verdict of the rest. Forged or unreadable output marks every test runtime_error.
    """
    results, forged = _results_after_sentinel(stdout or "", program.sentinel)
    if forged:
        return [
            TestOutcome(index=t.index, verdict=Verdict.RUNTIME_ERROR, passed=False, message=FORGED) for t in job.tests
        ]
    if isinstance(results, dict):  # a Python compile error: no test ran
        return []
    if results is None:
        results = _progress(stderr, program.sentinel)
    if not isinstance(results, list) or len(results) > len(job.tests):
        return [
            TestOutcome(index=t.index, verdict=Verdict.RUNTIME_ERROR, passed=False, message=UNREADABLE)
            for t in job.tests
        ]
    outcomes = []
    seen = set()
    for entry in results:
        position = entry.get("i") if isinstance(entry, dict) else None
        if not isinstance(position, int) or not 0 <= position < len(job.tests) or position in seen:
            return [
                TestOutcome(index=t.index, verdict=Verdict.RUNTIME_ERROR, passed=False, message=UNREADABLE)
                for t in job.tests
            ]
        seen.add(position)
        outcomes.append(_outcome(job.tests[position], entry, job.limits))
    return sorted(outcomes, key=lambda o: o.index)

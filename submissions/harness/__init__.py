"""The supervised harness: a trusted supervisor process drives the untrusted student process.

```python
program = build_program(job, nonce=secrets.token_hex(16))          # SupervisedProgram
# program.files: relative path -> text (supervisor.py, the student's file, the runner)
# program.stdin: the supervisor's configuration (JSON; tests in run order, no expected output)
# program.compile_argv: a separate compile step before the run (local C++/Java), or None
# program.run_argv: `python3 -I -S supervisor.py`
report = parse_supervisor_output(program, stdout)                    # SupervisorReport | None
execution = build_report(job, program, report, host=HostFacts(...))  # ExecutionReport
```

The supervisor (supervisor.py, stdlib only, Python 3.8+) reads its configuration, makes
itself non-dumpable and a child subreaper, runs the student's runner (function problems,
ONE process answering one request per test) or one program process per test (stdio),
charges each test the CPU of the whole student process tree and enforces the per-test
CPU, wall, memory and output limits from outside the student's process, and at the end
writes one results block framed by the per-run nonce. Nothing in the student's process
knows the nonce or any test other than the one it is answering. `parse_supervisor_output`
reads that block strictly; `build_report` (the one report builder of the local and Judge0
executors) compares values server-side and maps statuses to verdicts.

A language plugs in with a module exposing `render(signature, code) -> dict[str, str]`
(function problems), optionally `render_stdio(code)`, and
`argv(profile, limits, kind) -> (compile argv | None, run argv)`. Languages whose function
runner is not supervised yet stay on the legacy in-process harness (legacy.py), used by
the local executor for them and by the Judge0 executor, until SUPERVISED_FUNCTION_LANGUAGES
lists them.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from problems.comparison import text_matches, values_match
from problems.signatures import Signature, SignatureError

from ..executors.base import ExecutionReport, Job, Limits, TestOutcome, Verdict, overall_verdict
from . import cpp, java, javascript, python
from . import supervisor as _supervisor
from .legacy import (  # noqa: F401 - the legacy harness API, still used by the Judge0 executor
    ACTUAL_LIMIT,
    FILENAMES,
    FORGED,
    STDOUT_PER_TEST,
    UNREADABLE,
    HarnessError,
    HarnessProgram,
    build_harness,
    compile_command,
    compile_error_in,
    parse_harness_output,
    run_command,
    source_filename,
    strip_progress,
)

# Function problems of these languages run on the supervised harness; the others still
# use legacy.py. Adding a language here is the whole switch once its module renders a
# runner (render -> dict of files, argv).
SUPERVISED_FUNCTION_LANGUAGES = frozenset({"python", "javascript", "cpp", "java"})
MODULES = {"python": python, "javascript": javascript, "cpp": cpp, "java": java}
STDIO_FILENAMES = {"python": "solution.py", "javascript": "solution.js", "cpp": "main.cpp", "java": "Main.java"}
SUPERVISOR_SOURCE = Path(_supervisor.__file__).read_text(encoding="utf-8")
# CPU (and wall) allowed for a runtime's start-up: a stdio test's process includes it,
# a function runner gets it (plus one test's limit) to load the student's module.
STARTUP_MS = {"python": 100, "javascript": 200, "cpp": 0, "java": 1000}
MAX_RUN_SECONDS = 10.0  # CPU budget of a whole run (the sandbox's RLIMIT_CPU); tests beyond it are not run
MESSAGE_LIMIT = 4000
NOT_RUN = "not run: an earlier test ended the run"
INTERRUPTED = "the judge process was interrupted"
STATUSES = ("ok", "error", "timeout", "memory", "output", "crash", "not_run")
MAX_TIME_MS = 24 * 3600 * 1000.0
MAX_MEMORY_KB = 1 << 40


@dataclass(frozen=True)
class RuntimeProfile:
    """Where each runtime lives and how the run is put together on one backend."""

    name: str
    supervisor_python: str = "/usr/bin/python3"
    python: str = "/usr/bin/python3"
    node: str = "node"
    gxx: str = "g++"
    javac: str = "javac"
    java: str = "java"
    cxx_flags: tuple[str, ...] = ("-O2", "-std=c++17", "-pipe", "-pthread")
    # True: the supervisor runs the compile itself (Judge0: nothing in the box during a
    # separate compile step could see tests); False: a separate sandbox step before the run.
    compile_inside: bool = False
    compile_cpu_ms: int = 30000
    compile_wall_ms: int = 60000


LOCAL = RuntimeProfile(name="local")


@dataclass(frozen=True)
class SupervisedProgram:
    language: str
    kind: str  # function | stdio
    files: dict[str, str]
    stdin: str  # the supervisor's configuration
    nonce: str
    compile_argv: list[str] | None  # a separate (local) compile step, or None
    run_argv: list[str]  # starts the supervisor
    order: tuple[int, ...] = ()  # test indices in the order they run
    startup_ms: int = 0
    cpu_seconds: float = 0.0  # whole-run CPU budget of one process (for RLIMIT_CPU)
    wall_seconds: float = 0.0  # the supervisor's own whole-run deadline
    output_bytes: int = 0  # the largest results block it can write


@dataclass(frozen=True)
class HostFacts:
    """What the host saw of the sandbox run itself (never the student's claims)."""

    exit_code: int | None = 0
    signal: int | None = None
    timed_out: bool = False
    output_exceeded: bool = False
    oom_killed: bool = False
    compile_output: str = ""
    stderr: str = ""


@dataclass(frozen=True)
class CompileResult:
    ok: bool
    output: str


@dataclass(frozen=True)
class Ready:
    ok: bool
    compile_error: str | None
    error: str | None


@dataclass(frozen=True)
class SupervisedTest:
    id: int
    status: str
    output: str
    stderr: str
    error: str
    time_ms: float
    memory_kb: int
    exit_code: int | None
    signal: int | None
    value: object = None
    has_value: bool = False


@dataclass(frozen=True)
class SupervisorReport:
    compile: CompileResult | None
    ready: Ready
    tests: dict[int, SupervisedTest] = field(default_factory=dict)


# --- building the program ---------------------------------------------------------------
def _module(language: str):
    try:
        return MODULES[language]
    except KeyError:
        raise HarnessError(f"unsupported language {language!r}") from None


def _default_argv(language: str, profile: RuntimeProfile, limits: Limits, kind: str):
    mem = max(limits.memory_limit_mb, 32)
    if language == "cpp":
        return [profile.gxx, *profile.cxx_flags, "-o", "main", "main.cpp"], ["./main"]
    if language == "java":
        # javac is itself a JVM: a small heap (sandbox.md).
        compile_argv = [profile.javac, "-J-Xmx384m", "-J-XX:+UseSerialGC", "-encoding", "UTF-8", "-nowarn", "Main.java"]
        run = [
            profile.java,
            f"-Xmx{mem}m",
            "-Xss64m",
            "-XX:+ExitOnOutOfMemoryError",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-Xshare:auto",
            "-cp",
            ".",
            "Main",
        ]
        return compile_argv, run
    raise HarnessError(f"unsupported language {language!r}")


def program_argv(language: str, profile: RuntimeProfile, limits: Limits, kind: str):
    """(compile argv | None, run argv) of the student's process for this language."""
    module = _module(language)
    argv = getattr(module, "argv", None)
    if argv is not None:
        return argv(profile, limits, kind)
    return _default_argv(language, profile, limits, kind)


def _files(job: Job) -> dict[str, str]:
    module = _module(job.language)
    if job.kind == "function":
        if job.language not in SUPERVISED_FUNCTION_LANGUAGES:
            raise HarnessError(f"{job.language} function problems are not on the supervised harness yet")
        try:
            signature = Signature.from_json(job.signature or {})
        except SignatureError as exc:
            raise HarnessError(f"bad signature: {exc}") from exc
        return module.render(signature, job.code)
    render_stdio = getattr(module, "render_stdio", None)
    return render_stdio(job.code) if render_stdio else {STDIO_FILENAMES[job.language]: job.code}


def _arguments(job: Job) -> dict[int, list]:
    signature = Signature.from_json(job.signature or {})
    found = {}
    for test in job.tests:
        try:
            named = json.loads(test.input)
            found[test.index] = [named[p.name] for p in signature.params]
        except (ValueError, KeyError, TypeError) as exc:
            raise HarnessError(f"test {test.index}: input must be a JSON object with every parameter ({exc})") from exc
    return found


def _contains_dict_or_non_finite(value) -> bool:
    if isinstance(value, dict):
        return True
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, list):
        return any(_contains_dict_or_non_finite(v) for v in value)
    return False


def expect_digest(kind: str, test) -> tuple[str | None, str | None]:
    """(sha256, canonical form) of a test's expected answer when equal digests are exactly
    what the comparison mode accepts, else (None, None): no early stop on a wrong answer.

    Soundness: the supervisor stops on a digest mismatch, so a mismatch must imply that
    values_match/text_matches fails. Numbers are normalised (1.0 -> 1) because the exact
    mode accepts 1 for 1.0; dicts (whose == treats True as 1) and non-finite expected
    values get no digest; the float mode gets none.
    """
    if test.expected is None:
        return None, None
    mode = test.comparison or "exact"
    if kind == "stdio":
        canon = {"exact": "text", "unordered": "text_unordered", "unordered_deep": "text_unordered"}.get(mode)
        return (_supervisor.digest(test.expected, canon), canon) if canon else (None, None)
    if mode not in ("exact", "unordered", "unordered_deep"):
        return None, None
    try:
        expected = json.loads(test.expected)
    except ValueError:
        return None, None
    if _contains_dict_or_non_finite(expected):
        return None, None
    return _supervisor.digest(expected, mode), mode


def _run_order(job: Job) -> list:
    samples = [t for t in job.tests if t.is_sample]
    hidden = [t for t in job.tests if not t.is_sample]
    secrets.SystemRandom().shuffle(hidden)  # an order the student cannot predict
    return samples + hidden


def build_program(
    job: Job, *, nonce: str, profile: RuntimeProfile = LOCAL, stop_on_failure: bool = True
) -> SupervisedProgram:
    if job.kind not in ("function", "stdio"):
        raise HarnessError(f"unsupported problem kind {job.kind!r}")
    if not re.fullmatch(r"[0-9a-f]{32}", nonce):
        raise HarnessError("the nonce must be 32 lowercase hex digits")
    files = dict(_files(job))
    arguments = _arguments(job) if job.kind == "function" else {}
    compile_argv, run_argv = program_argv(job.language, profile, job.limits, job.kind)
    order = _run_order(job)
    startup = STARTUP_MS[job.language]
    tests = []
    for test in order:
        entry = {"id": test.index, "hidden": not test.is_sample}
        if job.kind == "function":
            entry["args"] = arguments[test.index]
        else:
            entry["stdin"] = test.input
        # Digests also serve live progress when the run does not stop at a failure.
        digest, canon = expect_digest(job.kind, test)
        entry["expect"] = digest
        if canon:
            entry["canon"] = canon
        tests.append(entry)
    n = max(len(job.tests), 1)
    per_test = job.limits.time_limit_ms / 1000
    budget = min(n * (per_test + (startup / 1000 if job.kind == "stdio" else 0)), MAX_RUN_SECONDS)
    # The whole run: twice the CPU budget of wall clock plus one test's wall guard, so a
    # loaded machine does not turn correct code into a TLE while sleeping code still ends.
    wall = 2 * budget + startup / 1000 + 2.0 + 5 * per_test + 1
    if job.kind == "function":
        kept, output_limit = STDOUT_PER_TEST, max(job.limits.output_limit_bytes, 1024 * 1024)
    else:
        kept = output_limit = job.limits.output_limit_bytes
    config = {
        "nonce": nonce,
        "kind": job.kind,
        "compile": None,
        "run": {"argv": run_argv},
        "time_limit_ms": job.limits.time_limit_ms,
        "memory_limit_kb": job.limits.memory_limit_mb * 1024,
        "startup_ms": startup,
        "stdout_limit": kept,
        "output_limit": output_limit,
        "stop_on_failure": stop_on_failure,
        "wall_ms": int(wall * 1000),
        "tests": tests,
    }
    local_compile = compile_argv
    if compile_argv and profile.compile_inside:
        config["compile"] = {"argv": compile_argv, "cpu_ms": profile.compile_cpu_ms, "wall_ms": profile.compile_wall_ms}
        local_compile = None
    files["supervisor.py"] = SUPERVISOR_SOURCE
    per_test_block = 2 * kept + 16 * 1024 + (1024 * 1024 if job.kind == "function" else 0)
    return SupervisedProgram(
        language=job.language,
        kind=job.kind,
        files=files,
        stdin=json.dumps(config),
        nonce=nonce,
        compile_argv=local_compile,
        run_argv=[profile.supervisor_python, "-I", "-S", "supervisor.py"],
        order=tuple(t.index for t in order),
        startup_ms=startup,
        cpu_seconds=budget + startup / 1000 + 1.0,
        wall_seconds=wall,
        output_bytes=min(64 * 1024 + n * per_test_block, 64 * 1024 * 1024),
    )


# --- reading the results block ------------------------------------------------------------
def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _reject_constant(name):
    raise ValueError(f"non-finite number {name}")


def _optional_text(value) -> bool:
    return value is None or isinstance(value, str)


_TEST_KEYS = {"id", "status", "output", "stderr", "error", "time_ms", "memory_kb", "exit_code", "signal"}


def _parse_test(entry, kind: str) -> SupervisedTest | None:
    if not isinstance(entry, dict):
        return None
    keys = set(entry)
    has_value = "value" in keys
    if keys - {"value"} != _TEST_KEYS:
        return None
    status, time_ms, memory = entry["status"], entry["time_ms"], entry["memory_kb"]
    if not _is_int(entry["id"]) or status not in STATUSES:
        return None
    if has_value and not (status == "ok" and kind == "function"):
        return None
    if status == "ok" and kind == "function" and not has_value:
        return None
    if not all(isinstance(entry[k], str) for k in ("output", "stderr", "error")):
        return None
    if not (_is_int(time_ms) or isinstance(time_ms, float)) or not math.isfinite(time_ms):
        return None
    if not 0 <= time_ms <= MAX_TIME_MS or not _is_int(memory) or not 0 <= memory <= MAX_MEMORY_KB:
        return None
    code, sig = entry["exit_code"], entry["signal"]
    if code is not None and not (_is_int(code) and 0 <= code <= 255):
        return None
    if sig is not None and not (_is_int(sig) and 1 <= sig <= 128):
        return None
    return SupervisedTest(
        id=entry["id"],
        status=status,
        output=entry["output"],
        stderr=entry["stderr"],
        error=entry["error"],
        time_ms=float(time_ms),
        memory_kb=memory,
        exit_code=code,
        signal=sig,
        value=entry.get("value"),
        has_value=has_value,
    )


def parse_supervisor_output(program: SupervisedProgram, stdout: str) -> SupervisorReport | None:
    """The supervisor's results block, or None if stdout is anything but exactly one
    well-formed block with this run's nonce (every field type- and range-checked)."""
    head, tail = f"\n{program.nonce}\n", f"\n{program.nonce}-end\n"
    if not stdout or not stdout.startswith(head) or not stdout.endswith(tail):
        return None
    body = stdout[len(head) : len(stdout) - len(tail)]
    if "\n" in body or "\r" in body:
        return None
    try:
        data = json.loads(body, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or set(data) != {"v", "compile", "ready", "tests"} or data["v"] != 1:
        return None
    compile_step = data["compile"]
    if compile_step is not None:
        if (
            not isinstance(compile_step, dict)
            or set(compile_step) != {"ok", "output"}
            or not isinstance(compile_step["ok"], bool)
            or not isinstance(compile_step["output"], str)
        ):
            return None
        compile_step = CompileResult(ok=compile_step["ok"], output=compile_step["output"])
    ready = data["ready"]
    if (
        not isinstance(ready, dict)
        or set(ready) != {"ok", "compile_error", "error"}
        or not isinstance(ready["ok"], bool)
        or not _optional_text(ready["compile_error"])
        or not _optional_text(ready["error"])
    ):
        return None
    ready = Ready(ok=ready["ok"], compile_error=ready["compile_error"], error=ready["error"])
    entries = data["tests"]
    if not isinstance(entries, list) or len(entries) != len(program.order):
        return None
    tests = {}
    for entry in entries:
        parsed = _parse_test(entry, program.kind)
        if parsed is None or parsed.id in tests:
            return None
        tests[parsed.id] = parsed
    if set(tests) != set(program.order):
        return None
    return SupervisorReport(compile=compile_step, ready=ready, tests=tests)


# --- judging ----------------------------------------------------------------------------
def _trim(text: str, limit: int = MESSAGE_LIMIT) -> str:
    text = (text or "").replace("/box/", "")
    return text if len(text) <= limit else text[:limit] + "\n...[truncated]"


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + "...[truncated]"


def _whole(
    job: Job, verdict: str, *, message: str = "", compile_output: str = "", cacheable: bool = True
) -> ExecutionReport:
    outcomes = [
        TestOutcome(index=t.index, verdict=verdict, passed=False, message=message, hidden=not t.is_sample)
        for t in job.tests
    ]
    return ExecutionReport(
        verdict=verdict, tests=outcomes, message=message, compile_output=compile_output, cacheable=cacheable
    )


def _looks_like_syntax_error(language: str, stderr: str) -> bool:
    # A file that does not parse never starts: no traceback / stack, only the parser's message.
    if language == "python":
        return "Traceback" not in stderr and bool(re.search(r"^(SyntaxError|IndentationError|TabError):", stderr, re.M))
    if language == "javascript":
        return bool(re.search(r"^SyntaxError:", stderr, re.M)) and "solution.js:" in stderr.split("\n", 1)[0]
    return False


_FAILED = {
    "timeout": Verdict.TIME_LIMIT_EXCEEDED,
    "memory": Verdict.MEMORY_LIMIT_EXCEEDED,
    "output": Verdict.OUTPUT_LIMIT_EXCEEDED,
    "error": Verdict.RUNTIME_ERROR,
    "crash": Verdict.RUNTIME_ERROR,
}
_DEFAULT_MESSAGE = {
    "timeout": "time limit exceeded",
    "memory": "memory limit exceeded",
    "output": "output limit exceeded",
    "error": "runtime error",
    "crash": "runtime error",
}


def _outcome(job: Job, program: SupervisedProgram, spec, test: SupervisedTest) -> TestOutcome:
    time_ms = int(round(test.time_ms))
    common = {
        "index": spec.index,
        "time_ms": time_ms,
        "memory_kb": test.memory_kb or None,
        "stderr": _trim(test.stderr),
        "hidden": not spec.is_sample,
    }
    if job.kind == "function":
        common["stdout"] = _truncate(test.output, STDOUT_PER_TEST + 32)
    else:
        common["actual"] = _trim(test.output)
    allowance = job.limits.time_limit_ms + (program.startup_ms if job.kind == "stdio" else 0)
    if test.status == "ok" and time_ms > allowance:
        return TestOutcome(verdict=Verdict.TIME_LIMIT_EXCEEDED, passed=False, message="time limit exceeded", **common)
    if test.status != "ok":
        return TestOutcome(
            verdict=_FAILED[test.status],
            passed=False,
            message=_trim(test.error, 500) or _DEFAULT_MESSAGE[test.status],
            **common,
        )
    if job.kind == "stdio":
        if spec.expected is None:
            return TestOutcome(verdict=Verdict.ACCEPTED, passed=True, **common)
        passed = text_matches(spec.expected, test.output, spec.comparison or "exact")
        return TestOutcome(verdict=Verdict.ACCEPTED if passed else Verdict.WRONG_ANSWER, passed=passed, **common)
    actual = _truncate(json.dumps(test.value), ACTUAL_LIMIT)
    if spec.expected is None:  # custom run: nothing to judge
        return TestOutcome(verdict=Verdict.ACCEPTED, passed=True, actual=actual, **common)
    try:
        expected = json.loads(spec.expected)
    except ValueError:
        return TestOutcome(
            verdict=Verdict.SYSTEM_ERROR,
            passed=False,
            actual=actual,
            message="expected output is not valid JSON",
            **common,
        )
    passed = values_match(expected, test.value, spec.comparison or "exact")
    return TestOutcome(
        verdict=Verdict.ACCEPTED if passed else Verdict.WRONG_ANSWER, passed=passed, actual=actual, **common
    )


def _with_host_facts(entry: SupervisedTest, host: HostFacts) -> SupervisedTest:
    if entry.status == "crash" and entry.signal == 9 and host.oom_killed:
        # The cgroup's OOM killer picked the student (oom_score_adj 1000), not the supervisor.
        return dataclasses.replace(entry, status="memory", error="memory limit exceeded")
    return entry


def build_report(
    job: Job, program: SupervisedProgram, report: SupervisorReport | None, *, host: HostFacts
) -> ExecutionReport:
    """The ExecutionReport of one supervised run (local and Judge0 alike)."""
    if report is None:
        # No trustworthy block: classify from the host's own facts, never cache.
        if host.timed_out:
            return _whole(job, Verdict.TIME_LIMIT_EXCEEDED, message="time limit exceeded (wall clock)", cacheable=False)
        if host.oom_killed:
            return _whole(job, Verdict.MEMORY_LIMIT_EXCEEDED, message="memory limit exceeded", cacheable=False)
        return _whole(job, Verdict.RUNTIME_ERROR, message=INTERRUPTED, cacheable=False)
    if report.compile is not None and not report.compile.ok:
        return _whole(job, Verdict.COMPILE_ERROR, compile_output=_trim(report.compile.output))
    compile_output = _trim(report.compile.output) if report.compile is not None else _trim(host.compile_output)
    specs = {t.index: t for t in job.tests}
    if not report.ready.ok:
        if report.ready.compile_error is not None:
            return _whole(job, Verdict.COMPILE_ERROR, compile_output=_trim(report.ready.compile_error))
        first = report.tests[program.order[0]] if program.order else None
        verdict = _FAILED.get(first.status, Verdict.RUNTIME_ERROR) if first else Verdict.RUNTIME_ERROR
        message = _trim(report.ready.error or "", 500)
        outcomes = []
        for spec in job.tests:
            entry = report.tests[spec.index]
            outcomes.append(
                TestOutcome(
                    index=spec.index,
                    verdict=verdict,
                    passed=False,
                    message=message,
                    stdout=_truncate(entry.output, STDOUT_PER_TEST + 32),
                    stderr=_trim(entry.stderr),
                    hidden=not spec.is_sample,
                )
            )
        return ExecutionReport(verdict=verdict, tests=outcomes, compile_output=compile_output)
    if job.kind == "stdio" and program.order:
        first = report.tests[program.order[0]]
        if first.status == "error" and _looks_like_syntax_error(job.language, first.stderr):
            return _whole(job, Verdict.COMPILE_ERROR, compile_output=_trim(first.stderr))
    outcomes: dict[int, TestOutcome] = {}
    stopper = None
    for index in program.order:
        entry = report.tests[index]
        if entry.status == "not_run":
            continue
        outcomes[index] = _outcome(job, program, specs[index], _with_host_facts(entry, host))
        if not outcomes[index].passed:
            stopper = outcomes[index]
    for index in program.order:
        if index in outcomes:
            continue
        spec = specs[index]
        # Not run: the test that stopped the run decides (the NOT_RUN convention).
        verdict = stopper.verdict if stopper is not None else Verdict.SYSTEM_ERROR
        outcomes[index] = TestOutcome(
            index=index, verdict=verdict, passed=False, message=NOT_RUN, hidden=not spec.is_sample
        )
    tests = sorted(outcomes.values(), key=lambda o: o.index)
    return ExecutionReport(verdict=overall_verdict(tests), tests=tests, compile_output=compile_output)


def progress_line(line: str) -> dict | None:
    """A `CMPROGRESS {...}` line of the supervisor's stderr, for live display only."""
    if not line.startswith("CMPROGRESS "):
        return None
    try:
        data = json.loads(line[len("CMPROGRESS ") :], parse_constant=_reject_constant)
    except ValueError:
        return None
    if (
        not isinstance(data, dict)
        or not _is_int(data.get("id"))
        or data.get("status") not in STATUSES
        or not isinstance(data.get("time_ms"), (int, float))
        or isinstance(data.get("time_ms"), bool)
        or not math.isfinite(data["time_ms"])
        or not 0 <= data["time_ms"] <= MAX_TIME_MS
        or data.get("match") not in (True, False, None)
    ):
        return None
    return data

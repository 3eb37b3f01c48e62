"""The local executor: every compile and run inside the bubblewrap sandbox of this machine.

Function and stdio problems alike: compile once (C++/Java, a sandbox step of its own with
no test in it), then ONE sandbox execution of the supervised harness
(submissions/harness): the trusted supervisor runs the student's runner (function) or
one program process per test (stdio), enforces every per-test limit from outside the
student's process and writes the results block; outputs are judged here, server-side,
by the shared `build_report`. executions=1 whatever the number of tests. The
supervisor's CMPROGRESS lines feed `on_test` while the run goes on (display only).

C++/Java function problems stay on the legacy in-process harness until their supervised
runners land (harness.SUPERVISED_FUNCTION_LANGUAGES).
"""

from __future__ import annotations

import math
import os
import re
import secrets
import signal
import time

from django.conf import settings

from ..harness import (
    FILENAMES,
    LOCAL,
    NOT_RUN,
    SUPERVISED_FUNCTION_LANGUAGES,
    HarnessError,
    HarnessProgram,
    HostFacts,
    SupervisedProgram,
    build_harness,
    build_program,
    build_report,
    compile_command,
    compile_error_in,
    parse_harness_output,
    parse_supervisor_output,
    progress_line,
    run_command,
    strip_progress,
)
from ..harness import cpp as cpp_harness
from .base import ExecutionReport, Job, OnTest, TestOutcome, Verdict, overall_verdict, stops_on_failure
from .sandbox import (
    COMPILE_MEMORY_MB,
    MiB,
    SandboxLimits,
    SandboxResult,
    Slot,
    acquire_slot,
    bwrap_path,
    cpp_precompiled_header,
    run_in_sandbox,
)

# Start-up time of each runtime, added to the wall limit so a slow JVM start is not a TLE.
STARTUP_SECONDS = {"python": 2.0, "javascript": 2.0, "cpp": 1.0, "java": 4.0}
STARTUP_CPU_MS = {"python": 100, "javascript": 200, "cpp": 0, "java": 1000}
# Threads count against RLIMIT_NPROC: the JVM and V8 start several of their own.
NPROC = {"python": 32, "javascript": 64, "cpp": 32, "java": 128}
# The run's cgroup caps the whole process tree (children, threads, off-heap buffers) at the
# problem's memory limit plus the runtime's own overhead (the JVM's metaspace and code
# cache, V8's young generation and code space) and the wrapper processes.
CGROUP_SLACK_MB = {"python": 64, "javascript": 128, "cpp": 64, "java": 192}
STDIO_PCH = "#include <bits/stdc++.h>\n"
MESSAGE_LIMIT = 4000
# The supervisor's own processes next to the student's (it, the shell at PID 1).
SUPERVISOR_NPROC = 4
_MEMORY_MARKERS = (
    "MemoryError",  # Python
    "heap out of memory",  # Node (--max-old-space-size)
    "OutOfMemoryError",  # Java (-XX:+ExitOnOutOfMemoryError)
    "std::bad_alloc",  # C++ under RLIMIT_AS
    "Cannot allocate memory",
)


def _trim(text: str, limit: int = MESSAGE_LIMIT) -> str:
    text = text.replace("/box/", "")
    return text if len(text) <= limit else text[:limit] + "\n...[truncated]"


class LocalExecutor:
    name = "local"

    def run(self, job: Job, *, on_test: OnTest | None = None) -> ExecutionReport:
        started = time.monotonic()
        bwrap_path()  # refuses (ExecutorError) rather than ever running code unsandboxed
        if job.language not in FILENAMES:
            report = _whole_run(job, Verdict.SYSTEM_ERROR, message=f"unsupported language {job.language!r}")
        elif job.kind == "function" and job.language not in SUPERVISED_FUNCTION_LANGUAGES:
            report = self._run_function_legacy(job)
        else:
            report = self._run_supervised(job, on_test=on_test)
        report.latency_ms = int((time.monotonic() - started) * 1000)
        report.backend = self.name
        return report

    # --- shared steps ------------------------------------------------------------------
    @staticmethod
    def _limits(job: Job, *, wall: float, output_bytes: int, cpu: float | None = None) -> SandboxLimits:
        memory = job.limits.memory_limit_mb
        # RLIMIT_AS only where the runtime survives it (sandbox.md): Python and C++.
        address_space = memory + 128 if job.language in ("python", "cpp") else None
        return SandboxLimits(
            wall_seconds=wall,
            cpu_seconds=math.ceil(cpu if cpu is not None else wall) + 1,
            address_space_mb=address_space,
            nproc=NPROC[job.language],
            output_bytes=output_bytes,
            # Recursive solutions (DFS over 10^5 nodes) need more than the default 8 MiB;
            # node's --stack-size must also stay below the real stack.
            stack_mb=min(256, memory),
            memory_mb=memory + CGROUP_SLACK_MB[job.language],
            pids=NPROC[job.language] + 8,  # + bwrap, its shell, a supervisor
        )

    @staticmethod
    def _compile(job: Job, slot: Slot, filename: str) -> SandboxResult | None:
        command = compile_command(job.language, filename)
        if command is None:
            return None
        wall = settings.SANDBOX_COMPILE_SECONDS
        limits = SandboxLimits(
            wall_seconds=wall, cpu_seconds=math.ceil(wall), address_space_mb=None, nproc=128,
            file_size_mb=64, open_files=256, output_bytes=256 * 1024, tmp_size_mb=256,
            memory_mb=COMPILE_MEMORY_MB, pids=136, minimal_dev=True,
        )
        binds = []
        pch = None
        if job.language == "cpp":
            pch = cpp_precompiled_header(cpp_harness.PCH_HEADER if job.kind == "function" else STDIO_PCH)
        if pch is not None:
            command = [command[0], "-I/pch", *command[1:]]
            binds.append((str(pch), "/pch"))
        return run_in_sandbox(command, slot=slot, limits=limits, ro_binds=binds)

    @staticmethod
    def _write_source(slot: Slot, filename: str, source: str) -> None:
        path = slot.workdir / filename
        path.write_text(source, encoding="utf-8")
        os.chmod(path, 0o644)

    # --- the supervised harness: one execution for all tests --------------------------
    def _run_supervised(self, job: Job, *, on_test: OnTest | None = None) -> ExecutionReport:
        try:
            program = build_program(job, nonce=secrets.token_hex(16), profile=LOCAL,
                                    stop_on_failure=stops_on_failure(job))
        except HarnessError as exc:
            return _whole_run(job, Verdict.SYSTEM_ERROR, message=str(exc))
        limits = self._supervised_limits(job, program)
        with acquire_slot() as slot:
            for name, text in program.files.items():
                self._write_source(slot, name, text)
            compiled = self._compile_step(job, slot, program)
            if compiled is not None and not compiled.ok:
                return _compile_failed(job, compiled)
            result = run_in_sandbox(program.run_argv, slot=slot, limits=limits, stdin=program.stdin,
                                    on_stderr_line=_live(job, on_test) if on_test else None)
        parsed = parse_supervisor_output(program, result.stdout)
        host = HostFacts(
            exit_code=result.exit_code, signal=result.signal, timed_out=result.timed_out,
            output_exceeded=result.output_exceeded, oom_killed=result.oom_killed,
            compile_output=(compiled.stderr + compiled.stdout) if compiled is not None else "",
            stderr=result.stderr,
        )
        report = build_report(job, program, parsed, host=host)
        report.executions = 1
        return report

    def _supervised_limits(self, job: Job, program: SupervisedProgram) -> SandboxLimits:
        limits = self._limits(job, wall=program.wall_seconds + STARTUP_SECONDS[job.language] + 2,
                              cpu=program.cpu_seconds, output_bytes=program.output_bytes)
        return SandboxLimits(**{**limits.__dict__, "nproc": limits.nproc + SUPERVISOR_NPROC})

    def _compile_step(self, job: Job, slot: Slot, program: SupervisedProgram) -> SandboxResult | None:
        """The compile as a sandbox run of its own, before any test is in the box."""
        if not program.compile_argv:
            return None
        wall = settings.SANDBOX_COMPILE_SECONDS
        limits = SandboxLimits(
            wall_seconds=wall, cpu_seconds=math.ceil(wall), address_space_mb=None, nproc=128,
            file_size_mb=64, open_files=256, output_bytes=256 * 1024, tmp_size_mb=256,
        )
        command = list(program.compile_argv)
        binds = []
        if job.language == "cpp":
            header = STDIO_PCH if job.kind == "stdio" else getattr(cpp_harness, "PCH_HEADER", STDIO_PCH)
            pch = cpp_precompiled_header(header)
            if pch is not None:
                command = [command[0], "-I/pch", *command[1:]]
                binds.append((str(pch), "/pch"))
        return run_in_sandbox(command, slot=slot, limits=limits, ro_binds=binds)

    # --- legacy: C++/Java function problems until their supervised runners land --------
    def _run_function_legacy(self, job: Job) -> ExecutionReport:
        try:
            program = build_harness(job, sentinel=secrets.token_hex(16))
        except HarnessError as exc:
            return _whole_run(job, Verdict.SYSTEM_ERROR, message=str(exc))
        n = max(len(job.tests), 1)
        per_test = job.limits.time_limit_ms / 1000
        # The whole run: CPU ≈ N × per-test limit (capped) + start-up; the wall clock gets
        # twice that plus one test's in-harness wall guard (5x + 1 s), so a loaded machine
        # does not turn correct code into a TLE while sleeping code still ends.
        budget = min(n * per_test, settings.SANDBOX_MAX_RUN_SECONDS)
        cpu = budget + STARTUP_SECONDS[job.language]
        wall = 2 * budget + STARTUP_SECONDS[job.language] + 5 * per_test + 1
        limits = self._limits(
            job, wall=wall, cpu=cpu, output_bytes=min(max(job.limits.output_limit_bytes, n * 64 * 1024), 32 * MiB)
        )
        with acquire_slot() as slot:
            self._write_source(slot, program.filename, program.source)
            compiled = self._compile(job, slot, program.filename)
            if compiled is not None and not compiled.ok:
                return _compile_failed(job, compiled)
            result = run_in_sandbox(
                run_command(job.language, program.filename, job.limits), slot=slot, limits=limits, stdin=program.stdin
            )
        report = self._function_report(job, program, result)
        report.executions = 1
        report.cacheable = False  # the in-process harness's results are the student's to forge
        if compiled is not None and not report.compile_output:
            report.compile_output = _trim(compiled.stderr + compiled.stdout)  # warnings
        return report

    def _function_report(self, job: Job, program: HarnessProgram, result: SandboxResult) -> ExecutionReport:
        python_syntax = compile_error_in(result.stdout, program.sentinel)
        if python_syntax is not None:
            return _whole_run(job, Verdict.COMPILE_ERROR, compile_output=_trim(python_syntax))
        stderr = strip_progress(result.stderr, program.sentinel)
        outcomes = parse_harness_output(job, program, result.stdout, stderr=result.stderr)
        reported = {o.index for o in outcomes}
        if len(reported) == len(job.tests):
            verdict = None
        elif not outcomes and _looks_like_syntax_error(job.language, stderr, result):
            return _whole_run(job, Verdict.COMPILE_ERROR, compile_output=_trim(stderr))
        else:
            verdict = _failure_verdict(result, stderr) or Verdict.RUNTIME_ERROR
        if verdict is not None:
            outcomes = _fill_unreported(job, outcomes, verdict, _failure_message(verdict, result, stderr), stderr)
        return ExecutionReport(verdict=overall_verdict(outcomes), tests=outcomes)



def _live(job: Job, on_test: OnTest):
    """Turn the supervisor's CMPROGRESS lines into provisional outcomes for live display.
    Only what a line proves is shown: a failing status, or an `ok` whose answer digest was
    checked; the final report (judged server-side) replaces all of it."""
    hidden = {t.index: not t.is_sample for t in job.tests}
    statuses = {"timeout": Verdict.TIME_LIMIT_EXCEEDED, "memory": Verdict.MEMORY_LIMIT_EXCEEDED,
                "output": Verdict.OUTPUT_LIMIT_EXCEEDED, "error": Verdict.RUNTIME_ERROR,
                "crash": Verdict.RUNTIME_ERROR}

    def handle(line: str) -> None:
        data = progress_line(line)
        if data is None or data["id"] not in hidden:
            return
        if data["status"] == "ok":
            if data.get("match") is None:
                return
            verdict = Verdict.ACCEPTED if data["match"] else Verdict.WRONG_ANSWER
        elif data["status"] in statuses:
            verdict = statuses[data["status"]]
        else:
            return
        on_test(TestOutcome(index=data["id"], verdict=verdict, passed=verdict == Verdict.ACCEPTED,
                            time_ms=int(round(data["time_ms"])), hidden=hidden[data["id"]]))

    return handle


def _failure_verdict(result: SandboxResult, stderr: str) -> str | None:
    """The verdict of a run that died as a whole, or None if it ended normally."""
    if result.oom_killed:  # the run's cgroup hit its memory cap: any process of the tree
        return Verdict.MEMORY_LIMIT_EXCEEDED
    if result.exit_code == 0 and not result.timed_out and not result.output_exceeded:
        return None
    # Python ignores SIGXFSZ, so RLIMIT_FSIZE shows up as EFBIG ("File too large").
    if result.output_exceeded or result.signal == signal.SIGXFSZ or "File too large" in stderr:
        return Verdict.OUTPUT_LIMIT_EXCEEDED
    # The JVM's -XX:+ExitOnOutOfMemoryError notice goes to stdout, with exit status 3.
    tail = stderr + result.stdout[-2000:]
    if any(marker in tail for marker in _MEMORY_MARKERS):
        return Verdict.MEMORY_LIMIT_EXCEEDED
    if result.timed_out or result.signal in (signal.SIGXCPU, signal.SIGKILL):
        return Verdict.TIME_LIMIT_EXCEEDED
    if result.exit_code != 0:
        return Verdict.RUNTIME_ERROR
    return None


def _failure_message(verdict: str, result: SandboxResult, stderr: str) -> str:
    if verdict == Verdict.TIME_LIMIT_EXCEEDED:
        return "time limit exceeded" + (" (wall clock)" if result.timed_out else "")
    if verdict == Verdict.OUTPUT_LIMIT_EXCEEDED:
        return "output limit exceeded" if result.output_exceeded else "file size limit exceeded"
    if verdict == Verdict.MEMORY_LIMIT_EXCEEDED:
        return "memory limit exceeded"
    if result.signal:
        name = signal.Signals(result.signal).name if result.signal in signal.Signals._value2member_map_ else "?"
        return f"killed by signal {result.signal} ({name})"
    if result.exit_code:
        lines = [line for line in stderr.strip().splitlines() if line.strip()]
        return _trim(lines[-1] if lines else f"exit code {result.exit_code}", 500)
    return "the program ended without reporting every test"


def _looks_like_syntax_error(language: str, stderr: str, result: SandboxResult) -> bool:
    # A file that does not parse never starts: no traceback / stack, only the parser's message.
    if result.exit_code in (0, None):
        return False
    if language == "python":
        return "Traceback" not in stderr and bool(re.search(r"^(SyntaxError|IndentationError|TabError):", stderr, re.M))
    if language == "javascript":
        return bool(re.search(r"^SyntaxError:", stderr, re.M)) and "solution.js:" in stderr.split("\n", 1)[0]
    return False


def _fill_unreported(job: Job, outcomes: list[TestOutcome], verdict: str, message: str, stderr: str):
    """Tests the run never reported: the first takes the blame, the rest could not run."""
    reported = {o.index for o in outcomes}
    filled = list(outcomes)
    blamed = False
    for test in job.tests:
        if test.index in reported:
            continue
        filled.append(TestOutcome(
            index=test.index, verdict=verdict, passed=False,
            stderr=_trim(stderr) if not blamed else "",
            message=message if not blamed else NOT_RUN,
        ))
        blamed = True
    return sorted(filled, key=lambda o: o.index)


def _compile_failed(job: Job, compiled: SandboxResult) -> ExecutionReport:
    if compiled.timed_out:
        return _whole_run(job, Verdict.COMPILE_ERROR, compile_output="compilation took too long")
    if compiled.oom_killed:
        return _whole_run(job, Verdict.COMPILE_ERROR,
                          compile_output=f"compilation ran out of memory ({COMPILE_MEMORY_MB} MiB)")
    return _whole_run(job, Verdict.COMPILE_ERROR, compile_output=_trim(compiled.stderr + compiled.stdout))


def _whole_run(job: Job, verdict: str, *, message: str = "", compile_output: str = "") -> ExecutionReport:
    outcomes = [TestOutcome(index=t.index, verdict=verdict, passed=False, message=message) for t in job.tests]
    return ExecutionReport(verdict=verdict, tests=outcomes, message=message, compile_output=compile_output)

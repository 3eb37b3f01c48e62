"""The local executor: every compile and run inside the bubblewrap sandbox of this machine.

Function and stdio problems alike: compile once (C++/Java, a sandbox step of its own with
no test in it), then ONE sandbox execution of the supervised harness
(submissions/harness): the trusted supervisor runs the student's runner (function) or
one program process per test (stdio), enforces every per-test limit from outside the
student's process and writes the results block; outputs are judged here, server-side,
by the shared `build_report`. executions=1 whatever the number of tests. The
supervisor's CMPROGRESS lines feed `on_test` while the run goes on (display only).
"""

from __future__ import annotations

import math
import os
import secrets
import time

from django.conf import settings

from ..harness import (
    FILENAMES,
    LOCAL,
    HarnessError,
    HostFacts,
    SupervisedProgram,
    build_program,
    build_report,
    parse_supervisor_output,
    progress_line,
)
from ..harness import cpp as cpp_harness
from .base import ExecutionReport, Job, OnTest, TestOutcome, Verdict, stops_on_failure
from .sandbox import (
    COMPILE_MEMORY_MB,
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
    def _write_source(slot: Slot, filename: str, source: str) -> None:
        path = slot.workdir / filename
        path.write_text(source, encoding="utf-8")
        os.chmod(path, 0o644)

    # --- the supervised harness: one execution for all tests --------------------------
    def _run_supervised(self, job: Job, *, on_test: OnTest | None = None) -> ExecutionReport:
        try:
            program = build_program(
                job, nonce=secrets.token_hex(16), profile=LOCAL, stop_on_failure=stops_on_failure(job)
            )
        except HarnessError as exc:
            return _whole_run(job, Verdict.SYSTEM_ERROR, message=str(exc))
        limits = self._supervised_limits(job, program)
        with acquire_slot() as slot:
            for name, text in program.files.items():
                self._write_source(slot, name, text)
            compiled = self._compile_step(job, slot, program)
            if compiled is not None and not compiled.ok:
                return _compile_failed(job, compiled)
            result = run_in_sandbox(
                program.run_argv,
                slot=slot,
                limits=limits,
                stdin=program.stdin,
                on_stderr_line=_live(job, on_test) if on_test else None,
            )
        parsed = parse_supervisor_output(program, result.stdout)
        host = HostFacts(
            exit_code=result.exit_code,
            signal=result.signal,
            timed_out=result.timed_out,
            output_exceeded=result.output_exceeded,
            oom_killed=result.oom_killed,
            compile_output=(compiled.stderr + compiled.stdout) if compiled is not None else "",
            stderr=result.stderr,
        )
        report = build_report(job, program, parsed, host=host)
        report.executions = 1
        return report

    def _supervised_limits(self, job: Job, program: SupervisedProgram) -> SandboxLimits:
        limits = self._limits(
            job,
            wall=program.wall_seconds + STARTUP_SECONDS[job.language] + 2,
            cpu=program.cpu_seconds,
            output_bytes=program.output_bytes,
        )
        return SandboxLimits(**{**limits.__dict__, "nproc": limits.nproc + SUPERVISOR_NPROC})

    def _compile_step(self, job: Job, slot: Slot, program: SupervisedProgram) -> SandboxResult | None:
        """The compile as a sandbox run of its own, before any test is in the box."""
        if not program.compile_argv:
            return None
        wall = settings.SANDBOX_COMPILE_SECONDS
        limits = SandboxLimits(
            wall_seconds=wall,
            cpu_seconds=math.ceil(wall),
            address_space_mb=None,
            nproc=128,
            file_size_mb=64,
            open_files=256,
            output_bytes=256 * 1024,
            tmp_size_mb=256,
            memory_mb=COMPILE_MEMORY_MB,
            pids=136,
            minimal_dev=True,  # no /dev/zero to #include
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


def _live(job: Job, on_test: OnTest):
    """Turn the supervisor's CMPROGRESS lines into provisional outcomes for live display.
    Only what a line proves is shown: a failing status, or an `ok` whose answer digest was
    checked; the final report (judged server-side) replaces all of it."""
    hidden = {t.index: not t.is_sample for t in job.tests}
    statuses = {
        "timeout": Verdict.TIME_LIMIT_EXCEEDED,
        "memory": Verdict.MEMORY_LIMIT_EXCEEDED,
        "output": Verdict.OUTPUT_LIMIT_EXCEEDED,
        "error": Verdict.RUNTIME_ERROR,
        "crash": Verdict.RUNTIME_ERROR,
    }

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
        on_test(
            TestOutcome(
                index=data["id"],
                verdict=verdict,
                passed=verdict == Verdict.ACCEPTED,
                time_ms=int(round(data["time_ms"])),
                hidden=hidden[data["id"]],
            )
        )

    return handle


def _compile_failed(job: Job, compiled: SandboxResult) -> ExecutionReport:
    if compiled.timed_out:
        return _whole_run(job, Verdict.COMPILE_ERROR, compile_output="compilation took too long")
    if compiled.oom_killed:
        return _whole_run(
            job, Verdict.COMPILE_ERROR, compile_output=f"compilation ran out of memory ({COMPILE_MEMORY_MB} MiB)"
        )
    return _whole_run(job, Verdict.COMPILE_ERROR, compile_output=_trim(compiled.stderr + compiled.stdout))


def _whole_run(job: Job, verdict: str, *, message: str = "", compile_output: str = "") -> ExecutionReport:
    outcomes = [TestOutcome(index=t.index, verdict=verdict, passed=False, message=message) for t in job.tests]
    return ExecutionReport(verdict=verdict, tests=outcomes, message=message, compile_output=compile_output)

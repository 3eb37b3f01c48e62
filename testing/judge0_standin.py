"""A Judge0 CE 1.13.1-compatible stand-in HTTP server for tests and benchmarks.

Speaks the documented API (reference judge0-api.md): POST /submissions, POST/GET
/submissions/batch (max 20 -> 400), GET /submissions/{token}, /about, /languages,
/config_info, /system_info, /statuses; `base64_encoded` (the literal "true"), `fields`
(invalid -> 400), Base64 wrapped at 60 chars like Ruby's encode64, decimal columns as
strings, null for empty output, per-item validation errors in batches, 503 "queue is
full" past max_queue_size waiting jobs, X-Auth-Token
(401 with an empty body), statuses 1 -> 2 -> final over a configurable number of polls,
and a PUT callback when processing finishes.

It really EXECUTES the programs, inside the project's bubblewrap sandbox
(`submissions.executors.sandbox`, needs Django settings) with Judge0's file names.
Language 89 "Multi-file program" is run as Judge0 CE 1.13.1's `IsolateJob` does
(app/jobs/isolate_job.rb at tag v1.13.1): `additional_files` (a Base64 zip) unzipped
into a fresh box, `/bin/bash compile` if the archive has one (stdin /dev/null, stderr
into compile_output, the MAX_* limits, non-zero exit -> status 6), then `/bin/bash run`
with the submission's stdin and limits; the CE 1.13.1 runtime paths
(/usr/local/python-3.8.1, /usr/local/node-12.14.0, /usr/local/gcc-9.2.0,
/usr/local/openjdk13; db/languages/active.rb) are made real inside the box from this
machine's runtimes (`ce_runtime_binds`), `memory` is the peak memory of the box in KB
and the whole box's CPU time is limited like isolate's --cg-timing.
Known gaps: the sandbox hands back text, so output that is not UTF-8 arrives with
U+FFFD replacements (real Judge0 keeps the bytes and answers 400 without base64);
single-file languages still run with this machine's runtimes and report `memory` null;
Node, GCC and the JDK bound at the CE paths are this machine's versions (issue #13 pins
the CE ones: Node 12.14.0, GCC 9.2.0, OpenJDK 13.0.1), Python is the pyenv 3.8 here.

Control (not counted, no auth): POST /_standin/control {"action": ...}, GET
/_standin/stats, POST /_standin/reset -- or the same through the Python methods of
`Judge0StandIn`. Run standalone for benchmarks:
    python -m testing.judge0_standin --port 2358 [--token SECRET] [--polls 0]
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import logging
import os
import re
import resource
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

STATUSES = {
    1: "In Queue",
    2: "Processing",
    3: "Accepted",
    4: "Wrong Answer",
    5: "Time Limit Exceeded",
    6: "Compilation Error",
    7: "Runtime Error (SIGSEGV)",
    8: "Runtime Error (SIGXFSZ)",
    9: "Runtime Error (SIGFPE)",
    10: "Runtime Error (SIGABRT)",
    11: "Runtime Error (NZEC)",
    12: "Runtime Error (Other)",
    13: "Internal Error",
    14: "Exec Format Error",
}
LANGUAGES = {
    71: ("Python (3.8.1)", "python"),
    63: ("JavaScript (Node.js 12.14.0)", "javascript"),
    54: ("C++ (GCC 9.2.0)", "cpp"),
    62: ("Java (OpenJDK 13.0.1)", "java"),
    46: ("Bash (5.0.0)", "bash"),
    89: ("Multi-file program", "multi"),
}
MULTI_FILE = 89
DEFAULT_FIELDS = ("token", "time", "memory", "stdout", "stderr", "compile_output", "message", "status")
ALL_FIELDS = (
    "source_code",
    "language_id",
    "stdin",
    "expected_output",
    "stdout",
    "status_id",
    "created_at",
    "finished_at",
    "time",
    "memory",
    "stderr",
    "token",
    "number_of_runs",
    "cpu_time_limit",
    "cpu_extra_time",
    "wall_time_limit",
    "memory_limit",
    "stack_limit",
    "max_processes_and_or_threads",
    "enable_per_process_and_thread_time_limit",
    "enable_per_process_and_thread_memory_limit",
    "max_file_size",
    "compile_output",
    "exit_code",
    "exit_signal",
    "message",
    "wall_time",
    "compiler_options",
    "command_line_arguments",
    "redirect_stderr_to_stdout",
    "callback_url",
    "additional_files",
    "enable_network",
    "status",
    "language",
)
BASE64_FIELDS = ("source_code", "stdin", "expected_output", "stdout", "stderr", "compile_output", "message")


def default_config() -> dict:
    """config_info of a default v1.13.1 install (app/helpers/config.rb)."""
    return {
        "maintenance_mode": False,
        "enable_wait_result": True,
        "enable_compiler_options": True,
        "allowed_languages_for_compile_options": [],
        "enable_command_line_arguments": True,
        "enable_submission_delete": False,
        "enable_callbacks": True,
        "callbacks_max_tries": 3,
        "callbacks_timeout": 5.0,
        "enable_additional_files": True,
        "max_queue_size": 100,
        "cpu_time_limit": 5.0,
        "max_cpu_time_limit": 15.0,
        "cpu_extra_time": 1.0,
        "max_cpu_extra_time": 5.0,
        "wall_time_limit": 10.0,
        "max_wall_time_limit": 20.0,
        "memory_limit": 128000,
        "max_memory_limit": 512000,
        "stack_limit": 64000,
        "max_stack_limit": 128000,
        "max_processes_and_or_threads": 60,
        "max_max_processes_and_or_threads": 120,
        "enable_per_process_and_thread_time_limit": False,
        "allow_enable_per_process_and_thread_time_limit": True,
        "enable_per_process_and_thread_memory_limit": False,
        "allow_enable_per_process_and_thread_memory_limit": True,
        "max_file_size": 1024,
        "max_max_file_size": 4096,
        "number_of_runs": 1,
        "max_number_of_runs": 20,
        "redirect_stderr_to_stdout": False,
        "max_extract_size": 10240,
        "enable_batched_submissions": True,
        "max_submission_batch_size": 20,
        "submission_cache_duration": 1.0,
        "use_docs_as_homepage": False,
        "allow_enable_network": True,
        "enable_network": False,
    }


def _ruby_encode64(data: bytes) -> str:
    text = base64.b64encode(data).decode("ascii")
    return "".join(text[i : i + 60] + "\n" for i in range(0, len(text), 60))


def judge0_strip(text: str | None) -> str | None:
    """IsolateJob#strip: rstrip every line, re-join, rstrip the whole."""
    if text is None:
        return None
    return "\n".join(line.rstrip() for line in text.split("\n")).rstrip()


# --- execution -------------------------------------------------------------------------
@dataclass
class RunResult:
    stdout: bytes = b""
    stderr: bytes = b""
    exit_code: int | None = 0
    exit_signal: int | None = None
    timed_out: bool = False
    output_exceeded: bool = False
    time_s: float = 0.0
    wall_s: float = 0.0
    memory_kb: int | None = 0  # None: the sandbox does not measure peak memory
    compile_failed: bool = False
    compile_output: bytes = b""
    internal_error: str = ""


@dataclass
class RunSpec:
    language: str
    source: str
    stdin: str
    cpu_time_limit: float
    wall_time_limit: float
    memory_limit_kb: int
    max_file_size_kb: int
    additional_files: bytes | None = None  # the zip (already Base64-decoded)
    cpu_extra_time: float = 1.0
    stack_limit_kb: int = 64000
    max_processes: int = 60
    max_extract_kb: int = 10240
    max_cpu_time_limit: float = 15.0  # the compile step's limits are the server's MAX_* values
    max_wall_time_limit: float = 20.0
    max_memory_limit_kb: int = 512000
    max_max_file_size_kb: int = 4096


SOURCE_FILES = {
    "python": "script.py",
    "javascript": "script.js",
    "cpp": "main.cpp",
    "java": "Main.java",
    "bash": "script.sh",
}


class SubprocessRunner:
    """Plain child processes with rlimits. NOT a sandbox: only for benchmarks on a machine
    without bwrap, and only with code you wrote (never the default)."""

    name = "subprocess"

    def run(self, spec: RunSpec) -> RunResult:
        if spec.language == "multi":
            return RunResult(internal_error="multi-file programs need the sandbox runner", exit_code=None)
        work = tempfile.mkdtemp(prefix="j0standin-")
        try:
            path = os.path.join(work, SOURCE_FILES[spec.language])
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(spec.source)
            compile_cmd, run_cmd = self._commands(spec, work, path)
            if compile_cmd:
                res = self._exec(compile_cmd, work, "", cpu=20, wall=30, mem_kb=None, out_kb=4096)
                if res.exit_code != 0 or res.timed_out:
                    out = res.stdout + res.stderr
                    if res.timed_out:
                        out = b"Compilation time limit exceeded."
                    return RunResult(compile_failed=True, compile_output=out, exit_code=None)
                compile_output = res.stdout + res.stderr
            else:
                compile_output = b""
            mem = spec.memory_limit_kb if spec.language in ("python", "cpp") else None
            res = self._exec(
                run_cmd,
                work,
                spec.stdin,
                cpu=spec.cpu_time_limit,
                wall=spec.wall_time_limit,
                mem_kb=mem,
                out_kb=spec.max_file_size_kb,
            )
            res.compile_output = compile_output
            return res
        finally:
            shutil.rmtree(work, ignore_errors=True)

    @staticmethod
    def _commands(spec: RunSpec, work: str, path: str):
        if spec.language == "python":
            return None, ["python3", path]
        if spec.language == "javascript":
            heap = max(spec.memory_limit_kb // 1024 - 32, 32)
            return None, ["node", f"--max-old-space-size={heap}", path]
        if spec.language == "cpp":
            exe = os.path.join(work, "a.out")
            return ["g++", "-std=c++17", "-O2", "-o", exe, path], [exe]
        if spec.language == "java":
            return ["javac", "-d", work, path], [
                "java",
                f"-Xmx{max(spec.memory_limit_kb // 1024 - 64, 64)}m",
                "-XX:+UseSerialGC",
                "-cp",
                work,
                "Main",
            ]
        return None, ["bash", path]

    @staticmethod
    def _exec(cmd, cwd, stdin: str, *, cpu: float, wall: float, mem_kb: int | None, out_kb: int) -> RunResult:
        cap = out_kb * 1024

        def limits():
            os.setsid()
            cpu_s = max(int(cpu + 0.999), 1)
            resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 1))
            if mem_kb:
                resource.setrlimit(resource.RLIMIT_AS, (mem_kb * 1024 + 64 * 1024 * 1024,) * 2)

        started = time.monotonic()
        proc = subprocess.Popen(
            cmd,
            cwd=cwd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            preexec_fn=limits,
            env={"PATH": "/usr/bin:/bin", "HOME": cwd, "LANG": "C.UTF-8"},
        )
        chunks = {"out": bytearray(), "err": bytearray()}
        flags = {"exceeded": False, "timed_out": False}

        def kill():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)

        def pump(stream, key):
            while True:
                data = stream.read(65536)
                if not data:
                    break
                buf = chunks[key]
                buf.extend(data)
                if len(buf) > cap:
                    del buf[cap:]
                    flags["exceeded"] = True
                    kill()
                    break

        def feed():
            try:
                proc.stdin.write((stdin or "").encode("utf-8"))
                proc.stdin.close()
            except (BrokenPipeError, OSError):
                pass

        threads = [
            threading.Thread(target=pump, args=(proc.stdout, "out"), daemon=True),
            threading.Thread(target=pump, args=(proc.stderr, "err"), daemon=True),
            threading.Thread(target=feed, daemon=True),
        ]
        for t in threads:
            t.start()

        def on_wall():
            flags["timed_out"] = True
            kill()

        timer = threading.Timer(wall, on_wall)
        timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        timer.cancel()
        proc.returncode = 0  # reaped by wait4 above; keep Popen from waiting again
        for t in threads:
            t.join(timeout=2)
        wall_s = time.monotonic() - started
        cpu_used = usage.ru_utime + usage.ru_stime
        sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
        code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else None
        timed_out = flags["timed_out"] or sig == signal.SIGXCPU or cpu_used > cpu + 0.05
        return RunResult(
            stdout=bytes(chunks["out"]),
            stderr=bytes(chunks["err"]),
            exit_code=code,
            exit_signal=sig,
            timed_out=timed_out and not flags["exceeded"],
            output_exceeded=flags["exceeded"],
            time_s=cpu_used,
            wall_s=wall_s,
            memory_kb=int(usage.ru_maxrss),
        )


class SandboxRunner:
    """Compiles and runs inside the project's bubblewrap sandbox (submissions.executors.sandbox),
    with Judge0's file names (script.py, script.js, main.cpp, Main.java)."""

    name = "sandbox"
    NPROC = {"python": 32, "javascript": 64, "cpp": 32, "java": 128, "bash": 32}

    def run(self, spec: RunSpec) -> RunResult:
        if spec.language == "multi":
            return run_multi_file(spec)
        import math

        from submissions.executors import sandbox as sb
        from submissions.executors.base import Limits
        from submissions.harness import compile_command, run_command

        filename = SOURCE_FILES[spec.language]
        with sb.acquire_slot() as slot:
            path = slot.workdir / filename
            path.write_text(spec.source, encoding="utf-8")
            os.chmod(path, 0o644)
            compile_output = b""
            command = compile_command(spec.language, filename) if spec.language != "bash" else None
            if command:
                # Judge0 compiles with its MAX limits, not the submission's.
                limits = sb.SandboxLimits(
                    wall_seconds=30,
                    cpu_seconds=30,
                    nproc=128,
                    file_size_mb=64,
                    open_files=256,
                    output_bytes=256 * 1024,
                    tmp_size_mb=256,
                )
                res = sb.run_in_sandbox(command, slot=slot, limits=limits)
                compile_output = (res.stderr + res.stdout).replace("/box/", "").encode()
                if not res.ok:
                    if res.timed_out:
                        compile_output = b"Compilation time limit exceeded."
                    return RunResult(compile_failed=True, compile_output=compile_output, exit_code=None)
            memory_mb = max(spec.memory_limit_kb // 1024, 32)
            if spec.language == "bash":
                run = ["bash", filename]
            else:
                run = run_command(spec.language, filename, Limits(memory_limit_mb=memory_mb))
            limits = sb.SandboxLimits(
                wall_seconds=spec.wall_time_limit,
                # A second over the limit so an over-limit run is measured, then judged TLE.
                cpu_seconds=math.ceil(spec.cpu_time_limit) + 1,
                address_space_mb=memory_mb + 128 if spec.language in ("python", "cpp") else None,
                nproc=self.NPROC[spec.language],
                output_bytes=max(spec.max_file_size_kb, 1) * 1024,
                file_size_mb=max(spec.max_file_size_kb // 1024, 1),
            )
            res = sb.run_in_sandbox(run, slot=slot, limits=limits, stdin=spec.stdin)
        cpu_s = res.cpu_ms / 1000
        over_cpu = cpu_s > spec.cpu_time_limit or res.signal in (signal.SIGXCPU,)
        return RunResult(
            stdout=res.stdout.encode(),
            stderr=res.stderr.replace("/box/", "").encode(),
            exit_code=res.exit_code,
            exit_signal=res.signal,
            timed_out=(res.timed_out and not res.output_exceeded) or over_cpu,
            output_exceeded=res.output_exceeded or res.signal == signal.SIGXFSZ,
            time_s=cpu_s,
            wall_s=res.wall_ms / 1000,
            memory_kb=None,
            compile_output=compile_output,
        )


# --- language 89 "Multi-file program", as IsolateJob runs it (app/jobs/isolate_job.rb, v1.13.1) ----
# The CE 1.13.1 image (judge0/compilers:1.4.0) has its runtimes under /usr/local, named in
# db/languages/active.rb at tag v1.13.1: Python 3.8.1 (id 71)
# "/usr/local/python-3.8.1/bin/python3", C++ GCC 9.2.0 (id 54)
# "/usr/local/gcc-9.2.0/bin/g++" (+ LD_LIBRARY_PATH=/usr/local/gcc-9.2.0/lib64 to run), Java
# OpenJDK 13.0.1 (id 62) "/usr/local/openjdk13/bin/{javac,java}", JavaScript Node.js 12.14.0
# (id 63) "/usr/local/node-12.14.0/bin/node". A program of language 89 names them itself,
# so the stand-in makes those paths real inside the box.
CE_PATHS = {
    "python": "/usr/local/python-3.8.1",
    "node": "/usr/local/node-12.14.0/bin/node",
    "gcc": "/usr/local/gcc-9.2.0",
    "jdk": "/usr/local/openjdk13",
}
_CE_LOCK = threading.Lock()


def _local_python38() -> str | None:
    """The pyenv-installed Python 3.8 of this machine (JUDGE0_STANDIN_PYTHON38 overrides)."""
    import glob

    explicit = os.environ.get("JUDGE0_STANDIN_PYTHON38")
    if explicit:
        return explicit if os.path.isfile(os.path.join(explicit, "bin", "python3")) else None
    found = sorted(
        glob.glob(os.path.expanduser("~/.pyenv/versions/3.8.*")) + glob.glob("/root/.pyenv/versions/3.8.*"),
        key=lambda p: [int(x) for x in p.rsplit("-", 1)[-1].split("/")[-1].split(".") if x.isdigit()],
    )
    return found[-1] if found else None


def _hardlink_tree(source: str, target: str) -> None:
    def link(src, dst):
        try:
            os.link(src, dst)
        except OSError:  # another file system: copy
            shutil.copy2(src, dst)

    shutil.copytree(source, target, symlinks=True, copy_function=link)


def ce_runtime_binds() -> list[tuple[str, str]]:
    """(source, target) read-only binds that make the CE 1.13.1 runtime paths real in a box.

    /usr/local of the box is a directory of ours holding the mount points (bwrap cannot
    create them under the read-only /usr), so /usr/local has only the CE runtimes, as in
    the CE image. Python: the pyenv 3.8 tree, hard-linked under the sandbox work root (the
    slot uids cannot traverse /root), bound at /usr/local/python-3.8.1 and, because its
    libpython RUNPATH is absolute, also at its own path. GCC: symlinks to this machine's
    g++ and its library dir (g++ finds cc1plus relative to its real path, so a bind at
    another path would not compile). The JDK dir is bound as a whole; node as a file.
    """
    from submissions.executors import sandbox as sb

    root = sb._work_root() / "judge0-ce-1.13.1"
    python = _local_python38()
    node = shutil.which("node") or "/usr/bin/node"
    gxx = shutil.which("g++") or "/usr/bin/g++"
    jdk = os.path.dirname(os.path.dirname(os.path.realpath(shutil.which("javac") or "/usr/bin/javac")))
    with _CE_LOCK:
        usr_local = root / "usr-local"
        if not (usr_local / ".ready-2").exists():
            shutil.rmtree(usr_local, ignore_errors=True)
            for sub in ("python-3.8.1/bin", "node-12.14.0/bin", "gcc-9.2.0/bin", "openjdk13"):
                (usr_local / sub).mkdir(parents=True, exist_ok=True)
            (usr_local / "node-12.14.0/bin/node").touch()
            (usr_local / "python-3.8.1/bin/python3").touch()  # mount point when there is no Python 3.8
            os.symlink(os.path.realpath(gxx), usr_local / "gcc-9.2.0/bin/g++")
            os.symlink("/usr/lib/x86_64-linux-gnu", usr_local / "gcc-9.2.0/lib64")
            (usr_local / ".ready-2").touch()
        python_copy = None
        if python:
            python_copy = root / ("python-" + os.path.basename(python.rstrip("/")))
            if not python_copy.exists():
                partial = root / f".{python_copy.name}.{os.getpid()}"
                shutil.rmtree(partial, ignore_errors=True)
                _hardlink_tree(python, str(partial))
                os.replace(partial, python_copy)
        for path in [root, *usr_local.rglob("*"), usr_local]:
            if not path.is_symlink():
                os.chmod(path, 0o755 if path.is_dir() else 0o644)  # noqa: S103 - read by slot uids
    binds = [(str(usr_local), "/usr/local")]
    if python_copy:
        binds += [(str(python_copy), CE_PATHS["python"]), (str(python_copy / "lib"), os.path.join(python, "lib"))]
    else:  # no Python 3.8 here: the system python3 at the CE path (the supervisor also runs on 3.11)
        logging.getLogger(__name__).warning("judge0 stand-in: no pyenv Python 3.8; the CE python path runs python3")
        binds += [(os.path.realpath("/usr/bin/python3"), CE_PATHS["python"] + "/bin/python3")]
    binds += [(os.path.realpath(node), CE_PATHS["node"]), (jdk, CE_PATHS["jdk"])]
    return binds


def _extract(archive: bytes, box, *, limit_kb: int, uid: int | None) -> None:
    """`unzip -n -qq additional_files.zip` in the box, as the box user, at most
    MAX_EXTRACT_SIZE: entries escaping the box are skipped (unzip refuses them too)."""
    import io
    import zipfile

    total = 0
    try:
        bundle = zipfile.ZipFile(io.BytesIO(archive))
    except zipfile.BadZipFile:
        return  # unzip fails quietly; the run then finds no `run` script
    for info in bundle.infolist():
        name = info.filename
        parts = name.replace("\\", "/").split("/")
        if name.startswith("/") or ".." in parts:
            continue
        total += info.file_size
        if total > limit_kb * 1024:
            break
        target = box / name
        if info.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        elif not target.exists():  # -n: never overwrite
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(bundle.read(info))
            mode = (info.external_attr >> 16) & 0o777
            os.chmod(target, mode or 0o644)
        if uid is not None:
            os.chown(target, uid, uid)
    for path in box.rglob("*"):
        if uid is not None:
            os.chown(path, uid, uid)


class _BoxWatch:
    """isolate's cgroup view of a run, for the slot uid's processes: peak memory (`cg-mem`,
    KB), the memory limit (over it the OOM killer kills the biggest process by oom_score, as
    the kernel does in a cgroup) and the total CPU limit of --cg-timing (over t + x every
    process is killed and the run is TO)."""

    def __init__(self, uid: int | None, *, memory_kb: int, cpu_kill_s: float):
        self.uid, self.memory_kb, self.cpu_kill_s = uid, memory_kb, cpu_kill_s
        self.peak_kb = 0
        self.cpu_s = 0.0  # the most CPU seen at once (processes we kill are never reaped into rusage)
        self.oom_killed = False
        self.cpu_killed = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True, name="j0-boxwatch")
        self._page_kb = os.sysconf("SC_PAGE_SIZE") // 1024
        self._ticks = os.sysconf("SC_CLK_TCK")

    def __enter__(self):
        if self.uid is not None:
            self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2)

    def _processes(self) -> list[int]:
        pids = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    if os.stat(f"/proc/{entry}").st_uid == self.uid:
                        pids.append(int(entry))
                except OSError:
                    continue
        return pids

    def _loop(self) -> None:
        while not self._stop.wait(0.01):
            anon_kb, file_kb, cpu_s, scores = 0, 0, 0.0, []
            for pid in self._processes():
                try:
                    with open(f"/proc/{pid}/stat") as fh:
                        fields = fh.read().rsplit(")", 1)[1].split()
                    with open(f"/proc/{pid}/status") as fh:
                        status = dict(line.split(":", 1) for line in fh if ":" in line)
                    with open(f"/proc/{pid}/oom_score") as fh:
                        score = int(fh.read())
                    own_kb = int(status.get("RssAnon", "0 kB").split()[0]) + int(
                        status.get("RssShmem", "0 kB").split()[0]
                    )
                    mapped_kb = int(status.get("RssFile", "0 kB").split()[0])
                except (OSError, ValueError, IndexError):
                    continue
                # A cgroup charges each page once: private memory of every process, and the
                # shared file pages (libraries, the JDK's modules) about once.
                anon_kb += own_kb
                file_kb = max(file_kb, mapped_kb)
                scores.append((score, own_kb, pid))
                cpu_s += sum(int(x) for x in fields[11:15]) / self._ticks  # utime stime cutime cstime
            total_kb = anon_kb + file_kb
            self.cpu_s = max(self.cpu_s, cpu_s)
            self.peak_kb = max(self.peak_kb, total_kb)
            if total_kb > self.memory_kb and scores:
                self.oom_killed = True
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(max(scores)[2], signal.SIGKILL)
            if cpu_s > self.cpu_kill_s:
                self.cpu_killed = True
                for pid in self._processes():
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.kill(pid, signal.SIGKILL)


# bash's own report of a child killed by a signal ("run: line 1:  1234 Killed  ..."): bash
# survived its child and exited 128+n, which isolate sees as RE (status 11, NZEC). Without
# it the signal reached isolate's direct child (the `run` script exec'd the program): SG.
_BASH_SIGNAL_REPORT = re.compile(r"^(?:/bin/bash: )?run: line \d+: +\d+ ", re.M)


def run_multi_file(spec: RunSpec) -> RunResult:
    """IsolateJob#initialize_workdir + extract_archive + compile + run + verify for a project."""
    import math

    from submissions.executors import sandbox as sb

    binds = ce_runtime_binds()
    with sb.acquire_slot() as slot:
        box = slot.workdir
        _extract(spec.additional_files or b"", box, limit_kb=spec.max_extract_kb, uid=slot.uid)
        compile_output = b""
        if (box / "compile").is_file():
            # isolate -i /dev/null --stderr-to-stdout -t MAX_CPU -x 0 -w MAX_WALL --cg-mem=MAX_MEMORY
            # -f MAX_MAX_FILE_SIZE -- /bin/bash compile > compile_output.txt
            limits = _sandbox_limits(
                wall_seconds=spec.max_wall_time_limit,
                cpu_seconds=math.ceil(spec.max_cpu_time_limit) + 1,
                nproc=max(spec.max_processes, 120),
                output_bytes=spec.max_max_file_size_kb * 1024,
                file_size_mb=max(spec.max_max_file_size_kb // 1024, 1),
                memory_mb=spec.max_memory_limit_kb // 1024,
            )
            with _BoxWatch(slot.uid, memory_kb=spec.max_memory_limit_kb, cpu_kill_s=spec.max_cpu_time_limit) as watch:
                res = sb.run_in_sandbox(["/bin/bash", "compile"], slot=slot, limits=limits, ro_binds=binds)
            compile_output = (res.stdout + res.stderr).encode()
            if res.exit_code != 0 or res.timed_out or watch.cpu_killed:
                if res.timed_out or watch.cpu_killed:
                    compile_output = b"Compilation time limit exceeded."
                return RunResult(compile_failed=True, compile_output=compile_output, exit_code=None)
        # isolate -t cpu_time_limit -x cpu_extra_time -w wall_time_limit -k stack_limit
        # -p max_processes --cg-timing --cg-mem=memory_limit -f max_file_size -- /bin/bash run
        limits = _sandbox_limits(
            wall_seconds=spec.wall_time_limit,
            cpu_seconds=math.ceil(spec.cpu_time_limit + spec.cpu_extra_time) + 1,
            nproc=spec.max_processes + 4,  # + bwrap and its shell, which isolate does not have
            output_bytes=max(spec.max_file_size_kb, 1) * 1024,
            file_size_mb=max(spec.max_file_size_kb // 1024, 1),
            stack_mb=max(spec.stack_limit_kb // 1024, 1),
            memory_mb=max(spec.memory_limit_kb // 1024, 2),
        )
        kill_at = spec.cpu_time_limit + spec.cpu_extra_time
        with _BoxWatch(slot.uid, memory_kb=spec.memory_limit_kb, cpu_kill_s=kill_at) as watch:
            res = sb.run_in_sandbox(["/bin/bash", "run"], slot=slot, limits=limits, stdin=spec.stdin, ro_binds=binds)
    cpu_s = max(res.cpu_ms / 1000, watch.cpu_s)
    stderr = res.stderr
    code, sig = res.exit_code, res.signal
    if sig is not None and _BASH_SIGNAL_REPORT.search(stderr):
        code, sig = 128 + sig, None
    if res.output_exceeded:
        # -f caps the stdout file: the writer gets EFBIG (Python ignores SIGXFSZ) and fails.
        code, sig = 1, None
        stderr += "\nOSError: [Errno 27] File too large\n"
    peak = getattr(res, "memory_peak_kb", None) or watch.peak_kb
    oom = watch.oom_killed or bool(getattr(res, "oom_killed", False))
    return RunResult(
        stdout=res.stdout.encode(),
        stderr=stderr.encode(),
        exit_code=code if sig is None else 0,
        exit_signal=sig,
        timed_out=(res.timed_out or watch.cpu_killed or cpu_s > spec.cpu_time_limit) and not oom,
        output_exceeded=False,
        time_s=cpu_s,
        wall_s=res.wall_ms / 1000,
        memory_kb=int(peak),
        compile_output=compile_output,
    )


def _sandbox_limits(*, memory_mb: int | None = None, **kwargs):
    """SandboxLimits, with the whole-tree cgroup memory limit where the sandbox has one."""
    import dataclasses

    from submissions.executors import sandbox as sb

    names = {f.name for f in dataclasses.fields(sb.SandboxLimits)}
    if "memory_mb" in names and memory_mb is not None:
        kwargs["memory_mb"] = memory_mb
    return sb.SandboxLimits(**{k: v for k, v in kwargs.items() if k in names})


def default_runner():
    """The bubblewrap sandbox; without bwrap every run ends as Internal Error (13), like a
    Judge0 whose isolate is broken. SubprocessRunner only when asked for explicitly."""
    return SandboxRunner()


# --- the server ---------------------------------------------------------------------------
@dataclass
class _Submission:
    token: str
    language_id: int
    source_code: str
    stdin: str | None
    expected_output: str | None
    cpu_time_limit: float
    wall_time_limit: float
    memory_limit: int
    max_file_size: int
    callback_url: str | None
    created_at: str
    additional_files: bytes | None = None
    cpu_extra_time: float = 1.0
    stack_limit: int = 64000
    max_processes_and_or_threads: int = 60
    polls: int = 0
    started: bool = False
    ready_at: float = 0.0  # monotonic time before which the result stays hidden (queue delay)
    done: threading.Event = field(default_factory=threading.Event)
    final: dict = field(default_factory=dict)  # status_id, stdout (bytes), ... once executed


class Judge0StandIn:
    """Start with `Judge0StandIn(...).start()`; `url` is http://127.0.0.1:<port>."""

    def __init__(
        self,
        *,
        auth_token: str = "",
        polls_before_done: int = 0,
        runner=None,
        workers: int = 2,
        host: str = "127.0.0.1",
        port: int = 0,
        result_delay: float = 0.0,
    ):
        self.auth_token = self._initial_auth_token = auth_token
        self.polls_before_done = self._initial_polls = polls_before_done
        # Seconds a submission stays In Queue/Processing however often it is polled (a busy Judge0).
        self.result_delay = self._initial_delay = result_delay
        self.runner = runner or default_runner()
        self.config = default_config()
        self.languages = {k: v[0] for k, v in LANGUAGES.items()}
        self.submissions: dict[str, _Submission] = {}
        self.lock = threading.Lock()
        self.faults: list[dict] = []  # injected answers, consumed one per counted request
        self.stats = self._zero_stats()
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="j0-worker")
        self.server = ThreadingHTTPServer((host, port), self._handler_class())
        self.server.daemon_threads = True
        self.thread: threading.Thread | None = None

    @staticmethod
    def _zero_stats() -> dict:
        return {
            "requests": 0,
            "executions": 0,
            "creates": 0,
            "batch_creates": 0,
            "gets": 0,
            "batch_gets": 0,
            "callbacks_sent": 0,
            "unauthorized": 0,
            "faults_served": 0,
            "paths": [],
        }

    # --- lifecycle -------------------------------------------------------------------
    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> Judge0StandIn:
        self.thread = threading.Thread(target=self.server.serve_forever, name="judge0-standin", daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.pool.shutdown(wait=False, cancel_futures=True)

    # --- control (also over HTTP) -------------------------------------------------------
    def inject(
        self, *, status: int = 503, count: int = 1, body=None, malformed: bool = False, hang: float = 0.0
    ) -> None:
        """The next `count` counted requests answer `status` with `body` (or malformed JSON, or
        hang `hang` seconds first and then answer normally)."""
        with self.lock:
            for _ in range(count):
                self.faults.append({"status": status, "body": body, "malformed": malformed, "hang": hang})

    def reset(self) -> None:
        with self.lock:
            self.faults.clear()
            self.submissions.clear()
            self.stats = self._zero_stats()
            self.config = default_config()
            self.languages = {k: v[0] for k, v in LANGUAGES.items()}
            self.polls_before_done = self._initial_polls
            self.auth_token = self._initial_auth_token
            self.result_delay = self._initial_delay

    def snapshot(self) -> dict:
        with self.lock:
            return {**self.stats, "paths": list(self.stats["paths"])}

    def _control(self, body: dict) -> dict:
        action = body.get("action")
        if action == "fail":
            self.inject(status=int(body.get("status", 503)), count=int(body.get("count", 1)), body=body.get("body"))
        elif action == "malformed":
            self.inject(status=200, count=int(body.get("count", 1)), malformed=True)
        elif action == "hang":
            self.inject(status=0, count=int(body.get("count", 1)), hang=float(body.get("seconds", 30)))
        elif action == "config":
            with self.lock:
                self.config.update(body.get("values", {}))
        elif action == "polls":
            self.polls_before_done = int(body.get("polls", 0))
        elif action == "delay":
            self.result_delay = float(body.get("seconds", 0))
        elif action == "languages":
            with self.lock:
                self.languages = {int(k): v for k, v in body.get("languages", {}).items()}
        else:
            return {"error": f"unknown action {action!r}"}
        return {"ok": True}

    # --- submissions -----------------------------------------------------------------------
    def _validate(self, item: dict, b64: bool) -> tuple[dict | None, dict]:
        """(normalized fields, errors) like Submission model validations."""
        errors: dict[str, list[str]] = {}
        cfg = self.config

        def decode(name):
            value = item.get(name)
            if value is None:
                return None
            if b64:
                return base64.b64decode("".join(str(value).split())).decode("utf-8", errors="replace")
            return str(value)

        try:
            language_id = int(item.get("language_id"))
        except (TypeError, ValueError):
            language_id = None
        if language_id is None:
            errors.setdefault("language_id", []).append("can't be blank")
        elif language_id not in self.languages:
            errors.setdefault("language_id", []).append(f"language with id {language_id} doesn't exist")
        source = decode("source_code")
        # Submission model: source_code present, unless the language is "Multi-file program"
        # (is_project): then it must be absent and additional_files present.
        is_project = language_id == MULTI_FILE
        if is_project and source:
            errors.setdefault("source_code", []).append("must be blank")
        elif not is_project and not source:
            errors.setdefault("source_code", []).append("can't be blank")
        archive = None
        if item.get("additional_files"):
            # Always Base64, whatever base64_encoded says (SubmissionsController#submission_params).
            archive = base64.b64decode("".join(str(item["additional_files"]).split()))
            if not cfg["enable_additional_files"]:
                errors.setdefault("additional_files", []).append("setting additional files is not allowed")
        elif is_project:
            errors.setdefault("additional_files", []).append("can't be blank")

        def number(name, default, low, high, cast=float):
            value = item.get(name)
            if value is None:
                return default
            try:
                value = cast(value)
            except (TypeError, ValueError):
                errors.setdefault(name, []).append("is not a number")
                return default
            if value < low:
                errors.setdefault(name, []).append(f"must be greater than or equal to {low}")
            if value > high:
                errors.setdefault(name, []).append(f"must be less than or equal to {high}")
            return value

        cpu = number("cpu_time_limit", cfg["cpu_time_limit"], 0, cfg["max_cpu_time_limit"])
        wall = number("wall_time_limit", cfg["wall_time_limit"], 1, cfg["max_wall_time_limit"])
        memory = number("memory_limit", cfg["memory_limit"], 2048, cfg["max_memory_limit"], int)
        max_file = number("max_file_size", cfg["max_file_size"], 0, cfg["max_max_file_size"], int)
        extra = number("cpu_extra_time", cfg["cpu_extra_time"], 0, cfg["max_cpu_extra_time"])
        stack = number("stack_limit", cfg["stack_limit"], 0, cfg["max_stack_limit"], int)
        processes = number(
            "max_processes_and_or_threads",
            cfg["max_processes_and_or_threads"],
            1,
            cfg["max_max_processes_and_or_threads"],
            int,
        )
        callback = item.get("callback_url")
        if callback and not cfg["enable_callbacks"]:
            errors.setdefault("callback_url", []).append("setting callback is not allowed")
        if errors:
            return None, errors
        return {
            "language_id": language_id,
            "source_code": source,
            "stdin": decode("stdin"),
            "expected_output": decode("expected_output"),
            "cpu_time_limit": cpu,
            "wall_time_limit": wall,
            "memory_limit": memory,
            "max_file_size": max_file,
            "callback_url": callback or None,
            "additional_files": archive,
            "cpu_extra_time": extra,
            "stack_limit": stack,
            "max_processes_and_or_threads": processes,
        }, {}

    def _enqueue(self, fields: dict) -> _Submission:
        sub = _Submission(
            token=str(uuid.uuid4()),
            created_at=time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
            ready_at=time.monotonic() + self.result_delay,
            **fields,
        )
        with self.lock:
            self.submissions[sub.token] = sub
            self.stats["executions"] += 1
        self.pool.submit(self._execute, sub)
        return sub

    def queue_full(self, incoming: int) -> bool:
        """Judge0 refuses when waiting jobs (not running ones) + incoming > MAX_QUEUE_SIZE."""
        with self.lock:
            waiting = sum(1 for sub in self.submissions.values() if not sub.started)
        return waiting + incoming > int(self.config["max_queue_size"])

    def _execute(self, sub: _Submission) -> None:
        sub.started = True
        language = LANGUAGES.get(sub.language_id, ("", "bash"))[1]
        try:
            res = self.runner.run(
                RunSpec(
                    language=language,
                    source=sub.source_code,
                    stdin=sub.stdin or "",
                    cpu_time_limit=sub.cpu_time_limit,
                    wall_time_limit=sub.wall_time_limit,
                    memory_limit_kb=sub.memory_limit,
                    max_file_size_kb=sub.max_file_size,
                    additional_files=sub.additional_files,
                    cpu_extra_time=sub.cpu_extra_time,
                    stack_limit_kb=sub.stack_limit,
                    max_processes=sub.max_processes_and_or_threads,
                    max_extract_kb=int(self.config["max_extract_size"]),
                    max_cpu_time_limit=float(self.config["max_cpu_time_limit"]),
                    max_wall_time_limit=float(self.config["max_wall_time_limit"]),
                    max_memory_limit_kb=int(self.config["max_memory_limit"]),
                    max_max_file_size_kb=int(self.config["max_max_file_size"]),
                )
            )
            sub.final = self._judge(sub, res)
        except Exception as exc:  # noqa: BLE001 - Judge0 turns any job exception into status 13
            sub.final = {"status_id": 13, "message": f"{type(exc).__name__}: {exc}".encode()}
        sub.final["finished_at"] = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
        sub.done.set()
        if sub.callback_url:
            time.sleep(max(sub.ready_at - time.monotonic(), 0))
            self._callback(sub)

    @staticmethod
    def _judge(sub: _Submission, res: RunResult) -> dict:
        if res.internal_error:
            return {"status_id": 13, "message": res.internal_error.encode()}
        if res.compile_failed:
            return {"status_id": 6, "compile_output": res.compile_output or None}
        out = {
            "stdout": res.stdout or None,
            "stderr": res.stderr or None,
            "compile_output": res.compile_output or None,
            "time": f"{res.time_s:.3f}",
            "wall_time": f"{res.wall_s:.3f}",
            "memory": res.memory_kb,
            "exit_code": res.exit_code,
            "exit_signal": res.exit_signal,
        }
        if res.timed_out:
            return {**out, "status_id": 5, "message": b"Time limit exceeded"}
        if res.output_exceeded:
            return {**out, "status_id": 8, "exit_signal": 25, "message": b"Caught fatal signal 25"}
        if res.exit_signal:
            status = {11: 7, 25: 8, 8: 9, 6: 10}.get(res.exit_signal, 12)
            return {**out, "status_id": status, "message": f"Caught fatal signal {res.exit_signal}".encode()}
        if res.exit_code:
            return {**out, "status_id": 11, "message": f"Exited with error status {res.exit_code}".encode()}
        if sub.expected_output is None:
            return {**out, "status_id": 3}
        actual = judge0_strip(res.stdout.decode("utf-8", errors="replace")) if res.stdout else None
        return {**out, "status_id": 3 if actual == judge0_strip(sub.expected_output) else 4}

    def _callback(self, sub: _Submission) -> None:
        body = json.dumps(self._render(sub, DEFAULT_FIELDS, b64=True, final=True)).encode()
        for _ in range(int(self.config["callbacks_max_tries"])):
            req = urllib.request.Request(
                sub.callback_url, data=body, method="PUT", headers={"Content-Type": "application/json"}
            )
            try:
                with urllib.request.urlopen(req, timeout=float(self.config["callbacks_timeout"])):
                    pass
            except urllib.error.HTTPError:
                pass  # any HTTP answer counts as delivered
            except (urllib.error.URLError, OSError):
                continue
            with self.lock:
                self.stats["callbacks_sent"] += 1
            return

    def _render(self, sub: _Submission, fields, *, b64: bool, final: bool | None = None) -> dict:
        if final is None:
            sub.polls += 1
            # "slow results": the first polls of a token see In Queue, then Processing.
            final = sub.polls > self.polls_before_done and sub.done.is_set() and time.monotonic() >= sub.ready_at
        state = sub.final if final else {}
        status_id = state["status_id"] if final else (1 if sub.polls <= self.polls_before_done // 2 else 2)
        row = {
            "token": sub.token,
            "source_code": sub.source_code,
            "language_id": sub.language_id,
            "stdin": sub.stdin,
            "expected_output": sub.expected_output,
            "stdout": state.get("stdout"),
            "stderr": state.get("stderr"),
            "compile_output": state.get("compile_output"),
            "message": state.get("message"),
            "status_id": status_id,
            "status": {"id": status_id, "description": STATUSES[status_id]},
            "language": {"id": sub.language_id, "name": self.languages.get(sub.language_id, "")},
            "created_at": sub.created_at,
            "finished_at": state.get("finished_at"),
            "time": state.get("time"),
            "wall_time": state.get("wall_time"),
            "memory": state.get("memory"),
            "exit_code": state.get("exit_code"),
            "exit_signal": state.get("exit_signal"),
            "cpu_time_limit": f"{sub.cpu_time_limit:.1f}",
            "wall_time_limit": f"{sub.wall_time_limit:.1f}",
            "memory_limit": sub.memory_limit,
            "max_file_size": sub.max_file_size,
            "callback_url": sub.callback_url,
            "number_of_runs": 1,
            "cpu_extra_time": f"{sub.cpu_extra_time:.1f}",
            "stack_limit": sub.stack_limit,
            "max_processes_and_or_threads": sub.max_processes_and_or_threads,
            "additional_files": base64.b64encode(sub.additional_files).decode() if sub.additional_files else None,
        }
        rendered = {}
        for name in fields:
            value = row.get(name)
            if name in BASE64_FIELDS and value is not None:
                raw = value if isinstance(value, bytes) else str(value).encode("utf-8")
                if b64:
                    value = _ruby_encode64(raw)
                else:
                    try:
                        value = raw.decode("utf-8")
                    except UnicodeDecodeError:
                        raise _Utf8Error() from None
            rendered[name] = value
        return rendered

    def _handler_class(self):
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format, *args):  # noqa: A002 - quiet test output
                pass

            def _send(self, status: int, body=None, *, raw: bytes | None = None):
                data = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _body(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                return json.loads(raw) if raw else {}

            def do_GET(self):
                self._dispatch("GET")

            def do_POST(self):
                self._dispatch("POST")

            def _dispatch(self, method: str):
                parsed = urlparse(self.path)
                path = parsed.path.rstrip("/") or "/"
                query = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
                if path.startswith("/_standin/"):
                    return self._control(method, path)
                with standin.lock:
                    standin.stats["requests"] += 1
                    standin.stats["paths"].append(f"{method} {path}")
                    fault = standin.faults.pop(0) if standin.faults else None
                if path != "/" and standin.auth_token and self.headers.get("X-Auth-Token") != standin.auth_token:
                    with standin.lock:
                        standin.stats["unauthorized"] += 1
                    return self._send(401)
                if fault:
                    with standin.lock:
                        standin.stats["faults_served"] += 1
                    if fault["hang"]:
                        time.sleep(fault["hang"])
                    elif fault["malformed"]:
                        return self._send(200, raw=b'{"submissions": [ {"token": "trunc')
                    else:
                        return self._send(fault["status"], fault["body"])
                try:
                    return self._route(method, path, query)
                except _Utf8Error:
                    return self._send(
                        400,
                        {
                            "error": "some attributes for this submission cannot be converted to "
                            "UTF-8, use base64_encoded=true query parameter"
                        },
                    )
                except ValueError as exc:
                    return self._send(400, {"error": str(exc)})

            def _control(self, method, path):
                if path == "/_standin/stats":
                    return self._send(200, standin.snapshot())
                if path == "/_standin/reset" and method == "POST":
                    standin.reset()
                    return self._send(200, {"ok": True})
                if path == "/_standin/control" and method == "POST":
                    return self._send(200, standin._control(self._body()))
                return self._send(404, {"error": "not found"})

            @staticmethod
            def _fields(query):
                raw = query.get("fields")
                if not raw:
                    return DEFAULT_FIELDS
                if raw == "*":
                    return ALL_FIELDS
                names = [f.strip() for f in raw.split(",") if f.strip()]
                bad = [n for n in names if n not in ALL_FIELDS]
                if bad:
                    raise ValueError(f"invalid fields: [{', '.join(bad)}]")
                return tuple(names)

            def _route(self, method, path, query):
                b64 = query.get("base64_encoded") == "true"  # the literal string, like Rails
                cfg = standin.config
                if method == "GET" and path == "/":
                    return self._send(200, raw=b"")
                if method == "GET" and path == "/about":
                    return self._send(
                        200,
                        {
                            "version": "1.13.1",
                            "homepage": "https://judge0.com",
                            "source_code": "https://github.com/judge0/judge0",
                            "maintainer": "stand-in",
                        },
                    )
                if method == "GET" and path == "/languages":
                    langs = sorted(
                        ({"id": k, "name": v} for k, v in standin.languages.items()), key=lambda x: x["name"]
                    )
                    return self._send(200, langs)
                if method == "GET" and path == "/statuses":
                    return self._send(200, [{"id": k, "description": v} for k, v in STATUSES.items()])
                if method == "GET" and path == "/config_info":
                    return self._send(200, cfg)
                if method == "GET" and path == "/system_info":
                    return self._send(200, {"CPU(s)": str(os.cpu_count()), "Mem": "stand-in"})
                if method == "POST" and path == "/submissions":
                    return self._create(query, b64)
                if path == "/submissions/batch":
                    if method == "POST":
                        return self._create_batch(b64)
                    return self._get_batch(query, b64)
                if method == "GET" and path.startswith("/submissions/"):
                    token = path.split("/", 2)[2]
                    fields = self._fields(query)
                    sub = standin.submissions.get(token)
                    if sub is None:
                        return self._send(404, raw=b"")
                    with standin.lock:
                        standin.stats["gets"] += 1
                    return self._send(200, standin._render(sub, fields, b64=b64))
                return self._send(404, raw=b"")

            def _create(self, query, b64):
                fields, errors = standin._validate(self._body(), b64)
                if errors:
                    return self._send(422, errors)
                if standin.queue_full(1):
                    return self._send(503, {"error": "queue is full"})
                with standin.lock:
                    standin.stats["creates"] += 1
                sub = standin._enqueue(fields)
                if query.get("wait") == "true":
                    if not cfg_bool(standin.config, "enable_wait_result"):
                        return self._send(400, {"error": "wait not allowed"})
                    sub.done.wait(60)
                    return self._send(201, standin._render(sub, self._fields(query), b64=b64, final=True))
                return self._send(201, {"token": sub.token})

            def _create_batch(self, b64):
                cfg = standin.config
                if not cfg["enable_batched_submissions"]:
                    return self._send(400, {"error": "batched submissions are not allowed"})
                items = (self._body() or {}).get("submissions") or []
                limit = int(cfg["max_submission_batch_size"])
                if not items:
                    return self._send(400, {"error": "there should be at least one submission in a batch"})
                if len(items) > limit:
                    return self._send(
                        400, {"error": f"number of submissions in a batch should be less than or equal to {limit}"}
                    )
                if standin.queue_full(len(items)):
                    return self._send(503, {"error": "queue is full"})
                with standin.lock:
                    standin.stats["batch_creates"] += 1
                answer, valid = [], 0
                for item in items:
                    fields, errors = standin._validate(item, b64)
                    if errors:
                        answer.append(errors)
                    else:
                        answer.append({"token": standin._enqueue(fields).token})
                        valid += 1
                return self._send(201 if valid else 422, answer)

            def _get_batch(self, query, b64):
                tokens = [t for t in (query.get("tokens") or self.headers.get("tokens") or "").split(",") if t]
                limit = int(standin.config["max_submission_batch_size"])
                if not tokens:
                    return self._send(400, {"error": "there should be at least one submission in a batch"})
                if len(tokens) > limit:
                    return self._send(
                        400, {"error": f"number of submissions in a batch should be less than or equal to {limit}"}
                    )
                fields = self._fields(query)
                with standin.lock:
                    standin.stats["batch_gets"] += 1
                rows = []
                for token in tokens:
                    sub = standin.submissions.get(token)
                    rows.append(None if sub is None else standin._render(sub, fields, b64=b64))
                return self._send(200, {"submissions": rows})

        return Handler


class _Utf8Error(Exception):
    pass


def cfg_bool(config: dict, key: str) -> bool:
    return bool(config.get(key))


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "codementor.settings")
    os.environ.setdefault("DEBUG", "true")
    import django

    django.setup()
    parser = argparse.ArgumentParser(description="Judge0 CE stand-in server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2358)
    parser.add_argument("--token", default="", help="require this X-Auth-Token")
    parser.add_argument("--polls", type=int, default=0, help="polls a token stays in queue/processing")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before a result is visible")
    args = parser.parse_args()
    standin = Judge0StandIn(
        auth_token=args.token,
        polls_before_done=args.polls,
        workers=args.workers,
        host=args.host,
        port=args.port,
        result_delay=args.delay,
    )
    print(f"Judge0 stand-in on {standin.url} (runner: {standin.runner.name})", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        standin.server.serve_forever()


if __name__ == "__main__":
    main()

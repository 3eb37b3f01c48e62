"""Run one command inside bubblewrap with rlimits, as an unprivileged uid per slot.

Measured facts behind every choice here: /work/shared/docs/reference/sandbox.md and
docs/executors.md. In short: bwrap gives private network/PID/IPC/UTS/mount namespaces,
read-only system directories, an empty environment and a fresh work dir at /box; root
ignores RLIMIT_NPROC, so when we are root the child drops to a uid of its own slot
(one uid per concurrent run, chosen with a lock file) before exec'ing bwrap; RLIMIT_AS
only for runtimes that tolerate it (not V8, not the JVM); a wall clock kills everything
(the PID namespace dies with bwrap); stdout/stderr are read with caps.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import resource
import selectors
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from .base import ExecutorError, RetryableExecutorError

MISSING_BWRAP = "bubblewrap (bwrap) is not installed: apt-get install bubblewrap"
MiB = 1024 * 1024


@dataclass(frozen=True)
class SandboxLimits:
    wall_seconds: float
    cpu_seconds: int
    address_space_mb: int | None = None  # None: runtimes that break under RLIMIT_AS (node, java)
    nproc: int = 64  # processes + threads of the slot's uid
    file_size_mb: int = 16
    open_files: int = 64
    output_bytes: int = MiB  # per stream; more and the run is killed
    tmp_size_mb: int = 64
    stack_mb: int | None = None  # main-thread stack (deep recursion); None keeps the default


@dataclass
class SandboxResult:
    exit_code: int | None  # None when killed by us
    signal: int | None  # terminating signal of the command, when known
    stdout: str
    stderr: str
    wall_ms: int
    cpu_ms: int
    timed_out: bool = False
    output_exceeded: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out and not self.output_exceeded


def bwrap_path() -> str:
    path = shutil.which(settings.SANDBOX_BWRAP)
    if not path:
        raise ExecutorError(MISSING_BWRAP)
    return path


def _work_root() -> Path:
    root = Path(settings.SANDBOX_WORK_ROOT or os.path.join(tempfile.gettempdir(), "codementor-sandbox"))
    root.mkdir(parents=True, exist_ok=True)
    # Slot uids must traverse it to reach their own box; nobody may list it.
    os.chmod(root, 0o711)  # noqa: S103
    return root


class Slot:
    """An exclusive sandbox slot: a uid no other concurrent run uses, and a fresh box dir."""

    def __init__(self, number: int, uid: int | None, lock_fd: int, workdir: Path):
        self.number, self.uid, self._lock_fd, self.workdir = number, uid, lock_fd, workdir


@contextlib.contextmanager
def acquire_slot() -> Iterator[Slot]:
    """Hold a slot (lock file) and a fresh work dir for the whole job; the work dir is
    removed afterwards, whatever the student left in it."""
    root = _work_root()
    locks = root / "slots"
    locks.mkdir(exist_ok=True)
    deadline = time.monotonic() + settings.SANDBOX_SLOT_WAIT_SECONDS
    while True:
        for number in range(settings.SANDBOX_SLOTS):
            fd = os.open(locks / f"{number}.lock", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            workdir = None
            try:
                uid = settings.SANDBOX_UID_BASE + number if os.geteuid() == 0 else None
                if uid is not None:
                    _kill_uid_leftovers(uid)
                workdir = Path(tempfile.mkdtemp(prefix=f"box{number}-", dir=root))
                if uid is not None:
                    os.chown(workdir, uid, uid)
                os.chmod(workdir, 0o700)
                yield Slot(number, uid, fd, workdir)
            finally:
                if workdir is not None:
                    shutil.rmtree(workdir, ignore_errors=True)
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)
            return
        if time.monotonic() > deadline:
            # Busy, not broken: the pipeline retries later.
            raise RetryableExecutorError(f"all {settings.SANDBOX_SLOTS} sandbox slots stayed busy")
        time.sleep(0.05)


def cpp_precompiled_header(header: str = "#include <bits/stdc++.h>\n") -> Path | None:
    """A directory holding bits/stdc++.h.gch precompiled from `header` with our exact g++
    flags, or None if it cannot be built.

    Every C++ program here starts with #include <bits/stdc++.h>; precompiling it (and,
    for the harness, its JSON library) once per machine cuts a compile from about 2.3 s
    to well under 1 s. Only our own text goes in, so it is built outside the sandbox,
    under a lock, in a directory named by the header's hash, published atomically.
    """
    digest = hashlib.sha256((header + " ".join(CPP_FLAGS)).encode()).hexdigest()[:16]
    root = _work_root() / "pch" / digest
    target = root / "bits" / "stdc++.h.gch"
    if target.exists():
        return root
    system_header = _stdcpp_header()
    if system_header is None:
        return None
    (root / "bits").mkdir(parents=True, exist_ok=True)
    for path in (root.parent, root, root / "bits"):
        os.chmod(path, 0o755)  # noqa: S103 - read by slot uids
    with open(root / "build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if target.exists():
            return root
        source = root / "pch-source.h"
        source.write_text(header)
        partial = target.with_suffix(".tmp")
        try:
            subprocess.run(
                ["g++", *CPP_FLAGS, "-x", "c++-header", str(source), "-o", str(partial)],
                check=True, capture_output=True, timeout=180, env={"PATH": "/usr/bin:/bin"},
            )
        except (OSError, subprocess.SubprocessError):
            partial.unlink(missing_ok=True)
            return None
        os.chmod(partial, 0o644)
        # bits/stdc++.h has no include guard: a second #include of it (the student's)
        # must find the header text next to the .gch.
        shutil.copyfile(system_header, root / "bits" / "stdc++.h")
        os.chmod(root / "bits" / "stdc++.h", 0o644)
        os.replace(partial, target)
    return root


CPP_FLAGS = ("-O2", "-std=c++17", "-pthread")


def _stdcpp_header() -> str | None:
    try:
        out = subprocess.run(
            ["g++", "-std=c++17", "-x", "c++", "-E", "-H", "-"], input="#include <bits/stdc++.h>\n",
            capture_output=True, text=True, timeout=60, env={"PATH": "/usr/bin:/bin"},
        ).stderr
    except (OSError, subprocess.SubprocessError):
        return None
    for line in out.splitlines():
        if line.startswith(". ") and line.endswith("bits/stdc++.h"):
            return line[2:]
    return None


def _kill_uid_leftovers(uid: int) -> None:
    # The PID namespace should leave nothing behind; this is the belt to its braces.
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if os.stat(f"/proc/{entry}").st_uid == uid:
                os.kill(int(entry), signal.SIGKILL)
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue


def bwrap_argv(
    command: Sequence[str],
    *,
    workdir: Path,
    limits: SandboxLimits,
    writable: bool = True,
    ro_binds: Sequence[tuple[str, str]] = (),
) -> list[str]:
    argv = [
        bwrap_path(),
        "--unshare-all", "--die-with-parent", "--new-session",
        "--ro-bind", "/usr", "/usr",
        "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64", "--symlink", "usr/bin", "/bin",
        "--proc", "/proc", "--dev", "/dev",
        "--size", str(limits.tmp_size_mb * MiB), "--tmpfs", "/tmp",  # noqa: S108 - inside the sandbox
    ]
    # java/javac resolve through /etc/alternatives and read their config from
    # /etc/java-17-openjdk (symlinked from the JDK); nothing else of /etc is visible.
    for extra in ("/etc/alternatives", "/etc/ld.so.cache", "/etc/java-17-openjdk"):
        if os.path.exists(extra):
            argv += ["--ro-bind", extra, extra]
    for source, target in ro_binds:
        argv += ["--ro-bind", source, target]
    argv += [
        "--bind" if writable else "--ro-bind", str(workdir), "/box", "--chdir", "/box",
        "--clearenv", "--setenv", "PATH", "/usr/bin", "--setenv", "HOME", "/box",
        "--setenv", "LANG", "C.UTF-8",
        # PID 1 of the namespace is a shell that waits for the command (the trailing
        # `exit` stops dash from exec'ing it). bwrap's own init would be orphaned when
        # the monitor exits first: a zombie under the host's PID 1 that counts against
        # the slot uid's RLIMIT_NPROC. Not exec'ing also keeps the command out of PID 1,
        # where kernel signals such as SIGXCPU would be ignored.
        "--as-pid-1", "--", "/usr/bin/sh", "-c", '"$@"; exit $?', "sh", *command,
    ]
    return argv


def _preexec(limits: SandboxLimits, uid: int | None):
    def apply() -> None:
        # Runs in the child between fork and exec; only async-signal-safe-ish calls.
        cpu = max(1, limits.cpu_seconds)
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_size_mb * MiB, limits.file_size_mb * MiB))
        resource.setrlimit(resource.RLIMIT_NOFILE, (limits.open_files, limits.open_files))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if limits.stack_mb:
            resource.setrlimit(resource.RLIMIT_STACK, (limits.stack_mb * MiB, limits.stack_mb * MiB))
        if limits.address_space_mb:
            size = limits.address_space_mb * MiB
            resource.setrlimit(resource.RLIMIT_AS, (size, size))
        if uid is not None:
            resource.setrlimit(resource.RLIMIT_NPROC, (limits.nproc, limits.nproc))
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)

    return apply


def run_in_sandbox(
    command: Sequence[str],
    *,
    slot: Slot,
    limits: SandboxLimits,
    stdin: str | bytes = b"",
    writable: bool = True,
    ro_binds: Sequence[tuple[str, str]] = (),
    on_stderr_line: Callable[[str], None] | None = None,
) -> SandboxResult:
    """Run `command` in /box of the slot. Never raises for the student's behaviour.
    `on_stderr_line`, if given, is called with each complete stderr line as it arrives."""
    argv = bwrap_argv(command, workdir=slot.workdir, limits=limits, writable=writable, ro_binds=ro_binds)
    data = stdin.encode() if isinstance(stdin, str) else stdin
    started = time.monotonic()
    proc = subprocess.Popen(
        argv,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=_preexec(limits, slot.uid),
        start_new_session=True,
        close_fds=True,
        env={"PATH": "/usr/bin:/bin"},  # bwrap itself gets no secret either
    )
    writer = threading.Thread(target=_feed, args=(proc.stdin, data), daemon=True)
    writer.start()
    out, err, timed_out, exceeded = _collect(proc, limits, started, on_stderr_line)
    if timed_out or exceeded:
        _kill(proc)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    writer.join(timeout=1)
    wall_ms = int((time.monotonic() - started) * 1000)
    code = proc.returncode
    sig = None
    if code < 0:
        sig, code = -code, None
    elif code > 128 and not (timed_out or exceeded):
        # bwrap reports a command killed by signal N as exit status 128 + N.
        sig = code - 128
    if timed_out or exceeded:
        code = None
    return SandboxResult(
        exit_code=code,
        signal=sig,
        stdout=out.decode("utf-8", "replace"),
        stderr=err.decode("utf-8", "replace"),
        wall_ms=wall_ms,
        cpu_ms=int((usage.ru_utime + usage.ru_stime) * 1000),
        timed_out=timed_out,
        output_exceeded=exceeded,
    )


def _feed(pipe, data: bytes) -> None:
    try:
        pipe.write(data)
    except (BrokenPipeError, OSError):
        pass
    finally:
        with contextlib.suppress(OSError):
            pipe.close()


def _collect(proc: subprocess.Popen, limits: SandboxLimits, started: float,
             on_stderr_line: Callable[[str], None] | None = None) -> tuple[bytes, bytes, bool, bool]:
    buffers = {proc.stdout: bytearray(), proc.stderr: bytearray()}
    line_start = 0
    selector = selectors.DefaultSelector()
    for pipe in buffers:
        os.set_blocking(pipe.fileno(), False)
        selector.register(pipe, selectors.EVENT_READ)
    deadline = started + limits.wall_seconds
    timed_out = exceeded = False
    try:
        while selector.get_map():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                timed_out = True
                break
            for key, _ in selector.select(timeout=min(remaining, 0.5)):
                chunk = os.read(key.fd, 65536)
                if not chunk:
                    selector.unregister(key.fileobj)
                    continue
                buf = buffers[key.fileobj]
                buf += chunk
                if on_stderr_line is not None and key.fileobj is proc.stderr:
                    end = buf.rfind(b"\n")
                    if end >= line_start:
                        for line in bytes(buf[line_start:end]).split(b"\n"):
                            on_stderr_line(line.decode("utf-8", "replace"))
                        line_start = end + 1
                if len(buf) > limits.output_bytes:
                    del buf[limits.output_bytes:]
                    exceeded = True
            if exceeded:
                break
    finally:
        selector.close()
        for pipe in buffers:
            pipe.close()
    return bytes(buffers[proc.stdout]), bytes(buffers[proc.stderr]), timed_out, exceeded


def _kill(proc: subprocess.Popen) -> None:
    """Kill the run without orphaning anything.

    The outer bwrap's child is the init of the run's PID namespace; killing it makes the
    kernel kill every process in the namespace, and the outer bwrap then reaps it and
    exits. Killing the outer bwrap first would orphan that init to the host's PID 1.
    """
    for child in _children(proc.pid):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(child, signal.SIGKILL)
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:
        # WNOWAIT: leave the exit status for the caller's wait4.
        if os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
            return
        time.sleep(0.01)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        proc.kill()


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as handle:
            return [int(x) for x in handle.read().split()]
    except OSError:
        return []

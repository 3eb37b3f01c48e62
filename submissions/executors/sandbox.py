"""Run one command inside bubblewrap with cgroups, seccomp and rlimits, as an
unprivileged uid per slot.

Measured facts behind every choice here: /work/shared/docs/reference/sandbox.md and
docs/executors.md. In short: bwrap gives private network/PID/IPC/UTS/mount namespaces,
read-only system directories, an empty environment and a work dir at /box (a size-capped
tmpfs when we are root); root ignores RLIMIT_NPROC, so when we are root the child drops
to a uid of its own slot (one uid per concurrent run, chosen with a lock file) before
exec'ing bwrap; a cgroup per run (v1 memory/pids/cpuacct or v2) caps memory (+swap) and
tasks of the whole process tree and measures its CPU and peak memory; a seccomp filter
refuses namespaces, io_uring, keyctl, ptrace, mount, bpf and friends; RLIMIT_AS only for
runtimes that tolerate it (not V8, not the JVM); a wall clock kills everything (the PID
namespace dies with bwrap, the cgroup is emptied); stdout/stderr are read with caps.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import fcntl
import hashlib
import logging
import os
import platform
import resource
import selectors
import shutil
import signal
import struct
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
logger = logging.getLogger(__name__)
# A compile's cgroup memory cap (g++ -O2 of a large program stays well under it; javac
# runs with -Xmx384m). A template bomb or a huge #include is killed here, not by the host.
COMPILE_MEMORY_MB = 768


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
    # cgroup limits of the whole process tree (every child, thread, off-heap buffer, the
    # run's tmpfs pages). None: no cgroup for this run (rlimits only).
    memory_mb: int | None = None  # memory + swap
    pids: int = 128  # tasks (processes + threads) of the tree, bwrap and its shell included
    # Compiles: a /dev holding only /dev/null (no /dev/zero, /dev/urandom, /dev/stdin... to
    # `#include`), instead of bwrap's standard minimal /dev.
    minimal_dev: bool = False


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
    cgroup: str | None = None  # "v1" / "v2": the run had a cgroup of its own; None: rlimits only
    memory_peak_kb: int | None = None  # the tree's peak memory (cgroup), when known
    oom_killed: bool = False  # the cgroup's OOM killer killed a process of the run

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

    def __init__(self, number: int, uid: int | None, lock_fd: int, workdir: Path, box_capped: bool = False):
        self.number, self.uid, self._lock_fd, self.workdir = number, uid, lock_fd, workdir
        self.box_capped = box_capped  # the work dir is a size-capped tmpfs


def box_size_mb() -> int:
    return int(getattr(settings, "SANDBOX_BOX_MB", 0) or os.environ.get("SANDBOX_BOX_MB") or 64)


@contextlib.contextmanager
def acquire_slot() -> Iterator[Slot]:
    """Hold a slot (lock file) and a fresh work dir for the whole job; the work dir is
    removed afterwards, whatever the student left in it.

    As root the work dir is a tmpfs of SANDBOX_BOX_MB (64 MiB) owned by the slot uid, so
    /box cannot fill the host's disk; it lives as long as the slot, so what a compile
    leaves (binary, .class files) is there for the runs that follow. Not root: a plain
    directory (files capped by RLIMIT_FSIZE only)."""
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
            capped = False
            try:
                uid = settings.SANDBOX_UID_BASE + number if os.geteuid() == 0 else None
                if uid is not None:
                    _kill_uid_leftovers(uid)
                _remove_stale_boxes(root, number)
                workdir = Path(tempfile.mkdtemp(prefix=f"box{number}-", dir=root))
                if uid is not None:
                    capped = _mount_box(workdir, uid, box_size_mb())
                    os.chown(workdir, uid, uid)
                os.chmod(workdir, 0o700)
                yield Slot(number, uid, fd, workdir, box_capped=capped)
            finally:
                if workdir is not None:
                    _remove_box(workdir, capped)
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)
            return
        if time.monotonic() > deadline:
            # Busy, not broken: the pipeline retries later.
            raise RetryableExecutorError(f"all {settings.SANDBOX_SLOTS} sandbox slots stayed busy")
        time.sleep(0.05)


def _remove_box(workdir: Path, mounted: bool) -> None:
    if mounted:
        _unmount(workdir)
    shutil.rmtree(workdir, ignore_errors=True)


def _remove_stale_boxes(root: Path, number: int) -> None:
    # A worker killed mid-job leaves its box (and maybe its tmpfs mount); we hold the slot.
    for stale in root.glob(f"box{number}-*"):
        if _is_mount_point(stale):
            _unmount(stale)
        shutil.rmtree(stale, ignore_errors=True)


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
                check=True,
                capture_output=True,
                timeout=180,
                env={"PATH": "/usr/bin:/bin"},
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
            ["g++", "-std=c++17", "-x", "c++", "-E", "-H", "-"],
            input="#include <bits/stdc++.h>\n",
            capture_output=True,
            text=True,
            timeout=60,
            env={"PATH": "/usr/bin:/bin"},
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


# --- cgroups: one per run, under a parent of our own ------------------------------------
# v1 (these machines): memory, pids and cpuacct hierarchies, the parent nested under the
# worker's own cgroup of each (so a container's or unit's limit still covers every run).
# v2: the parent sits next to the worker's own cgroup (a cgroup holding processes cannot
# hand controllers to children) or in SANDBOX_CGROUP_PARENT, a delegated subtree.
V1_CONTROLLERS = ("memory", "pids", "cpuacct")  # cpuacct optional: CPU falls back to wait4
_cgroup_host: CgroupHost | None = None
_cgroup_probed = False
_cgroup_lock = threading.Lock()
_warned: set[str] = set()


def _warn_once(key: str, message: str) -> None:
    if key not in _warned:
        _warned.add(key)
        logger.warning(message)


@dataclass(frozen=True)
class CgroupHost:
    kind: str  # "v1" | "v2"
    parents: dict[str, Path]  # v1: controller -> our parent dir; v2: {"unified": parent dir}


def _mounts() -> Iterator[tuple[str, str, str, str]]:
    """(root, mount point, fs type, super options) of every mount we can see."""
    with open("/proc/self/mountinfo") as handle:
        for line in handle:
            left, _, right = line.partition(" - ")
            fields, tail = left.split(), right.split()
            if len(fields) >= 5 and len(tail) >= 3:
                yield fields[3], fields[4], tail[0], tail[2]


def _own_cgroups() -> dict[str, str]:
    """controller ("unified" for v2) -> this process's cgroup path."""
    own = {}
    with open("/proc/self/cgroup") as handle:
        for line in handle:
            _, controllers, path = line.rstrip("\n").split(":", 2)
            for name in controllers.split(",") if controllers else ["unified"]:
                own[name] = path
    return own


def _inside(mount_root: str, mount_point: str, path: str) -> Path:
    if mount_root != "/" and (path == mount_root or path.startswith(mount_root + "/")):
        path = path[len(mount_root) :]
    return Path(mount_point + path.rstrip("/")) if path.strip("/") else Path(mount_point)


def _probe_v1(name: str) -> CgroupHost | None:
    own = _own_cgroups()
    parents = {}
    for controller in V1_CONTROLLERS:
        mount = next((m for m in _mounts() if m[2] == "cgroup" and controller in m[3].split(",")), None)
        if mount is None:
            if controller == "cpuacct":
                continue
            return None
        parent = _inside(mount[0], mount[1], own.get(controller, "/")) / name
        try:
            parent.mkdir(exist_ok=True)
        except OSError:
            return None
        if not os.access(parent / "cgroup.procs", os.W_OK):
            return None
        parents[controller] = parent
    return CgroupHost("v1", parents)


def _controllers(path: Path) -> set[str]:
    try:
        return set(path.read_text().split())
    except OSError:
        return set()


def _probe_v2(name: str) -> CgroupHost | None:
    mount = next((m for m in _mounts() if m[2] == "cgroup2"), None)
    if mount is None:
        return None
    # A delegated subtree of ours (nothing else lives in it), else next to our own cgroup:
    # the root cgroup is exempt from "no processes in a cgroup that has children".
    configured = getattr(settings, "SANDBOX_CGROUP_PARENT", "") or os.environ.get("SANDBOX_CGROUP_PARENT", "")
    own = _inside(mount[0], mount[1], _own_cgroups().get("unified", "/"))
    base = Path(configured) if configured else (own if own == Path(mount[1]) else own.parent)
    if not {"memory", "pids"} <= _controllers(base / "cgroup.subtree_control"):
        return None
    parent = base / name
    try:
        parent.mkdir(exist_ok=True)
        wanted = {"memory", "pids", "cpu"} & _controllers(parent / "cgroup.controllers")
        missing = wanted - _controllers(parent / "cgroup.subtree_control")
        if missing:
            (parent / "cgroup.subtree_control").write_text(" ".join("+" + c for c in sorted(missing)))
    except OSError:
        return None
    if not {"memory", "pids"} <= _controllers(parent / "cgroup.subtree_control"):
        return None
    return CgroupHost("v2", {"unified": parent})


def cgroup_host() -> CgroupHost | None:
    """The cgroup setup runs get (probed once per process), or None: rlimits only."""
    global _cgroup_host, _cgroup_probed
    with _cgroup_lock:
        if not _cgroup_probed:
            # One parent per work root: its slot numbers (and uids) are its own.
            name = "codementor-" + hashlib.sha256(str(_work_root()).encode()).hexdigest()[:10]
            try:
                _cgroup_host = _probe_v2(name) or _probe_v1(name)
            except OSError:
                _cgroup_host = None
            _cgroup_probed = True
            if _cgroup_host is None:
                _warn_once(
                    "cgroup",
                    "sandbox: no writable cgroup (v1 memory+pids or v2 with memory/pids delegated); "
                    "runs are limited by rlimits only: memory per process, no whole-tree cap",
                )
            else:
                logger.info(
                    "sandbox: cgroup %s under %s",
                    _cgroup_host.kind,
                    ", ".join(str(p) for p in _cgroup_host.parents.values()),
                )
        return _cgroup_host


def _write(path: Path, value: str) -> None:
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, value.encode())
    finally:
        os.close(fd)


def _read_int(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _read_key(path: Path, key: str) -> int | None:
    try:
        for line in path.read_text().splitlines():
            name, _, value = line.partition(" ")
            if name == key:
                return int(value)
    except (OSError, ValueError):
        return None
    return None


class RunCgroup:
    """The cgroup of one run: created before the spawn, joined by the child itself before
    it execs bwrap (so every descendant is born inside), emptied and removed afterwards."""

    def __init__(self, host: CgroupHost, name: str, limits: SandboxLimits):
        self.kind = host.kind
        self.dirs = {controller: parent / name for controller, parent in host.parents.items()}
        memory = limits.memory_mb * MiB
        for path in self.dirs.values():
            if path.exists():  # left by a worker that died mid-run: same slot, ours now
                self._empty(path)
                self._remove(path)
            path.mkdir()
        if self.kind == "v1":
            mem = self.dirs["memory"]
            _write(mem / "memory.limit_in_bytes", str(memory))
            if (mem / "memory.memsw.limit_in_bytes").exists():
                _write(mem / "memory.memsw.limit_in_bytes", str(memory))  # no escape into swap
            else:
                _write(mem / "memory.swappiness", "0")
            _write(self.dirs["pids"] / "pids.max", str(limits.pids))
        else:
            unified = self.dirs["unified"]
            _write(unified / "memory.max", str(memory))
            if (unified / "memory.swap.max").exists():
                _write(unified / "memory.swap.max", "0")
            _write(unified / "pids.max", str(limits.pids))
        self._procs = [str(path / "cgroup.procs") for path in self.dirs.values()]

    def join(self) -> None:
        """In the child, between fork and exec."""
        pid = str(os.getpid()).encode()
        for path in self._procs:
            fd = os.open(path, os.O_WRONLY)
            os.write(fd, pid)
            os.close(fd)

    @property
    def _main(self) -> Path:
        return self.dirs["memory" if self.kind == "v1" else "unified"]

    @staticmethod
    def _pids(path: Path) -> list[int]:
        try:
            return [int(x) for x in (path / "cgroup.procs").read_text().split()]
        except OSError:
            return []

    def kill(self) -> None:
        if (self._main / "cgroup.kill").exists():
            with contextlib.suppress(OSError):
                _write(self._main / "cgroup.kill", "1")
        for pid in self._pids(self._main):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)

    def _empty(self, path: Path) -> None:
        deadline = time.monotonic() + 2.0
        while self._pids(path) and time.monotonic() < deadline:
            for pid in self._pids(path):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.01)

    @staticmethod
    def _remove(path: Path) -> None:
        deadline = time.monotonic() + 2.0
        while True:
            try:
                path.rmdir()
                return
            except FileNotFoundError:
                return
            except OSError as exc:
                if exc.errno != errno.EBUSY or time.monotonic() > deadline:
                    logger.warning("sandbox: cannot remove cgroup %s: %s", path, exc)
                    return
                time.sleep(0.01)

    def finish(self) -> tuple[int | None, int | None, bool]:
        """Kill what is left, read (cpu_ms, memory_peak_kb, oom_killed), remove the cgroup."""
        self.kill()
        for path in self.dirs.values():
            self._empty(path)
        if self.kind == "v1":
            mem = self.dirs["memory"]
            peak = _read_int(mem / "memory.max_usage_in_bytes")
            oom = (_read_key(mem / "memory.oom_control", "oom_kill") or 0) > 0
            usage = _read_int(self.dirs["cpuacct"] / "cpuacct.usage") if "cpuacct" in self.dirs else None
            cpu_ms = usage // 1_000_000 if usage is not None else None
        else:
            unified = self.dirs["unified"]
            peak = _read_int(unified / "memory.peak")
            oom = (_read_key(unified / "memory.events", "oom_kill") or 0) > 0
            usage = _read_key(unified / "cpu.stat", "usage_usec")
            cpu_ms = usage // 1000 if usage is not None else None
        for path in self.dirs.values():
            self._remove(path)
        return cpu_ms, (peak // 1024 if peak is not None else None), oom


# --- seccomp: a BPF filter bwrap installs right before it execs the command -------------
# Refused with EPERM: new namespaces (clone/unshare with a CLONE_NEW* flag; plain clone for
# threads and fork stays allowed), setns, io_uring, the kernel keyring, ptrace and
# process_vm_*, every mount API, bpf, perf, userfaultfd, modules, kexec, swap, reboot...
# clone3 answers ENOSYS (its flags live in memory a filter cannot read), so glibc falls
# back to clone. Another architecture or x32 syscall numbers kill the process.
AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
DENIED_SYSCALLS = {  # name: (x86_64, aarch64)
    "setns": (308, 268),
    "io_uring_setup": (425, 425),
    "io_uring_enter": (426, 426),
    "io_uring_register": (427, 427),
    "keyctl": (250, 219),
    "add_key": (248, 217),
    "request_key": (249, 218),
    "ptrace": (101, 117),
    "process_vm_readv": (310, 270),
    "process_vm_writev": (311, 271),
    "mount": (165, 40),
    "umount2": (166, 39),
    "pivot_root": (155, 41),
    "chroot": (161, 51),
    "open_tree": (428, 428),
    "move_mount": (429, 429),
    "fsopen": (430, 430),
    "fsconfig": (431, 431),
    "fsmount": (432, 432),
    "fspick": (433, 433),
    "mount_setattr": (442, 442),
    "bpf": (321, 280),
    "perf_event_open": (298, 241),
    "userfaultfd": (323, 282),
    "kexec_load": (246, 104),
    "kexec_file_load": (320, 294),
    "init_module": (175, 105),
    "finit_module": (313, 273),
    "delete_module": (176, 106),
    "swapon": (167, 224),
    "swapoff": (168, 225),
    "reboot": (169, 142),
    "acct": (163, 89),
    "quotactl": (179, 60),
    "name_to_handle_at": (303, 264),
    "open_by_handle_at": (304, 265),
    "lookup_dcookie": (212, 18),
    "syslog": (103, 116),
    "fanotify_init": (300, 262),
}
FLAG_CHECKED_SYSCALLS = {"clone": (56, 220), "unshare": (272, 97)}
CLONE3 = (435, 435)
CLONE_NEW_FLAGS = (
    0x00020000  # CLONE_NEWNS
    | 0x02000000  # CLONE_NEWCGROUP
    | 0x04000000  # CLONE_NEWUTS
    | 0x08000000  # CLONE_NEWIPC
    | 0x10000000  # CLONE_NEWUSER
    | 0x20000000  # CLONE_NEWPID
    | 0x40000000  # CLONE_NEWNET
    | 0x00000080  # CLONE_NEWTIME
)
_LD_ABS_W, _JEQ, _JGE, _JSET, _RET = 0x20, 0x15, 0x35, 0x45, 0x06
RET_ALLOW, RET_KILL_PROCESS, RET_ERRNO = 0x7FFF0000, 0x80000000, 0x00050000


def _insn(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
    return struct.pack("=HBBI", code, jt, jf, k)


def seccomp_filter(machine: str | None = None) -> bytes | None:
    """The filter as struct sock_filter[] for `bwrap --seccomp FD`, or None for an
    architecture we have no syscall table for."""
    machine = machine or platform.machine()
    if machine not in AUDIT_ARCH:
        return None
    column = 0 if machine == "x86_64" else 1
    eperm, enosys = RET_ERRNO | errno.EPERM, RET_ERRNO | errno.ENOSYS
    prog = [
        _insn(_LD_ABS_W, 4),  # seccomp_data.arch
        _insn(_JEQ, AUDIT_ARCH[machine], jt=1),
        _insn(_RET, RET_KILL_PROCESS),
        _insn(_LD_ABS_W, 0),  # seccomp_data.nr
    ]
    if machine == "x86_64":
        prog += [_insn(_JGE, 0x40000000, jf=1), _insn(_RET, RET_KILL_PROCESS)]  # x32 ABI
    for numbers in DENIED_SYSCALLS.values():
        prog += [_insn(_JEQ, numbers[column], jf=1), _insn(_RET, eperm)]
    prog += [_insn(_JEQ, CLONE3[column], jf=1), _insn(_RET, enosys)]
    for numbers in FLAG_CHECKED_SYSCALLS.values():
        prog += [
            _insn(_JEQ, numbers[column], jf=4),
            _insn(_LD_ABS_W, 16),  # low 32 bits of args[0] (little endian): the flags
            _insn(_JSET, CLONE_NEW_FLAGS, jf=1),
            _insn(_RET, eperm),
            _insn(_RET, RET_ALLOW),
        ]
    prog.append(_insn(_RET, RET_ALLOW))
    return b"".join(prog)


def _seccomp_fd() -> int | None:
    program = seccomp_filter()
    if program is None:
        _warn_once("seccomp", f"sandbox: no seccomp filter for {platform.machine()}: runs without one")
        return None
    fd = os.memfd_create("codementor-seccomp", 0)
    os.write(fd, program)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


# --- /box: a size-capped tmpfs per slot (root), so a run cannot fill the host's disk -----
MS_NOSUID, MS_NODEV, MNT_DETACH = 0x2, 0x4, 0x2
_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def _mount_box(path: Path, uid: int, size_mb: int) -> bool:
    options = f"size={size_mb}m,nr_inodes=4096,mode=0700,uid={uid},gid={uid}"
    if _libc.mount(b"tmpfs", str(path).encode(), b"tmpfs", MS_NOSUID | MS_NODEV, options.encode()) == 0:
        return True
    _warn_once(
        "box",
        f"sandbox: cannot mount a tmpfs for /box ({os.strerror(ctypes.get_errno())}): the work dir "
        "is a plain directory, capped per file (RLIMIT_FSIZE) only",
    )
    return False


def _unmount(path: Path) -> None:
    _libc.umount2(str(path).encode(), MNT_DETACH)  # EINVAL: was not a mount point; fine


def _is_mount_point(path: Path) -> bool:
    return any(m[1] == str(path) for m in _mounts())


def bwrap_argv(
    command: Sequence[str],
    *,
    workdir: Path,
    limits: SandboxLimits,
    writable: bool = True,
    ro_binds: Sequence[tuple[str, str]] = (),
    seccomp_fd: int | None = None,
) -> list[str]:
    argv = [
        bwrap_path(),
        # A user namespace always (bwrap runs unprivileged, as the slot uid), and none
        # below it: --disable-userns, and the seccomp filter refuses CLONE_NEWUSER too.
        "--unshare-all",
        "--unshare-user",
        "--disable-userns",
        "--die-with-parent",
        "--new-session",
        "--ro-bind",
        "/usr",
        "/usr",
        "--symlink",
        "usr/lib",
        "/lib",
        "--symlink",
        "usr/lib64",
        "/lib64",
        "--symlink",
        "usr/bin",
        "/bin",
        "--proc",
        "/proc",
    ]
    if limits.minimal_dev:
        # Compiles: nothing to #include but /dev/null (no /dev/zero, urandom, stdin, tty).
        argv += ["--tmpfs", "/dev", "--dev-bind", "/dev/null", "/dev/null", "--remount-ro", "/dev"]
    else:
        argv += ["--dev", "/dev"]
    argv += ["--size", str(limits.tmp_size_mb * MiB), "--tmpfs", "/tmp"]  # noqa: S108 - inside the sandbox
    if seccomp_fd is not None:
        argv += ["--seccomp", str(seccomp_fd)]
    # java/javac resolve through /etc/alternatives and read their config from
    # /etc/java-17-openjdk (symlinked from the JDK); nothing else of /etc is visible.
    for extra in ("/etc/alternatives", "/etc/ld.so.cache", "/etc/java-17-openjdk"):
        if os.path.exists(extra):
            argv += ["--ro-bind", extra, extra]
    for source, target in ro_binds:
        argv += ["--ro-bind", source, target]
    argv += [
        "--bind" if writable else "--ro-bind",
        str(workdir),
        "/box",
        "--chdir",
        "/box",
        "--clearenv",
        "--setenv",
        "PATH",
        "/usr/bin",
        "--setenv",
        "HOME",
        "/box",
        "--setenv",
        "LANG",
        "C.UTF-8",
        # PID 1 of the namespace is a shell that waits for the command (the trailing
        # `exit` stops dash from exec'ing it). bwrap's own init would be orphaned when
        # the monitor exits first: a zombie under the host's PID 1 that counts against
        # the slot uid's RLIMIT_NPROC. Not exec'ing also keeps the command out of PID 1,
        # where kernel signals such as SIGXCPU would be ignored.
        "--as-pid-1",
        "--",
        "/usr/bin/sh",
        "-c",
        '"$@"; exit $?',
        "sh",
        *command,
    ]
    return argv


def _preexec(limits: SandboxLimits, uid: int | None, cgroup: RunCgroup | None = None):
    def apply() -> None:
        # Runs in the child between fork and exec; only async-signal-safe-ish calls.
        if cgroup is not None:
            cgroup.join()  # before exec (and before dropping root): the whole tree is born inside
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
    host = cgroup_host() if limits.memory_mb is not None else None
    cgroup = None
    if host is not None:
        try:
            cgroup = RunCgroup(host, f"slot-{slot.number}", limits)
        except OSError as exc:
            # Probed fine, cannot set one up now: refuse rather than run without the caps.
            raise ExecutorError(f"cannot set up the sandbox cgroup: {exc}") from exc
    seccomp_fd = _seccomp_fd()
    data = stdin.encode() if isinstance(stdin, str) else stdin
    started = time.monotonic()
    try:
        argv = bwrap_argv(
            command, workdir=slot.workdir, limits=limits, writable=writable, ro_binds=ro_binds, seccomp_fd=seccomp_fd
        )
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            preexec_fn=_preexec(limits, slot.uid, cgroup),
            start_new_session=True,
            close_fds=True,
            pass_fds=(seccomp_fd,) if seccomp_fd is not None else (),
            env={"PATH": "/usr/bin:/bin"},  # bwrap itself gets no secret either
        )
    except BaseException:
        if cgroup is not None:
            cgroup.finish()
        raise
    finally:
        if seccomp_fd is not None:
            os.close(seccomp_fd)
    writer = threading.Thread(target=_feed, args=(proc.stdin, data), daemon=True)
    writer.start()
    out, err, timed_out, exceeded = _collect(proc, limits, started, on_stderr_line)
    if timed_out or exceeded:
        _kill(proc)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    writer.join(timeout=1)
    wall_ms = int((time.monotonic() - started) * 1000)
    cpu_ms = int((usage.ru_utime + usage.ru_stime) * 1000)
    peak_kb, oom = None, False
    if cgroup is not None:
        # Every process of the tree, reaped or not, threads included.
        cgroup_cpu, peak_kb, oom = cgroup.finish()
        cpu_ms = cgroup_cpu if cgroup_cpu is not None else cpu_ms
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
        cpu_ms=cpu_ms,
        timed_out=timed_out,
        output_exceeded=exceeded,
        cgroup=cgroup.kind if cgroup is not None else None,
        memory_peak_kb=peak_kb,
        oom_killed=oom,
    )


def _feed(pipe, data: bytes) -> None:
    try:
        pipe.write(data)
    except (BrokenPipeError, OSError):
        pass
    finally:
        with contextlib.suppress(OSError):
            pipe.close()


def _collect(
    proc: subprocess.Popen, limits: SandboxLimits, started: float, on_stderr_line: Callable[[str], None] | None = None
) -> tuple[bytes, bytes, bool, bool]:
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
                    del buf[limits.output_bytes :]
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

"""Whole-tree limits of the local sandbox (issue #12, "take the host's resources"): the
run's cgroup (memory + swap, tasks, CPU), the seccomp filter, the size-capped /box and
capped compiles. Each attack sits beside a control that shows the attack code works
(under a larger limit, or outside the sandbox), so a pass means the limit stopped it.
Real bwrap, real cgroups, real processes; as root, like the shipped worker."""

import errno
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from django.conf import settings

from submissions.executors.base import Verdict
from submissions.executors.local import LocalExecutor
from submissions.executors.sandbox import (
    COMPILE_MEMORY_MB,
    SandboxLimits,
    acquire_slot,
    cgroup_host,
    cpp_precompiled_header,
    run_in_sandbox,
    seccomp_filter,
)

from ._jobs import stdio_job

MiB = 1024 * 1024
pytestmark = pytest.mark.skipif(
    os.geteuid() != 0,
    reason="cgroups, slot uids and the tmpfs /box need root (the shipped worker runs as root: docs/operations.md)",
)


def _limits(memory_mb=256, **kwargs):
    defaults = {"wall_seconds": 20, "cpu_seconds": 20, "nproc": 256, "pids": 128, "memory_mb": memory_mb}
    return SandboxLimits(**{**defaults, **kwargs})


def _run(command, *, files=None, binds=(), **limits):
    with acquire_slot() as slot:
        for name, text in (files or {}).items():
            (slot.workdir / name).write_text(text)
            os.chmod(slot.workdir / name, 0o644)
        result = run_in_sandbox(command, slot=slot, limits=_limits(**limits), ro_binds=binds)
        leftover = [p / f"slot-{slot.number}" for p in cgroup_host().parents.values()]
    assert not [p for p in leftover if p.exists()], "the run's cgroup is removed afterwards"
    return result


def _py(code, **limits):
    return _run(["python3", "-c", textwrap.dedent(code)], **limits)


def _stdio(code, *, language="python", memory_limit_mb=128, time_limit_ms=5000):
    return LocalExecutor().run(
        stdio_job(code, [("", None)], language=language, time_limit_ms=time_limit_ms, memory_limit_mb=memory_limit_mb)
    )


def _slot_uid_processes():
    low, high = settings.SANDBOX_UID_BASE, settings.SANDBOX_UID_BASE + settings.SANDBOX_SLOTS
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if low <= os.stat(f"/proc/{entry}").st_uid < high:
                    found.append(entry)
            except FileNotFoundError:
                continue
    return found


@pytest.fixture(autouse=True)
def _nothing_survives():
    yield
    assert _slot_uid_processes() == []


def test_this_machine_gives_runs_a_cgroup():
    host = cgroup_host()
    assert host is not None and host.kind in ("v1", "v2")
    result = _py("print('hi')")
    assert result.ok and result.cgroup == host.kind
    assert 0 < result.memory_peak_kb < 64 * 1024 and not result.oom_killed


# --- memory of the whole tree ---------------------------------------------------------------
FORKED_HOGS = """
    import os, sys
    children = []
    for _ in range(6):
        pid = os.fork()
        if pid == 0:
            block = b'\\x01' * (64 * 1024 * 1024)  # 64 MiB each, touched: under any per-process limit
            import time; time.sleep(1.0)
            os._exit(0)
        children.append(pid)
    statuses = [os.waitpid(pid, 0)[1] for pid in children]
    print('children', statuses)
    sys.exit(0 if all(s == 0 for s in statuses) else 1)
"""


def test_forked_children_share_one_memory_cap():
    # Six children of 64 MiB each: every one is under a 256 MiB per-process RLIMIT_AS, the tree is not.
    attack = _py(FORKED_HOGS, memory_mb=256, address_space_mb=256)
    assert attack.oom_killed and attack.exit_code != 0
    assert attack.memory_peak_kb <= 256 * 1024
    control = _py(FORKED_HOGS, memory_mb=768, address_space_mb=256)
    assert control.ok and not control.oom_killed, control.stderr
    assert control.memory_peak_kb > 6 * 64 * 1024  # the attack code really takes 384+ MiB


def test_forked_children_over_the_limit_are_a_memory_limit_verdict():
    code = textwrap.dedent(FORKED_HOGS)
    assert _stdio(code, memory_limit_mb=128).verdict == Verdict.MEMORY_LIMIT_EXCEEDED
    assert _stdio(code, memory_limit_mb=1024).verdict == Verdict.ACCEPTED


JS_OFF_HEAP = """
const keep = [];
for (let i = 0; i < 16; i++) keep.push(Buffer.alloc(32 << 20, 1));  // 512 MiB outside the V8 heap
console.log('allocated', keep.length * 32, 'MiB');
"""


def test_javascript_off_heap_buffers_are_capped():
    # --max-old-space-size (the heap limit the executor passes) does not see Buffers; the cgroup does.
    attack = _stdio(JS_OFF_HEAP, language="javascript", memory_limit_mb=128)
    assert attack.verdict == Verdict.MEMORY_LIMIT_EXCEEDED, attack.tests[0].stderr[-300:]
    control = _stdio(JS_OFF_HEAP, language="javascript", memory_limit_mb=1024)
    assert control.verdict == Verdict.ACCEPTED and "allocated 512 MiB" in control.tests[0].actual


JAVA_OFF_HEAP = {
    "unsafe": """
import java.lang.reflect.Field;
public class Main {
  public static void main(String[] args) throws Exception {
    Field f = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
    f.setAccessible(true);
    sun.misc.Unsafe u = (sun.misc.Unsafe) f.get(null);
    long total = 0;
    for (int i = 0; i < 16; i++) { long p = u.allocateMemory(32L << 20); u.setMemory(p, 32L << 20, (byte) 1); total += 32; }
    System.out.println("allocated " + total + " MiB");
  }
}
""",
    "direct": """
import java.nio.ByteBuffer;
import java.util.*;
public class Main {
  public static void main(String[] args) {
    List<ByteBuffer> keep = new ArrayList<>();
    for (int i = 0; i < 16; i++) { ByteBuffer b = ByteBuffer.allocateDirect(32 << 20); while (b.hasRemaining()) b.put((byte) 1); keep.add(b); }
    System.out.println("allocated " + keep.size() * 32 + " MiB");
  }
}
""",
}


@pytest.mark.slow
@pytest.mark.parametrize("how", sorted(JAVA_OFF_HEAP))
def test_java_off_heap_memory_is_capped(how):
    attack = _stdio(JAVA_OFF_HEAP[how], language="java", memory_limit_mb=128, time_limit_ms=8000)
    assert attack.verdict == Verdict.MEMORY_LIMIT_EXCEEDED, (attack.compile_output, attack.tests[0].stderr[-300:])
    control = _stdio(JAVA_OFF_HEAP[how], language="java", memory_limit_mb=1024, time_limit_ms=8000)
    assert control.verdict == Verdict.ACCEPTED, (control.compile_output, control.tests[0].stderr[-300:])
    assert "allocated 512 MiB" in control.tests[0].actual


# --- processes, CPU -------------------------------------------------------------------------
FORK_BOMB = """
    import os, time
    n = 0
    for _ in range(200):
        try:
            if os.fork() == 0:
                time.sleep(2)
                os._exit(0)
            n += 1
        except OSError:
            break
    print(n)
"""


def test_fork_bomb_is_stopped_by_the_pids_cgroup():
    # RLIMIT_NPROC is set far above: only pids.max stops the tree here.
    attack = _py(FORK_BOMB, pids=32, nproc=4096)
    assert attack.ok and int(attack.stdout) < 32
    control = _py(FORK_BOMB, pids=256, nproc=4096)
    assert control.ok and int(control.stdout) == 200


def test_cpu_of_children_nobody_waits_for_is_charged():
    code = """
        import os, time
        if os.fork() == 0:
            end = time.process_time() + 0.8
            while time.process_time() < end:
                pass
            os._exit(0)
        time.sleep(1.5)  # never waits for the child
    """
    result = _py(code)
    assert result.ok and result.cpu_ms >= 700


# --- /box on a size-capped tmpfs ------------------------------------------------------------
FILL_BOX = """
    import os, sys
    written = 0
    try:
        for i in range(int(sys.argv[1])):
            with open(f'fill{i}.bin', 'wb') as f:  # 1 MiB files: each under RLIMIT_FSIZE
                f.write(b'x' * (1024 * 1024))
            written += 1
    except OSError as e:
        print('stopped', e.errno, written)
    else:
        print('wrote', written)
"""


def test_filling_box_stops_at_its_cap_not_the_host_disk():
    with acquire_slot() as slot:
        assert slot.box_capped
        (slot.workdir / "fill.py").write_text(textwrap.dedent(FILL_BOX))
        os.chmod(slot.workdir / "fill.py", 0o644)
        started = time.monotonic()
        attack = run_in_sandbox(["python3", "fill.py", "300"], slot=slot, limits=_limits(memory_mb=512))
        elapsed = time.monotonic() - started
        stopped, code, written = attack.stdout.split()
        assert (stopped, int(code)) == ("stopped", errno.ENOSPC) and int(written) < 64
        assert sum(p.stat().st_size for p in slot.workdir.iterdir()) <= 64 * MiB
        assert elapsed < 10
        control = run_in_sandbox(
            ["sh", "-c", "rm -f fill*.bin && python3 fill.py 32"], slot=slot, limits=_limits(memory_mb=512)
        )
        assert control.stdout.split() == ["wrote", "32"]
        workdir = slot.workdir
    assert not workdir.exists()


@pytest.mark.slow
def test_compile_outputs_survive_into_the_runs_of_the_slot():
    files = {
        "main.cpp": '#include <cstdio>\nint main() { std::puts("compiled"); }\n',
        "Main.java": 'public class Main { public static void main(String[] a) { System.out.println("javac"); } }\n',
    }
    with acquire_slot() as slot:
        for name, text in files.items():
            (slot.workdir / name).write_text(text)
        compile_limits = _limits(memory_mb=COMPILE_MEMORY_MB, minimal_dev=True, wall_seconds=60, cpu_seconds=60)
        assert run_in_sandbox(["g++", "-O2", "-o", "main", "main.cpp"], slot=slot, limits=compile_limits).ok
        assert run_in_sandbox(["javac", "-J-Xmx384m", "Main.java"], slot=slot, limits=compile_limits).ok
        assert run_in_sandbox(["./main"], slot=slot, limits=_limits()).stdout == "compiled\n"
        java = run_in_sandbox(
            ["java", "-Xmx128m", "-XX:+UseSerialGC", "Main"], slot=slot, limits=_limits(memory_mb=384)
        )
        assert java.stdout == "javac\n", java.stderr


# --- compiles -------------------------------------------------------------------------------
def test_compiles_cannot_read_device_files():
    attack = _stdio('#include "/dev/zero"\nint main() {}\n', language="cpp")
    assert attack.verdict == Verdict.COMPILE_ERROR
    assert "/dev/zero" in attack.compile_output and "No such file" in attack.compile_output
    for device in ("/dev/urandom", "/dev/stdin", "/dev/fd/0"):
        report = _stdio(f'#include "{device}"\nint main() {{}}\n', language="cpp")
        assert report.verdict == Verdict.COMPILE_ERROR and "No such file" in report.compile_output, device
    # Control: the compiler does include a device file that exists (/dev/null), and a run
    # (bwrap's standard /dev) has /dev/zero.
    assert _stdio('#include "/dev/null"\nint main() {}\n', language="cpp").verdict == Verdict.ACCEPTED
    run = _run(["sh", "-c", "ls /dev; head -c 4 /dev/zero | wc -c"])
    assert "zero" in run.stdout and run.stdout.split()[-1] == "4"


def test_a_compile_that_reads_dev_zero_anyway_is_killed_at_its_memory_cap():
    # The second line of defence: even with /dev/zero there (bwrap's standard /dev), the
    # compile's cgroup stops cc1plus instead of letting it grow past 1.5 GiB.
    source = {"zero.cpp": '#include "/dev/zero"\nint main() {}\n'}
    result = _run(["g++", "-c", "zero.cpp", "-o", "zero.o"], files=source, memory_mb=256)
    assert result.oom_killed and result.exit_code != 0
    assert result.memory_peak_kb <= 256 * 1024


TEMPLATE_BOMB = """
template<int N, int M, int K> struct A;
template<bool Z, int N, int M, int K> struct B { static constexpr long v = 1; };
template<int N, int M, int K> struct B<false, N, M, K> {
  static constexpr long v = (A<N - 1, M, K>::v + A<N, M - 1, K>::v + A<N, M, K - 1>::v) % 1000003;
};
template<int N, int M, int K> struct A : B<(N == 0 || M == 0 || K == 0), N, M, K> {};
int main() { return (int) A<SIZE, SIZE, SIZE>::v; }
"""


def test_a_template_bomb_compile_is_capped_and_is_a_compile_error():
    # SIZE^3 instantiations, ~7 KiB each (measured: SIZE 30 takes 200 MiB, SIZE 15 46 MiB).
    def compile_bomb(size):
        return _run(
            ["g++", "-std=c++17", f"-DSIZE={size}", "-c", "bomb.cpp", "-o", "bomb.o"],
            files={"bomb.cpp": TEMPLATE_BOMB},
            memory_mb=256,
            minimal_dev=True,
        )

    attack = compile_bomb(40)
    assert (attack.oom_killed or attack.timed_out) and not attack.ok
    assert attack.memory_peak_kb <= 256 * 1024
    control = compile_bomb(15)
    assert control.ok, control.stderr
    # Through the executor (768 MiB, 30 s): a compile error for the student, not a host problem.
    report = _stdio(TEMPLATE_BOMB.replace("SIZE", "100"), language="cpp")
    assert report.verdict == Verdict.COMPILE_ERROR
    assert "out of memory" in report.compile_output or "took too long" in report.compile_output


# --- seccomp --------------------------------------------------------------------------------
SYSCALL_PROBE = """
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
def call(*args):
    ret = libc.syscall(*[ctypes.c_long(a) for a in args])
    return 0 if ret >= 0 else ctypes.get_errno()
params = (ctypes.c_char * 120)()
results = {
    "unshare_user": call(272, 0x10000000),
    "unshare_net": call(272, 0x40000000),
    "io_uring_setup": call(425, 4, ctypes.addressof(params)),
    "keyctl": call(250, 0, -3, 0),          # KEYCTL_GET_KEYRING_ID of the session keyring
    "add_key": call(248, 0, 0, 0, 0, -3),
    "ptrace": call(101, 0, 0, 0, 0),       # PTRACE_TRACEME
    "mount": call(165, 0, 0, 0, 0, 0),
    "bpf": call(321, 0, 0, 0),
    "clone3": call(435, 0, 0),
    "perf_event_open": call(298, 0, 0, -1, -1, 0),
}
print(" ".join(f"{k}={v}" for k, v in sorted(results.items())))
"""


def _probe_results(stdout):
    return {k: int(v) for k, v in (item.split("=") for item in stdout.split())}


@pytest.mark.skipif(os.uname().machine != "x86_64", reason="syscall numbers of the probe are x86_64's")
def test_namespaces_io_uring_keyctl_ptrace_mount_bpf_are_refused():
    inside = _probe_results(_run(["python3", "-c", SYSCALL_PROBE]).stdout)
    assert inside == {
        "add_key": errno.EPERM,
        "bpf": errno.EPERM,
        "clone3": errno.ENOSYS,
        "io_uring_setup": errno.EPERM,
        "keyctl": errno.EPERM,
        "mount": errno.EPERM,
        "perf_event_open": errno.EPERM,
        "ptrace": errno.EPERM,
        "unshare_net": errno.EPERM,
        "unshare_user": errno.EPERM,
    }
    # Control: the same probe on the host (a throw-away child), where these calls work.
    outside = subprocess.run(
        [sys.executable, "-c", SYSCALL_PROBE], capture_output=True, text=True, check=True, timeout=20
    )
    host = _probe_results(outside.stdout)
    assert host["unshare_user"] == 0 and host["keyctl"] == 0 and host["ptrace"] == 0
    assert host["io_uring_setup"] == 0 or host["io_uring_setup"] not in (errno.ENOSYS, errno.EPERM)
    assert host["clone3"] != errno.ENOSYS  # EFAULT/EINVAL: the kernel has clone3; the filter hides it


@pytest.mark.skipif(os.uname().machine != "x86_64", reason="x32 is an x86_64 ABI")
def test_other_syscall_abis_kill_the_process():
    x32 = _py("import ctypes; ctypes.CDLL(None).syscall(0x40000000 | 39); print('survived')")
    assert x32.signal == signal.SIGSYS and "survived" not in x32.stdout
    control = _py("import ctypes; print(ctypes.CDLL(None).syscall(39) > 0)")
    assert control.ok and control.stdout.strip() == "True"


@pytest.mark.slow
def test_threads_and_child_processes_still_work_under_the_filter():
    # Runtimes create threads with clone (glibc falls back from clone3): only CLONE_NEW* is refused.
    python = _py(
        "import threading, subprocess\nt = threading.Thread(target=print, args=('thread',)); t.start(); "
        "t.join()\nprint(subprocess.run(['echo', 'child'], capture_output=True, text=True).stdout.strip())"
    )
    assert python.stdout.split() == ["thread", "child"], python.stderr
    node = _run(
        [
            "node",
            "-e",
            "const {Worker} = require('worker_threads');"
            "new Worker('require(\"worker_threads\").parentPort.postMessage(6*7)', {eval: true})"
            ".on('message', m => console.log('worker', m));",
        ],
        memory_mb=512,
    )
    assert node.stdout.strip() == "worker 42", node.stderr
    pch = cpp_precompiled_header("#include <bits/stdc++.h>\n")
    binds = [(str(pch), "/pch")] if pch else []
    with acquire_slot() as slot:
        (slot.workdir / "t.cpp").write_text(
            '#include <bits/stdc++.h>\nint main() { std::thread t([] { std::puts("cpp thread"); }); t.join(); }\n'
        )
        built = run_in_sandbox(
            ["g++", "-I/pch", "-O2", "-std=c++17", "-pthread", "-o", "t", "t.cpp"],
            slot=slot,
            limits=_limits(memory_mb=COMPILE_MEMORY_MB, minimal_dev=True),
            ro_binds=binds,
        )
        assert built.ok, built.stderr
        assert run_in_sandbox(["./t"], slot=slot, limits=_limits()).stdout == "cpp thread\n"


def test_the_filter_is_a_well_formed_bpf_program():
    program = seccomp_filter("x86_64")
    assert len(program) % 8 == 0 and 0 < len(program) // 8 < 4096
    assert seccomp_filter("aarch64") is not None and seccomp_filter("riscv64") is None


def test_no_cgroup_is_left_after_a_killed_run():
    result = _py("import time\ntime.sleep(30)", wall_seconds=1)
    assert result.timed_out and result.cgroup is not None
    # _run asserted the cgroup was removed; the fixture checks that no process survived.

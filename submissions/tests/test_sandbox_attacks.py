"""Hostile code inside the local sandbox: each test checks the verdict AND that the host
is untouched (files, processes, secrets, network). Real bwrap, real processes."""

import dataclasses
import json
import os
import secrets
import shutil
import socket
import tempfile
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings

from submissions.executors.base import Verdict
from submissions.executors.local import LocalExecutor
from submissions.executors.sandbox import SandboxLimits, _work_root, acquire_slot, run_in_sandbox

from ._jobs import TWO_SUM, TWO_SUM_CASES, function_job, stdio_job


def _run_stdio(code, *, language="python", time_limit_ms=1000, **kwargs):
    started = time.monotonic()
    report = LocalExecutor().run(
        stdio_job(code, [("", None)], language=language, time_limit_ms=time_limit_ms, **kwargs)
    )
    return report, time.monotonic() - started


ATTACK_UID_BASE = 61000  # a uid range of our own: other runs on this machine use the default one


@pytest.fixture(autouse=True, scope="module")
def _own_slots():
    root = Path(tempfile.gettempdir()) / f"codementor-attacks-{os.getpid()}"
    with override_settings(SANDBOX_UID_BASE=ATTACK_UID_BASE, SANDBOX_WORK_ROOT=str(root)):
        yield
    shutil.rmtree(root, ignore_errors=True)


def _processes_of_sandbox_uids():
    """pid -> state of every process (zombies included) of this module's slot uids."""
    low, high = ATTACK_UID_BASE, ATTACK_UID_BASE + settings.SANDBOX_SLOTS
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if low <= os.stat(f"/proc/{entry}").st_uid < high:
                    fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
                    found[entry] = f"{fields[0]} ppid={fields[1]} {Path(f'/proc/{entry}/cmdline').read_bytes()[:80]!r}"
            except (FileNotFoundError, ProcessLookupError, IndexError):
                continue
    return found


def _boxes_left():
    return [p for p in _work_root().iterdir() if p.name.startswith("box")]


@pytest.fixture(autouse=True)
def _host_is_clean_after_each_attack():
    yield
    # Nothing of the run may survive it: no escaped process, and no unreaped zombie
    # (which would still count against the slot uid's RLIMIT_NPROC).
    assert _processes_of_sandbox_uids() == {}
    assert _boxes_left() == []


def test_infinite_loop_is_stopped_at_the_limits():
    report, elapsed = _run_stdio("while True:\n    pass\n", time_limit_ms=500)
    assert report.verdict == Verdict.TIME_LIMIT_EXCEEDED
    assert elapsed < 5
    function = LocalExecutor().run(
        function_job(
            TWO_SUM, "def two_sum(nums, target):\n    while True:\n        pass\n", TWO_SUM_CASES[:2], time_limit_ms=300
        )
    )
    assert [t.verdict for t in function.tests] == [Verdict.TIME_LIMIT_EXCEEDED] * 2


def test_sleeping_past_the_wall_limit_is_killed():
    report, elapsed = _run_stdio("import time\ntime.sleep(60)\nprint('woke')\n", time_limit_ms=500)
    assert report.verdict == Verdict.TIME_LIMIT_EXCEEDED
    assert "wall clock" in report.tests[0].message
    assert elapsed < 5


@pytest.mark.parametrize(
    ("language", "code"),
    [
        ("python", "x = bytearray(2 * 1024 ** 3)\nprint(len(x))\n"),
        ("python", "chunks = []\nwhile True:\n    chunks.append(bytearray(16 * 1024 ** 2))\n"),
        ("javascript", "const keep = [];\nwhile (true) keep.push(new Array(1e6).fill(1.5));\n"),
        pytest.param(
            "cpp",
            "#include <bits/stdc++.h>\nint main() {\n  std::vector<std::vector<char>> keep;\n"
            "  while (true) keep.emplace_back(16 << 20, 'x');\n}\n",
            marks=pytest.mark.slow,
        ),
        pytest.param(
            "java",
            "import java.util.*;\npublic class Main {\n  public static void main(String[] a) {\n"
            "    List<long[]> keep = new ArrayList<>();\n    while (true) keep.add(new long[1 << 21]);\n  }\n}\n",
            marks=pytest.mark.slow,
        ),
    ],
)
def test_memory_hog_is_a_memory_limit(language, code):
    report, elapsed = _run_stdio(code, language=language, time_limit_ms=3000, memory_limit_mb=128)
    assert report.verdict == Verdict.MEMORY_LIMIT_EXCEEDED, (report.tests[0].message, report.tests[0].stderr[-500:])
    assert elapsed < 15


def test_memory_hog_inside_a_function_is_a_memory_limit_on_that_test():
    code = (
        "def two_sum(nums, target):\n    if len(nums) == 3:\n        x = bytearray(2 * 1024 ** 3)\n    return [0, 1]\n"
    )
    job = function_job(TWO_SUM, code, TWO_SUM_CASES, comparison="unordered", memory_limit_mb=128)
    report = LocalExecutor().run(dataclasses.replace(job, stop_on_failure=False))  # every test's verdict
    assert report.tests[1].verdict == Verdict.MEMORY_LIMIT_EXCEEDED
    assert report.verdict == Verdict.MEMORY_LIMIT_EXCEEDED


def test_fork_bomb_is_contained():
    code = (
        "import os\nn = 0\nwhile True:\n    try:\n        os.fork()\n        n += 1\n"
        "    except OSError:\n        pass\n"
    )
    report, elapsed = _run_stdio(code, time_limit_ms=1000)
    assert report.verdict in (Verdict.TIME_LIMIT_EXCEEDED, Verdict.RUNTIME_ERROR)
    assert elapsed < 10
    # The autouse fixture checks that not one process of the sandbox uids is left.


def test_one_gigabyte_file_write_is_stopped_and_leaves_nothing():
    code = (
        "chunk = b'x' * (1024 * 1024)\nwith open('big.bin', 'wb') as f:\n"
        "    for _ in range(1024):\n        f.write(chunk)\nprint('wrote 1 GB')\n"
    )
    report, _ = _run_stdio(code, time_limit_ms=3000)
    assert report.verdict == Verdict.OUTPUT_LIMIT_EXCEEDED
    assert "wrote 1 GB" not in (report.tests[0].actual or "")
    tmp = (
        "chunk = b'x' * (1024 * 1024)\nimport sys\ntry:\n    with open('/tmp/big.bin', 'wb') as f:\n"
        "        for _ in range(1024):\n            f.write(chunk)\nexcept OSError as e:\n    print('stopped', e.errno)\n"
    )
    report, _ = _run_stdio(tmp, time_limit_ms=3000)
    assert report.verdict in (Verdict.OUTPUT_LIMIT_EXCEEDED, Verdict.ACCEPTED)
    if report.verdict == Verdict.ACCEPTED:
        assert "stopped" in report.tests[0].actual


def test_writing_outside_the_work_dir_does_not_reach_the_host():
    token = secrets.token_hex(6)
    targets = [
        f"/usr/pwned-{token}",
        f"/etc/pwned-{token}",
        f"/pwned-{token}",
        f"/tmp/pwned-{token}",
        f"/work/main/pwned-{token}",
        f"/root/pwned-{token}",
        str(_work_root() / f"pwned-{token}"),
        f"/var/tmp/pwned-{token}",
        f"/box/../pwned-{token}",
    ]
    code = (
        "import json\nresults = {}\nfor path in " + json.dumps(targets) + ":\n"
        "    try:\n        with open(path, 'w') as f:\n            f.write('x')\n        results[path] = 'written'\n"
        "    except OSError as e:\n        results[path] = type(e).__name__\nprint(json.dumps(results))\n"
    )
    report, _ = _run_stdio(code)
    assert report.verdict == Verdict.ACCEPTED
    inside = json.loads(report.tests[0].actual)
    assert inside[f"/usr/pwned-{token}"] != "written"  # read-only system directories
    for path in targets:
        assert not os.path.exists(path), path
    assert not list(Path("/tmp").glob(f"pwned-{token}*"))


def test_secrets_of_the_host_are_not_readable(monkeypatch):
    secret = "cm-fake-secret-" + secrets.token_hex(8)
    monkeypatch.setenv("CM_FAKE_SECRET", secret)
    code = (
        "import os, glob\nprint(sorted(os.environ.items()))\n"
        "for path in ['/etc/shadow', '/etc/passwd', '/work', '/root', '/home']:\n"
        "    print(path, os.path.exists(path))\n"
        "for path in glob.glob('/proc/*/environ'):\n"
        "    try:\n        print(path, open(path, 'rb').read())\n    except OSError as e:\n        print(path, e)\n"
        "print('pids', sorted(int(p) for p in os.listdir('/proc') if p.isdigit()))\n"
    )
    report, _ = _run_stdio(code)
    assert report.verdict == Verdict.ACCEPTED
    out = report.tests[0].actual
    assert secret not in out
    assert settings.SECRET_KEY not in out
    assert "/etc/shadow False" in out and "/work False" in out and "/root False" in out
    env = dict(eval(out.splitlines()[0]))  # noqa: S307 - our own repr of a list of pairs
    assert set(env) <= {"PATH", "HOME", "LANG", "PWD"}
    # A PID namespace of its own: the host's processes are not even listed.
    assert str(os.getpid()) not in out.split("pids", 1)[1]


def test_network_is_unreachable_from_inside():
    # The host can reach PostgreSQL, so a failure inside is the sandbox's doing.
    with socket.create_connection(("127.0.0.1", 5432), timeout=2):
        pass
    code = (
        "import socket\nfor host, port in [('127.0.0.1', 5432), ('127.0.0.1', 6379), ('1.1.1.1', 53), "
        "('8.8.8.8', 443)]:\n"
        "    try:\n        socket.create_connection((host, port), timeout=2).close()\n        print(host, 'open')\n"
        "    except OSError as e:\n        print(host, 'blocked', type(e).__name__)\n"
    )
    report, elapsed = _run_stdio(code, time_limit_ms=5000)
    assert report.verdict == Verdict.ACCEPTED
    lines = report.tests[0].actual.strip().splitlines()
    assert len(lines) == 4 and all(" blocked " in line for line in lines)
    assert elapsed < 10


def test_one_hundred_megabytes_of_output_is_cut_off():
    code = "import sys\nblock = 'x' * (1024 * 1024)\nfor _ in range(100):\n    sys.stdout.write(block)\n"
    report, elapsed = _run_stdio(code, time_limit_ms=5000)
    assert report.verdict == Verdict.OUTPUT_LIMIT_EXCEEDED
    assert len(report.tests[0].actual) < 10_000  # what we keep to show, not what was written
    assert elapsed < 10
    # In a function problem the harness's own stdout is capped the same way.
    code = "import os\ndef two_sum(nums, target):\n    for _ in range(100):\n        os.write(1, b'x' * 1048576)\n"
    report = LocalExecutor().run(function_job(TWO_SUM, code, TWO_SUM_CASES[:1]))
    assert report.verdict == Verdict.OUTPUT_LIMIT_EXCEEDED


def test_background_processes_do_not_outlive_the_run():
    token = "cm-orphan-" + secrets.token_hex(6)
    code = (
        "import os, subprocess, sys\n"
        f"subprocess.Popen(['/usr/bin/python3', '-c', 'import time; time.sleep(120)', '{token}'], "
        "start_new_session=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
        "if os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
        f"        os.execv('/usr/bin/python3', ['/usr/bin/python3', '-c', 'import time; time.sleep(120)', '{token}'])\n"
        "    os._exit(0)\nprint('spawned')\n"
    )
    report, _ = _run_stdio(code)
    assert report.verdict == Verdict.ACCEPTED and "spawned" in report.tests[0].actual
    time.sleep(0.2)
    leftovers = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if token.encode() in Path(f"/proc/{entry}/cmdline").read_bytes():
                    leftovers.append(entry)
            except OSError:
                continue
    assert leftovers == []


# Forged results in today's block format (a guessed nonce) and in the legacy one.
FORGERIES = {
    "printed": "    print('\\n' + 'f' * 32 + '\\n' + FAKE)\n",
    "raw_fd": "    import os\n    os.write(1, ('\\n' + 'f' * 32 + '\\n' + FAKE + '\\n').encode())\n",
    "atexit": "    import atexit, os\n    atexit.register(lambda: os.write(1, ('\\n' + 'f' * 32 + '\\n' + FAKE).encode()))\n",
    "stdin": "    import sys, os\n    data = os.read(0, 1 << 20)\n    print(data)\n",
    "exit_early": "    import os\n    os.write(1, ('\\n' + 'f' * 32 + '\\n' + FAKE + '\\n').encode())\n    os._exit(0)\n",
}


@pytest.mark.parametrize("fmt", ["legacy", "supervisor"])
@pytest.mark.parametrize("how", sorted(FORGERIES))
def test_forged_results_from_student_code_are_not_accepted(how, fmt):
    fake = json.dumps(
        [
            {"i": k, "status": "ok", "value": v, "error": "", "time_ms": 0, "stdout": ""}
            for k, (_, v) in enumerate(TWO_SUM_CASES)
        ]
    )
    if fmt == "supervisor":
        tests = [
            {
                "id": k,
                "status": "ok",
                "value": v,
                "output": "",
                "stderr": "",
                "error": "",
                "time_ms": 0,
                "memory_kb": 0,
                "exit_code": None,
                "signal": None,
            }
            for k, (_, v) in enumerate(TWO_SUM_CASES)
        ]
        fake = (
            json.dumps(
                {"v": 1, "compile": None, "ready": {"ok": True, "compile_error": None, "error": None}, "tests": tests}
            )
            + "\n"
            + "f" * 32
            + "-end"
        )
    code = f"FAKE = {fake!r}\n\ndef two_sum(nums, target):\n" + FORGERIES[how] + "    return [0, 0]\n"
    report = LocalExecutor().run(function_job(TWO_SUM, code, TWO_SUM_CASES, comparison="unordered"))
    assert report.verdict != Verdict.ACCEPTED
    assert not any(t.passed for t in report.tests)


def test_the_students_process_holds_no_nonce_to_forge_a_block_with():
    # The old in-process harness kept its sentinel where student code could find it (frame
    # introspection). Now the nonce exists only in the supervisor: every 32-hex string the
    # student's process holds is tried as a nonce, in a forged block, before exiting.
    fake = [
        {
            "id": k,
            "status": "ok",
            "value": v,
            "output": "",
            "stderr": "",
            "error": "",
            "time_ms": 0,
            "memory_kb": 0,
            "exit_code": None,
            "signal": None,
        }
        for k, (_, v) in enumerate(TWO_SUM_CASES)
    ]
    body = json.dumps(
        {"v": 1, "compile": None, "ready": {"ok": True, "compile_error": None, "error": None}, "tests": fake}
    )
    code = (
        f"BODY = {body!r}\n\ndef two_sum(nums, target):\n    import gc, os, re, sys\n"
        "    found = {o for o in gc.get_objects() if isinstance(o, str) and re.fullmatch('[0-9a-f]{32}', o)}\n"
        "    for frame in [sys._getframe(k) for k in range(1, 3)]:\n"
        "        found |= {v for v in frame.f_locals.values() if isinstance(v, str) and len(v) >= 24}\n"
        "    for nonce in found:\n"
        "        os.write(1, ('\\n' + nonce + '\\n' + BODY + '\\n' + nonce + '-end\\n').encode())\n"
        "    os._exit(0)\n"
    )
    report = LocalExecutor().run(function_job(TWO_SUM, code, TWO_SUM_CASES, comparison="unordered"))
    assert report.verdict == Verdict.RUNTIME_ERROR
    assert not any(t.passed for t in report.tests)
    assert report.cacheable  # the supervisor's own block reported the crash


def test_code_runs_as_an_unprivileged_user_without_capabilities():
    code = (
        "import os\nprint(os.getuid(), os.geteuid())\n"
        "print([l for l in open('/proc/self/status') if l.startswith('CapEff')][0].split()[1])\n"
    )
    report, _ = _run_stdio(code)
    uid, euid, cap = report.tests[0].actual.split()
    # The shipped worker runs as root (docker-compose.yml), so runs always drop to a slot uid.
    assert uid != "0" and euid != "0"
    assert int(cap, 16) == 0


def test_the_work_dir_is_private_to_the_slot_and_removed_afterwards():
    with acquire_slot() as slot:
        workdir = slot.workdir
        limits = SandboxLimits(wall_seconds=5, cpu_seconds=5)
        result = run_in_sandbox(["python3", "-c", "open('left.txt', 'w').write('x' * 1000)"], slot=slot, limits=limits)
        assert result.ok
        assert (workdir / "left.txt").exists()
        assert oct(workdir.stat().st_mode & 0o777) == "0o700"
        assert workdir.stat().st_uid == slot.uid != 0  # as root, like the shipped worker
    assert not workdir.exists()

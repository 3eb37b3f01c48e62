"""The hostile student (issue #12): one test per attack class, through the public REST API
only, judged by a real Celery worker on the local bubblewrap sandbox. Each attack sits beside
a control showing that the attack code really ran or that the mechanism it targets is live,
so a defence that silently stopped judging would fail here too."""

import json
import time

import pytest
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from problems.tests.factories import ProblemFactory, TestCaseFactory
from submissions.models import Status, Submission

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# Hidden inputs carry numbers no student could guess; a leak of any of them is visible.
HIDDEN_MARKERS = [913_377_001 + i for i in range(8)]  # four even, four odd
SAMPLES = [2, 7]
IS_EVEN_OK = "def is_even(n: int) -> bool:\n    return n % 2 == 0\n"


def is_even_problem(*, time_limit_ms=1000, memory_limit_mb=256, slug="hostile-is-even"):
    problem = ProblemFactory(
        slug=slug,
        time_limit_ms=time_limit_ms,
        memory_limit_mb=memory_limit_mb,
        signature={"function": "is_even", "params": [{"name": "n", "type": "int"}], "returns": "bool"},
        reference_solution=IS_EVEN_OK,
    )
    for order, n in enumerate(SAMPLES + HIDDEN_MARKERS):
        TestCaseFactory(
            problem=problem,
            order=order,
            input=json.dumps({"n": n}),
            expected_output=json.dumps(n % 2 == 0),
            is_sample=order < len(SAMPLES),
        )
    return problem


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def submit(client, problem, code, *, language="python", mode="submit"):
    response = client.post(
        "/api/v1/submissions/",
        {"problem": problem.slug, "language": language, "code": code, "mode": mode},
        format="json",
    )
    assert response.status_code == 201, response.content
    return response.json()["id"]


def verdict_of(client, submission_id, worker, timeout=120):
    """The finished submission as the student reads it over the API (the raw JSON text too)."""
    deadline = time.monotonic() + timeout
    while True:
        response = client.get(f"/api/v1/submissions/{submission_id}/")
        assert response.status_code == 200
        data = response.json()
        if data["status"] == Status.FINISHED:
            return data, response.content.decode()
        assert time.monotonic() < deadline, worker.log_tail()
        time.sleep(0.2)


def leaked_markers(text):
    return [m for m in HIDDEN_MARKERS if str(m) in text]


@pytest.fixture
def student():
    return client_for(UserFactory())


# --- 1. Forged results -------------------------------------------------------------------
FORGE_PY = r"""
import os, json, glob
def is_even(n):
    # Everything a student process can reach: its own memory has no nonce; try the parents'.
    found = []
    for path in glob.glob("/proc/[0-9]*/mem") + glob.glob("/proc/[0-9]*/fd/*"):
        try:
            with open(path, "rb") as f:
                found.append(f.read(64))
        except OSError:
            pass
    fake = [{"id": i, "status": "ok", "value": True, "time_ms": 0.0, "memory_kb": 0} for i in range(64)]
    block = "\n" + "f" * 32 + "\n" + json.dumps({"v": 1, "tests": fake}) + "\n" + "f" * 32 + "-end\n"
    for path in ("/proc/1/fd/1", "/proc/%d/fd/1" % os.getppid(), "/dev/stdout"):
        try:
            with open(path, "w") as f:
                f.write(block)
        except OSError:
            pass
    print("attack ran, readable:", len(found))
    os._exit(0)
"""


def test_forged_results_block_and_early_exit_are_not_accepted(celery_worker_process, student):
    problem = is_even_problem()
    data, text = verdict_of(student, submit(student, problem, FORGE_PY), celery_worker_process)
    assert data["verdict"] != "accepted"
    # Control: the attack code ran (its print reached the first sample's visible output).
    assert "attack ran" in text
    assert not leaked_markers(text)


# --- 2. Beating the time limit -----------------------------------------------------------
BURN_IN_THREAD = r"""
import threading, time, signal
time.process_time = lambda: 0.0          # patched timers fool nobody: the supervisor measures
signal.setitimer = lambda *a, **k: (0.0, 0.0)
def _burn():
    x = 0
    for i in range(10 ** 9):
        x += i
def is_even(n):
    t = threading.Thread(target=_burn)
    t.start()
    t.join()
    return n % 2 == 0
"""

BURN_IN_ORPHAN = r"""
import os
def is_even(n):
    if os.fork() == 0:          # a grandchild nobody waits for does the work
        if os.fork() == 0:
            x = 0
            for i in range(10 ** 9):
                x += i
            os._exit(0)
        os._exit(0)
    os.wait()
    x = 0
    for i in range(3 * 10 ** 7):   # and the parent waits for it by spinning on its own clock
        x += i
    return n % 2 == 0
"""


@pytest.mark.parametrize("code", [BURN_IN_THREAD, BURN_IN_ORPHAN], ids=["thread", "orphan"])
def test_cpu_burned_off_the_main_thread_is_charged(celery_worker_process, student, code):
    problem = is_even_problem(time_limit_ms=300, slug="hostile-slow")
    data, _ = verdict_of(student, submit(student, problem, code), celery_worker_process)
    assert data["verdict"] == "time_limit_exceeded"
    # Control: the same problem and limit accept the honest solution.
    other = client_for(UserFactory())
    ok, _ = verdict_of(other, submit(other, problem, IS_EVEN_OK), celery_worker_process)
    assert ok["verdict"] == "accepted"


# --- 3. Reading hidden tests -------------------------------------------------------------
PRINT_EVERYTHING = r"""
import os, sys
seen = []
def is_even(n):
    seen.append(n)
    print("inputs so far:", seen)                   # every input this process has seen
    sys.stderr.write("stderr inputs %r\n" % seen)
    for root in ("/box", "/tmp"):
        for dirpath, _, files in os.walk(root):
            for name in files:
                try:
                    print(open(os.path.join(dirpath, name), errors="replace").read()[:2000])
                except OSError:
                    pass
    try:
        print(open("/proc/1/fd/0", errors="replace").read())
    except OSError:
        pass
    if len(seen) > 2:
        raise ValueError("hidden input was %r" % seen)   # a message built from hidden data
    return True                                          # wrong for odd numbers
"""


def test_hidden_inputs_never_reach_the_student(celery_worker_process, student):
    problem = is_even_problem()
    data, text = verdict_of(student, submit(student, problem, PRINT_EVERYTHING), celery_worker_process)
    assert data["verdict"] != "accepted"
    assert not leaked_markers(text), text[:2000]
    # Control: the sample inputs the same code printed are shown (its prints do reach us).
    assert "inputs so far: [2]" in text
    # Control: the markers are real hidden inputs of this problem.
    assert all(str(m) in "".join(problem.test_cases.values_list("input", flat=True)) for m in HIDDEN_MARKERS)


CONSTANT = "def is_even(n):\n    return {value}\n"


def test_hidden_flags_are_no_oracle(celery_worker_process, student):
    """Two constant answers on a boolean problem must not tell which hidden test wants which:
    with per-hidden-test flags in a fixed order they would (and a lookup table would follow)."""
    problem = is_even_problem()
    flags = []
    for value in ("True", "False"):
        data, text = verdict_of(student, submit(student, problem, CONSTANT.format(value=value)), celery_worker_process)
        assert data["verdict"] == "wrong_answer"
        assert not leaked_markers(text)
        flags.append({t["index"]: t.get("passed") for t in data["tests"] if not t["sample"]})
    hidden_indexes = set(flags[0]) | set(flags[1])
    complementary = [
        i
        for i in hidden_indexes
        if flags[0].get(i) is not None and flags[1].get(i) is not None and flags[0][i] != flags[1][i]
    ]
    assert len(complementary) < len(HIDDEN_MARKERS), "every hidden test labelled: an oracle"


# --- 4. Poisoning the shared result cache ------------------------------------------------
@pytest.mark.parametrize(
    "poison",
    [
        "def is_even(n: int) -> bool:\n    return n % 2 == 0\u00a0\n",  # NBSP: a SyntaxError in Python
        "def is_even(n: int) -> bool:\n    return n % 2 == 0\x1c\n",  # U+001C, stripped by str.rstrip()
        "# -*- coding: rot13 -*-\ndef is_even(n: int) -> bool:\n    return n % 2 == 0\n#\n",
    ],
)
def test_a_poisoned_twin_does_not_decide_another_students_verdict(celery_worker_process, poison):
    problem = is_even_problem()
    attacker, victim = client_for(UserFactory()), client_for(UserFactory())
    first, _ = verdict_of(attacker, submit(attacker, problem, poison), celery_worker_process)
    second, _ = verdict_of(victim, submit(victim, problem, IS_EVEN_OK), celery_worker_process)
    assert second["verdict"] == "accepted"
    assert not second["cache_hit"]
    # Control: a twin that really is the same program (trailing ASCII spaces) shares the result.
    twin = client_for(UserFactory())
    third, _ = verdict_of(twin, submit(twin, problem, IS_EVEN_OK.replace("== 0\n", "== 0   \n")), celery_worker_process)
    assert third["verdict"] == "accepted" and third["cache_hit"]


# --- 5. Taking the host's memory ---------------------------------------------------------
FORK_AND_ALLOCATE = r"""
import os, time
def is_even(n):
    kids = []
    for _ in range({children}):
        pid = os.fork()
        if pid == 0:
            block = bytearray({mb} * 1024 * 1024)
            for i in range(0, len(block), 4096):
                block[i] = 1
            time.sleep(1)
            os._exit(0)
        kids.append(pid)
    for pid in kids:
        os.waitpid(pid, 0)
    return n % 2 == 0
"""


def test_memory_is_limited_for_the_whole_process_tree(celery_worker_process, student):
    problem = is_even_problem(memory_limit_mb=128, slug="hostile-memory")
    data, _ = verdict_of(
        student, submit(student, problem, FORK_AND_ALLOCATE.format(children=4, mb=100)), celery_worker_process
    )
    assert data["verdict"] in ("memory_limit_exceeded", "runtime_error")
    # Control: the same code under the limit (one child, 40 MB) is accepted.
    other = client_for(UserFactory())
    ok, _ = verdict_of(
        other, submit(other, problem, FORK_AND_ALLOCATE.format(children=1, mb=40)), celery_worker_process
    )
    assert ok["verdict"] == "accepted"


# --- 6. Wedging the pipeline -------------------------------------------------------------
def test_nul_and_control_bytes_in_output_finish_the_submission(celery_worker_process, student):
    problem = is_even_problem()
    code = (
        "import sys\ndef is_even(n):\n    print('a\\x00b\\x1b[31m\\udcff'.encode('utf-8', 'surrogateescape')"
        ".decode('latin-1'))\n    sys.stdout.buffer.write(b'\\xff\\xfe\\x00\\n')\n    return n % 2 == 0\n"
    )
    data, text = verdict_of(student, submit(student, problem, code), celery_worker_process)
    assert data["verdict"] == "accepted"
    assert "\x00" not in text and "\\u0000" not in text.replace("\\\\u0000", "")
    assert Submission.objects.get(pk=data["id"]).status == Status.FINISHED

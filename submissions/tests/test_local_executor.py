"""LocalExecutor with Python in the real bubblewrap sandbox: every pack problem's
reference solution, the verdicts of broken solutions, stdio problems and custom runs."""

import dataclasses
import os
import threading

import pytest
from django.test import override_settings

from problems.packfile import read_pack_dir
from submissions.executors import get_executor
from submissions.executors.base import ExecutorError, Verdict
from submissions.executors.local import LocalExecutor
from submissions.executors.sandbox import MISSING_BWRAP
from submissions.harness import NOT_RUN

from ._jobs import TWO_SUM, TWO_SUM_CASES, function_job, pack_job, stdio_job

PACK = {p.slug: p for p in read_pack_dir()}


@pytest.mark.parametrize("slug", sorted(PACK))
def test_python_reference_solution_of_every_pack_problem_is_accepted(slug):
    problem = PACK[slug]
    job = pack_job(slug, "python", problem.reference_solution)
    report = LocalExecutor().run(job)
    failing = [(t.index, t.verdict, t.actual, t.message) for t in report.tests if not t.passed]
    assert report.verdict == Verdict.ACCEPTED, failing
    # The whole point of the supervised harness: one execution per submission, whatever N
    # (stdio problems too: each test gets its own process inside that one execution).
    assert report.executions == 1
    assert report.backend == "local" and report.http_requests == 0 and report.latency_ms > 0


def _every_test(job):
    """The job run in full (as a Run is): no stop at the first failing test."""
    return dataclasses.replace(job, stop_on_failure=False)


def _two_sum(code, *, stop_on_failure=False, **kwargs):
    kwargs.setdefault("comparison", "unordered")
    job = dataclasses.replace(function_job(TWO_SUM, code, TWO_SUM_CASES, **kwargs), stop_on_failure=stop_on_failure)
    return LocalExecutor().run(job)


CORRECT = (
    "def two_sum(nums, target):\n"
    "    seen = {}\n"
    "    for i, v in enumerate(nums):\n"
    "        if target - v in seen:\n"
    "            return [seen[target - v], i]\n"
    "        seen[v] = i\n"
)


def test_wrong_answer_names_the_failing_test():
    code = "def two_sum(nums, target):\n    return [0, 1] if nums[0] != 3 or nums[1] != 2 else [0, 2]\n"
    report = _two_sum(code)
    assert report.verdict == Verdict.WRONG_ANSWER
    assert [(t.index, t.verdict) for t in report.tests if not t.passed] == [
        (1, Verdict.WRONG_ANSWER),
        (3, Verdict.WRONG_ANSWER),
    ]
    assert report.tests[1].actual == "[0, 2]"


def test_a_slow_test_is_a_time_limit_on_that_test_and_the_others_still_run():
    code = (
        "def two_sum(nums, target):\n    while nums[0] == 3 and nums[1] == 2:\n        pass\n"
        + CORRECT.split("\n", 1)[1]
    )
    report = _two_sum(code, time_limit_ms=300)
    assert [t.verdict for t in report.tests] == [
        Verdict.ACCEPTED,
        Verdict.TIME_LIMIT_EXCEEDED,
        Verdict.ACCEPTED,
        Verdict.ACCEPTED,
    ]
    assert report.verdict == Verdict.TIME_LIMIT_EXCEEDED
    assert report.tests[1].time_ms < 1000  # CPU time, stopped at the limit (or the wall guard)
    assert report.executions == 1


def test_an_exception_is_a_runtime_error_with_its_type_message_and_line():
    code = "def two_sum(nums, target):\n    if len(nums) == 2:\n        return nums[5]\n    return [0, 1]\n"
    report = _two_sum(code)
    crashed = report.tests[2]
    assert crashed.verdict == Verdict.RUNTIME_ERROR
    assert crashed.message == "IndexError: list index out of range (line 3)"
    assert report.tests[0].verdict == Verdict.ACCEPTED  # caught per test


def test_a_syntax_error_is_a_compile_error_with_the_students_line():
    report = _two_sum("def two_sum(nums, target):\n    return [0, 1\n\nx = 1\n")
    assert report.verdict == Verdict.COMPILE_ERROR
    assert "solution.py" in report.compile_output and "line 2" in report.compile_output
    assert all(t.verdict == Verdict.COMPILE_ERROR for t in report.tests)


def test_a_missing_function_or_a_crashing_module_is_a_runtime_error_on_every_test():
    report = _two_sum("def twoSum(nums, target):\n    return [0, 1]\n")
    assert report.verdict == Verdict.RUNTIME_ERROR
    assert all("two_sum is not defined" in t.message for t in report.tests)
    report = _two_sum("import numpy_that_is_not_there\n" + CORRECT)
    assert report.verdict == Verdict.RUNTIME_ERROR
    assert "ModuleNotFoundError" in report.tests[0].message


def test_a_process_that_dies_midway_keeps_the_finished_tests():
    code = CORRECT.replace(
        "    seen = {}\n", "    import os\n    if len(nums) == 2:\n        os._exit(3)\n    seen = {}\n"
    )
    # A run: the crashed runner is restarted for the next test.
    report = _two_sum(code)
    assert [t.verdict for t in report.tests] == [
        Verdict.ACCEPTED,
        Verdict.ACCEPTED,
        Verdict.RUNTIME_ERROR,
        Verdict.ACCEPTED,
    ]
    assert report.tests[2].message == "exit code 3"
    assert report.verdict == Verdict.RUNTIME_ERROR and report.executions == 1
    # A submit stops there: the tests after it (in the shuffled order) are not run.
    report = _two_sum(code, stop_on_failure=True)
    assert report.tests[2].verdict == Verdict.RUNTIME_ERROR and report.tests[2].message == "exit code 3"
    for test in report.tests:
        if test.index != 2:
            assert test.verdict == Verdict.ACCEPTED or (
                test.verdict == Verdict.RUNTIME_ERROR and test.message == NOT_RUN
            ), test
    assert report.verdict == Verdict.RUNTIME_ERROR


def test_a_submit_stops_at_the_first_failing_hidden_test_in_an_unpredictable_order():
    samples = [dataclasses.replace(t, is_sample=True) for t in function_job(TWO_SUM, "", TWO_SUM_CASES[:2]).tests]
    cases = [({"nums": [i, 100 - i], "target": 100}, [0, 1]) for i in range(8)]
    wrong = "def two_sum(nums, target):\n    return [1, 0] if nums[0] >= 0 else [0, 1]\n"  # wrong everywhere
    base = function_job(TWO_SUM, wrong, TWO_SUM_CASES[:2] + cases)
    job = dataclasses.replace(base, tests=tuple(samples) + base.tests[2:])
    firsts = set()
    for _ in range(4):
        report = LocalExecutor().run(dataclasses.replace(job, stop_on_failure=True))
        assert report.verdict == Verdict.WRONG_ANSWER and report.executions == 1
        ran = [t for t in report.tests if t.message != NOT_RUN]
        # Samples run first: the first sample fails and nothing else runs.
        assert [t.index for t in ran] == [0] and not ran[0].hidden
        assert all(t.hidden for t in report.tests[2:])
    # Hidden tests: the right answer for the samples, wrong for every hidden one.
    sneaky = CORRECT.replace("    seen = {}\n", "    if target == 100:\n        return [1, 0]\n    seen = {}\n")
    for _ in range(6):
        report = LocalExecutor().run(dataclasses.replace(job, code=sneaky, stop_on_failure=True))
        ran = [t for t in report.tests if t.message != NOT_RUN]
        assert [t.passed for t in ran[:2]] == [True, True] and len(ran) == 3
        firsts.add(ran[2].index)
    assert len(firsts) > 1  # the first hidden test differs from one execution to the next


def test_student_prints_are_captured_per_test_and_truncated():
    code = CORRECT.replace(
        "    seen = {}\n",
        "    print('n =', len(nums))\n    print('x' * 10000 if len(nums) == 2 else '')\n    seen = {}\n",
    )
    report = _two_sum(code)
    assert report.verdict == Verdict.ACCEPTED
    assert report.tests[0].stdout == "n = 4\n\n"
    assert all(1000 < t.memory_kb < 256 * 1024 for t in report.tests)
    assert report.tests[2].stdout.startswith("n = 2\nxxxx") and "[truncated]" in report.tests[2].stdout
    assert len(report.tests[2].stdout) < 4200


def test_custom_run_reports_values_without_judging():
    job = function_job(
        TWO_SUM,
        "def two_sum(nums, target):\n    print('hi')\n    return [target, len(nums)]\n",
        [({"nums": [1, 2, 3], "target": 7}, None)],
    )
    report = LocalExecutor().run(job)
    assert report.verdict == Verdict.ACCEPTED
    assert report.tests[0].actual == "[7, 3]" and report.tests[0].stdout == "hi\n"


def test_function_tests_are_reported_live_while_the_one_execution_runs():
    seen = []
    job = _every_test(function_job(TWO_SUM, CORRECT, TWO_SUM_CASES, comparison="unordered"))
    report = LocalExecutor().run(job, on_test=lambda outcome: seen.append((outcome.index, outcome.verdict)))
    assert sorted(seen) == [(t.index, t.verdict) for t in report.tests] == [(k, Verdict.ACCEPTED) for k in range(4)]
    assert report.executions == 1


def test_one_hundred_tests_cost_one_execution():
    cases = [({"nums": [i, 1000 - i], "target": 1000}, [0, 1]) for i in range(100)]
    report = LocalExecutor().run(function_job(TWO_SUM, CORRECT, cases))
    assert report.verdict == Verdict.ACCEPTED
    assert report.executions == 1 and len(report.tests) == 100


def test_float_comparison_and_non_json_return_values():
    sig = {"function": "mean", "params": [{"name": "xs", "type": "list[float]"}], "returns": "float"}
    job = function_job(
        sig,
        "def mean(xs):\n    return sum(xs) / len(xs) if xs else {1}\n",
        [({"xs": [0.1, 0.2]}, 0.15), ({"xs": []}, 0.0)],
        comparison="float",
    )
    report = LocalExecutor().run(_every_test(job))
    assert report.tests[0].verdict == Verdict.ACCEPTED
    assert report.tests[1].verdict == Verdict.RUNTIME_ERROR and "JSON serializable" in report.tests[1].message


# --- stdio problems: one process per test -------------------------------------------
ADD = "a, b = map(int, input().split())\nprint(a + b)\n"


def test_stdio_runs_one_process_per_test_and_compares_text():
    job = stdio_job(ADD, [("1 2\n", "3\n"), ("5 5\n", "10"), ("2 2\n", "5\n")])
    report = LocalExecutor().run(_every_test(job))
    assert report.executions == 1  # one sandbox execution; each test's own process inside it
    assert [t.verdict for t in report.tests] == [Verdict.ACCEPTED, Verdict.ACCEPTED, Verdict.WRONG_ANSWER]
    assert report.tests[2].actual == "4\n"


def test_stdio_time_limit_runtime_error_and_syntax_error():
    slow = stdio_job(
        "import sys\nif sys.stdin.read().strip() == 'spin':\n    while True: pass\nprint('ok')\n",
        [("spin", "ok"), ("x", "ok")],
        time_limit_ms=300,
    )
    report = LocalExecutor().run(_every_test(slow))
    assert [t.verdict for t in report.tests] == [Verdict.TIME_LIMIT_EXCEEDED, Verdict.ACCEPTED]
    crash = LocalExecutor().run(stdio_job("raise ValueError('bad input')\n", [("1", "1")]))
    assert crash.verdict == Verdict.RUNTIME_ERROR and "ValueError: bad input" in crash.tests[0].message
    broken = LocalExecutor().run(stdio_job("print(\n", [("1", "1"), ("2", "2")]))
    assert broken.verdict == Verdict.COMPILE_ERROR and "SyntaxError" in broken.compile_output


def test_stdio_custom_run_shows_output():
    report = LocalExecutor().run(stdio_job(ADD, [("20 22", None)]))
    assert report.verdict == Verdict.ACCEPTED and report.tests[0].actual.strip() == "42"


# --- backend choice and refusal ------------------------------------------------------
def test_get_executor_by_setting_and_by_name():
    with override_settings(EXECUTOR_BACKEND="local"):
        assert isinstance(get_executor(), LocalExecutor)
    assert get_executor("local").name == "local"
    with pytest.raises(ExecutorError, match="unknown EXECUTOR_BACKEND"):
        get_executor("docker")


@override_settings(SANDBOX_BWRAP="/nonexistent/bwrap")
def test_without_bubblewrap_the_backend_refuses_instead_of_running_unsandboxed(tmp_path):
    marker = tmp_path / "ran"
    code = f"open({str(marker)!r}, 'w').write('x')\n" + CORRECT
    with pytest.raises(ExecutorError) as excinfo:
        _two_sum(code)
    assert str(excinfo.value) == MISSING_BWRAP
    assert "apt-get install bubblewrap" in str(excinfo.value)
    assert not marker.exists()


def test_concurrent_jobs_use_separate_slots():
    reports = []

    def run():
        reports.append(
            _two_sum(
                CORRECT.replace(
                    "    seen = {}\n",
                    "    import os, time\n    print(os.getuid())\n    time.sleep(0.2)\n    seen = {}\n",
                )
            )
        )

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.verdict for r in reports] == [Verdict.ACCEPTED] * 3
    uids = {r.tests[0].stdout.strip() for r in reports}
    if os.geteuid() == 0:
        assert len(uids) == 3  # one uid per concurrent slot: RLIMIT_NPROC is per uid
        assert "0" not in uids


def test_all_slots_busy_is_retryable(settings, tmp_path):
    from submissions.executors.base import RetryableExecutorError
    from submissions.executors.sandbox import acquire_slot

    # Lock files and uids of our own: a slot's uid belongs to one work root's lock file.
    settings.SANDBOX_WORK_ROOT = str(tmp_path)
    settings.SANDBOX_UID_BASE = 62000
    settings.SANDBOX_SLOTS = 1
    settings.SANDBOX_SLOT_WAIT_SECONDS = 0.2
    with acquire_slot(), pytest.raises(RetryableExecutorError, match="slots stayed busy"):
        _two_sum(CORRECT)


def test_a_leetcode_style_solution_class_is_accepted_too():
    code = (
        "class Solution:\n    def twoSum(self, nums, target):\n        seen = {}\n"
        "        for i, v in enumerate(nums):\n            if target - v in seen:\n"
        "                return [seen[target - v], i]\n            seen[v] = i\n"
    )
    report = _two_sum(code)
    assert report.verdict == Verdict.ACCEPTED, [t.message for t in report.tests]

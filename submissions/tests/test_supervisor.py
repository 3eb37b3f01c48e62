"""The supervisor itself, started directly (no sandbox) on Python 3.8 (Judge0 CE 1.13.1's
python) and on this machine's Python 3.11, with the real Python and JavaScript runners:
the protocol end to end, its limits, and that its block parses strictly."""

import dataclasses
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from submissions.executors.base import Verdict
from submissions.harness import HostFacts, build_program, build_report, parse_supervisor_output, progress_line

from ._jobs import TWO_SUM, TWO_SUM_CASES, function_job, stdio_job

NONCE = "0123456789abcdef" * 2
PY38 = Path("/root/.pyenv/versions/3.8.18/bin/python3.8")
PYTHONS = [
    "/usr/bin/python3",
    pytest.param(str(PY38), marks=pytest.mark.skipif(not PY38.exists(), reason="no Python 3.8 here")),
]
CORRECT = (
    "def two_sum(nums: list[int], target: int) -> list[int]:\n    seen = {}\n"
    "    for i, v in enumerate(nums):\n        if target - v in seen:\n"
    "            return [seen[target - v], i]\n        seen[v] = i\n"
)


def _supervise(tmp_path, job, *, python="/usr/bin/python3", stop_on_failure=True, config_changes=None):
    program = build_program(job, nonce=NONCE, stop_on_failure=stop_on_failure)
    for name, text in program.files.items():
        (tmp_path / name).write_text(text)
    config = json.loads(program.stdin)
    if config["run"]["argv"][0] == "/usr/bin/python3":
        config["run"]["argv"][0] = python  # the student's Python too
    config.update(config_changes or {})
    done = subprocess.run(
        [python, "-I", "-S", "supervisor.py"],
        input=json.dumps(config),
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    parsed = parse_supervisor_output(program, done.stdout)
    assert parsed is not None, (done.returncode, done.stdout[-2000:], done.stderr[-2000:])
    return program, parsed, build_report(job, program, parsed, host=HostFacts(exit_code=done.returncode)), done


def _two_sum(code, **kwargs):
    kwargs.setdefault("comparison", "unordered")
    return function_job(TWO_SUM, code, TWO_SUM_CASES, **kwargs)


@pytest.mark.parametrize("python", PYTHONS)
def test_a_correct_python_solution_is_accepted_and_annotations_work_on_every_python(tmp_path, python):
    _, parsed, report, done = _supervise(tmp_path, _two_sum(CORRECT), python=python)
    assert report.verdict == Verdict.ACCEPTED, [t.message for t in report.tests]
    assert parsed.ready.ok and all(t.status == "ok" for t in parsed.tests.values())
    progress = [progress_line(line) for line in done.stderr.splitlines()]
    assert sorted(p["id"] for p in progress if p) == [0, 1, 2, 3]
    assert all(p["match"] is True for p in progress if p)


@pytest.mark.parametrize("python", PYTHONS)
def test_prints_errors_and_line_numbers_come_back_per_test(tmp_path, python):
    code = (
        "print('loading')\n\ndef two_sum(nums, target):\n    print('n', len(nums))\n"
        "    if len(nums) == 2:\n        return nums[5]\n    return [0, 1]\n"
    )
    _, parsed, report, _ = _supervise(tmp_path, _two_sum(code), python=python, stop_on_failure=False)
    assert report.tests[2].message == "IndexError: list index out of range (line 6)"
    assert report.tests[0].stdout.endswith("n 4\n")
    assert "loading\n" in "".join(t.stdout for t in report.tests)  # module prints go to the first test run


@pytest.mark.parametrize("python", PYTHONS)
def test_a_syntax_error_is_a_compile_error_with_the_students_line(tmp_path, python):
    _, parsed, report, _ = _supervise(
        tmp_path, _two_sum("def two_sum(nums, target):\n    return [0, 1]]\n"), python=python
    )
    assert report.verdict == Verdict.COMPILE_ERROR
    assert "solution.py" in report.compile_output and "line 2" in report.compile_output


@pytest.mark.parametrize("python", PYTHONS)
def test_stdio_gets_one_process_per_test(tmp_path, python):
    job = stdio_job(
        "import os\na, b = map(int, input().split())\nprint(a + b, os.getpid())\n",
        [("1 2\n", None), ("5 5\n", None), ("2 2\n", None)],
    )
    _, parsed, report, _ = _supervise(tmp_path, job, python=python, stop_on_failure=False)
    assert report.verdict == Verdict.ACCEPTED
    pids = {t.actual.split()[1] for t in report.tests}
    assert sorted(t.actual.split()[0] for t in report.tests) == ["10", "3", "4"] and len(pids) == 3


def test_time_limit_is_charged_outside_the_students_process(tmp_path):
    code = "def two_sum(nums, target):\n    while len(nums) == 3:\n        pass\n    return [0, 1]\n"
    _, parsed, report, _ = _supervise(tmp_path, _two_sum(code, time_limit_ms=300), stop_on_failure=False)
    assert [t.verdict for t in report.tests] == [
        Verdict.WRONG_ANSWER if t.index == 3 else (Verdict.TIME_LIMIT_EXCEEDED if t.index == 1 else Verdict.ACCEPTED)
        for t in report.tests
    ]
    assert 300 <= report.tests[1].time_ms < 1000
    # The killed runner was restarted for the tests after it: one supervisor run.


def test_memory_is_the_resident_size_of_the_whole_tree(tmp_path):
    code = (
        "import os\ndef two_sum(nums, target):\n    if len(nums) == 3:\n"
        "        if os.fork() == 0:\n            x = bytearray(200 * 1024 * 1024)\n"
        "            for i in range(0, len(x), 4096):\n                x[i] = 1\n            import time\n"
        "            time.sleep(30)\n        import time\n        time.sleep(30)\n    return [0, 1]\n"
    )
    _, parsed, report, _ = _supervise(
        tmp_path, _two_sum(code, memory_limit_mb=128, time_limit_ms=2000), stop_on_failure=False
    )
    assert report.tests[1].verdict == Verdict.MEMORY_LIMIT_EXCEEDED, report.tests[1]
    assert report.tests[0].verdict == Verdict.ACCEPTED


@pytest.mark.skipif(not shutil.which("node"), reason="node is not installed")
@pytest.mark.parametrize(
    "code",
    [
        "function twoSum(nums, target) {\n  return [0, 1];\n}\n",
        "var twoSum = function (nums, target) {\n  return [0, 1];\n};\n",
        "const twoSum = (nums, target) => [0, 1];\n",
        "let twoSum = (nums, target) => [0, 1];\n",
        "class Solution {\n  twoSum(nums, target) { return [0, 1]; }\n}\n",
        "module.exports.twoSum = (nums, target) => [0, 1];\n",
        "'use strict';\nconst util = require('util');\nfunction twoSum(nums, target) { return [0, 1]; }\n",
    ],
)
def test_every_usual_way_to_write_the_js_function_is_found(tmp_path, code):
    job = function_job(TWO_SUM, code, TWO_SUM_CASES[:1], language="javascript")
    _, parsed, report, _ = _supervise(tmp_path, job)
    assert report.verdict == Verdict.ACCEPTED, (parsed.ready, [t.message for t in report.tests])


@pytest.mark.skipif(not shutil.which("node"), reason="node is not installed")
def test_js_errors_carry_the_students_line_numbers(tmp_path):
    job = function_job(
        TWO_SUM,
        "function twoSum(nums, target) {\n  console.log('hi');\n  throw new Error('boom');\n}\n",
        TWO_SUM_CASES[:1],
        language="javascript",
    )
    _, _, report, _ = _supervise(tmp_path, job)
    assert report.tests[0].message == "Error: boom (line 3)" and report.tests[0].stdout == "hi\n"
    broken = function_job(
        TWO_SUM, "function twoSum(nums, target) {\n  const x = ;\n}\n", TWO_SUM_CASES[:1], language="javascript"
    )
    _, _, report, _ = _supervise(tmp_path, broken)
    assert report.verdict == Verdict.COMPILE_ERROR and "solution.js:2" in report.compile_output


def test_the_whole_run_deadline_marks_the_rest_not_run(tmp_path):
    code = "import time\ndef two_sum(nums, target):\n    time.sleep(0.4)\n    return [0, 1]\n"
    job = dataclasses.replace(_two_sum(code, time_limit_ms=1000))
    _, parsed, report, _ = _supervise(tmp_path, job, stop_on_failure=False, config_changes={"wall_ms": 700})
    statuses = [t.status for t in parsed.tests.values()]
    assert "not_run" in statuses and statuses.count("ok") <= 2

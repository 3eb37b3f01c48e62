"""Function problems on the Judge0 backend: the supervised harness is ONE Judge0 submission
(language 89) whatever the number of tests; results are compared here (expected outputs
never sent)."""

import io
import json
import zipfile

import pytest

from submissions.executors.base import Job, Limits, TestSpec, Verdict
from submissions.executors.judge0 import Judge0Executor
from submissions.tests import test_judge0 as _judge0_fixtures

# The stand-in fixtures of test_judge0 (one server per module).
standin = _judge0_fixtures.standin
judge0 = _judge0_fixtures.judge0

SIGNATURE = {
    "function": "sum_list",
    "params": [{"name": "nums", "type": "list[int]"}, {"name": "offset", "type": "int"}],
    "returns": "int",
}
# The last expected value appears nowhere in the inputs: it must never reach Judge0.
CASES = [([1, 2, 3], 0, 6), ([], 5, 5), ([-4, 4, 10], 1, 11), ([123456, 864198], 0, 987654)]

PYTHON_OK = "def sum_list(nums, offset):\n    return sum(nums) + offset\n"
SOLUTIONS_OK = {
    "python": PYTHON_OK,
    "javascript": "function sumList(nums, offset) {\n  return nums.reduce((a, b) => a + b, 0) + offset;\n}\n",
    "cpp": (
        "class Solution {\npublic:\n    int sumList(vector<int>& nums, int offset) {\n"
        "        int s = offset;\n        for (int x : nums) s += x;\n        return s;\n    }\n};\n"
    ),
    "java": (
        "class Solution {\n    public int sumList(int[] nums, int offset) {\n"
        "        int s = offset;\n        for (int x : nums) s += x;\n        return s;\n    }\n}\n"
    ),
}


def function_job(code, *, language="python", cases=CASES, limits=None):
    tests = tuple(
        TestSpec(index=i, input=json.dumps({"nums": nums, "offset": off}), expected=json.dumps(out), is_sample=i == 0)
        for i, (nums, off, out) in enumerate(cases)
    )
    return Job(
        language=language,
        code=code,
        kind="function",
        signature=SIGNATURE,
        tests=tests,
        limits=limits or Limits(time_limit_ms=2000),
    )


@pytest.mark.parametrize("language", ["python", "javascript", "cpp", "java"])
def test_reference_solution_is_accepted_in_one_execution(judge0, language):
    report = Judge0Executor().run(function_job(SOLUTIONS_OK[language], language=language))
    assert report.verdict == Verdict.ACCEPTED, (report.compile_output, [t.message for t in report.tests])
    assert [t.passed for t in report.tests] == [True] * len(CASES)
    assert report.executions == 1
    stats = judge0.snapshot()
    assert stats["executions"] == 1 and stats["creates"] == 1 and stats["batch_creates"] == 0
    # Hidden expected outputs never left the server.
    (sub,) = judge0.submissions.values()
    assert sub.expected_output is None and sub.source_code is None and sub.language_id == 89
    assert "987654" not in (sub.stdin or "")
    archive = zipfile.ZipFile(io.BytesIO(sub.additional_files))
    assert all(b"987654" not in archive.read(name) for name in archive.namelist())


def test_many_tests_still_cost_one_execution(judge0):
    cases = [([i, i], i, 3 * i) for i in range(40)]
    report = Judge0Executor().run(function_job(PYTHON_OK, cases=cases))
    assert report.verdict == Verdict.ACCEPTED and len(report.tests) == 40
    assert report.executions == 1 and judge0.snapshot()["executions"] == 1


def test_wrong_answer_names_the_failing_test(judge0):
    code = "def sum_list(nums, offset):\n    return sum(nums) + (offset if nums else 0)\n"
    report = Judge0Executor().run(function_job(code))
    assert report.verdict == Verdict.WRONG_ANSWER
    assert [t.passed for t in report.tests[:2]] == [True, False]
    assert report.tests[1].verdict == Verdict.WRONG_ANSWER


def test_a_slow_test_is_a_time_limit_on_that_test(judge0):
    code = "def sum_list(nums, offset):\n    while offset == 5:\n        pass\n    return sum(nums) + offset\n"
    report = Judge0Executor().run(function_job(code, limits=Limits(time_limit_ms=300)))
    assert report.verdict == Verdict.TIME_LIMIT_EXCEEDED
    assert report.tests[0].passed and report.tests[1].verdict == Verdict.TIME_LIMIT_EXCEEDED


def test_an_exception_is_a_runtime_error_on_that_test(judge0):
    code = "def sum_list(nums, offset):\n    return nums[0] * 0 + sum(nums) + offset\n"
    report = Judge0Executor().run(function_job(code))
    assert report.verdict == Verdict.RUNTIME_ERROR
    assert report.tests[1].verdict == Verdict.RUNTIME_ERROR and "IndexError" in report.tests[1].message
    assert report.tests[0].passed


def test_compile_error_in_cpp(judge0):
    code = "class Solution {\npublic:\n    int sumList(vector<int>& nums, int offset) { return offset }\n};\n"
    report = Judge0Executor().run(function_job(code, language="cpp"))
    assert report.verdict == Verdict.COMPILE_ERROR
    assert "error" in report.compile_output
    assert report.executions == 1


def test_a_run_killed_mid_way_keeps_the_finished_tests(judge0):
    code = "import os\ndef sum_list(nums, offset):\n    if offset == 1:\n        os._exit(3)\n    return sum(nums) + offset\n"
    report = Judge0Executor().run(function_job(code))
    assert report.verdict == Verdict.RUNTIME_ERROR
    # Hidden tests run in an order the student cannot predict: the sample passed, the test
    # that killed the runner is the runtime error, the rest passed or were not run.
    assert report.tests[0].verdict == Verdict.ACCEPTED
    assert report.tests[2].verdict == Verdict.RUNTIME_ERROR and not report.tests[2].message.startswith("not run")
    assert all(report.tests[k].passed or report.tests[k].message.startswith("not run") for k in (1, 3))
    assert report.executions == 1


@pytest.mark.parametrize(
    ("language", "code"),
    [
        ("python", "def sum_list(nums, offset)\n    return 1\n"),
        ("javascript", "function sumList(nums, offset) {\n  return nums.reduce((a, b) => a + b, 0) +;\n}\n"),
        ("java", "class Solution {\n    public int sumList(int[] nums, int offset) { return offset }\n}\n"),
    ],
)
def test_syntax_errors_are_compile_errors(judge0, language, code):
    report = Judge0Executor().run(function_job(code, language=language))
    assert report.verdict == Verdict.COMPILE_ERROR, [t.message for t in report.tests]
    assert report.compile_output
    assert not any(t.passed for t in report.tests)


def test_memory_hog_is_memory_limit_exceeded(judge0):
    code = "def sum_list(nums, offset):\n    if offset == 5:\n        x = [0] * (400 * 1024 * 1024)\n    return sum(nums) + offset\n"
    report = Judge0Executor().run(function_job(code, limits=Limits(time_limit_ms=2000, memory_limit_mb=64)))
    assert report.verdict == Verdict.MEMORY_LIMIT_EXCEEDED
    assert report.tests[0].passed and report.tests[1].verdict == Verdict.MEMORY_LIMIT_EXCEEDED

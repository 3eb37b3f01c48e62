"""The harness API without a sandbox: what goes into the program, and how its output is
read and judged server-side. Running the programs is covered by test_local_executor*.py."""

import json

import pytest

from submissions.executors.base import Limits, Verdict
from submissions.harness import (
    FORGED,
    UNREADABLE,
    HarnessError,
    build_harness,
    compile_command,
    parse_harness_output,
    run_command,
    strip_progress,
)

from ._jobs import TWO_SUM, TWO_SUM_CASES, function_job

SENTINEL = "5f0c" * 8


def _job(**kwargs):
    return function_job(TWO_SUM, "def two_sum(nums, target):\n    return [0, 1]\n", TWO_SUM_CASES,
                        comparison="unordered", **kwargs)


def _entry(i, status="ok", value=None, **extra):
    return {"i": i, "status": status, "value": value, "error": "", "time_ms": 1.5, "stdout": "", **extra}


def _stdout(entries, sentinel=SENTINEL, before="student noise\n"):
    return before + "\n" + sentinel + "\n" + json.dumps(entries) + "\n"


@pytest.mark.parametrize("language", ["python", "javascript", "cpp", "java"])
def test_stdin_holds_arguments_in_parameter_order_and_never_the_expected_outputs(language):
    job = function_job(TWO_SUM, "x", [({"target": 9, "nums": [2, 7]}, [424242, 171717])], language=language)
    program = build_harness(job, sentinel=SENTINEL)
    data = json.loads(program.stdin)
    assert data["tests"] == [[[2, 7], 9]]
    assert data["sentinel"] == SENTINEL
    assert "424242" not in program.stdin and "171717" not in program.stdin
    # The sentinel is only in stdin: code written in advance cannot know it.
    assert SENTINEL not in program.source
    assert program.filename == {"python": "solution.py", "javascript": "solution.js", "cpp": "main.cpp",
                                "java": "Main.java"}[language]


def test_the_student_code_is_inside_the_single_source_file():
    job = function_job(TWO_SUM, "def two_sum(nums, target):\n    return '__FUNCTION__ __STUDENT_SOURCE__'\n",
                       TWO_SUM_CASES)
    program = build_harness(job, sentinel=SENTINEL)
    # Placeholders inside the student's code are left alone.
    assert "__FUNCTION__ __STUDENT_SOURCE__" in program.source
    compile(program.source, "solution.py", "exec")


def test_java_public_solution_class_is_made_package_private_and_cpp_keeps_line_numbers():
    java = build_harness(function_job(TWO_SUM, "public class Solution {}\n", TWO_SUM_CASES, language="java"),
                         sentinel=SENTINEL)
    assert "public class Solution" not in java.source and "class Solution {}" in java.source
    assert java.source.startswith("class Solution {}")  # the student's line 1 stays line 1
    cpp = build_harness(function_job(TWO_SUM, "class Solution {};\n", TWO_SUM_CASES, language="cpp"),
                        sentinel=SENTINEL)
    assert '#line 1 "solution.cpp"\nclass Solution {};' in cpp.source


def test_bad_jobs_are_harness_errors():
    with pytest.raises(HarnessError, match="unsupported language"):
        build_harness(_job(language="cobol"), sentinel=SENTINEL)
    missing = function_job(TWO_SUM, "x", [({"nums": [1]}, 1)])
    with pytest.raises(HarnessError, match="test 0"):
        build_harness(missing, sentinel=SENTINEL)
    with pytest.raises(HarnessError, match="bad signature"):
        build_harness(function_job({"function": "x"}, "x", [({}, 1)]), sentinel=SENTINEL)


def test_results_are_judged_server_side_with_the_comparison_mode():
    job = _job()
    program = build_harness(job, sentinel=SENTINEL)
    entries = [_entry(0, value=[1, 0]), _entry(1, value=[1, 2]), _entry(2, value=[0, 0]), _entry(3, value=[3, 2])]
    outcomes = parse_harness_output(job, program, _stdout(entries))
    assert [o.verdict for o in outcomes] == [Verdict.ACCEPTED, Verdict.ACCEPTED, Verdict.WRONG_ANSWER,
                                             Verdict.ACCEPTED]
    assert outcomes[2].actual == "[0, 0]"
    assert outcomes[0].time_ms == 2 and outcomes[0].memory_kb is None
    (with_memory,) = parse_harness_output(_job(), program, _stdout([_entry(0, value=[0, 1], memory_kb=5120)]))
    assert with_memory.memory_kb == 5120


def test_statuses_map_to_verdicts_and_slow_ok_results_are_time_limits():
    job = _job(time_limit_ms=100)
    program = build_harness(job, sentinel=SENTINEL)
    entries = [
        _entry(0, status="error", error="ZeroDivisionError: division by zero (line 2)"),
        _entry(1, status="timeout"),
        _entry(2, status="memory"),
        {**_entry(3, value=[2, 3]), "time_ms": 250.0},
    ]
    outcomes = parse_harness_output(job, program, _stdout(entries))
    assert [o.verdict for o in outcomes] == [Verdict.RUNTIME_ERROR, Verdict.TIME_LIMIT_EXCEEDED,
                                             Verdict.MEMORY_LIMIT_EXCEEDED, Verdict.TIME_LIMIT_EXCEEDED]
    assert "ZeroDivisionError" in outcomes[0].message


def test_custom_runs_report_the_value_without_judging():
    job = function_job(TWO_SUM, "x", [({"nums": [1, 2], "target": 3}, None)])
    program = build_harness(job, sentinel=SENTINEL)
    (outcome,) = parse_harness_output(job, program, _stdout([_entry(0, value=[9, 9], stdout="dbg\n")]))
    assert outcome.passed and outcome.actual == "[9, 9]" and outcome.stdout == "dbg\n"


def test_a_second_sentinel_line_is_treated_as_forgery():
    job = _job()
    program = build_harness(job, sentinel=SENTINEL)
    good = [_entry(k, value=[0, 1]) for k in range(4)]
    stdout = _stdout(good) + _stdout(good)
    outcomes = parse_harness_output(job, program, stdout)
    assert all(o.verdict == Verdict.RUNTIME_ERROR and o.message == FORGED for o in outcomes)


def test_a_wrong_sentinel_is_not_a_result():
    job = _job()
    program = build_harness(job, sentinel=SENTINEL)
    assert parse_harness_output(job, program, _stdout([_entry(0, value=[0, 1])], sentinel="guess")) == []


@pytest.mark.parametrize("payload", ["not json", json.dumps([_entry(9)]), json.dumps([_entry(0), _entry(0)]),
                                     json.dumps([_entry(k) for k in range(5)])])
def test_unreadable_or_inconsistent_results_fail_every_test(payload):
    job = _job()
    program = build_harness(job, sentinel=SENTINEL)
    outcomes = parse_harness_output(job, program, "\n" + SENTINEL + "\n" + payload)
    if payload == "not json":
        assert outcomes == []
    else:
        assert [o.message for o in outcomes] == [UNREADABLE] * 4


def test_a_run_killed_midway_keeps_the_finished_tests_from_the_progress_lines():
    job = _job()
    program = build_harness(job, sentinel=SENTINEL)
    stderr = (f"warning from student\n{SENTINEL}:" + json.dumps(_entry(0, value=[0, 1])) + "\n"
              + f"{SENTINEL}:" + json.dumps(_entry(1, value=[1, 2])) + "\nSegmentation fault\n")
    outcomes = parse_harness_output(job, program, "", stderr=stderr)
    assert [o.index for o in outcomes] == [0, 1]
    assert all(o.passed for o in outcomes)
    assert strip_progress(stderr, SENTINEL) == "warning from student\nSegmentation fault"


def test_commands_per_language():
    assert compile_command("python", "solution.py") is None
    assert compile_command("javascript", "solution.js") is None
    assert compile_command("cpp", "main.cpp")[:3] == ["g++", "-O2", "-std=c++17"]
    assert compile_command("java", "Main.java")[0] == "javac"
    limits = Limits(memory_limit_mb=200)
    assert "--max-old-space-size=200" in run_command("javascript", "solution.js", limits)
    java = run_command("java", "Main.java", limits)
    assert "-Xmx200m" in java and "-XX:+ExitOnOutOfMemoryError" in java and java[-1] == "Main"
    assert run_command("cpp", "main.cpp", limits) == ["./main"]

"""The supervised harness API without a sandbox: what goes into the program, how strictly
the supervisor's results block is read, and how it is judged server-side. Running the
programs is covered by test_supervisor*.py and test_local_executor*.py."""

import dataclasses
import json
import math

import pytest

from problems.comparison import text_matches, values_match
from submissions.executors.base import TestSpec, Verdict
from submissions.harness import (
    INTERRUPTED,
    NOT_RUN,
    HarnessError,
    HostFacts,
    build_program,
    build_report,
    expect_digest,
    parse_supervisor_output,
    progress_line,
)
from submissions.harness import supervisor as sup

from ._jobs import TWO_SUM, TWO_SUM_CASES, function_job, stdio_job

NONCE = "5f0c" * 8


def _job(**kwargs):
    job = function_job(
        TWO_SUM, "def two_sum(nums, target):\n    return [0, 1]\n", TWO_SUM_CASES, comparison="unordered", **kwargs
    )
    # Two samples, two hidden tests.
    tests = tuple(dataclasses.replace(t, is_sample=t.index < 2) for t in job.tests)
    return dataclasses.replace(job, tests=tests)


def _entry(test_id, status="ok", value=None, **extra):
    entry = {
        "id": test_id,
        "status": status,
        "output": "",
        "stderr": "",
        "error": "",
        "time_ms": 1.5,
        "memory_kb": 2048,
        "exit_code": None,
        "signal": None,
    }
    if status == "ok":
        entry["value"] = value
    entry.update(extra)
    return entry


def _block(entries, *, nonce=NONCE, ready=None, compile_step=None):
    body = {
        "v": 1,
        "compile": compile_step,
        "ready": ready or {"ok": True, "compile_error": None, "error": None},
        "tests": entries,
    }
    return f"\n{nonce}\n{json.dumps(body)}\n{nonce}-end\n"


def _judge(job, entries, **kwargs):
    program = build_program(job, nonce=NONCE)
    report = parse_supervisor_output(program, _block(entries, **kwargs))
    assert report is not None
    return build_report(job, program, report, host=HostFacts())


# --- the program ------------------------------------------------------------------------
@pytest.mark.parametrize("language", ["python", "javascript"])
def test_files_hold_the_students_code_as_written_and_stdin_holds_tests_without_expected_outputs(language):
    job = function_job(
        TWO_SUM, "code as written\n", [({"target": 9, "nums": [2, 7]}, [424242, 171717])], language=language
    )
    program = build_program(job, nonce=NONCE)
    student = {"python": "solution.py", "javascript": "solution.js"}[language]
    runner = {"python": "runner.py", "javascript": "runner.js"}[language]
    assert program.files[student] == "code as written\n"  # its own file: the student's line numbers
    assert set(program.files) == {student, runner, "supervisor.py"}
    config = json.loads(program.stdin)
    assert config["tests"] == [
        {
            "id": 0,
            "hidden": True,
            "args": [[2, 7], 9],
            "expect": expect_digest("function", job.tests[0])[0],
            "canon": "exact",
        }
    ]
    assert "424242" not in program.stdin and "171717" not in program.stdin
    # The nonce is in the supervisor's stdin only: nothing shipped as a file knows it.
    assert config["nonce"] == NONCE and not any(NONCE in text for text in program.files.values())
    assert program.run_argv[-1] == "supervisor.py" and "-I" in program.run_argv
    assert program.compile_argv is None and program.kind == "function"


def test_samples_run_first_and_hidden_tests_in_an_order_the_student_cannot_predict():
    cases = [({"nums": [k, 1], "target": k + 1}, [0, 1]) for k in range(12)]
    job = function_job(TWO_SUM, "x", cases)
    job = dataclasses.replace(job, tests=tuple(dataclasses.replace(t, is_sample=t.index < 2) for t in job.tests))
    orders = {build_program(job, nonce=NONCE).order for _ in range(20)}
    assert all(order[:2] == (0, 1) and sorted(order) == list(range(12)) for order in orders)
    assert len(orders) > 1


def test_the_python_runner_compiles_annotations_lazily_and_the_js_runner_names_solution_js():
    py = build_program(function_job(TWO_SUM, "x", TWO_SUM_CASES), nonce=NONCE).files["runner.py"]
    assert "__future__.annotations.compiler_flag" in py and '"solution.py"' in py and 'FUNCTION = "two_sum"' in py
    js = build_program(function_job(TWO_SUM, "x", TWO_SUM_CASES, language="javascript"), nonce=NONCE)
    assert "filename: 'solution.js'" in js.files["runner.js"] and 'const FUNCTION = "twoSum"' in js.files["runner.js"]


def test_stdio_programs_carry_each_tests_stdin_and_compile_separately_for_compiled_languages():
    job = stdio_job("int main(){}", [("1 2\n", "3\n")], language="cpp")
    program = build_program(job, nonce=NONCE)
    assert program.files["main.cpp"] == "int main(){}"
    assert program.compile_argv[:3] == ["g++", "-O2", "-std=c++17"]
    assert json.loads(program.stdin)["tests"][0]["stdin"] == "1 2\n"
    assert json.loads(program.stdin)["run"]["argv"] == ["./main"]


def test_bad_jobs_are_harness_errors():
    with pytest.raises(HarnessError, match="unsupported language"):
        build_program(_job(language="cobol"), nonce=NONCE)
    with pytest.raises(HarnessError, match="test 0"):
        build_program(function_job(TWO_SUM, "x", [({"nums": [1]}, 1)]), nonce=NONCE)
    with pytest.raises(HarnessError, match="bad signature"):
        build_program(function_job({"function": "x"}, "x", [({}, 1)]), nonce=NONCE)
    with pytest.raises(HarnessError, match="nonce"):
        build_program(_job(), nonce="short")


# --- digests: a mismatch must imply a failed comparison ---------------------------------
PAIRS = [
    ([0, 1], [0, 1]),
    ([0, 1], [1, 0]),
    ([1, 2], [1.0, 2.0]),
    (1, 1.0),
    (1, True),
    (0, False),
    (0.1 + 0.2, 0.3),
    ([[1, 2], [3]], [[3], [2, 1]]),
    ([[1, 2], [3]], [[3], [1, 2]]),
    ("a", "a "),
    (-0.0, 0),
    (2**53 + 1, 2.0**53),
    ([1, 1, 2], [1, 2, 2]),
    ([], []),
    ([True], [1]),
    ("x", ["x"]),
    (None, None),
    ([1.5, 2], [2, 1.5]),
]


@pytest.mark.parametrize("mode", ["exact", "unordered", "unordered_deep", "float"])
@pytest.mark.parametrize(("expected", "actual"), PAIRS)
def test_digest_mismatch_implies_the_server_comparison_fails(mode, expected, actual):
    spec = TestSpec(index=0, input="{}", expected=json.dumps(expected), comparison=mode)
    digest, canon = expect_digest("function", spec)
    if digest is None:
        assert mode == "float"
        return
    wire = json.loads(json.dumps(actual))  # what the runner's reply carries
    if sup.digest(wire, canon) != digest:
        assert not values_match(expected, wire, mode)
    elif mode == "exact":
        assert values_match(expected, wire, mode)


@pytest.mark.parametrize(("expected", "actual"), [("3\n", "3"), ("3\n", "3  \r\n"), ("a\nb", "b\na"), ("1 2", "1  2")])
@pytest.mark.parametrize("mode", ["exact", "unordered"])
def test_stdio_digests_agree_with_text_matches(expected, actual, mode):
    digest, canon = expect_digest("stdio", TestSpec(index=0, input="", expected=expected, comparison=mode))
    assert (sup.digest(actual, canon) == digest) == text_matches(expected, actual, mode)


def test_no_digest_where_equality_is_not_exact():
    assert expect_digest("function", TestSpec(0, "{}", json.dumps({"a": 1}))) == (None, None)
    assert expect_digest("function", TestSpec(0, "{}", None)) == (None, None)
    assert expect_digest("stdio", TestSpec(0, "", "1.0", comparison="float")) == (None, None)


# --- strict parsing ---------------------------------------------------------------------
def test_a_well_formed_block_is_read():
    job = _job()
    program = build_program(job, nonce=NONCE)
    report = parse_supervisor_output(program, _block([_entry(k, value=[0, 1]) for k in range(4)]))
    assert report is not None and set(report.tests) == {0, 1, 2, 3} and report.tests[0].value == [0, 1]


BAD_ENTRIES = {
    "negative time": {"time_ms": -5},
    "NaN time": {"time_ms": float("nan")},
    "infinite time": {"time_ms": float("inf")},
    "huge time": {"time_ms": 1e12},
    "string time": {"time_ms": "1"},
    "bool time": {"time_ms": True},
    "negative memory": {"memory_kb": -1},
    "float memory": {"memory_kb": 1.5},
    "unknown status": {"status": "accepted"},
    "bad exit code": {"exit_code": 999},
    "bad signal": {"signal": 0},
    "extra field": {"verdict": "accepted"},
    "non-text output": {"output": 5},
}


@pytest.mark.parametrize("name", sorted(BAD_ENTRIES))
def test_out_of_range_or_mistyped_fields_are_not_a_result(name):
    program = build_program(_job(), nonce=NONCE)
    entries = [_entry(k, value=[0, 1]) for k in range(4)]
    entries[1].update(BAD_ENTRIES[name])
    assert parse_supervisor_output(program, _block(entries)) is None


@pytest.mark.parametrize(
    "how",
    [
        "wrong nonce",
        "text before",
        "text after",
        "two blocks",
        "duplicate id",
        "missing id",
        "unknown id",
        "value on error",
        "no value on ok",
        "version",
        "ready type",
        "empty",
    ],
)
def test_anything_but_exactly_one_block_with_every_test_once_is_not_a_result(how):
    program = build_program(_job(), nonce=NONCE)
    good = [_entry(k, value=[0, 1]) for k in range(4)]
    block = _block(good)
    stdout = {
        "wrong nonce": _block(good, nonce="a" * 32),
        "text before": "student\n" + block,
        "text after": block + "x",
        "two blocks": block + block,
        "duplicate id": _block([*good[:3], good[0]]),
        "missing id": _block(good[:3]),
        "unknown id": _block([*good[:3], _entry(9, value=1)]),
        "value on error": _block([*good[:3], {**_entry(3, status="error"), "value": 1}]),
        "no value on ok": _block([*good[:3], {k: v for k, v in good[3].items() if k != "value"}]),
        "version": block.replace('"v": 1', '"v": 2'),
        "ready type": _block(good, ready={"ok": "yes", "compile_error": None, "error": None}),
        "empty": "",
    }[how]
    assert parse_supervisor_output(program, stdout) is None


def test_progress_lines_are_checked_too():
    assert progress_line('CMPROGRESS {"id": 3, "status": "ok", "time_ms": 1.5, "match": true}')["id"] == 3
    for bad in (
        'CMPROGRESS {"id": 3, "status": "ok", "time_ms": NaN}',
        'CMPROGRESS {"id": 3, "status": "x", "time_ms": 1}',
        'CMPROGRESS {"id": 3, "status": "ok", "time_ms": -1}',
        "noise",
        'CMPROGRESS {"id": true, "status": "ok", "time_ms": 1}',
    ):
        assert progress_line(bad) is None


# --- judging ----------------------------------------------------------------------------
def test_results_are_judged_server_side_with_the_comparison_mode_and_carry_the_hidden_flag():
    report = _judge(
        _job(),
        [
            _entry(0, value=[1, 0]),
            _entry(1, value=[1, 2], output="dbg\n"),
            _entry(2, value=[0, 0]),
            _entry(3, value=[3, 2]),
        ],
    )
    assert [o.verdict for o in report.tests] == [
        Verdict.ACCEPTED,
        Verdict.ACCEPTED,
        Verdict.WRONG_ANSWER,
        Verdict.ACCEPTED,
    ]
    assert report.tests[2].actual == "[0, 0]" and report.tests[1].stdout == "dbg\n"
    assert [o.hidden for o in report.tests] == [False, False, True, True]
    assert report.tests[0].time_ms == 2 and report.tests[0].memory_kb == 2048 and report.cacheable


def test_statuses_map_to_verdicts_and_slow_ok_results_are_time_limits():
    job = dataclasses.replace(_job(), limits=dataclasses.replace(_job().limits, time_limit_ms=100))
    report = _judge(
        job,
        [
            _entry(0, status="error", error="ZeroDivisionError: division by zero (line 2)"),
            _entry(1, status="timeout"),
            _entry(2, status="memory"),
            _entry(3, value=[2, 3], time_ms=250.0),
        ],
    )
    assert [o.verdict for o in report.tests] == [
        Verdict.RUNTIME_ERROR,
        Verdict.TIME_LIMIT_EXCEEDED,
        Verdict.MEMORY_LIMIT_EXCEEDED,
        Verdict.TIME_LIMIT_EXCEEDED,
    ]
    assert "ZeroDivisionError" in report.tests[0].message
    output = _judge(_job(), [_entry(0, status="output"), *[_entry(k, status="not_run") for k in (1, 2, 3)]])
    assert output.verdict == Verdict.OUTPUT_LIMIT_EXCEEDED
    crash = _judge(
        _job(),
        [
            _entry(0, status="crash", error="killed by signal 11 (SIGSEGV)", signal=11),
            *[_entry(k, status="not_run") for k in (1, 2, 3)],
        ],
    )
    assert crash.tests[0].verdict == Verdict.RUNTIME_ERROR and "SIGSEGV" in crash.tests[0].message


def test_tests_not_run_take_the_verdict_of_the_test_that_stopped_the_run():
    report = _judge(
        _job(), [_entry(0, value=[0, 1]), _entry(1, value=[1, 2]), _entry(2, value=[9, 9]), _entry(3, status="not_run")]
    )
    assert [(o.verdict, o.message) for o in report.tests[2:]] == [
        (Verdict.WRONG_ANSWER, ""),
        (Verdict.WRONG_ANSWER, NOT_RUN),
    ]
    assert report.verdict == Verdict.WRONG_ANSWER


def test_load_errors_and_syntax_errors():
    job = _job()
    syntax = _judge(
        job,
        [_entry(0, status="error"), *[_entry(k, status="not_run") for k in (1, 2, 3)]],
        ready={"ok": False, "compile_error": '  File "solution.py", line 2\nSyntaxError: x', "error": None},
    )
    assert syntax.verdict == Verdict.COMPILE_ERROR and "line 2" in syntax.compile_output
    missing = _judge(
        job,
        [_entry(0, status="error"), *[_entry(k, status="not_run") for k in (1, 2, 3)]],
        ready={"ok": False, "compile_error": None, "error": "function two_sum is not defined"},
    )
    assert all(t.verdict == Verdict.RUNTIME_ERROR and "two_sum is not defined" in t.message for t in missing.tests)
    slow_load = _judge(
        job,
        [_entry(0, status="timeout"), *[_entry(k, status="not_run") for k in (1, 2, 3)]],
        ready={"ok": False, "compile_error": None, "error": "time limit exceeded while loading"},
    )
    assert slow_load.verdict == Verdict.TIME_LIMIT_EXCEEDED
    compiled = _judge(
        job,
        [_entry(k, status="not_run") for k in range(4)],
        ready={"ok": False, "compile_error": None, "error": None},
        compile_step={"ok": False, "output": "main.cpp:1: error"},
    )
    assert compiled.verdict == Verdict.COMPILE_ERROR and "error" in compiled.compile_output


def test_stdio_output_is_compared_as_text_and_a_syntax_error_is_a_compile_error():
    job = stdio_job("x", [("1 2\n", "3\n"), ("2 2\n", "5\n")])
    job = dataclasses.replace(job, tests=tuple(dataclasses.replace(t, is_sample=True) for t in job.tests))
    entries = [_entry(0, output="3\n"), _entry(1, output="4\n")]
    for entry in entries:
        del entry["value"]  # stdio tests carry output, never a value
    report = _judge(job, entries)
    assert report.tests[1].actual == "4\n"
    assert [t.verdict for t in report.tests] == [Verdict.ACCEPTED, Verdict.WRONG_ANSWER]
    broken = _judge(
        job,
        [
            _entry(0, status="error", stderr='  File "solution.py", line 1\nSyntaxError: bad'),
            _entry(1, status="not_run"),
        ],
    )
    assert broken.verdict == Verdict.COMPILE_ERROR


def test_without_a_block_the_host_facts_decide_and_nothing_is_cacheable():
    job = _job()
    program = build_program(job, nonce=NONCE)
    cases = [
        (HostFacts(timed_out=True), Verdict.TIME_LIMIT_EXCEEDED),
        (HostFacts(oom_killed=True), Verdict.MEMORY_LIMIT_EXCEEDED),
        (HostFacts(exit_code=1), Verdict.RUNTIME_ERROR),
    ]
    for host, verdict in cases:
        report = build_report(job, program, None, host=host)
        assert report.verdict == verdict and not report.cacheable
        assert all(t.verdict == verdict for t in report.tests)
    interrupted = build_report(job, program, None, host=HostFacts(exit_code=0, stderr="hidden input 987654321"))
    assert interrupted.message == INTERRUPTED
    assert "987654321" not in json.dumps([dataclasses.asdict(t) for t in interrupted.tests])


def test_non_finite_values_in_a_reply_become_text_never_a_field_of_the_block():
    assert math.isinf(float("1e999"))
    assert sup._finite("1e999") == "1e999" and sup._finite("1.5") == 1.5

"""End to end through the Judge0 stand-in: every job -- function or stdio, interpreted or
compiled -- is judged by the supervised harness in exactly ONE Judge0 submission of
language 89, and a hostile student can neither forge the results nor read hidden tests."""

import json

import pytest

from submissions.executors.base import Job, Limits, TestSpec, Verdict

SIGNATURE = {
    "function": "sum_list",
    "params": [{"name": "nums", "type": "list[int]"}, {"name": "offset", "type": "int"}],
    "returns": "int",
}
# Hidden inputs carry a marker no sample has; the student must never see it.
MARKER = 731592648
CASES = [([1, 2, 3], 0, 6, True), ([5], 5, 10, True), ([MARKER, 1], 0, MARKER + 1, False), ([-4, 4], 1, 1, False)]
FUNCTION_OK = {
    "python": "def sum_list(nums, offset):\n    return sum(nums) + offset\n",
    "cpp": "class Solution {\npublic:\n    int sumList(vector<int>& nums, int offset) {\n"
    "        int s = offset;\n        for (int x : nums) s += x;\n        return s;\n    }\n};\n",
    "java": "class Solution {\n    public int sumList(int[] nums, int offset) {\n"
    "        int s = offset;\n        for (int x : nums) s += x;\n        return s;\n    }\n}\n",
}
STDIO_CASES = [
    ("1 2\n", "3\n", True),
    ("5 7\n", "12\n", True),
    (f"{MARKER} 1\n", f"{MARKER + 1}\n", False),
    ("-4 4\n", "0\n", False),
]
STDIO_OK = {
    "python": "a, b = map(int, input().split())\nprint(a + b)\n",
    "cpp": "#include <iostream>\nint main() { long long a, b; std::cin >> a >> b; std::cout << a + b << std::endl; }\n",
}


def function_job(code, *, language="python", limits=None):
    tests = tuple(
        TestSpec(index=i, input=json.dumps({"nums": nums, "offset": off}), expected=json.dumps(out), is_sample=sample)
        for i, (nums, off, out, sample) in enumerate(CASES)
    )
    return Job(
        language=language,
        code=code,
        kind="function",
        signature=SIGNATURE,
        tests=tests,
        limits=limits or Limits(time_limit_ms=2000),
    )


def stdio_job(code, *, language="python"):
    tests = tuple(
        TestSpec(index=i, input=inp, expected=out, is_sample=sample) for i, (inp, out, sample) in enumerate(STDIO_CASES)
    )
    return Job(
        language=language, code=code, kind="stdio", signature=None, tests=tests, limits=Limits(time_limit_ms=2000)
    )


def assert_one_execution(judge0, report):
    stats = judge0.snapshot()
    posts = [p for p in stats["paths"] if p.startswith("POST")]
    assert posts == ["POST /submissions"], posts  # one create, no batch, no second attempt
    assert stats["executions"] == 1 == report.executions
    (sub,) = judge0.submissions.values()
    assert sub.language_id == 89 and sub.source_code is None and sub.additional_files
    assert sub.expected_output is None and str(MARKER + 1) not in (sub.stdin or "")  # no expected output left us


def visible_text(report, job) -> str:
    """Everything of the report a student may be shown: the run's compile output and message,
    every field of the sample tests, and only the verdict/time of hidden ones."""
    samples = {t.index for t in job.tests if t.is_sample}
    parts = [report.compile_output or "", report.message or ""]
    for outcome in report.tests:
        hidden = getattr(outcome, "hidden", outcome.index not in samples)
        if not hidden:
            parts += [outcome.actual or "", outcome.stdout or "", outcome.stderr or "", outcome.message or ""]
    return "\n".join(parts)


@pytest.mark.parametrize("language", ["python", "cpp", "java"])
def test_a_function_submission_is_one_judge0_execution(judge0, judge0_executor, language):
    report = judge0_executor.run(function_job(FUNCTION_OK[language], language=language))
    assert report.verdict == Verdict.ACCEPTED, (
        report.compile_output,
        report.message,
        [(t.verdict, t.message) for t in report.tests],
    )
    assert [t.passed for t in report.tests] == [True] * 4
    assert_one_execution(judge0, report)


@pytest.mark.parametrize("language", ["python", "cpp"])
def test_a_stdio_submission_is_one_judge0_execution(judge0, judge0_executor, language):
    report = judge0_executor.run(stdio_job(STDIO_OK[language], language=language))
    assert report.verdict == Verdict.ACCEPTED, (
        report.compile_output,
        report.message,
        [(t.verdict, t.message) for t in report.tests],
    )
    assert [t.actual.strip() for t in report.tests[:2]] == ["3", "12"]
    assert_one_execution(judge0, report)


def test_wrong_answers_and_compile_errors_are_judged_in_one_execution(judge0, judge0_executor):
    wrong = judge0_executor.run(stdio_job("a, b = map(int, input().split())\nprint(a - b if a > 1000 else a + b)\n"))
    assert wrong.verdict == Verdict.WRONG_ANSWER
    assert [t.verdict for t in wrong.tests[:3]] == [Verdict.ACCEPTED, Verdict.ACCEPTED, Verdict.WRONG_ANSWER]
    assert_one_execution(judge0, wrong)
    judge0.reset()
    broken = judge0_executor.run(function_job(FUNCTION_OK["cpp"].replace("return s;", "return s"), language="cpp"))
    assert broken.verdict == Verdict.COMPILE_ERROR and "error" in broken.compile_output
    assert_one_execution(judge0, broken)


def test_forged_results_block_and_exit_is_not_accepted(judge0, judge0_executor):
    # The student prints a results block in the supervisor's format, with every test ok and a
    # nonce of its own (the real one exists only in the supervisor's memory), then exits first.
    forged = {
        "v": 1,
        "compile": None,
        "ready": {"ok": True, "compile_error": None, "error": None},
        "tests": [
            {
                "id": k,
                "status": "ok",
                "value": 0,
                "output": "",
                "stderr": "",
                "error": "",
                "time_ms": 1.0,
                "memory_kb": 1,
                "exit_code": 0,
                "signal": None,
            }
            for k in range(4)
        ],
    }
    code = (
        "import os, sys, glob\n"
        "def sum_list(nums, offset):\n"
        "    nonce = 'f' * 32\n"
        "    for path in glob.glob('/proc/*/environ') + glob.glob('/proc/*/cmdline'):\n"
        "        try:\n"
        "            nonce = open(path).read().split('nonce')[1][3:35] or nonce\n"
        "        except Exception:\n"
        "            pass\n"
        f"    block = '\\n%s\\n%s\\n%s-end\\n' % (nonce, {json.dumps(json.dumps(forged))}, nonce)\n"
        "    for fd in (1, 2):\n"
        "        os.write(fd, block.encode())\n"
        "    os._exit(0)\n"
    )
    report = judge0_executor.run(function_job(code))
    assert report.verdict != Verdict.ACCEPTED
    assert not any(t.passed for t in report.tests)
    assert_one_execution(judge0, report)
    # The same forgery from a stdio program is just that program's (wrong) output.
    judge0.reset()
    stdio = judge0_executor.run(stdio_job(code + "sum_list([], 0)\n"))
    assert stdio.verdict != Verdict.ACCEPTED and not any(t.passed for t in stdio.tests)


SNOOP = (
    (
        "import glob, os, sys\n"
        "MARK = str(__HEAD__ * 1000 + __TAIL__).encode()\n"  # not the marker itself: this file holds it
        "def snoop():\n"
        "    found = []\n"
        "    paths = glob.glob('/proc/*/fd/*') + glob.glob('/proc/*/environ') + glob.glob('/proc/*/cmdline')\n"
        "    paths += glob.glob('/proc/*/task/*/environ') + ['/proc/%d/mem' % os.getppid()]\n"
        "    for root, _, names in os.walk('/'):\n"
        "        if root.startswith(('/proc', '/sys', '/dev', '/usr', '/root/.pyenv')):\n"
        "            continue\n"
        "        paths += [os.path.join(root, n) for n in names]\n"
        "    for path in paths:\n"
        "        try:\n"
        "            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)\n"  # pipes: what is there, never wait
        "            try:\n"
        "                data = os.read(fd, 1 << 20)\n"
        "            finally:\n"
        "                os.close(fd)\n"
        "        except Exception:\n"
        "            continue\n"
        "        if MARK in data:\n"
        "            k = data.index(MARK)\n"
        "            found.append(path + ': ' + data[max(k - 40, 0):k + 40].decode('latin-1'))\n"
        "    return found\n"
    )
    .replace("__HEAD__", str(MARKER // 1000))
    .replace("__TAIL__", str(MARKER % 1000))
)


def test_a_hidden_input_found_during_a_sample_test_never_reaches_the_student(judge0, judge0_executor):
    # During the first sample test the student's code searches every file and process it can
    # open for a hidden input and prints, writes to stderr and raises whatever it finds; in
    # every test it also prints its own input (so a hidden test's input is printed too).
    code = SNOOP + (
        "calls = []\n"
        "def sum_list(nums, offset):\n"
        "    calls.append(1)\n"
        "    print('input', nums, offset)\n"
        "    if len(calls) == 1:\n"
        "        found = snoop()\n"
        "        print('found', found)\n"
        "        sys.stderr.write('found %r\\n' % found)\n"
        "        if found:\n"
        "            raise RuntimeError('found %r' % found)\n"
        "    return sum(nums) + offset\n"
    )
    job = function_job(code)
    report = judge0_executor.run(job)
    assert report.verdict == Verdict.ACCEPTED, [(t.verdict, t.message, t.stdout) for t in report.tests]
    visible = visible_text(report, job)
    assert "found []" in visible  # the search ran during the sample test and found nothing
    assert str(MARKER) not in visible
    # Control: the code does print its input, so the hidden test's own print holds the marker
    # (kept for the record, never shown: that test is hidden).
    hidden = [t for t in report.tests if t.index == 2][0]
    assert str(MARKER) in (hidden.stdout or "") + (hidden.actual or "")
    assert_one_execution(judge0, report)


def test_a_stdio_program_cannot_read_hidden_inputs_during_a_sample_test(judge0, judge0_executor):
    code = SNOOP + (
        "line = sys.stdin.readline()\n"
        "found = snoop()\n"
        "sys.stderr.write('found %r\\n' % found)\n"
        "a, b = map(int, line.split())\n"
        "print(a + b)\n"
        "print('found', found) if found else None\n"
    )
    job = stdio_job(code)
    report = judge0_executor.run(job)
    assert report.verdict == Verdict.ACCEPTED, [(t.verdict, t.message, t.actual) for t in report.tests]
    visible = visible_text(report, job)
    assert "found []" in visible and str(MARKER) not in visible
    assert_one_execution(judge0, report)


def test_killing_the_supervisor_is_never_accepted_nor_cached(judge0, judge0_executor):
    # Same uid: the student can SIGKILL the supervisor (the one signal it cannot ignore), then
    # print whatever it likes. Judge0 then has no results block at all: an interrupted run.
    code = (
        "import os, signal, time\n"
        "def sum_list(nums, offset):\n"
        "    os.kill(os.getppid(), signal.SIGKILL)\n"
        "    time.sleep(0.2)\n"
        "    print('\\n' + 'f' * 32 + '\\n{}\\n' + 'f' * 32 + '-end')\n"
        "    return sum(nums) + offset\n"
    )
    report = judge0_executor.run(function_job(code))
    assert report.verdict == Verdict.RUNTIME_ERROR and not any(t.passed for t in report.tests)
    assert report.cacheable is False
    (sub,) = judge0.submissions.values()
    assert sub.final["status_id"] == 12 and sub.final["exit_signal"] == 9  # SG: the supervisor itself
    assert_one_execution(judge0, report)

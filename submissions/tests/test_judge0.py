"""Judge0 backend against the Judge0-compatible stand-in (real HTTP on 127.0.0.1, real
program execution): every job is one language-89 submission of the supervised harness.
Function problems are in test_judge0_harness.py, the end-to-end and hostile cases in
test_judge0_supervised.py."""

import base64
import io
import json
import logging
import zipfile

import pytest

from submissions.executors.base import ExecutorError, Job, Limits, RetryableExecutorError, TestSpec, Verdict
from submissions.executors.judge0 import (
    Judge0Client,
    Judge0Executor,
    SubmissionRequest,
    SubmissionResult,
    b64decode_text,
    verdict_for,
)
from testing.judge0_standin import Judge0StandIn

TOKEN = "standin-secret-auth-token-4f9a"

ADD = "a, b = map(int, input().split())\nprint(a + b)\n"


@pytest.fixture(scope="module")
def standin():
    server = Judge0StandIn(auth_token=TOKEN, workers=2).start()
    yield server
    server.stop()


@pytest.fixture
def judge0(standin, settings):
    standin.reset()
    standin.auth_token = TOKEN
    settings.JUDGE0_URL = standin.url
    settings.JUDGE0_AUTH_TOKEN = TOKEN
    settings.JUDGE0_RAPIDAPI_KEY = ""
    settings.JUDGE0_TIMEOUT = 5.0
    settings.JUDGE0_POLL_INITIAL = 0.05
    settings.JUDGE0_POLL_FACTOR = 1.5
    settings.JUDGE0_POLL_MAX_INTERVAL = 0.2
    settings.JUDGE0_POLL_DEADLINE = 30.0
    settings.JUDGE0_CALLBACK_SECRET = ""
    settings.JUDGE0_CALLBACK_BASE_URL = ""
    return standin


def stdio_job(code, tests, *, language="python", limits=None):
    # Samples: they run in this order (hidden tests run shuffled, after the samples).
    specs = tuple(
        TestSpec(index=i, input=inp, expected=exp, comparison=cmp, is_sample=True)
        for i, (inp, exp, cmp) in enumerate((t if len(t) == 3 else (*t, "exact")) for t in tests)
    )
    return Job(language=language, code=code, kind="stdio", signature=None, tests=specs, limits=limits or Limits())


def test_stdio_accepted_is_one_execution_and_counts_requests(judge0):
    job = stdio_job(ADD, [("1 2\n", "3\n"), ("10 20", "30"), ("-5 5\n", "0")])
    report = Judge0Executor().run(job)

    assert report.verdict == Verdict.ACCEPTED
    assert [t.passed for t in report.tests] == [True, True, True]
    assert report.tests[1].actual.strip() == "30"
    assert report.executions == 1
    stats = judge0.snapshot()
    assert stats["executions"] == 1 and stats["creates"] == 1 and stats["batch_creates"] == 0
    # Every HTTP call is counted: one create plus the polls.
    assert report.http_requests == stats["requests"] == 1 + stats["batch_gets"]
    assert report.backend == "judge0" and report.latency_ms > 0
    assert all(t.time_ms is not None for t in report.tests)


def test_stdio_wrong_answer_names_the_failing_test(judge0):
    job = stdio_job(ADD, [("1 2", "3"), ("2 2", "5"), ("3 3", "6")])
    report = Judge0Executor().run(job)
    assert report.verdict == Verdict.WRONG_ANSWER
    assert [t.verdict for t in report.tests[:2]] == [Verdict.ACCEPTED, Verdict.WRONG_ANSWER]
    assert report.tests[1].actual.strip() == "4"


def test_stdio_time_limit(judge0):
    job = stdio_job("while True:\n    pass\n", [("", "1")], limits=Limits(time_limit_ms=500))
    report = Judge0Executor().run(job)
    assert report.verdict == Verdict.TIME_LIMIT_EXCEEDED
    assert report.tests[0].passed is False


def test_stdio_compile_error_carries_compiler_message(judge0):
    code = "#include <iostream>\nint main() { std::cout << 1 << std::endl return 0; }\n"
    report = Judge0Executor().run(stdio_job(code, [("", "1"), ("", "1")], language="cpp"))
    assert report.verdict == Verdict.COMPILE_ERROR
    assert "error" in report.compile_output
    assert not any(t.passed for t in report.tests) and report.executions == 1


def test_stdio_runtime_error_and_output_limit(judge0):
    crash = Judge0Executor().run(stdio_job("raise ValueError('boom')\n", [("", "1")]))
    assert crash.verdict == Verdict.RUNTIME_ERROR
    assert "ValueError" in crash.tests[0].stderr

    flood = stdio_job("print('x' * 5000)\n", [("", "x")], limits=Limits(output_limit_bytes=2048))
    assert Judge0Executor().run(flood).verdict == Verdict.OUTPUT_LIMIT_EXCEEDED


def test_stdio_non_exact_modes_are_compared_here_not_by_judge0(judge0):
    code = "print(1/3)\nprint('b')\nprint('a')\n"
    job = stdio_job(code, [("", "0.33333333\nb\na", "float"), ("", "a\nb\n0.3333333333333333", "unordered")])
    report = Judge0Executor().run(job)
    assert report.verdict == Verdict.ACCEPTED
    # Judge0 got no expected_output for these (it would have said Wrong Answer).
    assert all(sub.expected_output is None for sub in judge0.submissions.values())


def test_non_ascii_output_round_trips_through_base64(judge0):
    text = "héllo wörld ✓ 日本語 " * 5  # > 60 Base64 chars: Judge0 wraps lines
    code = "import sys\nsys.stdout.write(input() + '\\n')\n"
    report = Judge0Executor().run(stdio_job(code, [(text, text)]))
    assert report.verdict == Verdict.ACCEPTED
    assert report.tests[0].actual.rstrip("\n") == text
    # The stand-in wraps Base64 like Ruby's encode64; the decoder is lenient about it.
    assert b64decode_text("aMOp\nbGxv\n") == "héllo"


def test_45_stdio_tests_are_still_one_execution_and_one_create(judge0):
    tests = [(f"{i} {i}", str(2 * i)) for i in range(45)]
    report = Judge0Executor().run(stdio_job(ADD, tests))
    assert report.verdict == Verdict.ACCEPTED and len(report.tests) == 45
    stats = judge0.snapshot()
    assert [p for p in stats["paths"] if p.startswith("POST")] == ["POST /submissions"]
    assert stats["executions"] == report.executions == 1


def test_queue_full_503_is_retryable_then_a_second_run_succeeds(judge0):
    judge0.inject(status=503, body={"error": "queue is full"})
    job = stdio_job(ADD, [("1 1", "2")])
    with pytest.raises(RetryableExecutorError, match="queue is full") as info:
        Judge0Executor().run(job)
    assert info.value.http_requests == 1 and info.value.executions == 0

    report = Judge0Executor().run(job)
    assert report.verdict == Verdict.ACCEPTED


@pytest.mark.parametrize(
    "fault",
    [
        {"status": 429, "body": {"message": "You have exceeded the rate limit per hour"}},
        {"status": 502, "body": None},
        {"status": 200, "malformed": True},
    ],
)
def test_rate_limit_server_errors_and_malformed_json_are_retryable(judge0, fault):
    judge0.inject(**fault)
    with pytest.raises(RetryableExecutorError):
        Judge0Executor().run(stdio_job(ADD, [("1 1", "2")]))


def test_a_hanging_judge0_times_out_as_retryable(judge0, settings):
    settings.JUDGE0_TIMEOUT = 0.3
    judge0.inject(status=0, hang=1.5)
    with pytest.raises(RetryableExecutorError, match="did not answer"):
        Judge0Executor().run(stdio_job(ADD, [("1 1", "2")]))


def test_slow_results_need_several_polls(judge0):
    judge0.polls_before_done = 4
    report = Judge0Executor().run(stdio_job(ADD, [("1 2", "3")]))
    assert report.verdict == Verdict.ACCEPTED
    stats = judge0.snapshot()
    assert stats["batch_gets"] >= 5  # 2 x In Queue, 2 x Processing, then the result
    assert report.http_requests == 1 + stats["batch_gets"]


def test_poll_deadline_raises_retryable(judge0):
    judge0.polls_before_done = 10**6
    executor = Judge0Executor(poll_deadline=0.6)
    with pytest.raises(RetryableExecutorError, match="had not finished 1 of 1") as info:
        executor.run(stdio_job(ADD, [("1 2", "3")]))
    assert info.value.executions == 1 and info.value.http_requests >= 3


def test_wrong_token_is_a_configuration_error_with_an_admin_message(judge0, settings):
    settings.JUDGE0_AUTH_TOKEN = "not-the-token"
    with pytest.raises(ExecutorError) as info:
        Judge0Executor().run(stdio_job(ADD, [("1 1", "2")]))
    assert not isinstance(info.value, RetryableExecutorError)
    assert "401" in str(info.value) and "JUDGE0_AUTH_TOKEN" in str(info.value)
    assert judge0.snapshot()["unauthorized"] == 1


def test_422_and_partly_invalid_batches_are_configuration_errors(judge0):
    with Judge0Client.from_settings() as client:
        with pytest.raises(ExecutorError, match="422") as info:
            client.create_submission(SubmissionRequest(language_id=9999, source_code="print(1)"))
        assert "language with id 9999" in str(info.value)
        assert not isinstance(info.value, RetryableExecutorError)
        # 201 with an error object in place of one item: still an error.
        good = SubmissionRequest(language_id=71, source_code="print(1)")
        bad = SubmissionRequest(language_id=71, source_code="print(1)", cpu_time_limit=99)
        with pytest.raises(ExecutorError, match="batch item 1"):
            client.create_batch([good, bad])
    with pytest.raises(ExecutorError, match="'multi' must be a language id"):
        Judge0Executor(language_ids={"multi": "eighty-nine"}).run(stdio_job("x", [("", "")]))


def test_client_low_level_batch_api_and_info_endpoints(judge0):
    with Judge0Client.from_settings(batch_size=2) as client:
        tokens = client.create_batch(
            [
                SubmissionRequest(language_id=71, source_code="print(input())", stdin=str(i), expected_output=str(i))
                for i in range(5)
            ]
        )
        assert len(tokens) == 5 and judge0.snapshot()["batch_creates"] == 3
        results = Judge0Executor(poll_initial=0.05).wait_for(client, tokens)
        assert [r.status_id for r in results] == [3] * 5
        assert [r.stdout.strip() for r in results] == ["0", "1", "2", "3", "4"]
        assert client.get_batch(["00000000-0000-0000-0000-000000000000"]) == [None]
        single = client.get_submission(tokens[0])
        assert single.finished and single.time_ms is not None
        assert client.about()["version"] == "1.13.1"
        assert {"id": 71, "name": "Python (3.8.1)"} in client.languages()
        assert client.config_info()["max_submission_batch_size"] == 20


def test_rapidapi_headers_replace_the_auth_token(judge0, settings):
    settings.JUDGE0_RAPIDAPI_KEY = "rapid-key-123"
    judge0.auth_token = ""  # RapidAPI's gateway checks the key, not Judge0
    with Judge0Client.from_settings() as client:
        client.about()
        headers = client.session.headers
    assert headers["X-RapidAPI-Key"] == "rapid-key-123"
    assert headers["X-RapidAPI-Host"] == "judge0-ce.p.rapidapi.com"
    assert "X-Auth-Token" not in headers


def test_auth_token_never_reaches_the_logs(judge0, settings, caplog):
    caplog.set_level(logging.DEBUG)
    Judge0Executor().run(stdio_job(ADD, [("1 1", "2")]))
    judge0.inject(status=503, body={"error": "queue is full"})
    with pytest.raises(RetryableExecutorError) as retry:
        Judge0Executor().run(stdio_job(ADD, [("1 1", "2")]))
    settings.JUDGE0_URL = "http://127.0.0.1:9"  # nothing listens: connection refused
    with pytest.raises(RetryableExecutorError) as unreachable:
        Judge0Executor().run(stdio_job(ADD, [("1 1", "2")]))
    settings.JUDGE0_URL = judge0.url
    settings.JUDGE0_AUTH_TOKEN = "wrong-token-9d1c"
    with pytest.raises(ExecutorError) as refused:
        Judge0Executor().run(stdio_job(ADD, [("1 1", "2")]))
    logging.getLogger("submissions").error("run failed: %s / %s / %s", retry.value, unreachable.value, refused.value)
    assert "wrong-token-9d1c" not in caplog.text and "wrong-token-9d1c" not in str(refused.value)
    # Logging did capture the traffic and our own failure lines...
    assert "urllib3" in caplog.text and "judge0 POST /submissions failed (retryable)" in caplog.text
    assert TOKEN not in caplog.text
    assert TOKEN not in str(retry.value) and TOKEN not in str(unreachable.value)


def test_the_standin_executes_inside_the_sandbox(judge0):
    assert judge0.runner.name == "sandbox"
    code = "import os\nprint(sorted(os.environ))\nprint(os.path.exists('/etc/shadow'))\n"
    report = Judge0Executor().run(stdio_job(code, [("", None)]))
    assert report.verdict == Verdict.ACCEPTED
    # An empty environment (no database URL, no token) and no host /etc/shadow.
    assert "TEST_DATABASE_URL" not in report.tests[0].actual and "JUDGE0" not in report.tests[0].actual
    assert report.tests[0].actual.split("\n")[1] == "False"


def result(status_id, **fields):
    return SubmissionResult(token="t", status_id=status_id, status_description=f"status {status_id}", **fields)


@pytest.mark.parametrize(
    ("status_id", "fields", "verdict"),
    [
        (3, {}, Verdict.ACCEPTED),
        (4, {}, Verdict.WRONG_ANSWER),
        (5, {}, Verdict.TIME_LIMIT_EXCEEDED),
        (6, {"compile_output": "main.cpp:1: error"}, Verdict.COMPILE_ERROR),
        (7, {}, Verdict.RUNTIME_ERROR),
        (8, {}, Verdict.OUTPUT_LIMIT_EXCEEDED),
        (9, {}, Verdict.RUNTIME_ERROR),
        (10, {}, Verdict.RUNTIME_ERROR),
        (11, {"exit_code": 1, "stderr": "ValueError: x"}, Verdict.RUNTIME_ERROR),
        (12, {}, Verdict.RUNTIME_ERROR),
        (13, {"message": "No such file or directory @ rb_sysopen - /box/script.py"}, Verdict.SYSTEM_ERROR),
        (14, {}, Verdict.SYSTEM_ERROR),
        # No memory status in Judge0: inferred from the kill at the limit, or the runtime's own error.
        (11, {"exit_code": 137, "memory_kb": 262000}, Verdict.MEMORY_LIMIT_EXCEEDED),
        (11, {"exit_code": 137, "memory_kb": 1000}, Verdict.RUNTIME_ERROR),
        (7, {"memory_kb": 261000}, Verdict.MEMORY_LIMIT_EXCEEDED),
        (11, {"exit_code": 1, "stderr": "Traceback ...\nMemoryError"}, Verdict.MEMORY_LIMIT_EXCEEDED),
        (
            10,
            {"stderr": "terminate called after throwing an instance of 'std::bad_alloc'"},
            Verdict.MEMORY_LIMIT_EXCEEDED,
        ),
        (11, {"exit_code": 1, "stderr": "Error: Could not reserve enough space for object heap"}, Verdict.SYSTEM_ERROR),
    ],
)
def test_every_judge0_status_maps_onto_a_verdict(status_id, fields, verdict):
    got, note = verdict_for(result(status_id, **fields), memory_limit_kb=262144)
    assert got == verdict
    if verdict == Verdict.SYSTEM_ERROR:
        assert note  # admin-readable
    if status_id == 13:
        assert "rb_sysopen" in note


class FakeProgram:
    """The shape of a SupervisedProgram the request builder reads."""

    def __init__(self, files, config, compile_argv=None):
        self.files, self.stdin, self.compile_argv = files, json.dumps(config), compile_argv


def config(n=3, *, time_limit_ms=2000, memory_limit_kb=262144, startup_ms=300, compile_cpu_ms=None):
    tests = [{"id": k, "stdin": f"{k}\n", "hidden": k > 0, "expect": None} for k in range(n)]
    return {
        "nonce": "n" * 32,
        "kind": "stdio",
        "time_limit_ms": time_limit_ms,
        "memory_limit_kb": memory_limit_kb,
        "startup_ms": startup_ms,
        "compile": None
        if compile_cpu_ms is None
        else {"argv": ["g++"], "cpu_ms": compile_cpu_ms, "wall_ms": 2 * compile_cpu_ms},
        "tests": tests,
    }


def test_the_language_89_request_is_a_deterministic_zip_with_a_run_script_and_no_source():
    files = {"supervisor.py": "print('supervisor')\n", "runner.py": "pass\n", "solution.py": "x = 'é'\n"}
    program = FakeProgram(files, config())
    executor = Judge0Executor(language_ids={"python": 71})
    job = stdio_job(ADD, [("1 2", "3")] * 3)
    request = executor.request_for(program, executor.plan(job, program))
    body = request.payload()
    assert body["language_id"] == 89 and "source_code" not in body and "expected_output" not in body
    assert base64.b64decode(body["stdin"]).decode() == program.stdin  # the supervisor config
    archive = zipfile.ZipFile(io.BytesIO(base64.b64decode(body["additional_files"])))
    names = archive.namelist()
    assert names == sorted(names) == ["run", "runner.py", "solution.py", "supervisor.py"]  # no compile script
    assert archive.read("run").decode() == "exec /usr/local/python-3.8.1/bin/python3 -I -S supervisor.py\n"
    assert archive.read("solution.py").decode() == "x = 'é'\n"
    assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    # Deterministic: the same program is the same archive, byte for byte.
    again = executor.request_for(FakeProgram(dict(reversed(files.items())), config()), executor.plan(job, program))
    assert again.additional_files == request.additional_files
    with pytest.raises(ExecutorError, match="'run'"):
        executor.request_for(FakeProgram({**files, "run": "x"}, config()), executor.plan(job, program))


def test_limits_cover_every_test_start_up_and_compile_within_judge0_maxima(settings):
    executor = Judge0Executor(language_ids={"python": 71})
    stdio = stdio_job(ADD, [("", "")] * 3, limits=Limits(time_limit_ms=2000))
    plan = executor.plan(stdio, FakeProgram({}, config(3)))
    # 3 tests x (2 s + 0.3 s start-up: a stdio program starts again per test) + 0.3 s supervisor.
    assert (plan.cpu_time_limit, plan.wall_time_limit) == (7.2, 15.4)
    assert plan.memory_limit == 262144 + 48 * 1024 and plan.max_file_size == 4096
    function = Job(language="cpp", code="", kind="function", signature={}, tests=stdio.tests, limits=stdio.limits)
    compiled = executor.plan(
        function,
        FakeProgram({}, config(3, time_limit_ms=1000, startup_ms=100, compile_cpu_ms=5000, memory_limit_kb=65536)),
    )
    assert compiled.cpu_time_limit == 5 + 0.1 + 3 * 1 + 0.3  # compile + one start-up + tests + supervisor
    assert compiled.memory_limit == 384 * 1024  # what the compile inside the run needs
    huge = executor.plan(stdio, FakeProgram({}, config(100, memory_limit_kb=4096 * 1024)))
    assert (huge.cpu_time_limit, huge.wall_time_limit, huge.memory_limit) == (15.0, 20.0, 512000)
    java = Job(language="java", code="", kind="function", signature={}, tests=stdio.tests, limits=stdio.limits)
    assert executor.plan(java, FakeProgram({}, config(1))).max_processes_and_or_threads == 120


def callback_result(status_id, message, memory_kb=None, stderr=None):
    # A callback body: the 8 default fields only (no exit_code / exit_signal).
    return SubmissionResult(token="t", status_id=status_id, message=message, memory_kb=memory_kb, stderr=stderr)


def test_host_facts_read_judge0s_view_on_both_delivery_paths():
    from submissions.executors.judge0 import _Plan, host_facts

    plan = _Plan(cpu_time_limit=5, wall_time_limit=11, memory_limit=100000, max_file_size=4096)
    oom = host_facts(callback_result(12, "Caught fatal signal 9", memory_kb=99000), plan=plan)
    assert (oom.signal, oom.exit_code, oom.oom_killed, oom.timed_out) == (9, None, True, False)
    polled = host_facts(
        SubmissionResult(token="t", status_id=12, exit_signal=9, exit_code=0, memory_kb=99000), plan=plan
    )
    assert (polled.signal, polled.exit_code, polled.oom_killed) == (9, None, True)
    crash = host_facts(
        callback_result(11, "Exited with error status 1", stderr="OSError: [Errno 27] File too large"), plan=plan
    )
    assert (crash.exit_code, crash.signal, crash.output_exceeded, crash.oom_killed) == (1, None, True, False)
    through_bash = host_facts(callback_result(11, "Exited with error status 137", memory_kb=10), plan=plan)
    assert (through_bash.exit_code, through_bash.signal, through_bash.oom_killed) == (137, 9, False)
    timeout = host_facts(callback_result(5, "Time limit exceeded"), plan=plan)
    assert timeout.timed_out and timeout.exit_code is None

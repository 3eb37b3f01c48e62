"""JudgeResult: the one validated result from executor report to cache to Submission, and
hostile program output (NUL, invalid UTF-8, terminal escapes) stored in the real PostgreSQL
through the whole pipeline and shown escaped."""

import math

import pytest
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from problems.tests.factories import ProblemFactory, TestCaseFactory
from submissions import services
from submissions.executors.base import ExecutionReport, Job, Limits, TestOutcome, TestSpec, Verdict
from submissions.executors.local import LocalExecutor
from submissions.judge_result import InvalidResult, JudgeResult, TestResult, safe_text
from submissions.models import CachedResult, Status, Submission

JOB = Job(
    language="python",
    code="x",
    kind="stdio",
    signature=None,
    limits=Limits(),
    tests=(
        TestSpec(index=0, input="1\n", expected="1\n", is_sample=True),
        TestSpec(index=1, input="SECRET-IN\n", expected="SECRET-OUT\n", is_sample=False),
    ),
)


def outcome(index, verdict="accepted", **kw):
    return TestOutcome(index=index, verdict=verdict, passed=verdict == "accepted", **kw)


class TestSafeText:
    @pytest.mark.parametrize(
        ("raw", "shown"),
        [
            ("a\x00b", "a\\x00b"),
            ("\x1b[31mred", "\\x1b[31mred"),
            (b"bad \xff byte".decode("utf-8", "surrogateescape"), "bad \\xff byte"),
            (b"\xc3\x28", "\\xc3("),
            ("lone \ud800", "lone \\ud800"),
            ("rtl \u202eevil", "rtl \\u202eevil"),
            ("tab\tnew\nline\r\n", "tab\tnew\nline\n"),
            ("lone\rcr\x7f", "lone\\x0dcr\\x7f"),
            ("ünïcödé ✓ 日本", "ünïcödé ✓ 日本"),
        ],
    )
    def test_escapes_what_postgres_or_a_terminal_would_choke_on(self, raw, shown):
        assert safe_text(raw) == shown
        assert safe_text(shown) == shown  # idempotent
        shown.encode("utf-8")  # always encodable


class TestValidation:
    @pytest.mark.parametrize("bad", [-1, math.nan, math.inf, -0.5, "5", True, 2**40])
    def test_time_and_memory_must_be_finite_non_negative_ints(self, bad):
        with pytest.raises(InvalidResult):
            TestResult(index=0, verdict="accepted", hidden=False, time_ms=bad)
        with pytest.raises(InvalidResult):
            TestResult(index=0, verdict="accepted", hidden=False, memory_kb=bad)

    def test_fractional_times_round_up_to_ints(self):
        assert TestResult(index=0, verdict="accepted", hidden=False, time_ms=0.2).time_ms == 1

    def test_unknown_verdicts_and_duplicate_indexes_are_rejected(self):
        with pytest.raises(InvalidResult):
            JudgeResult(verdict="accepted!!")
        with pytest.raises(InvalidResult):
            TestResult(index=0, verdict="pwned", hidden=False)
        t = TestResult(index=0, verdict="accepted", hidden=False)
        with pytest.raises(InvalidResult):
            JudgeResult(verdict="accepted", tests=(t, t))

    def test_hidden_tests_never_carry_their_data(self):
        t = TestResult(index=3, verdict="wrong_answer", hidden=True, input="in", expected="out")
        assert t.input is None and t.expected is None

    def test_from_report_takes_hidden_and_data_from_the_job_not_the_report(self):
        report = ExecutionReport(
            verdict="wrong_answer",
            tests=[outcome(0), outcome(1, "wrong_answer", actual="x")],
            cacheable=True,
            executions=1,
        )
        result = JudgeResult.from_report(report, JOB, executor="local")
        sample, hidden = result.tests
        assert not sample.hidden and sample.input == "1\n"
        assert hidden.hidden and hidden.input is None and hidden.expected is None
        assert result.trusted and result.executions == 1 and result.executor == "local"

    def test_from_report_rejects_tests_the_job_does_not_have(self):
        report = ExecutionReport(verdict="accepted", tests=[outcome(0), outcome(7)])
        with pytest.raises(InvalidResult):
            JudgeResult.from_report(report, JOB)

    def test_a_system_error_is_never_trusted(self):
        report = ExecutionReport(verdict="system_error", tests=[], message="boom", cacheable=True)
        result = JudgeResult.from_report(report, JOB)
        assert not result.trusted and result.internal_error == "boom"

    def test_not_run_tests_do_not_decide_the_verdict(self):
        report = ExecutionReport(verdict="not_run", tests=[outcome(0), outcome(1, "time_limit_exceeded")])
        assert JudgeResult.from_report(report, JOB).verdict == "time_limit_exceeded"


class TestJson:
    def result(self):
        report = ExecutionReport(
            verdict="runtime_error",
            cacheable=True,
            compile_output="warn\x00",
            tests=[outcome(0, stdout="\x00hi"), outcome(1, "runtime_error", stderr="tb")],
        )
        return JudgeResult.from_report(report, JOB, executor="local")

    def test_round_trip(self):
        result = self.result()
        assert JudgeResult.from_json(result.to_json()) == result
        assert result.to_json()["tests"][0]["stdout"] == "\\x00hi"

    @pytest.mark.parametrize(
        "mutate",
        [
            lambda p: p.pop("v"),
            lambda p: p.update(verdict="accepted!!"),
            lambda p: p.update(tests="nope"),
            lambda p: p["tests"][0].update(time_ms=-5),
            lambda p: p["tests"][0].update(time_ms=float("nan")),
            lambda p: p["tests"][0].update(passed=False),
            lambda p: p["tests"][1].update(input="SECRET-IN\n"),
            lambda p: p["tests"][0].update(stdout="\x00raw"),
            lambda p: p["tests"][0].pop("stderr"),
            lambda p: p.update(trusted="yes"),
            lambda p: p.update(runtime_ms=1),
        ],
    )
    def test_malformed_payloads_are_rejected(self, mutate):
        payload = self.result().to_json()
        mutate(payload)
        with pytest.raises(InvalidResult):
            JudgeResult.from_json(payload)

    def test_a_malformed_cache_entry_is_a_miss(self, db):
        from submissions import result_cache

        user = UserFactory()
        problem = ProblemFactory(slug="junk-cache", kind="stdio", signature={})
        TestCaseFactory(problem=problem, order=0, input="", expected_output="ok\n", is_sample=True)
        sub = Submission.objects.create(user=user, problem=problem, language="python", code="print('ok')\n")
        key = result_cache.content_key(problem=problem, job=services.build_job(sub), mode=sub.mode, stdin=None)
        CachedResult.objects.create(
            key=key,
            problem=problem,
            language="python",
            payload={"verdict": "accepted", "tests": [{"time_ms": float("-1")}]},
        )
        assert services._cached(key) is None
        assert services.judge(submission_id=sub.pk, execute=False) is None  # fast path: a miss, left queued
        assert Submission.objects.get(pk=sub.pk).status == Status.QUEUED


HOSTILE = (
    "import sys\n"
    "sys.stdout.write('nul:\\x00 esc:\\x1b[31m red\\n')\n"
    "sys.stdout.flush()\n"
    "sys.stdout.buffer.write(b'bad:\\xff\\xfe end\\n')\n"
    "sys.stdout.buffer.flush()\n"
    "sys.stderr.write('err:\\x00\\x07\\n')\n"
)


@pytest.mark.django_db(transaction=True)
def test_hostile_output_is_stored_in_postgres_and_shown_escaped(settings):
    """Through the real pipeline on the local sandbox: the NUL no longer fails the write
    (the submission used to stay running and be re-executed by every sweep)."""
    settings.EXECUTOR_BACKEND = "local"
    problem = ProblemFactory(slug="hostile-out", kind="stdio", signature={})
    TestCaseFactory(problem=problem, order=0, input="", expected_output="x\n", is_sample=True)
    user = UserFactory()
    sub = Submission.objects.create(user=user, problem=problem, language="python", code=HOSTILE, mode="run")
    done = services.judge_submission(submission_id=sub.pk, executor=LocalExecutor())
    assert done.status == Status.FINISHED and done.verdict == Verdict.WRONG_ANSWER
    stored = Submission.objects.get(pk=sub.pk).tests[0]  # read back from PostgreSQL
    blob = stored["actual"] + stored["stderr"]
    assert "\\x00" in blob and "\\x1b[31m" in blob
    # Invalid UTF-8: escaped (\\xff) or replaced (U+FFFD) by the executor's decoding, never raw.
    assert "bad:\\xff\\xfe end" in blob or "bad:\ufffd\ufffd end" in blob
    assert "\x00" not in blob and "\x1b" not in blob

    client = APIClient()
    client.force_authenticate(user)
    body = client.get(f"/api/v1/submissions/{sub.pk}/").json()
    assert "\\x00" in body["tests"][0]["actual"] and "\x1b" not in str(body)
    from django.test import Client

    page = Client()
    page.force_login(user)
    html = page.get(f"/submissions/{sub.pk}/").content.decode()
    assert "nul:\\x00 esc:\\x1b[31m red" in html and "\x1b" not in html and "\x00" not in html


@pytest.mark.django_db
def test_code_with_a_nul_is_refused_not_a_500():
    problem = ProblemFactory(slug="nul-code", kind="stdio", signature={})
    with pytest.raises(services.SubmissionRejected) as info:
        services.submit_code(user=UserFactory(), problem=problem, language="python", code="print(1)\x00", mode="submit")
    assert "code" in info.value.message_dict


@pytest.mark.django_db
def test_a_report_postgres_would_refuse_still_finishes_the_submission():
    """Last line of defence: a malformed executor report ends as system_error (never cached)
    instead of crashing the task and leaving the submission running."""

    class Forged:
        name = "local"

        def run(self, job, on_test=None):
            return ExecutionReport(
                verdict="accepted",
                tests=[TestOutcome(index=0, verdict="accepted", passed=True, time_ms=float("nan"))],
                executions=1,
            )

    problem = ProblemFactory(slug="forged", kind="stdio", signature={})
    TestCaseFactory(problem=problem, order=0, input="", expected_output="x\n", is_sample=True)
    sub = Submission.objects.create(user=UserFactory(), problem=problem, language="python", code="print('x')")
    done = services.judge_submission(submission_id=sub.pk, executor=Forged())
    assert done.status == Status.FINISHED and done.verdict == "system_error"
    assert "rejected" in done.internal_error and not CachedResult.objects.exists()

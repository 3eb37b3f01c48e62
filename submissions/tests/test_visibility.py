"""The one hidden-test visibility rule (selectors.visible_result) as the REST API, the pages
and the mentor's tools apply it: hidden tests are counts plus the first failure's verdict
and time; never their index, data, output, message or memory."""

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.tests.factories import StaffFactory, UserFactory
from submissions import selectors
from submissions.models import Status, Submission

from .conftest import make_stdio_problem

pytestmark = pytest.mark.django_db
SECRETS = ("SECRET-IN", "SECRET-EXP", "SECRET-ACTUAL", "SECRET-STDOUT", "SECRET-STDERR", "SECRET-MSG")


def entry(index, verdict, *, hidden, time_ms=5, memory_kb=900, **data):
    base = {
        "index": index,
        "sample": not hidden,
        "hidden": hidden,
        "custom": False,
        "passed": verdict == "accepted",
        "verdict": verdict,
        "time_ms": time_ms,
        "memory_kb": memory_kb,
        "input": None,
        "expected": None,
        "actual": None,
        "stdout": "",
        "stderr": "",
        "message": "",
    }
    return {**base, **data}


def hidden_leaky(index, verdict, **kw):
    # Even if hidden data had been stored, nothing of it may be shown.
    return entry(
        index,
        verdict,
        hidden=True,
        input="SECRET-IN",
        expected="SECRET-EXP",
        actual="SECRET-ACTUAL",
        stdout="SECRET-STDOUT",
        stderr="SECRET-STDERR",
        message="SECRET-MSG",
        memory_kb=777777,
        **kw,
    )


def make(user, *, verdict="time_limit_exceeded", compile_output=""):
    tests = [entry(0, "accepted", hidden=False, input="1 2\n", expected="3\n", actual="3\n", stdout="dbg")]
    tests += [entry(1, "accepted", hidden=False, input="5 7\n", expected="12\n", actual="12\n")]
    # 10 hidden tests: 7 passed, one TLE (run order is random; stored by index), 2 not run.
    for i in range(2, 12):
        if i in (5, 9):
            tests.append(hidden_leaky(i, "not_run", time_ms=None))
        elif i == 7:
            tests.append(hidden_leaky(i, "time_limit_exceeded", time_ms=2001))
        else:
            tests.append(hidden_leaky(i, "accepted"))
    return Submission.objects.create(
        user=user,
        problem=make_stdio_problem(hidden=10),
        language="python",
        code="print()",
        status=Status.FINISHED,
        verdict=verdict,
        tests=tests,
        compile_output=compile_output,
        runtime_ms=2001,
        memory_kb=777777,
        finished_at=timezone.now(),
    )


def test_selector_gives_counts_for_hidden_tests():
    user = UserFactory()
    shown = selectors.visible_result(submission=make(user), viewer=user)
    assert [t["index"] for t in shown["tests"]] == [0, 1]
    assert shown["hidden"] == {
        "total": 10,
        "passed": 7,
        "failed": 1,
        "not_run": 2,
        "first_failure": {"verdict": "time_limit_exceeded", "verdict_label": "Time limit exceeded", "time_ms": 2001},
    }
    assert shown["memory_kb"] == 900
    assert not any(s in str(shown) for s in SECRETS) and "777777" not in str(shown)


def test_api_shows_no_hidden_index_data_or_memory():
    user = UserFactory()
    sub = make(user)
    client = APIClient()
    client.force_authenticate(user)
    body = client.get(f"/api/v1/submissions/{sub.pk}/").json()
    assert [t["index"] for t in body["tests"]] == [0, 1]
    assert body["hidden_tests"] == {
        "total": 10,
        "passed": 7,
        "failed": 1,
        "not_run": 2,
        "first_failure": {"verdict": "time_limit_exceeded", "time_ms": 2001},
    }
    assert body["failed_test"] == {"index": None, "sample": False, "verdict": "time_limit_exceeded"}
    assert body["memory_kb"] == 900
    text = str(body)
    assert not any(s in text for s in SECRETS) and "777777" not in text
    listed = client.get("/api/v1/submissions/").json()["results"][0]
    assert listed["memory_kb"] == 900


def test_pages_show_counts_not_a_per_hidden_index_list():
    user = UserFactory()
    sub = make(user)
    client = Client()
    client.force_login(user)
    for url in (f"/submissions/{sub.pk}/", f"/submissions/{sub.pk}/result/"):
        response = client.get(url)
        html = response.json()["html"] if url.endswith("result/") else response.content.decode()
        assert (
            "7 of 10 hidden tests passed, first failing hidden test: time limit exceeded (2001 ms), 2 not run"
        ) in html
        assert "Sample 1: passed" in html and "Sample 2: passed" in html
        assert "Test 8" not in html and "Hidden test" not in html
        assert not any(s in html for s in SECRETS) and "777777" not in html


def test_staff_support_view_sees_everything():
    sub = make(UserFactory())
    staff = StaffFactory()
    shown = selectors.visible_result(submission=sub, viewer=staff)
    assert shown["full"] and len(shown["tests"]) == 12 and "SECRET-STDOUT" in str(shown)


def test_compile_output_only_when_no_hidden_test_produced_it():
    user = UserFactory()
    sub = make(user, verdict="compile_error", compile_output="SECRET-COMPILE from a hidden run")
    # The first failing test is hidden (all samples passed): the "compile output" came from it.
    sub.tests = [t if t["index"] != 7 else {**t, "verdict": "compile_error"} for t in sub.tests]
    sub.save()
    assert selectors.visible_result(submission=sub, viewer=user)["compile_output"] == ""
    sub.tests = [{**t, "verdict": "compile_error", "passed": False} if t["index"] == 0 else t for t in sub.tests]
    sub.compile_output = "main.cpp:1: error"
    sub.save()
    assert selectors.visible_result(submission=sub, viewer=user)["compile_output"] == "main.cpp:1: error"
    sub.verdict = "wrong_answer"
    sub.save()
    assert selectors.visible_result(submission=sub, viewer=user)["compile_output"] == ""


def test_mentor_tool_reads_through_the_selector():
    """A real run of the mentor's analyze tool on the local sandbox: samples only, through
    the same visibility rule (and escaped output)."""
    from mentor import tools
    from submissions.executors.local import LocalExecutor

    user = UserFactory()
    problem = make_stdio_problem("mentor-vis", hidden=2)
    code = "a, b = map(int, input().split())\nprint('\\x00', a * b)\n"
    ctx = tools.ToolContext(user=user, problem=problem, executor=LocalExecutor())
    out = tools.run_samples(ctx, problem=problem, code=code, language="python")
    assert out["verdict"] == "wrong_answer" and out["samples_total"] == 2
    assert out["first_failing_sample"]["input"] == "1 2\n" and "\\x00" in out["first_failing_sample"]["actual"]

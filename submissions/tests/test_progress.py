"""Live per-test progress: stdio problems report each test as it finishes, on both
backends, and the workspace fragment / REST detail show them while judging."""

import dataclasses
import threading
import time

import pytest
from django.db import connection

from accounts.tests.factories import UserFactory
from submissions import progress, services
from submissions.executors.judge0 import Judge0Executor
from submissions.executors.local import LocalExecutor
from submissions.models import Status, Submission

from ._jobs import stdio_job
from .conftest import make_stdio_problem

SUM = "a, b = map(int, input().split())\nprint(a + b)\n"
# Sleeps on the hidden tests (a >= 10) so a poll can see the samples finished first.
SLOW_SUM = "import time\na, b = map(int, input().split())\nif a >= 10:\n    time.sleep(0.6)\nprint(a + b)\n"


def test_local_executor_reports_each_stdio_test_before_returning():
    seen = []
    job = stdio_job(SUM, [("1 2\n", "3\n"), ("2 2\n", "5\n"), ("5 7\n", "12\n")])
    job = dataclasses.replace(job, stop_on_failure=False)  # every test runs (hidden ones in a shuffled order)
    report = LocalExecutor().run(job, on_test=lambda outcome: seen.append((outcome.index, outcome.verdict)))
    seen.sort()
    assert seen == [(t.index, t.verdict) for t in report.tests]
    assert seen == [(0, "accepted"), (1, "wrong_answer"), (2, "accepted")]


@pytest.mark.django_db
def test_judge0_executor_reports_each_stdio_test_as_its_result_is_final(judge0):
    seen = []
    job = stdio_job(SUM, [("1 2\n", "3\n"), ("2 2\n", "5\n"), ("5 7\n", "12\n")])
    job = dataclasses.replace(job, stop_on_failure=False)  # every test runs (hidden ones in a shuffled order)
    report = Judge0Executor(use_callbacks=False).run(job, on_test=seen.append)
    assert sorted((o.index, o.verdict) for o in seen) == [(0, "accepted"), (1, "wrong_answer"), (2, "accepted")]
    assert len(seen) == len(report.tests) == 3


@pytest.mark.django_db(transaction=True)
def test_workspace_and_api_show_tests_as_they_finish(client, settings):
    settings.EXECUTOR_BACKEND = "local"
    user = UserFactory()
    problem = make_stdio_problem("slow-sum", hidden=2)
    submission = Submission.objects.create(user=user, problem=problem, language="python", code=SLOW_SUM)

    def judge():
        try:
            services.judge_submission(submission_id=submission.pk)
        finally:
            connection.close()  # this thread's own connection

    judging = threading.Thread(target=judge)
    client.force_login(user)

    judging.start()
    try:
        partial = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and partial is None:
            body = client.get(f"/submissions/{submission.pk}/result/").json()
            if not body["finished"] and "2 of 4 tests done" in body["html"]:
                partial = body
            time.sleep(0.05)
        api = client.get(f"/api/v1/submissions/{submission.pk}/").json()
    finally:
        judging.join(60)

    assert partial is not None, "never saw the samples finished while the hidden tests ran"
    assert "Sample 1: passed" in partial["html"] and "Sample 2: passed" in partial["html"]
    assert api["status"] in ("running", "finished")
    assert [t["index"] for t in api["tests"]][:2] == [0, 1]
    submission.refresh_from_db()
    assert submission.status == Status.FINISHED and submission.verdict == "accepted"
    assert len(submission.tests) == 4
    assert progress.tests_so_far(submission_id=submission.pk) == []  # dropped with the verdict


@pytest.mark.django_db
def test_progress_keeps_hidden_test_data_out(client):
    user = UserFactory()
    problem = make_stdio_problem("sum-hidden", hidden=1)
    submission = Submission.objects.create(
        user=user, problem=problem, language="python", code=SUM, status=Status.RUNNING
    )
    progress.publish(
        submission_id=submission.pk,
        test={
            "index": 2,
            "sample": False,
            "custom": False,
            "passed": False,
            "verdict": "wrong_answer",
            "time_ms": 5,
            "memory_kb": 800,
            "input": None,
            "expected": None,
            "actual": "SECRET-ACTUAL",
            "stdout": "",
            "stderr": "",
            "message": "",
        },
    )
    client.force_login(user)
    html = client.get(f"/submissions/{submission.pk}/result/").json()["html"]
    api = client.get(f"/api/v1/submissions/{submission.pk}/").json()
    assert "1 of 3 tests done" in html and "1 hidden test done" in html and "SECRET-ACTUAL" not in html
    assert "Test 3" not in html  # no per-index line for a hidden test
    assert api["tests"] == [] and api["tests_total"] == 1
    assert api["hidden_tests"] == {
        "total": 1,
        "passed": 0,
        "failed": 1,
        "not_run": 0,
        "first_failure": {"verdict": "wrong_answer", "time_ms": 5},
    }
    assert "SECRET-ACTUAL" not in str(api)
    client.force_login(UserFactory())
    assert client.get(f"/api/v1/submissions/{submission.pk}/").status_code == 404

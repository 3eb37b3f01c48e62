"""Submission pages and the workspace endpoints (Django test client, real PostgreSQL/Redis,
eager Celery judging on the real local sandbox)."""

import json

import pytest
from django.utils import timezone

from accounts.tests.factories import StaffFactory, UserFactory
from problems.tests.factories import ProblemFactory, TestCaseFactory
from submissions.api import SubmissionThrottle
from submissions.models import Status, Submission
from submissions.services import SYSTEM_ERROR_MESSAGE

pytestmark = pytest.mark.django_db


@pytest.fixture
def problem():
    problem = ProblemFactory(slug="add-page", is_published=True)
    for order, (a, b, sample) in enumerate([(1, 2, True), (5, 7, True), (40, 2, False), (9000, 1, False)]):
        TestCaseFactory(
            problem=problem,
            order=order,
            input=json.dumps({"a": a, "b": b}),
            expected_output=str(a + b),
            is_sample=sample,
        )
    return problem


def finished(user, problem, *, verdict="wrong_answer", tests=None, **kwargs):
    tests = (
        tests
        if tests is not None
        else [
            {
                "index": 0,
                "sample": True,
                "passed": False,
                "verdict": "wrong_answer",
                "time_ms": 3,
                "memory_kb": 900,
                "input": '{"a": 1, "b": 2}',
                "expected": "3",
                "actual": "-1",
                "stdout": "debug line",
                "stderr": "",
                "message": "",
            },
            {
                "index": 1,
                "sample": False,
                "passed": False,
                "verdict": "wrong_answer",
                "time_ms": 4,
                "memory_kb": 900,
                "input": None,
                "expected": None,
                "actual": "SECRET-ACTUAL-77",
                "stdout": "SECRET-STDOUT",
                "stderr": "",
                "message": "",
            },
        ]
    )
    return Submission.objects.create(
        user=user,
        problem=problem,
        language="python",
        code="def add(a, b): ...",
        status=Status.FINISHED,
        verdict=verdict,
        tests=tests,
        finished_at=timezone.now(),
        **kwargs,
    )


def test_pages_need_login(client, problem):
    sub = finished(UserFactory(), problem)
    for url in [f"/submissions/{sub.pk}/", f"/submissions/{sub.pk}/result/", "/submissions/history/add-page/"]:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.post("/submissions/new/", {"problem": "add-page"}).status_code == 302
    assert Submission.objects.count() == 1


def test_detail_is_owner_or_staff_only(client, problem):
    owner, other = UserFactory(), UserFactory()
    sub = finished(owner, problem)
    client.force_login(other)
    assert client.get(f"/submissions/{sub.pk}/").status_code == 404
    assert client.get(f"/submissions/{sub.pk}/result/").status_code == 404
    client.force_login(owner)
    body = client.get(f"/submissions/{sub.pk}/").content.decode()
    assert "Failing sample 1" in body and "debug line" in body
    # Hidden tests: pass/fail and time only, even for their owner.
    assert "SECRET-ACTUAL-77" not in body and "SECRET-STDOUT" not in body
    client.force_login(StaffFactory())
    body = client.get(f"/submissions/{sub.pk}/").content.decode()
    assert "by " + owner.username in body


def test_result_json_hides_hidden_tests_from_owner(client, problem):
    owner = UserFactory()
    sub = finished(owner, problem)
    client.force_login(owner)
    data = client.get(f"/submissions/{sub.pk}/result/").json()
    assert data["finished"] is True and data["verdict"] == "wrong_answer"
    assert "Wrong answer" in data["html"] and "1 / 2" not in data["html"] and "0 / 2 tests passed" in data["html"]
    assert "SECRET" not in data["html"]


def test_system_error_shows_the_kind_message(client, problem):
    owner = UserFactory()
    sub = finished(
        owner,
        problem,
        verdict="system_error",
        tests=[],
        error_message=SYSTEM_ERROR_MESSAGE,
        internal_error="Judge0 503 after 5 retries at http://judge0:2358",
    )
    client.force_login(owner)
    html = client.get(f"/submissions/{sub.pk}/result/").json()["html"]
    assert 'id="system-error"' in html and "busy or unavailable" in html
    assert "judge0:2358" not in html and "Not judged" in html


def test_unfinished_result_says_queued(client, problem):
    owner = UserFactory()
    sub = Submission.objects.create(user=owner, problem=problem, language="python", code="x", status=Status.QUEUED)
    client.force_login(owner)
    data = client.get(f"/submissions/{sub.pk}/result/").json()
    assert data["finished"] is False and "Queued" in data["html"] and "4 tests" in data["html"]
    run = Submission.objects.create(
        user=owner, problem=problem, language="python", code="x", mode="run", status=Status.RUNNING
    )
    html = client.get(f"/submissions/{run.pk}/result/").json()["html"]
    assert "Running" in html and "2 tests" in html  # a run judges the samples only


def test_create_judges_and_returns_the_result_url(client, problem, django_capture_on_commit_callbacks):
    user = UserFactory()
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/submissions/new/",
            {
                "problem": "add-page",
                "language": "python",
                "mode": "submit",
                "code": "def add(a, b):\n    return a + b\n",
            },
        )
    assert response.status_code == 201, response.content
    data = response.json()
    sub = Submission.objects.get(pk=data["id"])
    assert sub.user == user and sub.mode == "submit" and sub.stdin is None
    result = client.get(data["result_url"]).json()  # eager Celery in unit tests: judged already
    assert result["finished"] and result["verdict"] == "accepted", result
    assert "4 / 4 tests passed" in result["html"]
    history = client.get("/submissions/history/add-page/").content.decode()
    assert f"#{sub.pk}" in history and "Accepted" in history


def test_custom_run_shows_output(client, problem, django_capture_on_commit_callbacks):
    client.force_login(UserFactory())
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/submissions/new/",
            {
                "problem": "add-page",
                "language": "python",
                "mode": "run",
                "use_custom": "1",
                "stdin": '{"a": 20, "b": 22}',
                "code": "def add(a, b):\n    print('hello')\n    return a + b\n",
            },
        )
    assert response.status_code == 201, response.content
    html = client.get(response.json()["result_url"]).json()["html"]
    assert 'id="custom-output"' in html and "42" in html and "hello" in html


@pytest.mark.parametrize(
    "fields,field",
    [
        ({"language": "cobol"}, "language"),
        ({"code": "   "}, "code"),
        ({"problem": "no-such"}, "problem"),
        ({"mode": "run", "use_custom": "1", "stdin": "not json"}, "stdin"),
    ],
)
def test_create_rejects_bad_input(client, problem, fields, field):
    client.force_login(UserFactory())
    data = {"problem": "add-page", "language": "python", "mode": "submit", "code": "def add(a, b): return 1"}
    data.update(fields)
    response = client.post("/submissions/new/", data)
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert Submission.objects.count() == 0


def test_unpublished_problem_cannot_be_submitted(client, problem):
    problem.is_published = False
    problem.save()
    client.force_login(UserFactory())
    response = client.post(
        "/submissions/new/",
        {"problem": "add-page", "language": "python", "mode": "submit", "code": "def add(a, b): return a + b"},
    )
    assert response.status_code == 400 and "problem" in response.json()["errors"]


def test_create_shares_the_api_throttle(client, problem, monkeypatch):
    monkeypatch.setattr(
        SubmissionThrottle, "THROTTLE_RATES", {"submission_run": "100/min", "submission_submit": "1/min"}
    )
    client.force_login(UserFactory())
    data = {"problem": "add-page", "language": "python", "mode": "submit", "code": "def add(a, b): return a + b"}
    assert client.post("/submissions/new/", data).status_code == 201
    response = client.post("/submissions/new/", data)
    assert response.status_code == 429 and "wait" in response.json()["errors"]["__all__"][0]
    assert Submission.objects.count() == 1


def test_history_lists_only_own_submissions(client, problem):
    me, other = UserFactory(), UserFactory()
    mine, theirs = finished(me, problem), finished(other, problem)
    client.force_login(me)
    body = client.get("/submissions/history/add-page/").content.decode()
    assert f"#{mine.pk}<" in body and f"#{theirs.pk}<" not in body
    client.force_login(UserFactory())
    assert "No submissions for this problem yet" in client.get("/submissions/history/add-page/").content.decode()

"""Function problems end to end on the default backend (the local bubblewrap sandbox),
judged by the real Celery worker process of the root `celery_worker_process` fixture:
the harness runs every test in ONE execution, and identical twins share it."""

import json
import time

import pytest
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from costs.models import ApiCall
from problems.tests.factories import ProblemFactory, TestCaseFactory
from submissions.models import Status, Submission

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ADD_OK = "def add(a: int, b: int) -> int:\n    return a + b\n"


def add_problem():
    problem = ProblemFactory(slug="add-two")
    for i in range(6):
        TestCaseFactory(
            problem=problem, order=i, input=json.dumps({"a": i, "b": 10}), expected_output=str(i + 10), is_sample=i < 2
        )
    return problem


def post(user, problem, code):
    client = APIClient()
    client.force_authenticate(user)
    response = client.post(
        "/api/v1/submissions/", {"problem": problem.slug, "language": "python", "code": code}, format="json"
    )
    assert response.status_code == 201, response.content
    return response.json()["id"]


def wait_finished(ids, worker, timeout=90):
    deadline = time.monotonic() + timeout
    while Submission.objects.filter(pk__in=ids, status=Status.FINISHED).count() < len(ids):
        assert time.monotonic() < deadline, worker.log_tail()
        time.sleep(0.1)
    return list(Submission.objects.filter(pk__in=ids).order_by("id"))


def test_function_problem_is_one_execution_for_all_tests_and_twins_share_it(celery_worker_process):
    problem = add_problem()
    ids = [post(UserFactory(), problem, ADD_OK) for _ in range(5)]
    subs = wait_finished(ids, celery_worker_process)
    assert {s.verdict for s in subs} == {"accepted"}
    assert {s.executor for s in subs} == {"local"}
    assert all(len(s.tests) == 6 and all(t["passed"] for t in s.tests) for s in subs)
    calls = ApiCall.objects.filter(reference__in=[f"submission:{i}" for i in ids])
    paid = calls.filter(cache_layer="none")
    assert paid.count() == 1
    assert paid.get().provider == "local_sandbox" and paid.get().executions == 1
    assert paid.get().baseline_executions == 6
    assert sum(c.executions for c in calls) == 1


def test_function_problem_wrong_answer_on_the_worker(celery_worker_process):
    problem = add_problem()
    (sub,) = wait_finished([post(UserFactory(), problem, "def add(a, b):\n    return a - b\n")], celery_worker_process)
    assert sub.verdict == "wrong_answer"
    first = next(t for t in sub.tests if not t["passed"])
    assert first["sample"] and first["expected"] == "10" and first["actual"] == "-10"

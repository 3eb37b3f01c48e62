"""End to end with a REAL Celery worker process (threads pool) on the test PostgreSQL
database and this run's Redis, judging through the Judge0 executor against the stand-in
server (which really runs the programs). The worker is started once per session and
switched to this module's environment once (see conftest.py / testing/celery_worker.py).
"""

import time
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from costs.models import ApiCall
from problems.models import ProblemProgress
from submissions import services
from submissions.models import Status, Submission

from .conftest import SUM_OK, SUM_WRONG, make_stdio_problem

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
URL = "/api/v1/submissions/"


@pytest.fixture(scope="module")
def pipeline_worker(_celery_worker_session, judge0_server):
    env = {
        "EXECUTOR_BACKEND": "judge0",
        "JUDGE0_URL": judge0_server.url,
        "JUDGE0_AUTH_TOKEN": "",
        "JUDGE0_CALLBACK_BASE_URL": "",
        "JUDGE0_POLL_INITIAL": "0.05",
        "JUDGE0_POLL_MAX_INTERVAL": "0.1",
        "SUBMISSION_RETRY_BACKOFF": "0.3",
        "SUBMISSION_MAX_RETRIES": "2",
        "SUBMISSION_FLIGHT_LOCK_SECONDS": "30",
    }
    _celery_worker_session.restart(env=env)
    yield _celery_worker_session
    judge0_server.reset()
    _celery_worker_session.restart(env={})


@pytest.fixture
def worker(pipeline_worker, celery_worker_process, judge0_server):
    judge0_server.reset()
    if not pipeline_worker.alive:
        pipeline_worker.start()
    yield pipeline_worker
    judge0_server.reset()


def post(user, problem, code, **extra):
    client = APIClient()
    client.force_authenticate(user)
    response = client.post(URL, {"problem": problem.slug, "language": "python", "code": code, **extra}, format="json")
    assert response.status_code == 201, response.content
    return response.json()["id"]


def wait_finished(ids, worker, *, timeout=60.0):
    ids = list(ids)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if Submission.objects.filter(pk__in=ids, status=Status.FINISHED).count() == len(ids):
            return list(Submission.objects.filter(pk__in=ids).order_by("id"))
        time.sleep(0.1)
    states = list(Submission.objects.filter(pk__in=ids).values_list("id", "status", "attempts"))
    raise AssertionError(f"not finished after {timeout}s: {states}\n--- worker log ---\n{worker.log_tail()}")


def paid_calls(sub_ids):
    refs = [f"submission:{i}" for i in sub_ids]
    return ApiCall.objects.filter(reference__in=refs, cache_layer="none", status="ok")


def test_submit_is_accepted_and_counted(worker, judge0_server):
    user = UserFactory()
    problem = make_stdio_problem()
    (sub,) = wait_finished([post(user, problem, SUM_OK)], worker)
    assert sub.verdict == "accepted" and not sub.cache_hit and sub.executor == "judge0"
    assert paid_calls([sub.pk]).get().executions == 1 == judge0_server.snapshot()["executions"]
    assert ProblemProgress.objects.get(user=user, problem=problem).attempts == 1


def test_wrong_answer_names_the_failing_sample(worker):
    (sub,) = wait_finished([post(UserFactory(), make_stdio_problem(), SUM_WRONG)], worker)
    assert sub.verdict == "wrong_answer"
    client = APIClient()
    client.force_authenticate(sub.user)
    body = client.get(f"{URL}{sub.pk}/").json()
    assert body["failed_test"] == {"index": 0, "sample": True, "verdict": "wrong_answer"}
    assert body["tests"][0]["expected"] == "3\n" and body["tests"][0]["actual"].strip() == "2"


def test_run_with_custom_input(worker):
    (sub,) = wait_finished([post(UserFactory(), make_stdio_problem(), SUM_OK, mode="run", stdin="20 22\n")], worker)
    assert sub.verdict == "accepted"
    assert [(t["custom"], t["actual"].strip()) for t in sub.tests] == [(True, "42")]


def test_ten_identical_concurrent_submissions_execute_once(worker, judge0_server):
    problem = make_stdio_problem()
    judge0_server.polls_before_done = 6  # keep the first execution in flight while twins arrive
    ids = [post(UserFactory(), problem, SUM_OK) for _ in range(10)]
    subs = wait_finished(ids, worker)
    assert {s.verdict for s in subs} == {"accepted"}
    assert paid_calls(ids).count() == 1
    assert judge0_server.snapshot()["executions"] == 1  # one Judge0 submission for the 4 tests, once
    hits = ApiCall.objects.filter(reference__in=[f"submission:{i}" for i in ids]).exclude(cache_layer="none")
    assert hits.count() == 9 and set(hits.values_list("executions", flat=True)) == {0}
    assert "single_flight" in set(hits.values_list("cache_layer", flat=True))
    assert sum(s.cache_hit for s in subs) == 9


def test_resubmission_and_cosmetic_change_hit_real_change_misses(worker, judge0_server):
    problem = make_stdio_problem()
    user = UserFactory()
    (first,) = wait_finished([post(user, problem, SUM_OK)], worker)
    (again,) = wait_finished([post(user, problem, SUM_OK)], worker)
    cosmetic = "a, b = map(int, input().split())   # my sum\r\nprint(a + b)  \r\n"
    (styled,) = wait_finished([post(user, problem, cosmetic)], worker)
    assert again.cache_hit and styled.cache_hit and not first.cache_hit
    assert judge0_server.snapshot()["executions"] == 1
    (changed,) = wait_finished([post(user, problem, SUM_OK.replace("a + b", "b + a"))], worker)
    assert not changed.cache_hit and judge0_server.snapshot()["executions"] == 2
    assert ProblemProgress.objects.get(user=user, problem=problem).attempts == 4


def test_judge0_503_then_200_is_accepted_after_retry(worker, judge0_server):
    judge0_server.inject(status=503, count=1, body={"error": "queue is full"})
    (sub,) = wait_finished([post(UserFactory(), make_stdio_problem(), SUM_OK)], worker)
    assert sub.verdict == "accepted" and sub.attempts == 2
    calls = ApiCall.objects.filter(reference=f"submission:{sub.pk}").order_by("id")
    assert [c.status for c in calls] == ["error", "ok"]


def test_judge0_always_503_ends_as_system_error_not_stuck(worker, judge0_server):
    user = UserFactory()
    problem = make_stdio_problem()
    judge0_server.inject(status=503, count=1000, body={"error": "queue is full"})
    (sub,) = wait_finished([post(user, problem, SUM_OK)], worker)
    assert sub.verdict == "system_error" and "busy or unavailable" in sub.error_message
    assert sub.attempts == 3  # the first try and SUBMISSION_MAX_RETRIES=2 retries
    assert not ProblemProgress.objects.filter(user=user).exists()


def test_broker_down_at_submit_then_sweep_judges_it(worker):
    from codementor.celery import app

    def use_broker(url):
        app.conf.broker_url = url
        app._pool = None
        app.amqp._producer_pool = None

    real = app.conf.broker_url
    use_broker("redis://127.0.0.1:1/0")  # nothing listens there
    try:
        started = time.monotonic()
        sub_id = post(UserFactory(), make_stdio_problem(), SUM_OK)
        assert time.monotonic() - started < 5  # the student is not kept waiting
    finally:
        use_broker(real)
    sub = Submission.objects.get(pk=sub_id)
    assert sub.status == Status.QUEUED and sub.enqueued_at is None
    # Nothing judges it: the worker is consuming (a fresh submission sent after it is judged),
    # yet the unsent one stays queued.
    (probe,) = wait_finished(
        [post(UserFactory(), Submission.objects.get(pk=sub_id).problem, SUM_OK.replace("a + b", "b + a"))], worker
    )
    assert probe.verdict == "accepted"
    assert Submission.objects.get(pk=sub_id).status == Status.QUEUED
    counts = services.requeue_stuck_submissions(now=timezone.now() + timedelta(minutes=1))
    assert counts["enqueued"] == 1
    (sub,) = wait_finished([sub_id], worker)
    assert sub.verdict == "accepted" and sub.sweeps == 1


def test_worker_killed_mid_judge_is_redelivered_and_finishes_once(worker, judge0_server):
    user = UserFactory()
    problem = make_stdio_problem()
    judge0_server.polls_before_done = 1000  # the judge hangs in polling until we kill the worker
    sub_id = post(user, problem, SUM_OK)
    deadline = time.monotonic() + 30
    while Submission.objects.get(pk=sub_id).status != Status.RUNNING:
        assert time.monotonic() < deadline, worker.log_tail()
        time.sleep(0.05)
    # Kill it once its one execution has reached Judge0 (the judge is polling), not after a guess.
    while judge0_server.snapshot()["executions"] < 1:
        assert time.monotonic() < deadline, worker.log_tail()
        time.sleep(0.05)
    worker.kill()
    judge0_server.polls_before_done = 0
    assert Submission.objects.get(pk=sub_id).status == Status.RUNNING
    worker.start()
    (sub,) = wait_finished([sub_id], worker, timeout=90)
    assert sub.verdict == "accepted" and sub.attempts == 2
    assert paid_calls([sub_id]).count() == 1
    assert ProblemProgress.objects.get(user=user, problem=problem).attempts == 1

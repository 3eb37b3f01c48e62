"""Fairness: a per-user cap on concurrent executions (submissions/concurrency.py), so one
account's slow programs cannot hold every worker while another student waits."""

import threading
import time

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from problems.tests.factories import ProblemFactory, TestCaseFactory
from submissions import concurrency, services
from submissions.executors.local import LocalExecutor
from submissions.models import Status, Submission

SLEEPY = "import time\ntime.sleep(30)  # {n}\n"
ECHO = "print(input())  # {n}\n"


def echo_problem(slug="echo-fair", time_limit_ms=1000):
    problem = ProblemFactory(slug=slug, kind="stdio", signature={}, time_limit_ms=time_limit_ms)
    TestCaseFactory(problem=problem, order=0, input="hi\n", expected_output="hi\n", is_sample=True)
    return problem


class TestSlots:
    @pytest.mark.parametrize("backend", ["redis", "locmem"])
    def test_cap_release_and_expiry(self, settings, backend):
        if backend == "locmem":
            settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
        else:
            cache.delete_pattern("*user-slots*")
        settings.SUBMISSION_USER_CONCURRENCY = 2
        settings.SUBMISSION_USER_SLOT_SECONDS = 1
        a, b = concurrency.try_acquire(7001), concurrency.try_acquire(7001)
        assert a and b and concurrency.try_acquire(7001) is None
        assert concurrency.running(7001) == 2
        assert concurrency.try_acquire(7002)  # another user is not affected
        concurrency.release(7001, a)
        c = concurrency.try_acquire(7001)
        assert c and concurrency.try_acquire(7001) is None
        time.sleep(1.2)  # a dead worker's slots expire
        assert concurrency.running(7001) == 0 and concurrency.try_acquire(7001)

    def test_execution_slot_waits_for_a_release(self, settings):
        settings.SUBMISSION_USER_CONCURRENCY = 1
        held = concurrency.try_acquire(7003)
        threading.Timer(0.3, concurrency.release, args=(7003, held)).start()
        started = time.monotonic()
        with concurrency.execution_slot(7003, wait_seconds=5):
            assert time.monotonic() - started >= 0.25
        with concurrency.execution_slot(7003, wait_seconds=0), pytest.raises(concurrency.UserAtCapacity):
            concurrency.execution_slot(7003, wait_seconds=0).__enter__()


@pytest.mark.django_db
def test_over_the_cap_a_worker_gives_the_submission_back(settings):
    """Not eager (a real worker): no slot -> queued again and UserAtCapacity, which the task
    turns into a short retry instead of holding the worker."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.SUBMISSION_USER_CONCURRENCY = 1
    user = UserFactory()
    sub = Submission.objects.create(user=user, problem=echo_problem(), language="python", code=ECHO.format(n=1))
    token = concurrency.try_acquire(user.pk)
    try:
        with pytest.raises(concurrency.UserAtCapacity):
            services.judge_submission(submission_id=sub.pk, executor=LocalExecutor())
        sub.refresh_from_db()
        assert sub.status == Status.QUEUED
    finally:
        concurrency.release(user.pk, token)
    done = services.judge_submission(submission_id=sub.pk, executor=LocalExecutor())
    assert done.verdict == "accepted" and concurrency.running(user.pk) == 0


def post(user, problem, code, mode="run"):
    client = APIClient()
    client.force_authenticate(user)
    response = client.post(
        "/api/v1/submissions/",
        {"problem": problem.slug, "language": "python", "code": code, "mode": mode},
        format="json",
    )
    assert response.status_code == 201, response.content
    return response.json()["id"]


def wait_all(ids, worker, timeout=90, watch=None):
    deadline, peak = time.monotonic() + timeout, 0
    while Submission.objects.filter(pk__in=ids, status=Status.FINISHED).count() < len(ids):
        assert time.monotonic() < deadline, worker.log_tail()
        if watch is not None:
            peak = max(peak, concurrency.running(watch))
        time.sleep(0.05)
    return peak


def latency(sub_id) -> float:
    sub = Submission.objects.get(pk=sub_id)
    return (sub.finished_at - sub.created_at).total_seconds()


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_four_sleeping_runs_do_not_delay_another_student(celery_worker_process):
    """The issue's measurement (0.4 s -> 12.3 s before): a real worker (4 threads, local
    sandbox), one account submits 4 sleeping runs, then another student's uncached verdict
    arrives within ~2 s of its idle latency; the account never holds more than 2 slots."""
    problem = echo_problem()
    other = UserFactory()
    first = post(other, problem, ECHO.format(n="idle"))
    wait_all([first], celery_worker_process)
    idle = latency(first)

    attacker = UserFactory()
    slow = [post(attacker, problem, SLEEPY.format(n=n)) for n in range(4)]
    time.sleep(0.3)  # the sleepers have reached the worker
    victim = post(other, problem, ECHO.format(n="victim"))
    peak = wait_all(slow + [victim], celery_worker_process, watch=attacker.pk)

    assert Submission.objects.get(pk=victim).verdict == "accepted"
    assert {s.verdict for s in Submission.objects.filter(pk__in=slow)} == {"time_limit_exceeded"}
    assert peak <= 2
    assert latency(victim) - idle < 2.5, (idle, latency(victim))

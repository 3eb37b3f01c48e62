"""Repeatable fault injection on the judging pipeline: nothing lost, nothing stuck, judged at
most once.

A dedicated real Celery worker (threads pool) runs against the test PostgreSQL database and a
PRIVATE redis-server started here on a free port (broker + the worker's cache), so restarting
Redis does not disturb anyone else's tests. Judging goes through the Judge0 executor against
our own Judge0 stand-in (real HTTP, programs really run in the sandbox), whose faults we
control: slow, 503, malformed JSON, down.

For each fault the test states what the student sees (status/verdict/message), what the
ledger records (ApiCall rows) and that the submission reaches `finished` exactly once.
"""

import contextlib
import shutil
import socket
import subprocess
import tempfile
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
from submissions.tests.conftest import SUM_OK, make_stdio_problem
from testing.celery_worker import CeleryWorker, database_url
from testing.judge0_standin import Judge0StandIn

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateRedis:
    """A throw-away redis-server without persistence: a restart loses every key (worst case)."""

    def __init__(self):
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="faults-redis-")
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server"),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.dir,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("private redis-server did not start")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None

    def restart(self):
        self.stop()
        return self.start()


@pytest.fixture(scope="module")
def redis_server():
    server = PrivateRedis().start()
    yield server
    server.stop()
    shutil.rmtree(server.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def judge0_port():
    return free_port()


@pytest.fixture(scope="module")
def fault_worker(django_db_setup, django_db_blocker, redis_server, judge0_port):
    from django.db import connection

    worker = CeleryWorker(
        database_url=database_url(connection.settings_dict),
        redis_url=redis_server.url,
        broker_url=redis_server.url,
        concurrency=2,
        env={
            "EXECUTOR_BACKEND": "judge0",
            "JUDGE0_URL": f"http://127.0.0.1:{judge0_port}",
            "JUDGE0_AUTH_TOKEN": "",
            "JUDGE0_CALLBACK_BASE_URL": "",
            "JUDGE0_POLL_INITIAL": "0.05",
            "JUDGE0_POLL_MAX_INTERVAL": "0.1",
            "JUDGE0_TIMEOUT": "1.5",
            "JUDGE0_CONNECT_TIMEOUT": "0.5",
            "SUBMISSION_RETRY_BACKOFF": "0.2",
            "SUBMISSION_MAX_RETRIES": "2",
            "SUBMISSION_FLIGHT_LOCK_SECONDS": "20",
            "JUDGE0_POLL_DEADLINE": "6",
        },
    )
    worker.start()
    yield worker
    worker.stop()


@pytest.fixture
def judge0(judge0_port):
    server = Judge0StandIn(workers=2, port=judge0_port).start()
    yield server
    with contextlib.suppress(Exception):  # the "down" test has stopped it already
        server.stop()


@pytest.fixture
def worker(fault_worker, redis_server, judge0):
    """Publish to the private broker from this process; Celery not eager."""
    from codementor.celery import app

    def use_broker(url):
        app.conf.broker_url = url
        app._pool = None
        app.amqp._producer_pool = None

    real, eager = app.conf.broker_url, app.conf.task_always_eager
    use_broker(redis_server.url)
    app.conf.task_always_eager = False
    if not fault_worker.alive:
        fault_worker.start()
    yield fault_worker
    use_broker(real)
    app.conf.task_always_eager = eager


def variant(n: int) -> str:
    """Correct code that differs from SUM_OK after normalization (comments would not)."""
    return f"a, b = map(int, input().split())\nprint(a + b + {n} - {n})\n"


def submit(user, problem, code=SUM_OK):
    client = APIClient()
    client.force_authenticate(user)
    response = client.post(
        "/api/v1/submissions/", {"problem": problem.slug, "language": "python", "code": code}, format="json"
    )
    assert response.status_code == 201, response.content
    return response.json()["id"]


def wait_finished(ids, worker, *, timeout=45.0, revive=False):
    """Wait for the verdicts. `revive`: start the worker again whenever it has died, as a
    container restart policy does (kombu can kill it while reconnecting to a new Redis)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if Submission.objects.filter(pk__in=ids, status=Status.FINISHED).count() == len(ids):
            return list(Submission.objects.filter(pk__in=ids).order_by("id"))
        if revive and not worker.alive:
            worker.start()
        time.sleep(0.1)
    states = list(Submission.objects.filter(pk__in=ids).values_list("id", "status", "attempts"))
    raise AssertionError(f"not finished after {timeout}s: {states}\n{worker.log_tail()}")


def wait_running(sub_id, worker, timeout=20.0):
    deadline = time.monotonic() + timeout
    while Submission.objects.get(pk=sub_id).status != Status.RUNNING:
        assert time.monotonic() < deadline, worker.log_tail()
        time.sleep(0.05)


def ledger(sub_id):
    return list(
        ApiCall.objects.filter(reference=f"submission:{sub_id}").order_by("id").values_list("status", "cache_layer")
    )


def paid_ok(sub_id) -> int:
    return len([s for s, layer in ledger(sub_id) if layer == "none" and s == "ok"])


TESTS = 1  # make_stdio_problem(): all 4 tests in ONE supervised Judge0 execution (language 89)


def wait_for(predicate, *, timeout: float, what: str, worker=None):
    """Bounded poll of a state (never a fixed sleep followed by an assertion)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"{what}: not after {timeout}s\n{worker.log_tail() if worker else ''}"
        time.sleep(0.05)


def judging_claim_held(sub_id) -> bool:
    """Whether a live worker holds the submission's judging claim (a PostgreSQL advisory lock
    held for the whole judging, gone with the worker's connection)."""
    from django.db import connection

    from submissions.services import _LOCK_CLASS

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND classid = %s AND objid = %s AND objsubid = 2",
            [_LOCK_CLASS, sub_id % (2**31)],
        )
        return cursor.fetchone()[0] > 0


def test_redis_restart_mid_judge_loses_nothing(worker, redis_server, judge0):
    """Redis loses everything (broker queues, the unacked message, caches, the batching
    state) while a judge waits on Judge0. What the task in flight does next varies (it may
    finish, fail over to a retry when its batch results are gone, or die with the worker:
    celery 5.7/kombu's reconnect can kill it, see docs/reliability.md). Guaranteed whatever
    happens: the submission is finished exactly once, accepted, progress counted once;
    exactly one paid execution succeeded; every execution Judge0 ran is in the ledger; and
    the sweep is needed exactly when the submission was abandoned (still `running`, nobody
    holding its judging claim), a fact the test observes instead of guessing from a timeout."""
    user, problem = UserFactory(), make_stdio_problem()
    judge0.polls_before_done = 15  # about 1.5 s of "Processing" polls
    first = submit(user, problem)
    wait_for(lambda: judge0.snapshot()["executions"] == TESTS, timeout=20, what="sent to Judge0", worker=worker)
    redis_server.restart()
    judge0.polls_before_done = 0

    def settled():
        if not worker.alive:
            worker.start()  # what the container restart policy does
        sub = Submission.objects.get(pk=first)
        return sub.status == Status.FINISHED or (sub.status == Status.RUNNING and not judging_claim_held(first))

    wait_for(settled, timeout=40, what="finished or abandoned", worker=worker)
    abandoned = Submission.objects.get(pk=first).status != Status.FINISHED
    if abandoned:
        counts = services.requeue_stuck_submissions(now=timezone.now() + timedelta(minutes=10))
        assert counts["enqueued"] == 1
    (sub,) = wait_finished([first], worker, revive=True)
    assert sub.sweeps == (1 if abandoned else 0)
    # Exactly one paid execution succeeded and the verdict is its result (TESTS executions);
    # every other paid row is a failed attempt (status error), at most one per attempt (an
    # attempt that died with the worker wrote none).
    paid_rows = list(
        ApiCall.objects.filter(reference=f"submission:{first}", cache_layer="none").values_list("status", "executions")
    )
    assert [e for s, e in paid_rows if s == "ok"] == [TESTS]
    assert len(paid_rows) <= sub.attempts
    # Known gap (reported to the Judge0 batching owner): an attempt whose shared-batch state died
    # with Redis ends with an error row of 0 executions although Judge0 ran its batch, so the
    # ledger can under-count here: it never over-counts.
    assert sum(e for _, e in paid_rows) <= judge0.snapshot()["executions"]
    assert sub.verdict == "accepted"
    assert ProblemProgress.objects.get(user=user, problem=problem).attempts == 1  # counted once
    # The worker judges new work on the new Redis.
    second = submit(UserFactory(), problem, variant(101))
    (sub2,) = wait_finished([second], worker, revive=True)
    assert sub2.verdict == "accepted"


def test_redis_restart_with_queued_work_is_recovered_by_the_sweep(worker, redis_server, judge0):
    problem = make_stdio_problem()
    worker.stop()  # nobody consumes: the message sits in the broker
    sub_id = submit(UserFactory(), problem)
    redis_server.restart()  # ...and is lost with it
    worker.start()
    # The worker is up and consuming (it judges a fresh submission), yet the lost one stays queued.
    probe = submit(UserFactory(), problem, variant(105))
    wait_finished([probe], worker)
    assert Submission.objects.get(pk=sub_id).status == Status.QUEUED
    counts = services.requeue_stuck_submissions(now=timezone.now() + timedelta(minutes=10))
    assert counts["enqueued"] >= 1
    (sub,) = wait_finished([sub_id], worker)
    assert sub.verdict == "accepted" and sub.sweeps == 1
    assert [s for s, layer in ledger(sub_id) if layer == "none"] == ["ok"]


def terminate_other_backends():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def test_postgres_connections_dropped_between_and_during_judging(worker, judge0):
    problem = make_stdio_problem()
    warm = submit(UserFactory(), problem)
    wait_finished([warm], worker)
    terminate_other_backends()  # any idle connection the worker kept (Celery usually closes them per task)
    after_drop = submit(UserFactory(), problem, variant(102))
    (sub,) = wait_finished([after_drop], worker)
    assert sub.verdict == "accepted"

    # During: the worker's connection is terminated while the task waits on Judge0 (the
    # execution is under way). Guaranteed: its next write, the execution's ledger row, is
    # made on a fresh connection (costs.services.record_call), and the same task finishes
    # the judging: one attempt, no sweep, one Judge0 run, one paid row, progress once.
    judge0.polls_before_done = 15
    user = UserFactory()
    runs = judge0.snapshot()["executions"]
    during = submit(user, problem, variant(103))
    wait_for(lambda: judge0.snapshot()["executions"] == runs + TESTS, timeout=20, what="sent to Judge0", worker=worker)
    assert terminate_other_backends() >= 1  # the connection the task will write its result on
    judge0.polls_before_done = 0
    (sub,) = wait_finished([during], worker, timeout=30)
    assert sub.verdict == "accepted"
    assert (sub.attempts, sub.sweeps) == (1, 0)
    assert judge0.snapshot()["executions"] == runs + TESTS
    assert ledger(during) == [("ok", "none")]
    assert ProblemProgress.objects.get(user=user, problem=problem).attempts == 1  # counted once


def test_judge0_malformed_json_ends_as_system_error(worker, judge0):
    user = UserFactory()
    judge0.inject(status=200, count=1000, malformed=True)
    sub_id = submit(user, make_stdio_problem())
    (sub,) = wait_finished([sub_id], worker)
    assert sub.verdict == "system_error" and sub.error_message
    assert sub.attempts == 3
    assert {s for s, _ in ledger(sub_id)} == {"error"}
    assert not ProblemProgress.objects.filter(user=user).exists()


def test_judge0_slow_beyond_timeout_then_recovers(worker, judge0):
    judge0.inject(status=200, count=1, hang=3.0)  # longer than JUDGE0_TIMEOUT=1.5 s
    sub_id = submit(UserFactory(), make_stdio_problem())
    (sub,) = wait_finished([sub_id], worker)
    assert sub.verdict == "accepted" and sub.attempts >= 2
    statuses = [s for s, _ in ledger(sub_id)]
    assert statuses[0] == "error" and statuses[-1] == "ok"


def test_judge0_down_ends_as_system_error_then_next_submission_works(worker, judge0, judge0_port):
    problem = make_stdio_problem()
    judge0.stop()  # connection refused
    sub_id = submit(UserFactory(), problem)
    (sub,) = wait_finished([sub_id], worker)
    assert sub.verdict == "system_error" and "unavailable" in sub.error_message
    assert {s for s, _ in ledger(sub_id)} == {"error"}
    back = Judge0StandIn(workers=2, port=judge0_port).start()
    try:
        again = submit(UserFactory(), problem, variant(104))
        (sub,) = wait_finished([again], worker)
        assert sub.verdict == "accepted"
    finally:
        back.stop()


def test_disk_full_while_writing_the_result_is_recovered(worker, judge0):
    """PostgreSQL refuses the result write once with SQLSTATE 53100 disk_full (a trigger;
    the sequence makes it fire once, since nextval survives the rollback)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("""
            CREATE SEQUENCE fault_disk_full_seq;
            CREATE FUNCTION fault_disk_full() RETURNS trigger AS $$
            BEGIN
              IF NEW.status = 'finished' AND nextval('fault_disk_full_seq') <= 1 THEN
                RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = 'disk_full';
              END IF;
              RETURN NEW;
            END $$ LANGUAGE plpgsql;
            CREATE TRIGGER fault_disk_full BEFORE UPDATE ON submissions_submission
              FOR EACH ROW EXECUTE FUNCTION fault_disk_full();
        """)
    try:
        # Guaranteed: the execution's ledger row and the result cache are written before the
        # verdict; the refused verdict write fails the task, which retries (OperationalError,
        # SUBMISSION_RETRY_BACKOFF) and finishes from the result cache: no sweep, 2 attempts,
        # one Judge0 run, one paid row plus one result-cache row, progress counted once.
        user, problem = UserFactory(), make_stdio_problem()
        sub_id = submit(user, problem, variant(201))
        (sub,) = wait_finished([sub_id], worker, timeout=30)
        assert sub.verdict == "accepted" and sub.cache_hit
        assert (sub.attempts, sub.sweeps) == (2, 0)
        assert judge0.snapshot()["executions"] == TESTS
        assert ledger(sub_id) == [("ok", "none"), ("ok", "result")]
        assert ProblemProgress.objects.get(user=user, problem=problem).attempts == 1
        with connection.cursor() as cursor:
            cursor.execute("SELECT last_value FROM fault_disk_full_seq")
            assert cursor.fetchone()[0] >= 1  # the fault really fired
    finally:
        with connection.cursor() as cursor:
            cursor.execute(
                "DROP TRIGGER IF EXISTS fault_disk_full ON submissions_submission; "
                "DROP FUNCTION IF EXISTS fault_disk_full(); DROP SEQUENCE IF EXISTS fault_disk_full_seq;"
            )

"""Shared fixtures. Tests run on the real PostgreSQL and Redis of this machine
(codementor/settings_test.py); app-specific fixtures live in each app's tests/."""

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _clear_cache():
    # Each test starts with none of our cache keys. delete_pattern touches only keys with
    # our KEY_PREFIX, so a Celery broker sharing the Redis DB keeps its queues.
    cache.delete_pattern("*")
    yield


# --- A real Celery worker (submissions pipeline, mentor, browser tests) --------------------
# Use `celery_worker_process` in a test that needs tasks judged by a real worker. The test
# must use `transactional_db` (or `live_server`): the worker is another process and sees
# committed rows only. The worker is started once per session (it is slow) on the test
# database and this run's Redis; while the fixture is active, Celery in the test process
# publishes to that broker instead of running tasks eagerly. `celery_worker_process.restart(
# env={...})` switches its environment (e.g. EXECUTOR_BACKEND/JUDGE0_URL); `.kill()` is a
# SIGKILL crash; a test that changes it should restore it (restart(env={})) when done.


@pytest.fixture(scope="session")
def _celery_worker_session(django_db_setup, django_db_blocker):
    from django.conf import settings
    from django.db import connection

    from testing.celery_worker import CeleryWorker, database_url, purge_queues

    purge_queues(settings.CELERY_BROKER_URL)
    worker = CeleryWorker(
        database_url=database_url(connection.settings_dict),
        redis_url=settings.REDIS_URL,
        broker_url=settings.CELERY_BROKER_URL,
    )
    worker.start()
    yield worker
    worker.stop()


@pytest.fixture
def celery_worker_process(_celery_worker_session):
    from codementor.celery import app

    if not _celery_worker_session.alive:
        _celery_worker_session.start()
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    yield _celery_worker_session
    app.conf.task_always_eager = eager

"""Celery tasks: thin and idempotent; the work is in services."""

import logging

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError, connection

from . import services
from .executors.base import RetryableExecutorError

logger = logging.getLogger(__name__)


def retry_countdown(retries: int) -> float:
    return min(settings.SUBMISSION_RETRY_BACKOFF * (2**retries), settings.SUBMISSION_RETRY_BACKOFF_MAX)


def _retry_later(task, exc: Exception, submission_id: int, *, why: str, waits: int, level: int = logging.INFO):
    """The Retry to raise: backoff by failed attempt (waits for a user slot not counted),
    on the queue the task came from."""
    countdown = retry_countdown(task.request.retries - waits)
    logger.log(
        level, "submission %s: %s; retry %s in %.1fs", submission_id, why, task.request.retries - waits + 1, countdown
    )
    return task.retry(exc=exc, countdown=countdown, queue=_queue(task), kwargs={"waits": waits})


def _queue(task):
    return (task.request.delivery_info or {}).get("routing_key") or None


@shared_task(
    bind=True, name="submissions.judge_submission", acks_late=True, reject_on_worker_lost=True, max_retries=None
)
def judge_submission(self, submission_id: int, waits: int = 0) -> str:
    """Judge a submission. Redelivery-safe: the service judges each submission once.
    `waits` counts the retries spent waiting for one of the user's execution slots (they
    neither back off nor use up SUBMISSION_MAX_RETRIES)."""
    try:
        result = services.judge_submission(submission_id=submission_id)
    except services.UserAtCapacity as exc:
        # Not holding the worker: other students' tasks run meanwhile.
        logger.info("submission %s waits for one of its user's execution slots", submission_id)
        raise self.retry(
            exc=exc, countdown=settings.SUBMISSION_USER_RETRY_SECONDS, queue=_queue(self), kwargs={"waits": waits + 1}
        ) from exc
    except RetryableExecutorError as exc:
        if self.request.retries - waits >= settings.SUBMISSION_MAX_RETRIES:
            services.fail_submission(submission_id=submission_id, reason=f"executor unavailable: {exc}")
            return "system_error"
        raise _retry_later(self, exc, submission_id, why=f"executor busy ({exc})", waits=waits) from exc
    except (OperationalError, InterfaceError) as exc:
        # The database went away (restart, failover, dropped backend): try again soon on a
        # fresh connection. Past the retries the periodic sweep is the safety net.
        connection.close()
        if self.request.retries - waits >= settings.SUBMISSION_MAX_RETRIES:
            raise
        raise _retry_later(
            self,
            exc,
            submission_id,
            why=f"database error ({exc.__class__.__name__})",
            waits=waits,
            level=logging.WARNING,
        ) from exc
    if result is None:
        return "skipped"
    return result.verdict


@shared_task(name="submissions.sweep_stuck_submissions")
def sweep_stuck_submissions() -> dict:
    return services.requeue_stuck_submissions()


@shared_task(name="submissions.purge_expired_results")
def purge_expired_results() -> int:
    from . import result_cache

    return result_cache.purge_expired()

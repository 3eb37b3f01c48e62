"""Celery tasks of the cost app: thin wrappers around services."""

from celery import shared_task

from . import services


@shared_task(bind=True, max_retries=5, acks_late=True)
def deliver_alert_task(self, alert_id: int) -> None:
    try:
        services.deliver_alert(alert_id=alert_id)
    except services.AlertDeliveryFailed as exc:
        # 30 s, 60 s, 120 s, ... : a webhook that is down for a few minutes still gets it.
        raise self.retry(exc=exc, countdown=30 * 2**self.request.retries)


@shared_task
def resend_undelivered_alerts_task() -> int:
    return services.resend_undelivered_alerts()

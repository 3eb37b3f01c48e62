from datetime import date
from decimal import Decimal

import pytest

from costs.models import PriceRule
from testing.webhook_standin import WebhookStandin

pytestmark = pytest.mark.django_db


@pytest.fixture
def dollar_execution(db):
    """judge0/'dollar' executions cost exactly $1 each, so budget arithmetic is readable."""
    PriceRule.objects.create(
        provider="judge0",
        model="dollar",
        unit="execution",
        price_usd=Decimal("1"),
        unit_size=1,
        effective_from=date(2020, 1, 1),
    )


@pytest.fixture(scope="session")
def webhook_server():
    server = WebhookStandin().start()
    yield server
    server.stop()


@pytest.fixture
def webhook(webhook_server, settings):
    webhook_server.reset()
    settings.COSTS_ALERT_WEBHOOK_URL = webhook_server.url
    return webhook_server

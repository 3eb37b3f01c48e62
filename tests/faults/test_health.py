"""/healthz tells compose and load balancers which dependency is down (503), and recovers."""

import pytest
from django.test import Client


def test_healthz_ok_on_the_real_services(db):
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "cache": "ok", "broker": "ok"}}


@pytest.fixture
def dead_broker():
    from codementor.celery import app

    def use(url):
        app.conf.broker_url = url
        app._pool = None
        app.amqp._producer_pool = None

    real = app.conf.broker_url
    use("redis://127.0.0.1:1/0")  # nothing listens there
    yield
    use(real)


def test_healthz_names_a_dead_broker(db, settings, dead_broker):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    response = Client().get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["checks"]["broker"].startswith("error:")
    assert body["checks"]["database"] == "ok" and body["checks"]["cache"] == "ok"


def test_healthz_names_a_dead_cache(db, settings):
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            **settings.CACHES["default"],
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {
                **settings.CACHES["default"].get("OPTIONS", {}),
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 0.5,
            },
        },
    }
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["cache"].startswith("error:")

"""Structured logging: request ids on responses and log lines, carried into Celery tasks."""

import io
import json
import logging

import pytest
from celery import Celery
from django.test import Client

from codementor.logging import JsonFormatter, RequestIdFilter, request_id_var


@pytest.fixture
def json_log():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    yield stream
    logger.removeHandler(handler)


def test_every_response_carries_a_request_id_and_logs_use_it(db, json_log):
    response = Client().get("/api/v1/problems/no-such-problem/")
    rid = response["X-Request-ID"]
    assert len(rid) == 32
    lines = [json.loads(line) for line in json_log.getvalue().splitlines()]
    assert lines, "a 404 is logged by django.request"
    assert lines[-1]["request_id"] == rid
    assert lines[-1]["level"] == "WARNING"
    assert lines[-1]["ts"].endswith("+00:00")
    assert Client().get("/healthz")["X-Request-ID"] != rid


def test_sane_incoming_request_ids_are_kept_and_hostile_ones_replaced(db):
    assert Client(HTTP_X_REQUEST_ID="proxy-abc-12345").get("/healthz")["X-Request-ID"] == "proxy-abc-12345"
    hostile = Client(HTTP_X_REQUEST_ID='x"\n{"level":"CRITICAL"}').get("/healthz")["X-Request-ID"]
    assert "\n" not in hostile and len(hostile) == 32


def test_request_id_travels_in_task_headers_and_is_restored_in_the_worker():
    from codementor.logging import _clear_request_id, _restore_request_id

    app = Celery("logging-test", broker="memory://")
    token = request_id_var.set("req-1234567890")
    try:
        with app.connection_for_write() as conn:
            app.send_task("some.task", args=[1], connection=conn)
            message = conn.SimpleQueue("celery").get(timeout=2)
    finally:
        request_id_var.reset(token)
    assert message.headers["request_id"] == "req-1234567890"

    class Request:
        request_id = message.headers["request_id"]

    class Task:
        request = Request()

    before = request_id_var.get()
    _restore_request_id(task_id="t1", task=Task())
    assert request_id_var.get() == "req-1234567890"
    _clear_request_id(task_id="t1")
    assert request_id_var.get() == before


def test_json_formatter_keeps_extras_and_exceptions():
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "judged %s", (7,), None)
    record.submission_id = 7
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        import sys

        record.exc_info = sys.exc_info()
    entry = json.loads(JsonFormatter().format(record))
    assert entry["msg"] == "judged 7"
    assert entry["submission_id"] == 7
    assert "RuntimeError: boom" in entry["exc"]

"""Structured logging: JSON lines in production, one request id per web request carried into
the Celery tasks it enqueues, so one grep follows a submission from POST to verdict.

- RequestIdMiddleware: takes a sane incoming X-Request-ID (from a proxy) or makes one, exposes
  it on the response and on every log record emitted while the request runs.
- Celery: before_task_publish copies the current id into the message headers; task_prerun
  restores it in the worker (tasks published outside a request get the task id).
- JsonFormatter / RequestIdFilter are wired in settings.LOGGING.
"""

import contextlib
import contextvars
import json
import logging
import re
import uuid
from datetime import UTC, datetime

from celery import signals

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
HEADER = "X-Request-ID"
# Incoming ids are echoed into logs and headers: accept only short, harmless ones.
_SANE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def current_request_id() -> str:
    return request_id_var.get()


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get(HEADER, "")
        rid = incoming if _SANE_ID.match(incoming) else uuid.uuid4().hex
        # Not reset on the way out: Django logs 4xx/5xx ("django.request") after the whole
        # middleware chain has returned, and that line must carry the id too. The next
        # request on this thread sets its own.
        request_id_var.set(rid)
        request.request_id = rid
        response = self.get_response(request)
        response[HEADER] = rid
        return response


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "request_id"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts (UTC), level, logger, msg, request_id, extras, exc."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            "request_id": getattr(record, "request_id", "") or request_id_var.get(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value if isinstance(value, str | int | float | bool | type(None)) else repr(value)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


@signals.before_task_publish.connect
def _publish_request_id(headers=None, **_kwargs):
    rid = request_id_var.get()
    if rid and headers is not None and "request_id" not in headers:
        headers["request_id"] = rid


_task_tokens: dict[str, contextvars.Token] = {}


@signals.task_prerun.connect
def _restore_request_id(task_id=None, task=None, **_kwargs):
    rid = getattr(task.request, "request_id", None) if task is not None else None
    if not rid and task is not None:
        rid = (getattr(task.request, "headers", None) or {}).get("request_id")
    # Eager tasks run inside the request and keep its id.
    _task_tokens[task_id] = request_id_var.set(rid or request_id_var.get() or f"task-{task_id}")


@signals.task_postrun.connect
def _clear_request_id(task_id=None, **_kwargs):
    token = _task_tokens.pop(task_id, None)
    if token is not None:
        with contextlib.suppress(ValueError):  # token made in another context: nothing to undo
            request_id_var.reset(token)

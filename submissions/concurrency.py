"""Per-user cap on concurrent executions (fairness).

One account may hold at most `SUBMISSION_USER_CONCURRENCY` execution slots at once
(default 2). A slot is taken right before an execution (cache hits and single-flight
waits need none) and released right after; each slot expires after
`SUBMISSION_USER_SLOT_SECONDS`, so a worker that dies holding one blocks nobody for long.

Redis (the production cache): a sorted set per user, member = slot token, score = expiry
in Redis server time; one Lua script drops expired slots and adds ours only if fewer than
the cap remain, so the check and the take are atomic across workers and hosts.
Embedded default (local-memory cache, eager Celery, one process): the same rule on an
in-process table under a lock.
"""

from __future__ import annotations

import threading
import time
import uuid
from contextlib import contextmanager

from django.conf import settings
from django.core.cache import cache

from .executors.base import RetryableExecutorError

_KEY = "submissions:user-slots:"
# KEYS[1] = the user's set; ARGV = cap, ttl_ms, token. Server time: no clock skew between hosts.
_ACQUIRE = """
local t = redis.call('time')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('zremrangebyscore', KEYS[1], '-inf', now)
if redis.call('zcard', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('zadd', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
  redis.call('pexpire', KEYS[1], ARGV[2])
  return 1
end
return 0
"""

_local_lock = threading.Lock()
_local_slots: dict[int, dict[str, float]] = {}


class UserAtCapacity(RetryableExecutorError):
    """The user already runs as many executions as allowed: judge this one a bit later
    (retryable like a busy executor, but the task waits a short fixed time for it)."""


def _redis():
    if "django_redis" not in settings.CACHES["default"]["BACKEND"]:
        return None
    from django_redis import get_redis_connection

    return get_redis_connection("default")


def cap() -> int:
    return max(1, int(settings.SUBMISSION_USER_CONCURRENCY))


def try_acquire(user_id: int) -> str | None:
    """A slot token, or None when the user is at the cap."""
    token = uuid.uuid4().hex
    ttl = float(settings.SUBMISSION_USER_SLOT_SECONDS)
    client = _redis()
    if client is not None:
        got = client.eval(_ACQUIRE, 1, cache.make_key(f"{_KEY}{user_id}"), cap(), int(ttl * 1000), token)
        return token if got else None
    now = time.monotonic()
    with _local_lock:
        slots = {t: exp for t, exp in _local_slots.get(user_id, {}).items() if exp > now}
        if len(slots) >= cap():
            _local_slots[user_id] = slots
            return None
        slots[token] = now + ttl
        _local_slots[user_id] = slots
    return token


def release(user_id: int, token: str) -> None:
    client = _redis()
    if client is not None:
        client.zrem(cache.make_key(f"{_KEY}{user_id}"), token)
        return
    with _local_lock:
        _local_slots.get(user_id, {}).pop(token, None)


def running(user_id: int) -> int:
    """Slots the user holds now (for tests and the bench)."""
    client = _redis()
    if client is not None:
        key = cache.make_key(f"{_KEY}{user_id}")
        seconds, micros = client.time()
        return int(client.zcount(key, seconds * 1000 + micros // 1000 + 1, "+inf"))
    now = time.monotonic()
    with _local_lock:
        return sum(1 for exp in _local_slots.get(user_id, {}).values() if exp > now)


@contextmanager
def execution_slot(user_id: int, *, wait_seconds: float = 0.0):
    """Hold one of the user's slots for the block. Raises UserAtCapacity if none frees up
    within `wait_seconds` (0: do not wait; a queued task retries instead)."""
    deadline = time.monotonic() + wait_seconds
    token = try_acquire(user_id)
    while token is None:
        if time.monotonic() >= deadline:
            raise UserAtCapacity(f"user {user_id} already runs {cap()} executions")
        time.sleep(0.05)
        token = try_acquire(user_id)
    try:
        yield token
    finally:
        release(user_id, token)

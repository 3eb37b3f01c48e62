"""Single-flight: identical submissions in flight share one execution.

The first judge of a content key takes a Redis lock (SET NX with an expiry) and
executes; twins arriving meanwhile wait for its result instead of executing. The
expiry means a crashed holder blocks nobody for longer than the lock timeout. The
lock value names the submission holding it, so a redelivered task of that same
submission (whose earlier worker died) may take its own lock back at once.
The holder also publishes every result (cacheable or not) for a short while under
a second key, so waiters get even a result the durable cache will not keep.
"""

from __future__ import annotations

import uuid

from django.core.cache import cache

_LOCK = "submissions:flight:lock:"
_RESULT = "submissions:flight:result:"
RESULT_TTL = 120

# Compare-and-delete: only the owner releases its lock.
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"
# Compare-and-swap on the submission prefix: a redelivered task re-takes its own lock.
_TAKE_OVER = (
    "local v = redis.call('get', KEYS[1]) "
    "if v and string.sub(v, 1, string.len(ARGV[1])) == ARGV[1] then "
    "redis.call('set', KEYS[1], ARGV[2], 'PX', ARGV[3]) return 1 end return 0"
)


def _redis():
    """The raw redis-py client behind django-redis, or None for other cache backends."""
    try:
        from django_redis import get_redis_connection

        return get_redis_connection("default")
    except (ImportError, NotImplementedError):
        return None


def new_token(submission_id: int) -> str:
    return f"{submission_id}:{uuid.uuid4().hex}"


def acquire(key: str, *, token: str, timeout: int) -> bool:
    client = _redis()
    if client is None:
        return cache.add(_LOCK + key, token, timeout)
    return bool(client.set(cache.make_key(_LOCK + key), token, nx=True, px=int(timeout * 1000)))


def take_over(key: str, *, submission_id: int, token: str, timeout: int) -> bool:
    """Re-take a lock still held under this submission's name by a worker that died."""
    client = _redis()
    prefix = f"{submission_id}:"
    if client is None:
        current = cache.get(_LOCK + key)
        if current and current.startswith(prefix):
            cache.set(_LOCK + key, token, timeout)
            return True
        return False
    return bool(client.eval(_TAKE_OVER, 1, cache.make_key(_LOCK + key), prefix, token, int(timeout * 1000)))


def is_held(key: str) -> bool:
    client = _redis()
    if client is None:
        return cache.get(_LOCK + key) is not None
    return bool(client.exists(cache.make_key(_LOCK + key)))


def release(key: str, *, token: str) -> None:
    client = _redis()
    if client is None:
        if cache.get(_LOCK + key) == token:
            cache.delete(_LOCK + key)
        return
    client.eval(_RELEASE, 1, cache.make_key(_LOCK + key), token)


def publish(key: str, payload: dict) -> None:
    cache.set(_RESULT + key, payload, RESULT_TTL)


def published(key: str) -> dict | None:
    return cache.get(_RESULT + key)

"""Content-addressed result cache: Redis in front, the CachedResult table behind it.

The key covers everything that can change a verdict: the problem and the exact tests
(their version and a digest of their content, so an unbumped version cannot serve a
stale result), the signature, language, normalized source, limits, mode and custom
input. Redis answers in about a millisecond; the table makes a Redis flush lose no
paid result (a miss in Redis falls through to the table and refills Redis).

What is stored and served: only results the trusted supervisor produced
(`payload["trusted"] is True`, set by the pipeline) with a program verdict: accepted,
wrong answer, compile/runtime error, time and memory limit exceeded alike, since the
limits are in the key. Never system_error. Durable rows expire
(SUBMISSION_RESULT_CACHE_DURABLE_TTL from when they were stored; hits do not extend it)
and Redis never keeps a copy past its row's expiry.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from .executors.base import Job, Verdict
from .models import CachedResult
from .normalize import normalize_source

_PREFIX = "submissions:result:"
# Bumped whenever what a key means changes (v2: sound normalization, supervisor results
# only), so no entry stored under older rules can match a new key.
KEY_VERSION = 2
# Verdicts a program earns. Anything else (system_error, empty, unknown) is never cached.
_CACHEABLE_VERDICTS = frozenset(
    {
        Verdict.ACCEPTED,
        Verdict.WRONG_ANSWER,
        Verdict.COMPILE_ERROR,
        Verdict.RUNTIME_ERROR,
        Verdict.TIME_LIMIT_EXCEEDED,
        Verdict.MEMORY_LIMIT_EXCEEDED,
        Verdict.OUTPUT_LIMIT_EXCEEDED,
    }
)


def tests_digest(job: Job) -> str:
    data = [[t.index, t.input, t.expected, t.comparison, t.is_sample] for t in job.tests]
    return hashlib.sha256(json.dumps(data, separators=(",", ":")).encode()).hexdigest()


def content_key(*, problem, job: Job, mode: str, stdin: str | None) -> str:
    material = {
        "v": KEY_VERSION,
        "problem": problem.pk,
        "test_set_version": problem.test_set_version,
        "tests": tests_digest(job),
        "kind": job.kind,
        "signature": job.signature,
        "language": job.language,
        "source": normalize_source(job.code, job.language),
        "limits": [job.limits.time_limit_ms, job.limits.memory_limit_mb, job.limits.output_limit_bytes],
        "mode": mode,
        "stdin": stdin,
    }
    blob = json.dumps(material, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    # surrogatepass: JSON may carry lone surrogates; the encoding stays injective.
    return hashlib.sha256(blob.encode("utf-8", "surrogatepass")).hexdigest()


def is_cacheable(payload) -> bool:
    """May this result be stored and served to other submissions with the same key?

    Only a result the trusted supervisor produced (the pipeline sets payload["trusted"] =
    True exactly when the supervisor's nonce-framed block was parsed and validated; a
    host-classified result — killed, crashed, no block — has it False or absent), and only
    a program verdict. time_limit_exceeded and memory_limit_exceeded are cached like any
    other verdict: the limits are part of the key, and the supervisor charges CPU time,
    not wall time, so a loaded machine does not turn a fast program into a TLE.
    system_error (ours, not the program's) never is."""
    return (
        isinstance(payload, dict) and payload.get("trusted") is True and payload.get("verdict") in _CACHEABLE_VERDICTS
    )


def _redis_timeout(expires_at) -> int:
    """Redis keeps a copy no longer than the durable row is served."""
    remaining = int((expires_at - timezone.now()).total_seconds())
    return max(0, min(settings.SUBMISSION_RESULT_CACHE_TTL, remaining))


def _from_redis(key: str) -> dict | None:
    payload = cache.get(_PREFIX + key)
    return payload if is_cacheable(payload) else None


def get(key: str) -> dict | None:
    payload = _from_redis(key)
    if payload is not None:
        return payload
    row = CachedResult.objects.live().filter(key=key).only("payload", "expires_at").first()
    if row is None or not is_cacheable(row.payload):
        return None
    timeout = _redis_timeout(row.expires_at)
    if timeout > 0:
        cache.set(_PREFIX + key, row.payload, timeout)
    return row.payload


def get_fast(key: str) -> dict | None:
    """Redis only: what single-flight waiters poll."""
    return _from_redis(key)


def note_hit(key: str) -> None:
    CachedResult.objects.filter(key=key).update(hits=F("hits") + 1, last_hit_at=timezone.now())


def put(key: str, *, problem, language: str, payload: dict, executions: int) -> None:
    if not is_cacheable(payload):
        return
    expires_at = timezone.now() + timedelta(seconds=settings.SUBMISSION_RESULT_CACHE_DURABLE_TTL)
    # The durable copy first: Redis alone could lose the only record of a paid result.
    try:
        with transaction.atomic():
            CachedResult.objects.update_or_create(
                key=key,
                defaults={
                    "problem": problem,
                    "language": language,
                    "payload": payload,
                    "executions": executions,
                    "expires_at": expires_at,
                },
            )
    except IntegrityError:  # a concurrent writer stored the same key; same content
        pass
    timeout = _redis_timeout(expires_at)
    if timeout > 0:
        cache.set(_PREFIX + key, payload, timeout)


def purge_expired() -> int:
    """Delete expired rows and rows no trusted supervisor produced (older harnesses).
    Their Redis copies expire on their own: never later than the row did."""
    deleted, _ = CachedResult.objects.expired().delete()
    untrusted, _ = CachedResult.objects.exclude(payload__contains={"trusted": True}).delete()
    return deleted + untrusted


def forget_redis(key: str) -> None:
    cache.delete(_PREFIX + key)

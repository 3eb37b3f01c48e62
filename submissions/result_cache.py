"""Content-addressed result cache: Redis in front, the CachedResult table behind it.

The key covers everything that can change a verdict: the problem and the exact tests
(their version and a digest of their content, so an unbumped version cannot serve a
stale result), the signature, language, normalized source, limits, mode and custom
input. Redis answers in about a millisecond; the table makes a Redis flush lose no
paid result (a miss in Redis falls through to the table and refills Redis).
"""

from __future__ import annotations

import hashlib
import json

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from .executors.base import Job, Verdict
from .models import CachedResult
from .normalize import normalize_source

_PREFIX = "submissions:result:"


def tests_digest(job: Job) -> str:
    data = [[t.index, t.input, t.expected, t.comparison, t.is_sample] for t in job.tests]
    return hashlib.sha256(json.dumps(data, separators=(",", ":")).encode()).hexdigest()


def content_key(*, problem, job: Job, mode: str, stdin: str | None) -> str:
    material = {
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
    return hashlib.sha256(blob.encode()).hexdigest()


def is_cacheable(payload: dict) -> bool:
    # system_error is ours, not the program's; a time limit verdict can come from a
    # loaded machine, so it is shared with waiting twins but never stored for later.
    return payload.get("verdict") not in (Verdict.SYSTEM_ERROR, Verdict.TIME_LIMIT_EXCEEDED, "")


def get(key: str) -> dict | None:
    payload = cache.get(_PREFIX + key)
    if payload is not None:
        return payload
    row = CachedResult.objects.filter(key=key).only("payload").first()
    if row is None:
        return None
    cache.set(_PREFIX + key, row.payload, settings.SUBMISSION_RESULT_CACHE_TTL)
    return row.payload


def get_fast(key: str) -> dict | None:
    """Redis only: what single-flight waiters poll."""
    return cache.get(_PREFIX + key)


def note_hit(key: str) -> None:
    CachedResult.objects.filter(key=key).update(hits=F("hits") + 1, last_hit_at=timezone.now())


def put(key: str, *, problem, language: str, payload: dict, executions: int) -> None:
    if not is_cacheable(payload):
        return
    # The durable copy first: Redis alone could lose the only record of a paid result.
    try:
        with transaction.atomic():
            CachedResult.objects.update_or_create(
                key=key,
                defaults={"problem": problem, "language": language, "payload": payload, "executions": executions},
            )
    except IntegrityError:  # a concurrent writer stored the same key; same content
        pass
    cache.set(_PREFIX + key, payload, settings.SUBMISSION_RESULT_CACHE_TTL)


def forget_redis(key: str) -> None:
    cache.delete(_PREFIX + key)

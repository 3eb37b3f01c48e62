"""Layer 4: one explicit Gemini context cache per model × prompt version × tool version.

The cache holds the system instruction, the tool declarations and the static mentoring
playbook. Its name lives in Redis (hot) and in the ContextCache table (durable), so all
web and worker processes share one cache; a Redis lock makes creation happen once.

Create only when
  1. the prefix reaches the model's minimum cacheable size (countTokens first, compared
     with MENTOR_CACHE_MIN_TOKENS_BY_MODEL / MENTOR_CACHE_MIN_TOKENS; a 400 "too small"
     from the API also means "don't cache"), and
  2. the expected reads over the TTL pay for it. Per cached token, over a TTL of h hours:
        cost    = p_in (writing it once) + p_storage × h
        savings = R × (p_in − p_cached),  R = expected reads in the TTL
                = max(observed generate calls on this model in the last hour,
                      MENTOR_CACHE_EXPECTED_READS_PER_HOUR) × h
     create iff savings > cost. (2.5 Flash, TTL 15 min: 0.30 + 1.00×0.25 = 0.55 vs
     R × 0.27 → R > 2.04, i.e. about 3 mentor calls per 15 minutes.)
Otherwise the prefix is sent normally, first and unchanged, so implicit caching can hit.

The TTL is short (MENTOR_CACHE_TTL_SECONDS) and extended while in use (when less than
half is left); creation (cache_write_tokens + storage for the TTL) and every extension
(storage for the added time) are ledger rows. A 404 on use → invalidate + recreate once
(the provider does that).
"""

from __future__ import annotations

import json
import logging
import time
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from google.genai import errors, types

from costs.models import ApiCall, CallStatus, Unit
from costs.pricing import Usage, price_per_unit
from costs.services import record_call

from .models import ContextCache
from .prompts import PROMPT_VERSION, SYSTEM_INSTRUCTION, static_context
from .tools import DECLARATIONS, TOOLS_VERSION

logger = logging.getLogger(__name__)
SKIP_SECONDS = 600  # re-evaluate "too small" after this long
NOT_WORTH_SECONDS = 60  # traffic changes quickly: re-check the reads-vs-storage rule every minute
LOCK_SECONDS = 30
WAIT_SECONDS = 5.0


def cache_key(model: str) -> str:
    return f"{model}|{PROMPT_VERSION}|{TOOLS_VERSION}"


def _redis_key(key: str, kind: str = "name") -> str:
    return f"mentor:ctx:{kind}:{key}"


def tool_objects() -> list[types.Tool]:
    return [types.Tool(function_declarations=[types.FunctionDeclaration(**d) for d in DECLARATIONS])]


def tool_config() -> types.ToolConfig:
    return types.ToolConfig(function_calling_config=types.FunctionCallingConfig(mode="AUTO"))


def prefix_contents() -> list[types.Content]:
    """The static part of the conversation: the playbook and an acknowledgement."""
    return [
        types.Content(role="user", parts=[types.Part.from_text(text=static_context())]),
        types.Content(role="model", parts=[types.Part.from_text(text="Understood. I will coach with hints.")]),
    ]


def min_tokens(model: str) -> int:
    return settings.MENTOR_CACHE_MIN_TOKENS_BY_MODEL.get(model, settings.MENTOR_CACHE_MIN_TOKENS)


def worth_caching(*, model: str, tokens: int) -> tuple[bool, str]:
    """The storage-vs-reads rule of the module docstring."""
    today = timezone.now().date()

    def rate(unit):
        return price_per_unit(provider="gemini", model=model, unit=unit, on=today)

    p_in, p_cached, p_store = rate(Unit.INPUT_TOKEN), rate(Unit.CACHED_TOKEN), rate(Unit.CACHE_STORAGE_TOKEN_HOUR)
    hours = Decimal(settings.MENTOR_CACHE_TTL_SECONDS) / Decimal(3600)
    observed = ApiCall.objects.filter(
        provider="gemini",
        operation="generate",
        model=model,
        cache_layer="none",
        created_at__gte=timezone.now() - timedelta(hours=1),
    ).count()
    per_hour = max(Decimal(observed), Decimal(str(settings.MENTOR_CACHE_EXPECTED_READS_PER_HOUR)))
    reads = per_hour * hours
    savings = reads * (p_in - p_cached) * tokens
    cost = (p_in + p_store * hours) * tokens
    return savings > cost, f"expected reads {reads:.2f} in TTL: savings ${savings:.6f} vs cost ${cost:.6f}"


def _remember(key: str, *, name: str, expire, tokens: int, model: str) -> None:
    remaining = int((expire - timezone.now()).total_seconds())
    if remaining <= 5:
        return
    cache.set(_redis_key(key), {"name": name, "expire": expire.isoformat(), "tokens": tokens}, timeout=remaining)
    ContextCache.objects.update_or_create(
        key=key, defaults={"model": model, "name": name, "tokens": tokens, "expire_time": expire}
    )


def invalidate(*, model: str, name: str) -> None:
    key = cache_key(model)
    cache.delete(_redis_key(key))
    ContextCache.objects.filter(key=key, name=name).delete()


def _known(key: str) -> dict | None:
    hot = cache.get(_redis_key(key))
    if hot:
        return hot
    row = ContextCache.objects.filter(key=key, expire_time__gt=timezone.now() + timedelta(seconds=5)).first()
    if row:
        found = {"name": row.name, "expire": row.expire_time.isoformat(), "tokens": row.tokens}
        cache.set(_redis_key(key), found, timeout=int((row.expire_time - timezone.now()).total_seconds()))
        return found
    return None


def cache_name(*, client, model: str, user=None, reference: str = "") -> str | None:
    """The explicit cache to use for `model`, creating it if it pays; None = send the prefix."""
    if not settings.MENTOR_CONTEXT_CACHE:
        return None
    key = cache_key(model)
    found = _known(key)
    if found:
        _maybe_extend(client=client, key=key, model=model, found=found, user=user, reference=reference)
        return found["name"]
    if cache.get(_redis_key(key, "skip")):
        return None
    lock = _redis_key(key, "lock")
    if not cache.add(lock, 1, timeout=LOCK_SECONDS):
        # Another process is creating it: wait briefly, else go without (implicit caching).
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            time.sleep(0.1)
            found = _known(key)
            if found:
                return found["name"]
        return None
    try:
        found = _known(key)
        if found:
            return found["name"]
        return _create(client=client, key=key, model=model, user=user, reference=reference)
    finally:
        cache.delete(lock)


def _ledger(**kwargs) -> None:
    record_call(provider="gemini", feature="mentor", **kwargs)


def _create(*, client, key: str, model: str, user, reference: str) -> str | None:
    text = SYSTEM_INSTRUCTION + "\n" + static_context() + "\n" + json.dumps(DECLARATIONS)
    started = time.monotonic()
    try:
        counted = client.models.count_tokens(model=model, contents=text)
    except Exception as exc:  # API or transport error: go without a cache this time
        _ledger(
            operation="count_tokens",
            model=model,
            user=user,
            reference=reference,
            status=CallStatus.ERROR,
            error=_describe(exc),
            latency_ms=_ms(started),
        )
        return None
    _ledger(operation="count_tokens", model=model, user=user, reference=reference, latency_ms=_ms(started))
    tokens = counted.total_tokens or 0
    if tokens < min_tokens(model):
        logger.info("context cache for %s skipped: prefix %s tokens < minimum %s", model, tokens, min_tokens(model))
        cache.set(_redis_key(key, "skip"), "too_small", timeout=SKIP_SECONDS)
        return None
    worth, why = worth_caching(model=model, tokens=tokens)
    if not worth:
        logger.info("context cache for %s skipped: %s", model, why)
        cache.set(_redis_key(key, "skip"), "not_worth", timeout=NOT_WORTH_SECONDS)
        return None
    ttl = settings.MENTOR_CACHE_TTL_SECONDS
    started = time.monotonic()
    try:
        created = client.caches.create(
            model=model,
            config=types.CreateCachedContentConfig(
                display_name=f"mentor {key}"[:120],
                system_instruction=SYSTEM_INSTRUCTION,
                tools=tool_objects(),
                tool_config=tool_config(),
                contents=prefix_contents(),
                ttl=f"{ttl}s",
            ),
        )
    except Exception as exc:
        _ledger(
            operation="cache_create",
            model=model,
            user=user,
            reference=reference,
            status=CallStatus.ERROR,
            error=_describe(exc),
            latency_ms=_ms(started),
        )
        if getattr(exc, "code", None) == 400:  # "too small" (or otherwise uncacheable): don't retry for a while
            cache.set(_redis_key(key, "skip"), "rejected", timeout=SKIP_SECONDS)
        return None
    total = (created.usage_metadata.total_token_count if created.usage_metadata else None) or tokens
    _ledger(
        operation="cache_create",
        model=model,
        user=user,
        reference=reference,
        latency_ms=_ms(started),
        usage=Usage(cache_write_tokens=total, storage_token_hours=_token_hours(total, ttl)),
        raw_usage={"total_token_count": total, "ttl_seconds": ttl, "name": created.name},
    )
    expire = created.expire_time or timezone.now() + timedelta(seconds=ttl)
    _remember(key, name=created.name, expire=expire, tokens=total, model=model)
    return created.name


def _maybe_extend(*, client, key: str, model: str, found: dict, user, reference: str) -> None:
    from datetime import datetime

    ttl = settings.MENTOR_CACHE_TTL_SECONDS
    expire = datetime.fromisoformat(found["expire"])
    left = (expire - timezone.now()).total_seconds()
    if left > ttl / 2 or not cache.add(_redis_key(key, "extend"), 1, timeout=LOCK_SECONDS):
        return
    started = time.monotonic()
    try:
        updated = client.caches.update(name=found["name"], config=types.UpdateCachedContentConfig(ttl=f"{ttl}s"))
    except Exception as exc:
        _ledger(
            operation="cache_extend",
            model=model,
            user=user,
            reference=reference,
            status=CallStatus.ERROR,
            error=_describe(exc),
            latency_ms=_ms(started),
        )
        if getattr(exc, "code", None) == 404:
            invalidate(model=model, name=found["name"])
        return
    finally:
        cache.delete(_redis_key(key, "extend"))
    new_expire = updated.expire_time or timezone.now() + timedelta(seconds=ttl)
    added = max((new_expire - expire).total_seconds(), 0)
    _ledger(
        operation="cache_extend",
        model=model,
        user=user,
        reference=reference,
        latency_ms=_ms(started),
        usage=Usage(storage_token_hours=_token_hours(found["tokens"], added)),
        raw_usage={"name": found["name"], "added_seconds": int(added)},
    )
    _remember(key, name=found["name"], expire=new_expire, tokens=found["tokens"], model=model)


def _describe(exc: Exception) -> str:
    if isinstance(exc, errors.APIError):
        return f"{exc.code} {exc.status}: {exc.message}"[:500]
    return f"{exc.__class__.__name__}: {exc}"[:500]


def _token_hours(tokens: int, seconds: float) -> Decimal:
    return (Decimal(tokens) * Decimal(str(seconds)) / Decimal(3600)).quantize(Decimal("0.0001"))


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)

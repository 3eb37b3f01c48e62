"""The mentor's single door: `ask`. Layers, cheapest first:
quota → pattern responder → response cache → router → budget check → provider
(Gemini with our tool loop and explicit context cache, or the offline mentor).
See docs/mentor.md.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from codementor.api_errors import DomainError, QuotaExceeded
from costs.models import ApiCall, CacheLayer
from costs.pricing import Usage
from costs.services import record_call

from . import history, patterns, response_cache
from .context_cache import prefix_contents
from .models import Conversation, Layer, Message, Role
from .prompts import SYSTEM_INSTRUCTION
from .providers.base import Answer, ProviderFailed, Turn
from .router import route
from .tools import ToolContext

logger = logging.getLogger(__name__)


class ConversationNotFound(DomainError):
    status_code = 404
    code = "not_found"


class MessageTooLong(DomainError):
    code = "message_too_long"


def start_conversation(*, user, problem=None) -> Conversation:
    if problem is not None and not problem.is_published:
        raise ConversationNotFound("No published problem with this slug.")
    return Conversation.objects.create(user=user, problem=problem)


# --- quotas -----------------------------------------------------------------------------


def _seconds_to_midnight(now: datetime) -> int:
    tomorrow = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(int((tomorrow - now).total_seconds()), 1)


def _count(key: str, timeout: int) -> int:
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=timeout)
        return 1


def check_quota(*, user) -> None:
    """Per-user daily quota and per-minute rate, each with its own 429 message."""
    now = timezone.now()
    day_key = f"mentor:quota:day:{user.pk}:{now:%Y%m%d}"
    minute_key = f"mentor:quota:min:{user.pk}:{now:%Y%m%d%H%M}"
    daily = QuotaExceeded(
        f"Mentor daily limit reached ({settings.MENTOR_DAILY_MESSAGE_QUOTA} messages a day). "
        "It resets at midnight UTC.",
        code="daily_limit_reached",
        headers={"Retry-After": str(_seconds_to_midnight(now))},
    )
    if (cache.get(day_key) or 0) >= settings.MENTOR_DAILY_MESSAGE_QUOTA:
        raise daily
    if _count(minute_key, 90) > settings.MENTOR_MESSAGES_PER_MINUTE:
        raise QuotaExceeded(
            f"Slow down: at most {settings.MENTOR_MESSAGES_PER_MINUTE} mentor messages a minute.",
            code="slow_down",
            headers={"Retry-After": str(max(60 - now.second, 1))},
        )
    if _count(day_key, _seconds_to_midnight(now) + 60) > settings.MENTOR_DAILY_MESSAGE_QUOTA:
        raise daily


# --- the door -----------------------------------------------------------------------------


def get_provider():
    if settings.GEMINI_API_KEY:
        from .providers.gemini import GeminiProvider

        return GeminiProvider()
    from .providers.offline import OfflineProvider

    return OfflineProvider()


def _naive_usage(text: str, code: str | None) -> Usage:
    """What one strong-model call without any of our layers would have used (dashboard baseline)."""
    prefix = sum(len(p.text or "") for c in prefix_contents() for p in c.parts) + len(SYSTEM_INSTRUCTION)
    return Usage(input_tokens=history.estimate_tokens(text + (code or "")) + prefix // 4 + 600, output_tokens=200)


def ask(
    *, user, conversation: Conversation, text: str, code: str | None = None, language: str | None = None
) -> Message:
    """Answer one student message; returns the mentor's reply Message (already saved)."""
    if conversation.user_id != user.pk:
        raise ConversationNotFound("No such conversation.")
    text = (text or "").strip()
    if not text:
        raise MessageTooLong("The message is empty.", code="message_empty")
    if len(text) > settings.MENTOR_MAX_MESSAGE_CHARS or len(code or "") > settings.SUBMISSION_MAX_CODE_BYTES:
        raise MessageTooLong(f"Messages are limited to {settings.MENTOR_MAX_MESSAGE_CHARS} characters.")
    code = code if code and code.strip() else None
    check_quota(user=user)
    started = time.monotonic()
    question = Message.objects.create(
        conversation=conversation, role=Role.USER, text=text, code=code or "", language=language or ""
    )
    reference = f"message:{question.pk}"
    slug = conversation.problem.slug if conversation.problem_id else ""

    canned = patterns.canned_reply(text, code=code) if settings.MENTOR_CHEAP_LAYERS else None
    if canned:
        record_call(
            provider="gemini",
            operation="generate",
            feature="mentor",
            user=user,
            reference=reference,
            cache_layer=CacheLayer.PATTERN,
            problem_slug=slug,
            baseline_model=settings.MENTOR_STRONG_MODEL,
            baseline_usage=_naive_usage(text, code),
            latency_ms=_ms(started),
        )
        return _reply(
            conversation, canned, layer=Layer.PATTERN, reason="small talk", started=started, reference=reference
        )

    past, preamble, has_history = history.build(conversation=conversation, before_id=question.pk, text=text, code=code)
    cache_key = None
    if settings.MENTOR_CHEAP_LAYERS and response_cache.is_eligible(text=text, code=code, has_history=has_history):
        cache_key = response_cache.key_for(text=text, problem_slug=slug)
        hit = response_cache.get(cache_key)
        if hit:
            record_call(
                provider="gemini",
                operation="generate",
                feature="mentor",
                model=hit["model"],
                user=user,
                reference=reference,
                cache_layer=CacheLayer.RESPONSE,
                problem_slug=slug,
                usage=Usage(**{k: v for k, v in hit["usage"].items() if k in Usage.__dataclass_fields__}),
                baseline_model=settings.MENTOR_STRONG_MODEL,
                baseline_usage=_naive_usage(text, code),
                latency_ms=_ms(started),
            )
            return _reply(
                conversation,
                hit["text"],
                layer=Layer.RESPONSE_CACHE,
                model=hit["model"],
                reason="same public question answered before",
                started=started,
                reference=reference,
            )

    chosen = route(text=text, code=code, history_turns=len(past) // 2)
    tools = ToolContext(user=user, problem=conversation.problem, code=code, language=language)
    turn = Turn(
        user=user,
        conversation=conversation,
        text=text,
        code=code,
        language=language,
        route=chosen,
        tools=tools,
        history=past,
        preamble=preamble,
        reference=reference,
    )
    provider = get_provider()
    layer = Layer.MODEL if provider.name == "gemini" else Layer.OFFLINE
    reason = chosen.reason
    try:
        try:
            answer = provider.answer(turn)
        except ProviderFailed:
            raise
        except Exception as exc:  # a bug or an unexpected SDK error: the student still gets an answer
            if provider.name != "gemini":
                raise
            logger.exception("mentor turn %s failed unexpectedly", reference)
            raise ProviderFailed(f"unexpected {exc.__class__.__name__}") from exc
    except ProviderFailed as exc:
        logger.warning("mentor turn %s fell back to the offline mentor: %s", reference, exc)
        from .providers.offline import OfflineProvider

        fallback = OfflineProvider().answer(
            turn, intro="the AI mentor is busy right now, so here is a quick offline hint."
        )
        partial = exc.partial or Answer(text="")
        answer = Answer(
            text=fallback.text,
            model="offline",
            input_tokens=partial.input_tokens,
            cached_tokens=partial.cached_tokens,
            output_tokens=partial.output_tokens,
            thinking_tokens=partial.thinking_tokens,
            api_calls=partial.api_calls,
        )
        layer, reason = Layer.FALLBACK, f"{chosen.reason}; fallback: {exc}"[:200]
    if layer == Layer.OFFLINE:
        answer.model = "offline"
    reply = _reply(
        conversation,
        answer.text,
        layer=layer,
        model=answer.model,
        reason=reason,
        started=started,
        reference=reference,
        answer=answer,
        tools_used=[c["name"] for c in tools.calls],
    )
    if cache_key and layer == Layer.MODEL and not tools.calls and answer.text:
        # Only tool-free answers to non-personal questions are shared between students.
        response_cache.put(
            cache_key,
            text=answer.text,
            model=answer.model,
            usage={
                "input_tokens": answer.input_tokens,
                "cached_tokens": answer.cached_tokens,
                "output_tokens": answer.output_tokens,
                "thinking_tokens": answer.thinking_tokens,
            },
        )
    new_summary = history.updated_summary(conversation)
    if new_summary != conversation.summary:
        Conversation.objects.filter(pk=conversation.pk).update(summary=new_summary)
        conversation.summary = new_summary
    return reply


def _reply(
    conversation,
    text: str,
    *,
    layer: str,
    started: float,
    reference: str,
    model: str = "",
    reason: str = "",
    answer: Answer | None = None,
    tools_used=None,
) -> Message:
    cost = ApiCall.objects.filter(reference=reference).aggregate(total=Sum("cost_usd"))["total"] or 0
    answer = answer or Answer(text=text)
    with transaction.atomic():
        return Message.objects.create(
            conversation=conversation,
            role=Role.MENTOR,
            text=text,
            model=model,
            layer=layer,
            route_reason=reason,
            tools_used=tools_used or [],
            input_tokens=answer.input_tokens,
            cached_tokens=answer.cached_tokens,
            output_tokens=answer.output_tokens,
            thinking_tokens=answer.thinking_tokens,
            api_calls=answer.api_calls,
            cost_usd=cost,
            latency_ms=_ms(started),
        )


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)

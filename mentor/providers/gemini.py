"""Gemini through the google-genai SDK, with our own function-calling loop.

Automatic function calling is off: the SDK would hide every HTTP call but the last from
us, and we need one ledger row per call. The loop runs at most MENTOR_MAX_TOOL_ROUNDS
generate calls, appends the model turn verbatim (thought signatures survive) and
answers each function call with its id. Requests with `cached_content` never carry the
system instruction, tools or tool config (the API rejects that); without a cache the
same prefix is sent first and unchanged, so implicit caching can still hit.
"""

from __future__ import annotations

import threading
import time

from django.conf import settings
from google import genai
from google.genai import errors, types

from costs.models import CallStatus
from costs.pricing import usage_from_gemini
from costs.services import BudgetExceeded, check_budget, record_call

from .. import context_cache
from ..prompts import SYSTEM_INSTRUCTION
from ..tools import run_tool
from .base import Answer, ProviderFailed, Turn

_clients: dict[tuple, genai.Client] = {}
# The HTTP attempts of the current thread's SDK call, the ones the SDK retried included: one
# entry per request sent (httpx "request" hook), holding the status of its response, or None
# while there is none (a timeout or connection error never gets one). The SDK's retries are
# invisible otherwise, and every HTTP attempt belongs in the ledger.
_attempts = threading.local()


def _on_request(request) -> None:
    log = getattr(_attempts, "log", None)
    if log is not None:
        log.append(None)


def _on_response(response) -> None:
    log = getattr(_attempts, "log", None)
    if log:
        log[-1] = response.status_code


def _take_attempts() -> list[int | None]:
    log, _attempts.log = getattr(_attempts, "log", None) or [], None
    return log


def get_client() -> genai.Client:
    """One SDK client per process and configuration (the key is never logged)."""
    config = (
        settings.GEMINI_API_KEY,
        settings.GEMINI_BASE_URL,
        settings.GEMINI_API_VERSION,
        settings.GEMINI_TIMEOUT_MS,
        settings.GEMINI_RETRY_ATTEMPTS,
        settings.GEMINI_RETRY_INITIAL_DELAY,
        settings.GEMINI_RETRY_MAX_DELAY,
    )
    client = _clients.get(config)
    if client is None:
        client = genai.Client(
            api_key=settings.GEMINI_API_KEY,
            http_options=types.HttpOptions(
                base_url=settings.GEMINI_BASE_URL or None,
                api_version=settings.GEMINI_API_VERSION,
                timeout=settings.GEMINI_TIMEOUT_MS,
                client_args={"event_hooks": {"request": [_on_request], "response": [_on_response]}},
                retry_options=types.HttpRetryOptions(
                    attempts=settings.GEMINI_RETRY_ATTEMPTS,
                    initial_delay=settings.GEMINI_RETRY_INITIAL_DELAY,
                    max_delay=settings.GEMINI_RETRY_MAX_DELAY,
                    http_status_codes=[408, 429, 500, 502, 503, 504],
                ),
            ),
        )
        _clients[config] = client
    return client


def request_contents(turn: Turn) -> list[types.Content]:
    contents = [types.Content(role=m["role"], parts=[types.Part.from_text(text=m["text"])]) for m in turn.history]
    question = turn.text
    if turn.code:
        question += f"\n\nMy code ({turn.language or 'python'}):\n```\n{turn.code}\n```"
    parts = [types.Part.from_text(text=turn.preamble)] if turn.preamble else []
    parts.append(types.Part.from_text(text=question))
    contents.append(types.Content(role="user", parts=parts))
    return contents


class GeminiProvider:
    name = "gemini"

    def __init__(self, client: genai.Client | None = None):
        self.client = client or get_client()

    def _config(self, turn: Turn, cached: str | None) -> types.GenerateContentConfig:
        kwargs = {
            "automatic_function_calling": types.AutomaticFunctionCallingConfig(disable=True),
            "automatic_continuation": False,
            "max_output_tokens": settings.MENTOR_MAX_OUTPUT_TOKENS,
            "thinking_config": types.ThinkingConfig(thinking_budget=turn.route.thinking_budget),
        }
        if cached:
            kwargs["cached_content"] = cached
        else:
            kwargs.update(
                system_instruction=SYSTEM_INSTRUCTION,
                tools=context_cache.tool_objects(),
                tool_config=context_cache.tool_config(),
            )
        return types.GenerateContentConfig(**kwargs)

    @staticmethod
    def _check_budget(turn: Turn, common: dict, answer: Answer) -> None:
        try:
            check_budget(user=turn.user, provider="gemini", feature="mentor")
        except BudgetExceeded as exc:
            answer.ledger_ids.append(
                record_call(operation="generate", status=CallStatus.REFUSED, error=exc.message, **common).pk
            )
            raise ProviderFailed(f"budget: {exc.message}", answer=answer) from exc

    @staticmethod
    def _record_retried(attempts: list[int | None], answer: Answer, common: dict) -> None:
        """One error row per failed HTTP attempt the SDK retried (their latency is not known):
        error statuses, and attempts that got no response at all (timeouts, connection errors)."""
        for code in attempts:
            answer.api_calls += 1
            error = (
                f"HTTP {code}, retried by the SDK"
                if code is not None
                else "no response (timeout or connection error), retried by the SDK"
            )
            answer.ledger_ids.append(
                record_call(operation="generate", status=CallStatus.ERROR, error=error, **common).pk
            )

    def answer(self, turn: Turn) -> Answer:
        model = turn.route.model
        deadline = time.monotonic() + settings.MENTOR_TURN_DEADLINE_SECONDS
        answer = Answer(text="", model=model)
        common = {
            "provider": "gemini",
            "feature": "mentor",
            "model": model,
            "user": turn.user,
            "reference": turn.reference,
            "baseline_model": settings.MENTOR_STRONG_MODEL,
            "problem_slug": getattr(turn.tools.problem, "slug", "") or "",
        }
        self._check_budget(turn, common, answer)  # before the cache too: creating one is paid
        cached = context_cache.cache_name(client=self.client, model=model, user=turn.user, reference=turn.reference)
        conversation = request_contents(turn)
        recreated = False
        rounds = 0
        while rounds < settings.MENTOR_MAX_TOOL_ROUNDS:
            if time.monotonic() > deadline:
                raise ProviderFailed("turn deadline exceeded", answer=answer)
            if rounds:
                self._check_budget(turn, common, answer)
            contents = conversation if cached else context_cache.prefix_contents() + conversation
            started = time.monotonic()
            _attempts.log = []
            try:
                response = self.client.models.generate_content(
                    model=model, contents=contents, config=self._config(turn, cached)
                )
            except errors.APIError as exc:
                self._record_retried(_take_attempts()[:-1], answer, common)
                answer.api_calls += 1
                answer.ledger_ids.append(
                    record_call(
                        operation="generate",
                        status=CallStatus.ERROR,
                        error=f"{exc.code} {exc.status}: {exc.message}",
                        latency_ms=_ms(started),
                        **common,
                    ).pk
                )
                if exc.code == 404 and cached and not recreated:
                    # The cache expired or vanished: forget it and recreate it, once.
                    context_cache.invalidate(model=model, name=cached)
                    cached = context_cache.cache_name(
                        client=self.client, model=model, user=turn.user, reference=turn.reference
                    )
                    recreated = True
                    continue
                raise ProviderFailed(f"gemini {exc.code} {exc.status}", answer=answer) from exc
            except Exception as exc:  # transport errors and timeouts after the SDK's retries
                # The last attempt is the one that failed for good: its row follows.
                self._record_retried(_take_attempts()[:-1], answer, common)
                answer.api_calls += 1
                answer.ledger_ids.append(
                    record_call(
                        operation="generate",
                        status=CallStatus.ERROR,
                        error=f"{exc.__class__.__name__}: {exc}"[:500],
                        latency_ms=_ms(started),
                        **common,
                    ).pk
                )
                raise ProviderFailed(f"gemini transport: {exc.__class__.__name__}", answer=answer) from exc
            self._record_retried(_take_attempts()[:-1], answer, common)  # the last one is this answer
            rounds += 1
            answer.api_calls += 1
            raw = response.usage_metadata.model_dump(mode="json", exclude_none=True) if response.usage_metadata else {}
            usage = usage_from_gemini(raw)
            answer.input_tokens += usage.input_tokens
            answer.cached_tokens += usage.cached_tokens
            answer.output_tokens += usage.output_tokens
            answer.thinking_tokens += usage.thinking_tokens
            answer.ledger_ids.append(
                record_call(
                    operation="generate",
                    usage=usage,
                    raw_usage={
                        **raw,
                        "response_id": response.response_id,
                        "model_version": response.model_version,
                        "cached_content": cached or "",
                    },
                    latency_ms=_ms(started),
                    **common,
                ).pk
            )
            calls = response.function_calls or []
            if not calls:
                # A blocked prompt has no candidates (promptFeedback.blockReason) and so no text.
                answer.text = (response.text or "").strip() or (
                    "I could not answer that one. Could you rephrase it, or ask about your problem or code?"
                )
                return answer
            # Verbatim: keeps thoughtSignature parts the next request must echo.
            conversation.append(response.candidates[0].content)
            parts = []
            for call in calls:
                result = run_tool(call.name, call.args, turn.tools)
                payload = result if "error" in result else {"result": result}
                parts.append(
                    types.Part(function_response=types.FunctionResponse(id=call.id, name=call.name, response=payload))
                )
            conversation.append(types.Content(role="user", parts=parts))
        # Out of rounds with calls still pending: answer from the tool results we have.
        from .offline import OfflineProvider

        offline = OfflineProvider().answer(turn, intro="summary of what the tools found")
        answer.text = offline.text
        return answer


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)

"""Layer 5, history pruning: the last few turns verbatim, older ones as a running
summary, and a per-turn input token cap (estimated at ~4 characters a token)."""

from __future__ import annotations

from django.conf import settings

from .models import Layer, Message, Role

STATEMENT_CHARS = 1500
SUMMARY_CHARS = 600


def estimate_tokens(text: str) -> int:
    return (len(text) + 3) // 4


def _exchanges(conversation, *, before_id: int) -> list[Message]:
    """Earlier messages that carry content (small talk answered by the pattern layer is dropped)."""
    messages = list(conversation.messages.filter(id__lt=before_id).order_by("id"))
    keep = []
    for i, m in enumerate(messages):
        reply = messages[i + 1] if i + 1 < len(messages) else None
        if m.role == Role.USER and reply is not None and reply.layer == Layer.PATTERN:
            continue
        if m.role == Role.MENTOR and m.layer == Layer.PATTERN:
            continue
        keep.append(m)
    return keep


def build(*, conversation, before_id: int, text: str, code: str | None) -> tuple[list[dict], str, bool]:
    """(history, preamble, has_history) for the turn whose user message is `before_id`."""
    earlier = _exchanges(conversation, before_id=before_id)
    window = earlier[-2 * settings.MENTOR_HISTORY_TURNS :] if settings.MENTOR_HISTORY_TURNS else []
    history = [{"role": "user" if m.role == Role.USER else "model", "text": m.text} for m in window]
    preamble = _preamble(conversation)
    budget = settings.MENTOR_MAX_INPUT_TOKENS - estimate_tokens(text + (code or "") + preamble)
    while history and sum(estimate_tokens(h["text"]) for h in history) > budget:
        history.pop(0)  # oldest first; the summary still mentions it
    if history and history[0]["role"] == "model":
        history.pop(0)
    return history, preamble, bool(earlier)


def _preamble(conversation) -> str:
    parts = []
    problem = conversation.problem
    if problem is not None and problem.is_published:
        statement = problem.statement[:STATEMENT_CHARS]
        parts.append(f"Problem: {problem.title} (`{problem.slug}`, {problem.difficulty}).\n{statement}")
    if conversation.summary:
        parts.append(f"Earlier in this conversation: {conversation.summary}")
    return "\n\n".join(parts)


def updated_summary(conversation) -> str:
    """Summary of the user questions that fell out of the verbatim window; no API call."""
    messages = [m for m in _exchanges(conversation, before_id=2**62) if m.role == Role.USER]
    older = messages[: max(len(messages) - settings.MENTOR_HISTORY_TURNS, 0)]
    if not older:
        return conversation.summary
    topics = "; ".join(" ".join(m.text.split())[:90] for m in older)
    summary = f"the student asked about: {topics}"
    return summary if len(summary) <= SUMMARY_CHARS else "…" + summary[-SUMMARY_CHARS:]

"""What every mentor provider implements: answer one turn, through the same tools."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from ..router import Route
from ..tools import ToolContext


@dataclass
class Turn:
    user: object
    conversation: object
    text: str
    code: str | None
    language: str | None
    route: Route
    tools: ToolContext
    history: list[dict]  # [{"role": "user"|"model", "text": ...}], oldest first, already pruned
    preamble: str  # problem context + running summary, sent with the question
    reference: str  # ledger reference of the turn, e.g. "message:42"


@dataclass
class Answer:
    text: str
    model: str = ""
    input_tokens: int = 0
    cached_tokens: int = 0
    output_tokens: int = 0
    thinking_tokens: int = 0
    api_calls: int = 0
    fallback_reason: str = ""  # set when the offline provider answered for a failed Gemini turn
    ledger_ids: list[int] = field(default_factory=list)


class ProviderFailed(Exception):
    """Gemini could not answer (after SDK retries, the turn deadline, or a budget stop)."""

    def __init__(self, message: str, *, answer: Answer | None = None):
        super().__init__(message)
        self.partial = answer


class MentorProvider(Protocol):
    name: str

    def answer(self, turn: Turn) -> Answer: ...

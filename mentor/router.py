"""Layer 3, the model router: a few rules, no extra API call.

Short conceptual turns go to the cheap model with thinking off; code analysis and
multi-step requests go to the strong model with an explicit, bounded thinking budget.
"""

import re
from dataclasses import dataclass

from django.conf import settings

_MULTI_STEP = re.compile(
    r"\b(step[- ]by[- ]step|debug|why (does|doesn't|does not|is)|optimi[sz]e|compare|prove|walk me through|"
    r"complexity of my|refactor|review|what's wrong|what is wrong|fails?|failing|error|bug|wrong answer|"
    r"time limit|tle|my code|my solution)\b",
    re.IGNORECASE,
)
_CODE_HINT = re.compile(r"```|\bdef \w+\(|\bclass \w+|[{};]\s*$|\breturn\b", re.MULTILINE)
SHORT_CHARS = 280


@dataclass(frozen=True)
class Route:
    model: str
    thinking_budget: int
    reason: str
    strong: bool


def route(*, text: str, code: str | None = None, history_turns: int = 0) -> Route:
    cheap = Route(settings.MENTOR_CHEAP_MODEL, settings.MENTOR_CHEAP_THINKING_BUDGET, "", False)
    strong = Route(settings.MENTOR_STRONG_MODEL, settings.MENTOR_STRONG_THINKING_BUDGET, "", True)
    if code and code.strip():
        return _with(strong, "code analysis: the turn carries code")
    if _CODE_HINT.search(text):
        return _with(strong, "code analysis: code pasted in the message")
    if _MULTI_STEP.search(text):
        return _with(strong, "multi-step: debugging/review/optimization request")
    if len(text) > SHORT_CHARS:
        return _with(strong, f"multi-step: long message ({len(text)} chars)")
    if history_turns >= 6 and len(text) > 120:
        return _with(strong, "multi-step: long follow-up in a long conversation")
    return _with(cheap, "short conceptual question")


def _with(r: Route, reason: str) -> Route:
    return Route(r.model, r.thinking_budget, reason, r.strong)

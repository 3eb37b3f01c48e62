"""Layer 2, the response cache (Redis through the Django cache).

Only questions with no personal context are eligible: no code, no conversation
history, no words about the student's own progress/work, and the stored answer must
have been produced without any tool call (tool results are personal). The key is the
normalized question + the conversation's problem + the prompt version, so an answer
is only ever reused for the same public question on the same public problem. Nothing
in the key or the value identifies a user.
"""

import hashlib
import re

from django.conf import settings
from django.core.cache import cache

from .patterns import normalize
from .prompts import PROMPT_VERSION

_PERSONAL = re.compile(
    r"\b(i|i'm|im|i've|ive|me|my|mine|myself|we|our|progress|streak|solved|next|recommend\w*|"
    r"submission|submitted|attempt\w*|score|rank\w*|account|this code|above|below|previous|earlier)\b"
)
PREFIX = "mentor:resp:"


def is_eligible(*, text: str, code: str | None, has_history: bool) -> bool:
    if code or has_history:
        return False
    norm = normalize(text)
    if not norm or len(norm) > 300 or "```" in text:
        return False
    return not _PERSONAL.search(norm)


def key_for(*, text: str, problem_slug: str | None) -> str:
    raw = f"{PROMPT_VERSION}\x00{problem_slug or '-'}\x00{normalize(text)}"
    return PREFIX + hashlib.sha256(raw.encode()).hexdigest()


def get(key: str) -> dict | None:
    return cache.get(key)


def put(key: str, *, text: str, model: str, usage: dict) -> None:
    cache.set(key, {"text": text, "model": model, "usage": usage}, timeout=settings.MENTOR_RESPONSE_CACHE_TTL)

"""Layer 2, the response cache (Redis through the Django cache).

Only questions with no personal context are eligible: no code, no conversation
history, no words about the student's own progress/work, and the stored answer must
have been produced without any tool call (tool results are personal). The key is the
question, normalized losslessly (`key_text`: NFKC, casefold, runs of whitespace to one
space; every other character the model reads stays in it), + the conversation's problem
+ the prompt version, so an answer is only ever reused for the same public question on
the same public problem. Questions with characters a reader cannot see (zero-width,
bidi controls, Unicode tags, other format/control/private-use/unassigned code points)
are never shared at all: the model reads them, the student does not. Nothing in the key
or the value identifies a user.
"""

import hashlib
import json
import re
import unicodedata

from django.conf import settings
from django.core.cache import cache

from .prompts import PROMPT_VERSION

_PERSONAL = re.compile(
    r"\b(i|i'm|im|i've|ive|me|my|mine|myself|we|our|progress|streak|solved|next|recommend\w*|"
    r"submission|submitted|attempt\w*|score|rank\w*|account|this code|above|below|previous|earlier)\b"
)
PREFIX = "mentor:resp:"
KEY_VERSION = 2  # v2: lossless key text (v1 dropped every non-ASCII character)
# Whitespace collapsed in the key: the ASCII blanks and line breaks only. str.split()
# without arguments would also merge U+001C-U+001F and U+0085 into a space.
_WHITESPACE = re.compile(r"[ \t\n\r]+")
# General categories a reader does not see: control, format (zero-width, bidi controls,
# Unicode tags U+E0000-U+E007F), surrogate, private use, unassigned.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
# Default-ignorable code points outside those categories: combining grapheme joiner,
# Hangul fillers, Khmer inherent vowels, variation selectors (they can smuggle bytes).
_INVISIBLE = re.compile("[\u034f\u115f\u1160\u17b4\u17b5\u3164\uffa0\ufe00-\ufe0f\U000e0100-\U000e01ef]")


def key_text(text: str) -> str:
    """What two questions must share to share an answer: the text the model reads, up to
    compatibility forms (NFKC), case (casefold) and runs of blanks/newlines."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return _WHITESPACE.sub(" ", folded).strip(" ")


def has_invisible(text: str) -> bool:
    """A character the model reads but a person does not see (tab/newline/CR are fine)."""
    if _INVISIBLE.search(text):
        return True
    return any(ch not in "\t\n\r" and unicodedata.category(ch) in _INVISIBLE_CATEGORIES for ch in text)


def is_eligible(*, text: str, code: str | None, has_history: bool) -> bool:
    if code or has_history:
        return False
    if has_invisible(text):
        return False
    norm = key_text(text)
    if not norm or len(norm) > 300 or "```" in text:
        return False
    return not _PERSONAL.search(norm)


def key_for(*, text: str, problem_slug: str | None) -> str:
    raw = json.dumps([KEY_VERSION, PROMPT_VERSION, problem_slug or "-", key_text(text)], ensure_ascii=True)
    return PREFIX + hashlib.sha256(raw.encode()).hexdigest()


def get(key: str) -> dict | None:
    return cache.get(key)


def put(key: str, *, text: str, model: str, usage: dict) -> None:
    cache.set(key, {"text": text, "model": model, "usage": usage}, timeout=settings.MENTOR_RESPONSE_CACHE_TTL)

"""Layer 1, the pattern responder: small talk gets a canned reply without any API call."""

import re

_NORMALIZE = re.compile(r"[^a-z0-9' ]+")

_REPLIES = [
    (
        {
            "hi",
            "hello",
            "hey",
            "hiya",
            "good morning",
            "good evening",
            "good afternoon",
            "yo",
            "hi there",
            "hello there",
            "hey there",
            "greetings",
        },
        "Hi! Tell me which problem you are working on, paste your code, or ask about a concept.",
    ),
    (
        {
            "thanks",
            "thank you",
            "thx",
            "ty",
            "thanks a lot",
            "thank you so much",
            "many thanks",
            "cheers",
            "great thanks",
            "ok thanks",
            "ok thank you",
            "thanks that helps",
            "that helps thanks",
        },
        "You're welcome! Ask again whenever you get stuck.",
    ),
    (
        {
            "ok",
            "okay",
            "k",
            "got it",
            "done",
            "cool",
            "nice",
            "great",
            "understood",
            "i see",
            "makes sense",
            "alright",
            "sure",
            "yes",
            "yep",
            "will do",
            "on it",
        },
        "Great. Give it a try, and share your code if a test fails.",
    ),
    (
        {"bye", "goodbye", "see you", "see ya", "good night", "later"},
        "Good luck with your practice, see you next time!",
    ),
]


def normalize(text: str) -> str:
    return " ".join(_NORMALIZE.sub(" ", text.lower()).split())


def canned_reply(text: str, *, code: str | None = None) -> str | None:
    """The canned reply when the whole message is small talk; None otherwise."""
    if code:
        return None
    key = normalize(text)
    if not key or len(key) > 40:
        return None
    for phrases, reply in _REPLIES:
        if key in phrases:
            return reply
    return None

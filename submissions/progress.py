"""Live per-test progress of a submission being judged.

Stdio problems run one execution per test; each outcome is published here as soon as it
is known, so the workspace (and REST clients) see tests pass one by one instead of
waiting for the last. Only the judging worker writes a submission's entry, so a plain
get/set is race-free. The entry holds what the finished submission would store (hidden
tests' data never enters it) and is dropped once the verdict is written.
"""

from __future__ import annotations

from django.core.cache import cache

# Long enough for the slowest judging, short enough that an abandoned entry disappears.
TIMEOUT_SECONDS = 15 * 60


def _key(submission_id: int) -> str:
    return f"submission-progress:{submission_id}"


def publish(*, submission_id: int, test: dict) -> None:
    tests = [t for t in cache.get(_key(submission_id), []) if t["index"] != test["index"]]
    tests.append(test)
    tests.sort(key=lambda t: t["index"])
    cache.set(_key(submission_id), tests, timeout=TIMEOUT_SECONDS)


def tests_so_far(*, submission_id: int) -> list[dict]:
    return cache.get(_key(submission_id), [])


def clear(*, submission_id: int) -> None:
    cache.delete(_key(submission_id))

"""State changes of the catalog: loading problem packs, admin saves, recording verdicts."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.db import transaction
from django.db.models import F

from codementor.api_errors import DomainError

from . import public_cache
from .markdown import render_statement
from .models import DailyActivity, Problem, ProblemProgress, TestCase, Topic
from .packfile import TOPIC_NAMES, PackError, PackProblem, read_pack_bytes

ACCEPTED = "accepted"  # submissions.executors.base.Verdict.ACCEPTED; problems must not import submissions


class PackLoadError(DomainError):
    code = "invalid_pack"


@dataclass
class LoadReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return len(self.created) + len(self.updated)

    def summary(self) -> str:
        return f"{len(self.created)} created, {len(self.updated)} updated, {len(self.unchanged)} unchanged"


# --- test sets ---------------------------------------------------------------------

_TEST_FIELDS = ("order", "input", "expected_output", "is_sample", "comparison")


def _canonical_rows(rows: Iterable[dict]) -> list[dict]:
    # Only what judging depends on; an edited explanation must not invalidate cached results.
    return sorted(({k: row[k] for k in _TEST_FIELDS} for row in rows), key=lambda r: r["order"])


def compute_test_set_version(rows: Iterable[dict]) -> str:
    """sha256 of the canonical tests: changes iff a judged property of a test changes."""
    canonical = json.dumps(_canonical_rows(rows), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _stored_rows(problem: Problem) -> list[dict]:
    return list(problem.test_cases.values(*_TEST_FIELDS, "explanation"))


def _pack_rows(pack_problem: PackProblem) -> list[dict]:
    # The reader already encodes function-problem values as JSON text (parameter order).
    return [
        {
            "order": test.order,
            "input": test.input,
            "expected_output": test.expected,
            "is_sample": test.is_sample,
            "comparison": test.comparison,
            "explanation": test.explanation,
        }
        for test in pack_problem.tests
    ]


def _replace_tests(problem: Problem, rows: Sequence[dict]) -> None:
    problem.test_cases.all().delete()
    TestCase.objects.bulk_create(TestCase(problem=problem, **row) for row in rows)
    public_cache.bump()  # bulk_create sends no post_save


# --- topics ------------------------------------------------------------------------


def _topic_for(slug: str) -> Topic:
    name = TOPIC_NAMES.get(slug) or slug.replace("-", " ").capitalize()
    topic, created = Topic.objects.get_or_create(slug=slug, defaults={"name": name})
    if not created and topic.name != name:
        topic.name = name
        topic.save(update_fields=["name"])
    return topic


# --- loading -------------------------------------------------------------------------

_PROBLEM_FIELDS = (
    "title",
    "difficulty",
    "kind",
    "signature",
    "time_limit_ms",
    "memory_limit_mb",
    "statement",
    "reference_solution",
)


def _field_values(pack_problem: PackProblem) -> dict:
    values = {name: getattr(pack_problem, name) for name in _PROBLEM_FIELDS}
    values["signature"] = values["signature"] or {}
    values["reference_solution"] = values["reference_solution"] or ""
    values["statement_html"] = render_statement(values["statement"])
    return values


@transaction.atomic
def load_problem_pack(*, problems: Sequence[PackProblem]) -> LoadReport:
    """Create or update problems in place by slug; idempotent (a second load changes nothing).

    `problems` are `problems.packfile.PackProblem`s (already validated by the reader).
    Test cases are replaced only when their canonical form changed, so `test_set_version`
    (and with it every cached judging result) moves only when the tests really moved.
    """
    report = LoadReport()
    seen: set[str] = set()
    for pack_problem in problems:
        if pack_problem.slug in seen:
            raise PackLoadError(f"problem {pack_problem.slug!r} appears twice in the pack")
        seen.add(pack_problem.slug)
        values = _field_values(pack_problem)
        rows = _pack_rows(pack_problem)
        version = compute_test_set_version(rows)
        topics = [_topic_for(label) for label in pack_problem.topics]

        problem = Problem.objects.select_for_update().filter(slug=pack_problem.slug).first()
        if problem is None:
            problem = Problem.objects.create(slug=pack_problem.slug, test_set_version=version, **values)
            problem.topics.set(topics)
            _replace_tests(problem, rows)
            report.created.append(problem.slug)
            continue

        changed = [name for name, value in values.items() if getattr(problem, name) != value]
        for name in changed:
            setattr(problem, name, values[name])
        stored = _stored_rows(problem)
        key = lambda r: r["order"]  # noqa: E731
        if sorted(stored, key=key) != sorted(rows, key=key):
            _replace_tests(problem, rows)
            changed.append("tests")
        if problem.test_set_version != version:
            problem.test_set_version = version
            changed.append("test_set_version")
        if {t.pk for t in topics} != set(problem.topics.values_list("pk", flat=True)):
            problem.topics.set(topics)
            changed.append("topics")
        if changed:
            problem.save()
            report.updated.append(problem.slug)
        else:
            report.unchanged.append(problem.slug)
    return report


def load_problem_file(*, data: bytes, filename: str) -> LoadReport:
    """One uploaded pack file (admin): validated by the pack reader, then loaded."""
    try:
        pack_problem = read_pack_bytes(data, filename)
    except PackError as exc:
        raise PackLoadError(str(exc))
    return load_problem_pack(problems=[pack_problem])


@transaction.atomic
def refresh_problem_derived(*, problem: Problem) -> Problem:
    """Recompute what is derived from a problem's own data (statement HTML, test-set
    version). The admin calls this after saving a problem and its test inlines."""
    problem = Problem.objects.select_for_update().get(pk=problem.pk)
    html = render_statement(problem.statement)
    version = compute_test_set_version(_stored_rows(problem))
    if (html, version) != (problem.statement_html, problem.test_set_version):
        problem.statement_html = html
        problem.test_set_version = version
        problem.save(update_fields=["statement_html", "test_set_version", "updated_at"])
    return problem


# --- progress --------------------------------------------------------------------------


@transaction.atomic
def record_verdict(*, user, problem: Problem, verdict: str, runtime_ms: int | None, at: datetime) -> ProblemProgress:
    """Fold one judged submission (mode=submit) into the user's progress and daily activity.

    The submission pipeline calls this exactly once per judged submission. `at` must be
    timezone-aware; the activity day is its UTC date.
    """
    if at.tzinfo is None:
        raise ValueError("record_verdict needs a timezone-aware datetime")
    accepted = verdict == ACCEPTED
    ProblemProgress.objects.get_or_create(user=user, problem=problem)
    # Row lock: two verdicts of the same user and problem cannot interleave.
    progress = ProblemProgress.objects.select_for_update().get(user=user, problem=problem)
    progress.attempts += 1
    progress.last_verdict = verdict
    if progress.last_attempt_at is None or at >= progress.last_attempt_at:
        progress.last_attempt_at = at
    if accepted:
        if progress.first_solved_at is None or at < progress.first_solved_at:
            progress.first_solved_at = at
        if runtime_ms is not None and (progress.best_runtime_ms is None or runtime_ms < progress.best_runtime_ms):
            progress.best_runtime_ms = runtime_ms
    progress.save()

    day = at.astimezone(UTC).date()
    DailyActivity.objects.get_or_create(user=user, day=day)
    DailyActivity.objects.filter(user=user, day=day).update(
        submissions=F("submissions") + 1, accepted=F("accepted") + (1 if accepted else 0)
    )
    return progress

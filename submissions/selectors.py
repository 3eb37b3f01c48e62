"""Reads of submissions. Students see only their own; staff may read any one by id.

`visible_result` is THE hidden-test visibility rule, used by the REST API, the pages and
the mentor's tools alike (docs/security.md "What a student can learn"):
- sample tests and custom runs: everything (input, expected, actual, output, message);
- hidden tests: only counts (passed / failed / not run) and the verdict and time of the
  first failing one; never their index, input, expected, actual, stdout, stderr, message
  or memory, and no per-test pass/fail list (hidden tests run in an order the student
  cannot predict, so per-index flags would be an oracle);
- the compile output is shown only for a compile error that no hidden test produced;
- staff reading another user's submission (support) see everything.
"""

from __future__ import annotations

from django.db.models import QuerySet

from problems.models import Problem

from . import progress
from .executors.base import Verdict
from .judge_result import safe_text
from .models import Mode, Status, Submission

VERDICT_LABELS = {**dict(Verdict.CHOICES), "not_run": "Not run"}
# Fields of a sample/custom test a student may read.
VISIBLE_FIELDS = (
    "index",
    "sample",
    "custom",
    "passed",
    "verdict",
    "time_ms",
    "memory_kb",
    "input",
    "expected",
    "actual",
    "stdout",
    "stderr",
    "message",
)


def published_problem(*, slug: str) -> Problem | None:
    return Problem.objects.filter(slug=slug, is_published=True).first()


def submission_list(*, user, problem_slug: str | None = None) -> QuerySet[Submission]:
    """The user's own submissions, newest first (staff too: staff browse everyone's in admin)."""
    qs = Submission.objects.filter(user=user).select_related("problem")
    if problem_slug:
        qs = qs.filter(problem__slug=problem_slug)
    return qs.order_by("-created_at", "-id")


def submission_for(*, user, submission_id: int) -> Submission | None:
    """One submission if `user` may read it: its owner, or staff."""
    qs = Submission.objects.select_related("problem", "user")
    if not user.is_staff:
        qs = qs.filter(user=user)
    return qs.filter(pk=submission_id).first()


def per_test_results(*, submission: Submission) -> list[dict]:
    """The raw per-test results (staff/internal): final once finished, else those known so
    far (stdio problems report each test as it finishes; see submissions/progress.py).
    Anything shown to a student goes through visible_result."""
    if submission.status == Status.FINISHED:
        return list(submission.tests or [])
    return progress.tests_so_far(submission_id=submission.pk)


def _is_hidden(test: dict) -> bool:
    return bool(test.get("hidden", not test.get("sample", False)))


def _shown(test: dict) -> dict:
    out = {name: test.get(name) for name in VISIBLE_FIELDS}
    out["sample"] = not _is_hidden(test)
    out["custom"] = bool(test.get("custom", False))
    out["passed"] = bool(test.get("passed"))
    for name in ("stdout", "stderr", "message"):
        out[name] = safe_text(out[name])
    for name in ("input", "expected", "actual"):  # rows stored before escaping existed, live entries
        out[name] = None if out[name] is None else safe_text(out[name])
    out["verdict_label"] = VERDICT_LABELS.get(test.get("verdict") or "", "")
    return out


def _hidden_summary(hidden: list[dict]) -> dict | None:
    if not hidden:
        return None
    failed = [t for t in hidden if not t.get("passed") and t.get("verdict") != "not_run"]
    first = failed[0] if failed else None
    return {
        "total": len(hidden),
        "passed": sum(1 for t in hidden if t.get("passed")),
        "failed": len(failed),
        "not_run": sum(1 for t in hidden if t.get("verdict") == "not_run"),
        "first_failure": None
        if first is None
        else {
            "verdict": first.get("verdict"),
            "verdict_label": VERDICT_LABELS.get(first.get("verdict") or "", ""),
            "time_ms": first.get("time_ms"),
        },
    }


def visible_result(*, submission: Submission, viewer) -> dict:
    """What `viewer` may see of a submission's result (finished, or live while judging).

    Returns {"full", "tests" (shown entries: samples/custom, or all for staff support),
    "hidden" (counts + first failure, or None), "failing" (first failing shown test),
    "compile_output", "passed_count", "total", "expected_total", "memory_kb"}.
    """
    full = bool(viewer.is_staff and submission.user_id != viewer.pk)
    raw = per_test_results(submission=submission)
    hidden = [t for t in raw if _is_hidden(t)]
    tests = [_shown(t) for t in (raw if full else [t for t in raw if not _is_hidden(t)])]
    failing = next((t for t in tests if not t["passed"] and t["verdict"] != "not_run"), None)
    return {
        "full": full,
        "tests": tests,
        "hidden": _hidden_summary(hidden) if not full else None,
        "failing": failing,
        "compile_output": safe_text(submission.compile_output if full else _student_compile_output(submission, raw)),
        "passed_count": sum(1 for t in raw if t.get("passed")),
        "total": len(raw),
        "expected_total": None if submission.status == Status.FINISHED else _expected_tests(submission),
        "memory_kb": submission.memory_kb if full else _visible_memory(raw),
    }


def shown_memory_kb(*, submission: Submission, viewer) -> int | None:
    """The submission's peak memory as the viewer may see it: a student's figure leaves out
    hidden tests (their memory could carry what the program read)."""
    if viewer.is_staff and submission.user_id != viewer.pk:
        return submission.memory_kb
    return _visible_memory(submission.tests or [])


def _visible_memory(raw: list[dict]) -> int | None:
    return max((t["memory_kb"] for t in raw if not _is_hidden(t) and t.get("memory_kb") is not None), default=None)


def _student_compile_output(submission: Submission, raw: list[dict]) -> str:
    """Compiler output belongs to the program, not to a test: shown for a compile error
    whose first failing test (if any) is not hidden, never otherwise."""
    if submission.verdict != Verdict.COMPILE_ERROR:
        return ""
    first = next((t for t in raw if not t.get("passed") and t.get("verdict") != "not_run"), None)
    if first is not None and _is_hidden(first):
        return ""
    return submission.compile_output


def _expected_tests(submission: Submission) -> int:
    """How many tests this run will report (one query per poll while it is in flight)."""
    if submission.stdin is not None:
        return 1
    cases = submission.problem.test_cases.all()
    return (cases.filter(is_sample=True) if submission.mode == Mode.RUN else cases).count()

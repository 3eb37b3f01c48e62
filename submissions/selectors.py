"""Reads of submissions. Students see only their own; staff may read any one by id."""

from django.db.models import QuerySet

from problems.models import Problem

from . import progress
from .models import Status, Submission


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
    """The per-test results: final once finished, else those known so far (stdio problems
    report each test as it finishes; see submissions/progress.py)."""
    if submission.status == Status.FINISHED:
        return submission.tests
    return progress.tests_so_far(submission_id=submission.pk)

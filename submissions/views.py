"""Submission pages and the workspace's form endpoints. Thin: submit_code does the work.

POST /submissions/new/                 form fields problem, language, code, mode, stdin? -> JSON {id, result_url}
GET  /submissions/<id>/                detail page (owner or staff; anyone else 404)
GET  /submissions/<id>/result/         JSON {status, verdict, finished, html} the workspace polls
GET  /submissions/history/<slug>/      HTML fragment: the user's submissions of one problem
"""

from types import SimpleNamespace

from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from . import selectors, services
from .api import SubmissionThrottle
from .executors.base import Verdict
from .models import Mode, Status

HISTORY_LIMIT = 20
VERDICT_LABELS = dict(Verdict.CHOICES)


def _own_submission(request, submission_id: int):
    submission = selectors.submission_for(user=request.user, submission_id=submission_id)
    if submission is None:
        raise Http404("No such submission.")
    return submission


def result_context(submission, *, viewer) -> dict:
    """What a viewer may see of the per-test results: hidden tests are pass/fail and time only,
    except for staff reading another user's submission (support)."""
    full = viewer.is_staff and submission.user_id != viewer.pk
    tests = []
    for test in selectors.per_test_results(submission=submission):
        shown = dict(test)
        shown["visible"] = full or test.get("sample", False)
        shown["verdict_label"] = VERDICT_LABELS.get(test.get("verdict") or "", "")
        if not shown["visible"]:
            for key in ("input", "expected", "actual", "stdout", "stderr", "message"):
                shown.pop(key, None)
        tests.append(shown)
    failing = next((t for t in tests if not t["passed"] and t["visible"]), None)
    pending = 0
    if submission.status != Status.FINISHED:
        # How many tests this run will report (one query per poll while it is in flight).
        cases = submission.problem.test_cases.all()
        pending = 1 if submission.stdin is not None else (
            cases.filter(is_sample=True) if submission.mode == Mode.RUN else cases).count()
    return {
        "pending": pending,
        "submission": submission,
        "tests": tests,
        "failing": failing,
        "passed_count": sum(1 for t in tests if t["passed"]),
        "finished": submission.status == Status.FINISHED,
        "system_error": submission.verdict == Verdict.SYSTEM_ERROR,
        "full": full,
    }


def _throttled(user, mode: str) -> bool:
    # Shares the REST API's per-user counters, so the page is no way around the limits.
    throttle = SubmissionThrottle()
    shim = SimpleNamespace(method="POST", user=user, data={"mode": mode}, META={})
    return not throttle.allow_request(shim, None)


@login_required
@require_POST
def create(request):
    mode = request.POST.get("mode", Mode.SUBMIT)
    if mode not in Mode.values:
        return JsonResponse({"errors": {"mode": ["Mode must be 'run' or 'submit'."]}}, status=400)
    if _throttled(request.user, mode):
        return JsonResponse(
            {"errors": {"__all__": ["You are going a bit fast: please wait a few seconds and try again."]}},
            status=429,
        )
    stdin = request.POST.get("stdin") if request.POST.get("use_custom") == "1" else None
    try:
        submission = services.submit_code(
            user=request.user,
            problem=selectors.published_problem(slug=request.POST.get("problem", "")),
            language=request.POST.get("language", ""),
            code=request.POST.get("code", ""),
            mode=mode,
            stdin=stdin,
        )
    except services.SubmissionRejected as exc:
        return JsonResponse({"errors": exc.message_dict}, status=400)
    return JsonResponse({
        "id": submission.pk,
        "result_url": reverse("submissions:result", args=[submission.pk]),
        "detail_url": reverse("submissions:detail", args=[submission.pk]),
    }, status=201)


@login_required
@require_GET
def result(request, submission_id: int):
    submission = _own_submission(request, submission_id)
    context = result_context(submission, viewer=request.user)
    html = render_to_string("submissions/_result.html", context, request=request)
    return JsonResponse({
        "id": submission.pk,
        "status": submission.status,
        "verdict": submission.verdict or None,
        "finished": context["finished"],
        "html": html,
    })


@login_required
@require_GET
def detail(request, submission_id: int):
    submission = _own_submission(request, submission_id)
    return render(request, "submissions/detail.html", result_context(submission, viewer=request.user))


@login_required
@require_GET
def history(request, slug: str):
    submissions = selectors.submission_list(user=request.user, problem_slug=slug)[:HISTORY_LIMIT]
    return render(request, "submissions/_history.html", {"submissions": submissions})

"""Submission pages and the workspace's form endpoints. Thin: submit_code does the work.

POST /submissions/new/                 form fields problem, language, code, mode, stdin? -> JSON {id, result_url}
GET  /submissions/<id>/                detail page (owner or staff; anyone else 404)
GET  /submissions/<id>/result/         JSON {status, verdict, finished, html} the workspace polls
GET  /submissions/history/<slug>/      HTML fragment: the user's submissions of one problem
"""

from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from . import selectors, services
from .executors.base import Verdict
from .models import Mode, Status

HISTORY_LIMIT = 20


def _own_submission(request, submission_id: int):
    submission = selectors.submission_for(user=request.user, submission_id=submission_id)
    if submission is None:
        raise Http404("No such submission.")
    return submission


def result_context(submission, *, viewer) -> dict:
    """The result as `viewer` may see it: selectors.visible_result, the one visibility rule
    (hidden tests as counts, never their data), plus what the templates need."""
    shown = selectors.visible_result(submission=submission, viewer=viewer)
    return {
        **shown,
        "pending": shown["expected_total"] or 0,
        "submission": submission,
        "finished": submission.status == Status.FINISHED,
        "system_error": submission.verdict == Verdict.SYSTEM_ERROR,
    }


@login_required
@require_POST
def create(request):
    """The workspace form: the same service as the REST API (throttle, validation, judging)."""
    stdin = request.POST.get("stdin") if request.POST.get("use_custom") == "1" else None
    try:
        submission = services.create_submission(
            user=request.user,
            problem_slug=request.POST.get("problem", ""),
            language=request.POST.get("language", ""),
            code=request.POST.get("code", ""),
            mode=request.POST.get("mode", Mode.SUBMIT),
            stdin=stdin,
        )
    except services.SubmissionThrottled:
        return JsonResponse(
            {"errors": {"__all__": ["You are going a bit fast: please wait a few seconds and try again."]}},
            status=429,
        )
    except services.SubmissionRejected as exc:
        return JsonResponse({"errors": exc.message_dict}, status=400)
    return JsonResponse(
        {
            "id": submission.pk,
            "result_url": reverse("submissions:result", args=[submission.pk]),
            "detail_url": reverse("submissions:detail", args=[submission.pk]),
        },
        status=201,
    )


@login_required
@require_GET
def result(request, submission_id: int):
    submission = _own_submission(request, submission_id)
    context = result_context(submission, viewer=request.user)
    html = render_to_string("submissions/_result.html", context, request=request)
    return JsonResponse(
        {
            "id": submission.pk,
            "status": submission.status,
            "verdict": submission.verdict or None,
            "finished": context["finished"],
            "html": html,
        }
    )


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

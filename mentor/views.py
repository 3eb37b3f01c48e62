"""The mentor panel beside the editor. Thin: mentor.services.ask does the work.

GET  /mentor/panel/<slug>/   HTML fragment: the user's latest conversation about this problem
POST /mentor/ask/<slug>/     form fields text, code?, language?, conversation? -> JSON {conversation, html}
Answers are Markdown rendered and sanitized (nh3) on the server before they reach the page.
"""

from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_POST

from codementor.api_errors import DomainError, QuotaExceeded
from problems.markdown import render_statement
from problems.selectors import published_problem

from . import selectors, services
from .models import Conversation, Role

LANGUAGES = ("python", "javascript", "cpp", "java")


def message_context(message) -> dict:
    return {
        "message": message,
        "html": render_statement(message.text) if message.role == Role.MENTOR else "",
    }


def _latest_conversation(user, problem) -> Conversation | None:
    return Conversation.objects.filter(user=user, problem=problem).order_by("-created_at", "-id").first()


@login_required
@require_GET
def panel(request, slug: str):
    problem = published_problem(slug=slug)
    conversation = _latest_conversation(request.user, problem)
    messages = selectors.message_list(conversation=conversation) if conversation else []
    return render(
        request,
        "mentor/_panel_messages.html",
        {
            "conversation": conversation,
            "items": [message_context(m) for m in messages],
        },
    )


@login_required
@require_POST
def ask(request, slug: str):
    problem = published_problem(slug=slug)
    conversation = None
    if request.POST.get("conversation"):
        try:
            conversation = selectors.conversation_for(
                user=request.user, conversation_id=int(request.POST["conversation"])
            )
        except (ValueError, Http404):  # someone else's or a garbage id: fall back to their own latest
            conversation = None
    if conversation is None or conversation.problem_id != problem.pk:
        conversation = _latest_conversation(request.user, problem) or services.start_conversation(
            user=request.user, problem=problem
        )
    language = request.POST.get("language") if request.POST.get("language") in LANGUAGES else None
    try:
        reply = services.ask(
            user=request.user,
            conversation=conversation,
            text=request.POST.get("text", ""),
            code=request.POST.get("code") or None,
            language=language,
        )
    except QuotaExceeded as exc:
        return JsonResponse({"error": exc.message, "code": exc.code, "kind": "quota"}, status=429, headers=exc.headers)
    except DomainError as exc:
        return JsonResponse({"error": exc.message, "code": exc.code}, status=exc.status_code)
    question = conversation.messages.filter(role=Role.USER, pk__lt=reply.pk).order_by("-id").first()
    items = [message_context(m) for m in (question, reply) if m is not None]
    html = render_to_string("mentor/_messages.html", {"items": items}, request=request)
    return JsonResponse({"conversation": conversation.pk, "layer": reply.layer, "html": html}, status=201)

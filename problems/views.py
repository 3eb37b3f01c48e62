"""Catalog pages: the home dashboard, the problem list and a problem's page. Thin."""

from django.core.paginator import Paginator
from django.shortcuts import render

from . import selectors
from .models import Difficulty
from .signatures import LANGUAGES

LANGUAGE_NAMES = {"python": "Python 3", "javascript": "JavaScript (Node)", "cpp": "C++17", "java": "Java 17"}


def home(request):
    context = {}
    if request.user.is_authenticated:
        context = {
            "summary": selectors.progress_summary(user=request.user),
            "recommendations": selectors.recommended_problems(user=request.user, limit=3),
            "activity": selectors.activity_series(user=request.user, days=28),
        }
    return render(request, "problems/home.html", context)


def problem_list(request):
    filters = {
        "difficulty": request.GET.get("difficulty") if request.GET.get("difficulty") in Difficulty.values else None,
        "topic": request.GET.get("topic") or None,
        "status": request.GET.get("status") if request.GET.get("status") in selectors.STATUSES else None,
        "search": (request.GET.get("q") or "").strip()[:100] or None,
    }
    page = Paginator(selectors.problem_list(user=request.user, **filters), 25).get_page(request.GET.get("page"))
    for problem in page.object_list:
        problem.status = selectors.problem_status(problem)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "problems/problem_list.html", {
        "page": page, "filters": filters, "topics": selectors.topic_list(), "difficulties": Difficulty.choices,
        "statuses": selectors.STATUSES, "query": query.urlencode(),
    })


def problem_detail(request, slug: str):
    problem = selectors.published_problem(slug=slug)
    language = request.GET.get("lang") if request.GET.get("lang") in LANGUAGES else "python"
    status = None
    if request.user.is_authenticated:
        progress = problem.progress.filter(user=request.user).first()
        status = ("solved" if progress.solved else "attempted") if progress else None
    return render(request, "problems/problem_detail.html", {
        "problem": problem,
        "samples": selectors.sample_tests(problem=problem),
        "signature_text": selectors.signature_text(problem=problem),
        "starter": selectors.starter_codes(problem=problem)[language],
        "language": language,
        "languages": [(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
        "status": status,
    })

"""Catalog pages: the home dashboard, the problem list and the problem workspace. Thin."""

from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from . import selectors
from .models import Difficulty
from .signatures import LANGUAGES

LANGUAGE_NAMES = {"python": "Python 3", "javascript": "JavaScript (Node)", "cpp": "C++17", "java": "Java 17"}
RECENT_SUBMISSIONS = 8


def _heat_level(submissions: int, accepted: int) -> int:
    if not submissions:
        return 0
    if accepted >= 3 or submissions >= 10:
        return 4
    if accepted >= 1:
        return 3 if submissions >= 4 else 2
    return 1


def heatmap_weeks(activity: list[dict]) -> list[list[dict | None]]:
    """Columns of 7 days (Monday first) for the calendar heatmap; None pads the first week."""
    if not activity:
        return []
    pad = activity[0]["day"].weekday()
    cells: list[dict | None] = [None] * pad
    for day in activity:
        # Strings built here, not with template filters: 365 cells x 4 filters was most of the render time.
        n, ok = day["submissions"], day["accepted"]
        cells.append(
            {
                **day,
                "level": _heat_level(n, ok),
                "iso": day["day"].isoformat(),
                "title": f"{day['day']:%a %-d %b %Y}: {n} submission{'s' if n != 1 else ''}, {ok} accepted",
            }
        )
    return [cells[i : i + 7] for i in range(0, len(cells), 7)]


def heatmap_cells_html(weeks) -> str:
    """The heatmap's 371 cells as HTML, built in Python: the same markup through template tags
    took ~60 ms a page (bench/ui.py)."""
    cells = [day for week in weeks for day in week]
    pad = mark_safe('<span class="cell pad"></span>')  # a constant, nothing to escape
    return format_html_join(
        "",
        "{}",
        (
            (
                format_html(
                    '<span class="cell l{}" data-day="{}" data-count="{}" title="{}"></span>',
                    d["level"],
                    d["iso"],
                    d["submissions"],
                    d["title"],
                )
                if d
                else pad,
            )
            for d in cells
        ),
    )


def home(request):
    context = {}
    if request.user.is_authenticated:
        # The home page gathers several apps' reads; pages are where they meet.
        from submissions.selectors import submission_list

        summary = selectors.progress_summary(user=request.user)
        for topic in summary["topics"]:
            topic["percent"] = round(100 * topic["solved"] / topic["total"]) if topic["total"] else 0
        activity = selectors.activity_series(user=request.user, days=365)
        weeks = heatmap_weeks(activity)
        context = {
            "summary": summary,
            "recommendations": selectors.recommended_problems(user=request.user, limit=3),
            "heatmap_cells": heatmap_cells_html(weeks),
            "month_labels": _month_labels(weeks),
            "active_days": sum(1 for d in activity if d["submissions"]),
            "year_submissions": sum(d["submissions"] for d in activity),
            "recent": submission_list(user=request.user)[:RECENT_SUBMISSIONS],
            "difficulties": [
                (d.value, d.label, summary["solved"][d.value], summary["totals"][d.value]) for d in Difficulty
            ],
        }
    return render(request, "problems/home.html", context)


def _month_labels(weeks) -> list[str]:
    """One label per week column: the month's short name in the week holding its 1st, else ''."""
    labels = []
    for week in weeks:
        first = next((d for d in week if d and d["day"].day == 1), None)
        labels.append(first["day"].strftime("%b") if first else "")
    return labels


def problem_list(request):
    filters = {
        "difficulty": request.GET.get("difficulty") if request.GET.get("difficulty") in Difficulty.values else None,
        "topic": request.GET.get("topic") or None,
        "status": request.GET.get("status") if request.GET.get("status") in selectors.STATUSES else None,
        "search": (request.GET.get("q") or "").strip()[:100] or None,
    }
    if not request.user.is_authenticated:
        filters["status"] = None
    page = Paginator(selectors.problem_list(user=request.user, **filters), 25).get_page(request.GET.get("page"))
    for problem in page.object_list:
        problem.status = selectors.problem_status(problem)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "problems/problem_list.html",
        {
            "page": page,
            "filters": filters,
            "topics": selectors.topic_list(),
            "difficulties": Difficulty.choices,
            "statuses": selectors.STATUSES,
            "query": query.urlencode(),
            "filtered": any(filters.values()),
        },
    )


def problem_detail(request, slug: str):
    """The workspace: statement, editor, Run/Submit, verdicts, history and the mentor panel."""
    problem = selectors.published_problem(slug=slug)
    language = request.GET.get("lang") if request.GET.get("lang") in LANGUAGES else "python"
    status = None
    if request.user.is_authenticated:
        progress = problem.progress.filter(user=request.user).first()
        status = ("solved" if progress.solved else "attempted") if progress else None
    starters = selectors.starter_codes(problem=problem)
    params = [p["name"] for p in (problem.signature or {}).get("params", [])] if problem.kind == "function" else []
    return render(
        request,
        "problems/problem_detail.html",
        {
            "problem": problem,
            "samples": selectors.sample_tests(problem=problem),
            "signature_text": selectors.signature_text(problem=problem),
            "starter": starters[language],
            "starters": starters,
            "language": language,
            "languages": [(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
            "status": status,
            "custom_placeholder": ("{" + ", ".join(f'"{n}": …' for n in params) + "}") if params else "stdin…",
        },
    )

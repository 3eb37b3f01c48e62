"""Reads of the catalog: problem lists and details, progress, streaks, recommendations."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404

from .models import DailyActivity, Difficulty, Problem, ProblemKind, ProblemProgress, TestCase, Topic
from .signatures import LANGUAGES, STDIO_STARTERS, Signature, starter_code

STATUSES = ("solved", "unsolved", "attempted")
DIFFICULTY_ORDER = [Difficulty.EASY, Difficulty.MEDIUM, Difficulty.HARD]

# Recommendation levels: move up a difficulty in a topic after this many solves below it.
EASIES_BEFORE_MEDIUM = 2
MEDIUMS_BEFORE_HARD = 2
# A failed, unsolved problem is worth revisiting for this long after the last attempt.
REVISIT_WINDOW = timedelta(days=7)


def utc_today() -> date:
    return datetime.now(UTC).date()


# --- catalog -------------------------------------------------------------------------


def problem_list(
    *,
    user=None,
    difficulty: str | None = None,
    topic: str | None = None,
    status: str | None = None,
    search: str | None = None,
) -> QuerySet[Problem]:
    """Published problems, filtered. `status` needs a logged-in user: solved (accepted at
    least once), attempted (tried, not solved yet), unsolved (not solved, tried or not)."""
    qs = Problem.objects.filter(is_published=True).prefetch_related("topics").order_by("id")
    if difficulty:
        qs = qs.filter(difficulty=difficulty)
    if topic:
        qs = qs.filter(topics__slug=topic)
    if search:
        qs = qs.filter(title__icontains=search.strip())
    if user is not None and user.is_authenticated:
        mine = ProblemProgress.objects.filter(user=user, problem=OuterRef("pk"))
        qs = qs.annotate(
            is_solved=Exists(mine.filter(first_solved_at__isnull=False)),
            is_attempted=Exists(mine.filter(attempts__gt=0)),
        )
        if status == "solved":
            qs = qs.filter(is_solved=True)
        elif status == "attempted":
            qs = qs.filter(is_attempted=True, is_solved=False)
        elif status == "unsolved":
            qs = qs.filter(is_solved=False)
    return qs.distinct()


def problem_status(problem: Problem) -> str | None:
    """The per-user status annotated by problem_list (None for anonymous lists)."""
    if not hasattr(problem, "is_solved"):
        return None
    if problem.is_solved:
        return "solved"
    return "attempted" if problem.is_attempted else "unsolved"


def published_problem(*, slug: str) -> Problem:
    """A published problem with its topics, or Http404 (unpublished ones do not exist for students)."""
    try:
        return Problem.objects.prefetch_related("topics").get(slug=slug, is_published=True)
    except Problem.DoesNotExist:
        raise Http404(f"No problem {slug!r}")


def sample_tests(*, problem: Problem) -> list[TestCase]:
    """Only the samples: hidden tests never leave the server."""
    return list(problem.test_cases.filter(is_sample=True).order_by("order", "id"))


def starter_codes(*, problem: Problem) -> dict[str, str]:
    if problem.kind == ProblemKind.STDIO or not problem.signature:
        return {language: STDIO_STARTERS[language] for language in LANGUAGES}
    signature = Signature.from_json(problem.signature)
    return {language: starter_code(signature, language) for language in LANGUAGES}


def signature_text(*, problem: Problem) -> str:
    if problem.kind == ProblemKind.STDIO or not problem.signature:
        return ""
    return Signature.from_json(problem.signature).python_text()


def topic_list() -> QuerySet[Topic]:
    return (
        Topic.objects.annotate(problem_count=Count("problems", filter=Q(problems__is_published=True), distinct=True))
        .filter(problem_count__gt=0)
        .order_by("name")
    )


# --- progress ------------------------------------------------------------------------


def _accepted_days(user) -> list[date]:
    return list(DailyActivity.objects.filter(user=user, accepted__gt=0).order_by("day").values_list("day", flat=True))


def streaks(*, user, today: date | None = None) -> tuple[int, int]:
    """(current, longest) runs of consecutive UTC days with an accepted submission.

    The current streak still counts when its last day is yesterday: the user has until
    the end of today (UTC) to extend it.
    """
    today = today or utc_today()
    days = _accepted_days(user)
    longest = run = 0
    previous = None
    for day in days:
        run = run + 1 if previous is not None and day - previous == timedelta(days=1) else 1
        longest = max(longest, run)
        previous = day
    day_set = set(days)
    anchor = today if today in day_set else today - timedelta(days=1)
    current = 0
    while anchor in day_set:
        current += 1
        anchor -= timedelta(days=1)
    return current, longest


def topic_mastery(*, user) -> list[dict]:
    """Per topic with published problems: problems solved / attempted by the user, and total."""
    rows: dict[int, dict] = {}
    for topic in topic_list():
        rows[topic.pk] = {
            "topic": topic.slug,
            "name": topic.name,
            "solved": 0,
            "attempted": 0,
            "total": topic.problem_count,
        }
    progress = ProblemProgress.objects.filter(user=user, attempts__gt=0, problem__is_published=True)
    for item in progress.prefetch_related(Prefetch("problem__topics", to_attr="topic_list")):
        for topic in item.problem.topic_list:
            if topic.pk in rows:
                rows[topic.pk]["attempted"] += 1
                rows[topic.pk]["solved"] += 1 if item.solved else 0
    return list(rows.values())


def progress_summary(*, user, today: date | None = None) -> dict:
    """Everything the dashboard and `GET /api/v1/me/progress/` show."""
    today = today or utc_today()
    progress = ProblemProgress.objects.filter(user=user, problem__is_published=True)
    solved = {d: 0 for d in DIFFICULTY_ORDER}
    for difficulty in progress.filter(first_solved_at__isnull=False).values_list("problem__difficulty", flat=True):
        solved[difficulty] += 1
    totals = {d: 0 for d in DIFFICULTY_ORDER}
    for difficulty in Problem.objects.filter(is_published=True).values_list("difficulty", flat=True):
        totals[difficulty] += 1
    current, longest = streaks(user=user, today=today)
    return {
        "solved": {"total": sum(solved.values()), **{str(d): n for d, n in solved.items()}},
        "totals": {"total": sum(totals.values()), **{str(d): n for d, n in totals.items()}},
        "attempted": progress.filter(attempts__gt=0).count(),
        "attempted_unsolved": progress.filter(attempts__gt=0, first_solved_at__isnull=True).count(),
        "submissions": sum(progress.values_list("attempts", flat=True)),
        "current_streak": current,
        "longest_streak": longest,
        "solved_today": DailyActivity.objects.filter(user=user, day=today, accepted__gt=0).exists(),
        "topics": topic_mastery(user=user),
    }


def activity_series(*, user, days: int = 365, today: date | None = None) -> list[dict]:
    """One entry per UTC day, oldest first, ending today (zeros included) for a heatmap."""
    today = today or utc_today()
    start = today - timedelta(days=days - 1)
    counts = {row.day: row for row in DailyActivity.objects.filter(user=user, day__gte=start, day__lte=today)}
    series = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        row = counts.get(day)
        series.append(
            {"day": day, "submissions": row.submissions if row else 0, "accepted": row.accepted if row else 0}
        )
    return series


# --- recommendations -------------------------------------------------------------------


@dataclass(frozen=True)
class Recommendation:
    problem: Problem
    reason: str


def _target_difficulty(solved_in_topic: dict[str, int]) -> str:
    if solved_in_topic.get(Difficulty.EASY, 0) < EASIES_BEFORE_MEDIUM:
        return Difficulty.EASY
    if solved_in_topic.get(Difficulty.MEDIUM, 0) < MEDIUMS_BEFORE_HARD:
        return Difficulty.MEDIUM
    return Difficulty.HARD


def _closeness(target: str):
    index = DIFFICULTY_ORDER.index(target)
    # Nearest difficulty first; at equal distance the easier one (a fallback should not jump up).
    return lambda p: (abs(DIFFICULTY_ORDER.index(p.difficulty) - index), DIFFICULTY_ORDER.index(p.difficulty), p.pk)


def recommended_problems(*, user, limit: int = 3, now: datetime | None = None) -> list[Recommendation]:
    """The next problems to try, each with a one-sentence reason.

    1. The most recently failed problem that is still unsolved (within REVISIT_WINDOW).
    2. Then one problem per topic, weakest topic first: lowest solved/attempted ratio, a
       topic with failures before an untouched one, then a topic that has a problem at the
       user's level before one that has not; the difficulty follows the user's level
       in that topic (easy, medium after EASIES_BEFORE_MEDIUM easies solved there, hard
       after MEDIUMS_BEFORE_HARD mediums).
    3. Any other unsolved problem, easiest first.
    4. Solved problems only when nothing unsolved is left: never ahead of an unsolved one.
    """
    now = now or datetime.now(UTC)
    problems = list(Problem.objects.filter(is_published=True).prefetch_related("topics").order_by("id"))
    progress = {p.problem_id: p for p in ProblemProgress.objects.filter(user=user, problem__is_published=True)}
    solved_ids = {pid for pid, p in progress.items() if p.solved}
    unsolved = [p for p in problems if p.pk not in solved_ids]
    picks: list[Recommendation] = []
    picked: set[int] = set()

    def add(problem: Problem, reason: str) -> None:
        if problem.pk not in picked and len(picks) < limit:
            picks.append(Recommendation(problem=problem, reason=reason))
            picked.add(problem.pk)

    # 1. Revisit a recent failure.
    failures = [
        p
        for p in unsolved
        if p.pk in progress
        and progress[p.pk].attempts
        and progress[p.pk].last_attempt_at
        and now - progress[p.pk].last_attempt_at <= REVISIT_WINDOW
    ]
    if failures:
        latest = max(failures, key=lambda p: progress[p.pk].last_attempt_at)
        verdict = progress[latest.pk].last_verdict.replace("_", " ") or "not accepted"
        add(latest, f"Your last submission to {latest.title} was {verdict}; try it again while it is fresh.")

    # 2. Weakest topics first, at a fitting difficulty.
    by_topic: dict[int, list[Problem]] = defaultdict(list)
    topics: dict[int, Topic] = {}
    for problem in problems:
        for topic in problem.topics.all():
            by_topic[topic.pk].append(problem)
            topics[topic.pk] = topic
    stats = {}
    for topic_id, members in by_topic.items():
        attempted = [p for p in members if p.pk in progress and progress[p.pk].attempts]
        solved = [p for p in members if p.pk in solved_ids]
        solved_by_difficulty: dict[str, int] = defaultdict(int)
        for p in solved:
            solved_by_difficulty[p.difficulty] += 1
        ratio = len(solved) / len(attempted) if attempted else 0.0
        stats[topic_id] = (
            ratio,
            0 if attempted else 1,
            topics[topic_id].name,
            len(solved),
            len(attempted),
            solved_by_difficulty,
        )

    def fit(topic_id: int) -> int:
        # How far the topic's best unsolved problem is from the user's level there: among equally
        # weak topics, one with a problem at the right difficulty goes first (easy for new users).
        target = DIFFICULTY_ORDER.index(_target_difficulty(stats[topic_id][5]))
        gaps = [
            abs(DIFFICULTY_ORDER.index(p.difficulty) - target) for p in by_topic[topic_id] if p.pk not in solved_ids
        ]
        return min(gaps, default=99)

    for topic_id in sorted(stats, key=lambda t: (stats[t][0], stats[t][1], fit(t), stats[t][2])):
        ratio, untouched, name, n_solved, n_attempted, solved_by_difficulty = stats[topic_id]
        candidates = [p for p in by_topic[topic_id] if p.pk not in solved_ids and p.pk not in picked]
        if not candidates:
            continue
        target = _target_difficulty(solved_by_difficulty)
        choice = min(candidates, key=_closeness(target))
        if untouched:
            reason = f"You have not tried {name} yet; {choice.title} is a good {choice.difficulty} start."
        else:
            reason = (
                f"{name} is one of your weakest topics ({n_solved} of {n_attempted} attempted solved), "
                f"and {choice.title} is a {choice.difficulty} problem at your level there."
            )
        add(choice, reason)

    # 3. Anything unsolved, easiest first.
    for problem in sorted(unsolved, key=_closeness(Difficulty.EASY)):
        add(problem, f"{problem.title} is one of the few problems you have not solved yet.")

    # 4. Only when every problem is solved.
    for problem in sorted((p for p in problems if p.pk in solved_ids), key=lambda p: progress[p.pk].first_solved_at):
        add(problem, f"You have solved everything; solving {problem.title} again is good practice.")
    return picks

from datetime import UTC, date, datetime, timedelta

import pytest

from accounts.tests.factories import UserFactory
from problems.models import DailyActivity, ProblemProgress
from problems.selectors import activity_series, progress_summary, streaks
from problems.services import record_verdict

from .factories import ProblemFactory, TopicFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 10)


def at(day: date, hour: int = 12, minute: int = 0, second: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=UTC)


def accept(user, problem, when, runtime=None):
    return record_verdict(user=user, problem=problem, verdict="accepted", runtime_ms=runtime, at=when)


def fail(user, problem, when, verdict="wrong_answer"):
    return record_verdict(user=user, problem=problem, verdict=verdict, runtime_ms=None, at=when)


def test_record_verdict_counts_attempts_first_solve_and_best_runtime():
    user, problem = UserFactory(), ProblemFactory()
    fail(user, problem, at(TODAY, 9))
    accept(user, problem, at(TODAY, 10), runtime=120)
    accept(user, problem, at(TODAY, 11), runtime=80)
    progress = accept(user, problem, at(TODAY, 12), runtime=200)
    fail(user, problem, at(TODAY, 13), verdict="time_limit_exceeded")
    progress = ProblemProgress.objects.get(pk=progress.pk)
    assert progress.attempts == 5
    assert progress.first_solved_at == at(TODAY, 10)
    assert progress.best_runtime_ms == 80
    assert progress.last_verdict == "time_limit_exceeded"
    assert progress.solved


def test_failed_runs_never_set_best_runtime_or_solved():
    user, problem = UserFactory(), ProblemFactory()
    progress = record_verdict(user=user, problem=problem, verdict="wrong_answer", runtime_ms=5, at=at(TODAY))
    assert progress.best_runtime_ms is None and progress.first_solved_at is None


def test_record_verdict_rejects_naive_datetimes():
    with pytest.raises(ValueError):
        record_verdict(
            user=UserFactory(), problem=ProblemFactory(), verdict="accepted", runtime_ms=1, at=datetime(2026, 3, 10, 12)
        )


def test_daily_activity_uses_the_utc_day_at_midnight_boundaries():
    user, problem = UserFactory(), ProblemFactory()
    accept(user, problem, at(TODAY - timedelta(days=1), 23, 59, 59))
    fail(user, problem, at(TODAY, 0, 0, 0))
    # 01:30 in UTC+02:00 is still the previous UTC day.
    from datetime import timezone

    plus_two = datetime(TODAY.year, TODAY.month, TODAY.day, 1, 30, tzinfo=timezone(timedelta(hours=2)))
    accept(user, problem, plus_two)
    rows = {r.day: (r.submissions, r.accepted) for r in DailyActivity.objects.filter(user=user)}
    assert rows == {TODAY - timedelta(days=1): (2, 2), TODAY: (1, 0)}


def test_streak_counts_consecutive_days_ending_today():
    user, problem = UserFactory(), ProblemFactory()
    for back in range(3):
        accept(user, problem, at(TODAY - timedelta(days=back), 23, 59))
    assert streaks(user=user, today=TODAY) == (3, 3)


def test_streak_ending_yesterday_still_counts_but_not_the_day_before():
    user, problem = UserFactory(), ProblemFactory()
    accept(user, problem, at(TODAY - timedelta(days=2)))
    accept(user, problem, at(TODAY - timedelta(days=1)))
    assert streaks(user=user, today=TODAY) == (2, 2)  # today not solved yet: still alive
    assert streaks(user=user, today=TODAY + timedelta(days=1)) == (0, 2)  # a full day missed


def test_streak_gaps_and_failed_only_days():
    user, problem = UserFactory(), ProblemFactory()
    for back in (10, 9, 8, 7):  # a 4-day run
        accept(user, problem, at(TODAY - timedelta(days=back)))
    fail(user, problem, at(TODAY - timedelta(days=6)))  # failures do not extend a streak
    accept(user, problem, at(TODAY - timedelta(days=5)))
    fail(user, problem, at(TODAY - timedelta(days=1)))
    accept(user, problem, at(TODAY, 0, 0, 1))
    assert streaks(user=user, today=TODAY) == (1, 4)


def test_midnight_utc_splits_days_for_the_streak():
    user, problem = UserFactory(), ProblemFactory()
    accept(user, problem, at(TODAY - timedelta(days=1), 0, 0, 0))
    accept(user, problem, at(TODAY - timedelta(days=1), 23, 59, 59))  # same UTC day
    assert streaks(user=user, today=TODAY) == (1, 1)
    accept(user, problem, at(TODAY, 0, 0, 0))
    assert streaks(user=user, today=TODAY) == (2, 2)


def test_no_activity_means_no_streak():
    assert streaks(user=UserFactory(), today=TODAY) == (0, 0)


def test_progress_summary_counts_by_difficulty_and_topic_mastery():
    user = UserFactory()
    arrays, graphs = TopicFactory(slug="arrays"), TopicFactory(slug="graphs")
    easy = ProblemFactory(difficulty="easy")
    easy.topics.add(arrays)
    medium = ProblemFactory(difficulty="medium")
    medium.topics.add(arrays, graphs)
    hard = ProblemFactory(difficulty="hard")
    hard.topics.add(graphs)
    ProblemFactory(difficulty="hard", is_published=False).topics.add(graphs)  # never counted
    accept(user, easy, at(TODAY))
    fail(user, medium, at(TODAY))
    accept(user, hard, at(TODAY - timedelta(days=1)))
    other = UserFactory()
    accept(other, medium, at(TODAY))  # someone else's progress is not mine

    summary = progress_summary(user=user, today=TODAY)
    assert summary["solved"] == {"total": 2, "easy": 1, "medium": 0, "hard": 1}
    assert summary["totals"] == {"total": 3, "easy": 1, "medium": 1, "hard": 1}
    assert summary["attempted"] == 3 and summary["attempted_unsolved"] == 1
    assert summary["submissions"] == 3
    assert (summary["current_streak"], summary["longest_streak"], summary["solved_today"]) == (2, 2, True)
    topics = {t["topic"]: (t["solved"], t["attempted"], t["total"]) for t in summary["topics"]}
    assert topics == {"arrays": (1, 2, 2), "graphs": (1, 2, 2)}


def test_activity_series_is_day_by_day_with_zeros():
    user, problem = UserFactory(), ProblemFactory()
    fail(user, problem, at(TODAY - timedelta(days=3)))
    accept(user, problem, at(TODAY - timedelta(days=3), 13))
    accept(user, problem, at(TODAY))
    accept(user, problem, at(TODAY - timedelta(days=30)))  # outside the window
    series = activity_series(user=user, days=7, today=TODAY)
    assert [d["day"] for d in series] == [TODAY - timedelta(days=6 - i) for i in range(7)]
    assert [(d["submissions"], d["accepted"]) for d in series] == [
        (0, 0),
        (0, 0),
        (0, 0),
        (2, 1),
        (0, 0),
        (0, 0),
        (1, 1),
    ]
    assert len(activity_series(user=user, today=TODAY)) == 365

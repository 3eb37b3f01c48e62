from datetime import UTC, datetime, timedelta

import pytest

from accounts.tests.factories import UserFactory
from problems.selectors import recommended_problems
from problems.services import record_verdict

from .factories import ProblemFactory, TopicFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)


def make(slug, difficulty, *topics, published=True):
    problem = ProblemFactory(slug=slug, difficulty=difficulty, is_published=published)
    problem.topics.add(*topics)
    return problem


def solve(user, problem, when=NOW - timedelta(days=20)):
    record_verdict(user=user, problem=problem, verdict="accepted", runtime_ms=10, at=when)


def fail(user, problem, when=NOW - timedelta(days=20), verdict="wrong_answer"):
    record_verdict(user=user, problem=problem, verdict=verdict, runtime_ms=None, at=when)


@pytest.fixture
def catalog():
    arrays, graphs, dp = (
        TopicFactory(slug="arrays", name="Arrays"),
        TopicFactory(slug="graphs", name="Graphs"),
        TopicFactory(slug="dp", name="Dynamic Programming"),
    )
    problems = {}
    for topic in (arrays, graphs, dp):
        for difficulty, count in (("easy", 3), ("medium", 3), ("hard", 2)):
            for i in range(count):
                slug = f"{topic.slug}-{difficulty}-{i}"
                problems[slug] = make(slug, difficulty, topic)
    problems["hidden-easy"] = make("hidden-easy", "easy", arrays, published=False)
    return problems


def slugs(recs):
    return [r.problem.slug for r in recs]


def assert_one_sentence(reason: str):
    assert reason.endswith(".") and reason[0].isupper()
    body = reason[:-1]
    assert ". " not in body and "!" not in body and "?" not in body


def test_new_user_gets_easy_problems_from_untouched_topics(catalog):
    recs = recommended_problems(user=UserFactory(), limit=3, now=NOW)
    assert len(recs) == 3
    assert {r.problem.difficulty for r in recs} == {"easy"}
    assert {r.problem.topics.get().slug for r in recs} == {"arrays", "graphs", "dp"}  # one per topic
    for r in recs:
        assert "have not tried" in r.reason
        assert_one_sentence(r.reason)


def test_weakest_topic_comes_first(catalog):
    user = UserFactory()
    solve(user, catalog["arrays-easy-0"])  # arrays 1/1
    fail(user, catalog["graphs-easy-0"])  # graphs 0/1: weakest
    solve(user, catalog["dp-easy-0"])
    fail(user, catalog["dp-easy-1"])  # dp 1/2
    recs = recommended_problems(user=user, limit=3, now=NOW)
    topics = [r.problem.topics.get().slug for r in recs]
    assert topics == ["graphs", "dp", "arrays"]
    assert "Graphs is one of your weakest topics (0 of 1 attempted solved)" in recs[0].reason
    for r in recs:
        assert_one_sentence(r.reason)


def test_difficulty_follows_the_level_in_the_topic(catalog):
    user = UserFactory()
    solve(user, catalog["arrays-easy-0"])
    recs = {r.problem.topics.get().slug: r.problem.difficulty for r in recommended_problems(user=user, now=NOW)}
    assert recs["arrays"] == "easy"  # one easy is not yet "several"
    solve(user, catalog["arrays-easy-1"])
    recs = {r.problem.topics.get().slug: r.problem.difficulty for r in recommended_problems(user=user, now=NOW)}
    assert recs["arrays"] == "medium" and recs["graphs"] == "easy"
    solve(user, catalog["arrays-medium-0"])
    solve(user, catalog["arrays-medium-1"])
    recs = {r.problem.topics.get().slug: r.problem for r in recommended_problems(user=user, now=NOW)}
    assert recs["arrays"].difficulty == "hard"


def test_falls_back_to_nearest_difficulty_when_the_level_is_exhausted():
    topic = TopicFactory(slug="heap", name="Heap")
    easy, medium = make("heap-e", "easy", topic), make("heap-m", "medium", topic)
    hard = make("heap-h", "hard", topic)
    user = UserFactory()
    solve(user, easy)
    recs = recommended_problems(user=user, limit=1, now=NOW)
    assert slugs(recs) == ["heap-m"]  # only one easy exists and it is solved: the next level up
    solve(user, medium)
    assert slugs(recommended_problems(user=user, limit=1, now=NOW)) == [hard.slug]


def test_recent_failure_is_revisited_first(catalog):
    user = UserFactory()
    solve(user, catalog["arrays-easy-0"])
    solve(user, catalog["arrays-easy-1"])
    fail(user, catalog["arrays-medium-2"], when=NOW - timedelta(days=2))
    fail(user, catalog["graphs-hard-1"], when=NOW - timedelta(hours=3), verdict="time_limit_exceeded")
    recs = recommended_problems(user=user, limit=3, now=NOW)
    assert recs[0].problem.slug == "graphs-hard-1"
    assert recs[0].reason == (
        "Your last submission to Graphs Hard 1 was time limit exceeded; try it again while it is fresh."
    )
    assert len(set(slugs(recs))) == 3


def test_old_failures_are_not_revisit_picks(catalog):
    user = UserFactory()
    fail(user, catalog["dp-hard-0"], when=NOW - timedelta(days=30))
    recs = recommended_problems(user=user, limit=3, now=NOW)
    assert "dp-hard-0" not in slugs(recs)
    assert all("last submission" not in r.reason for r in recs)


def test_solved_problems_never_come_before_unsolved_ones():
    topic = TopicFactory(slug="stack", name="Stack")
    problems = [make(f"stack-{i}", "easy", topic) for i in range(4)]
    user = UserFactory()
    for p in problems[:3]:
        solve(user, p)
    recs = recommended_problems(user=user, limit=3, now=NOW)
    assert slugs(recs)[0] == "stack-3"
    assert all(r.problem.slug != "stack-3" for r in recs[1:])
    assert all("solved everything" in r.reason for r in recs[1:])  # solved ones only after
    solve(user, problems[3])
    recs = recommended_problems(user=user, limit=2, now=NOW)
    assert len(recs) == 2 and all("solved everything" in r.reason for r in recs)


def test_unpublished_problems_are_never_recommended(catalog):
    user = UserFactory()
    for _ in range(3):
        recs = recommended_problems(user=user, limit=10, now=NOW)
        assert "hidden-easy" not in slugs(recs)
        solve(user, recs[0].problem)


def test_limit_and_no_duplicates(catalog):
    recs = recommended_problems(user=UserFactory(), limit=10, now=NOW)
    assert len(recs) == 10 and len(set(slugs(recs))) == 10
    assert recommended_problems(user=UserFactory(), limit=1, now=NOW)[0].problem.difficulty == "easy"


def test_new_users_start_with_topics_that_have_easy_problems():
    backtracking = TopicFactory(slug="backtracking", name="Backtracking")  # alphabetically first, no easy
    make("subsets", "medium", backtracking)
    strings = TopicFactory(slug="strings", name="Strings")
    make("reverse", "easy", strings)
    recs = recommended_problems(user=UserFactory(), limit=2, now=NOW)
    assert slugs(recs) == ["reverse", "subsets"]

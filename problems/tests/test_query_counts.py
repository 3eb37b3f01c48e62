"""Catalog reads stay at a fixed number of queries however many problems exist (no N+1)."""

from datetime import UTC, datetime

import pytest
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from problems.selectors import progress_summary, recommended_problems
from problems.services import record_verdict

from .factories import ProblemFactory, TopicFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(params=[5, 40])
def sized_catalog(request):
    topics = [TopicFactory(slug=f"t{i}") for i in range(6)]
    user = UserFactory()
    for i in range(request.param):
        problem = ProblemFactory(slug=f"q-{request.param}-{i}", difficulty=["easy", "medium", "hard"][i % 3])
        problem.topics.add(topics[i % 6], topics[(i + 1) % 6])
        if i % 4 == 0:
            record_verdict(
                user=user,
                problem=problem,
                verdict="accepted" if i % 8 else "wrong_answer",
                runtime_ms=3,
                at=datetime(2026, 3, 1, tzinfo=UTC),
            )
    return user


def test_problem_list_api_queries_are_constant(sized_catalog, django_assert_max_num_queries):
    client = APIClient()
    client.force_authenticate(sized_catalog)
    with django_assert_max_num_queries(4):  # count, page, topics prefetch (+ savepoint slack)
        response = client.get("/api/v1/problems/?status=unsolved")
    assert response.status_code == 200


def test_recommendations_and_summary_queries_are_constant(sized_catalog, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        assert recommended_problems(user=sized_catalog, limit=5)
    with django_assert_max_num_queries(11):  # one aggregate per figure, independent of catalog size
        progress_summary(user=sized_catalog)

"""The anonymous catalog API is served from Redis and any catalog change shows at once."""

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from problems.models import Problem, TestCase
from problems.services import load_problem_pack, record_verdict

from .factories import TestCaseFactory, TopicFactory
from .packs import function_doc, pack_problem

pytestmark = pytest.mark.django_db


@pytest.fixture
def add_two():
    load_problem_pack(problems=[pack_problem(function_doc("add-two", topics=["math"], title="Add Two"))])
    return Problem.objects.get(slug="add-two")


def test_anonymous_list_and_detail_are_served_without_queries(add_two, django_assert_num_queries):
    client = APIClient()
    first_list, first_detail = client.get("/api/v1/problems/").json(), client.get("/api/v1/problems/add-two/").json()
    with django_assert_num_queries(0):
        assert client.get("/api/v1/problems/").json() == first_list
        assert client.get("/api/v1/problems/add-two/").json() == first_detail


def test_admin_style_edits_show_at_once(add_two):
    client = APIClient()
    assert client.get("/api/v1/problems/add-two/").json()["title"] == "Add Two"
    add_two.title = "Add Two Integers"
    add_two.save()
    assert client.get("/api/v1/problems/add-two/").json()["title"] == "Add Two Integers"
    assert client.get("/api/v1/problems/").json()["results"][0]["title"] == "Add Two Integers"

    samples = len(client.get("/api/v1/problems/add-two/").json()["samples"])
    TestCaseFactory(problem=add_two, order=99, input='{"a": 1, "b": 1}', expected_output="2", is_sample=True)
    assert len(client.get("/api/v1/problems/add-two/").json()["samples"]) == samples + 1

    add_two.topics.add(TopicFactory(slug="bits", name="Bits"))
    assert "bits" in [t["slug"] for t in client.get("/api/v1/problems/add-two/").json()["topics"]]

    add_two.is_published = False
    add_two.save()
    assert client.get("/api/v1/problems/add-two/").status_code == 404
    assert client.get("/api/v1/problems/").json()["count"] == 0


def test_a_pack_reload_with_new_tests_shows_at_once(add_two):
    client = APIClient()
    before = client.get("/api/v1/problems/add-two/").json()
    doc = function_doc("add-two", topics=["math"], title="Add Two")
    doc["tests"][0] = {"input": {"a": 40, "b": 2}, "expected": 42, "sample": True}
    load_problem_pack(problems=[pack_problem(doc)])  # tests are bulk-created: no post_save
    after = client.get("/api/v1/problems/add-two/").json()
    assert after["test_set_version"] != before["test_set_version"]
    assert after["samples"] != before["samples"]
    assert TestCase.objects.filter(problem=add_two, input__contains="40").exists()


def test_logged_in_answers_are_personal_and_not_cached(add_two):
    solver, other = UserFactory(), UserFactory()
    record_verdict(user=solver, problem=add_two, verdict="accepted", runtime_ms=3, at=timezone.now())
    anonymous, as_solver, as_other = APIClient(), APIClient(), APIClient()
    as_solver.force_authenticate(solver)
    as_other.force_authenticate(other)
    assert anonymous.get("/api/v1/problems/").json()["results"][0]["status"] is None
    assert as_solver.get("/api/v1/problems/").json()["results"][0]["status"] == "solved"
    assert as_other.get("/api/v1/problems/").json()["results"][0]["status"] == "unsolved"
    assert anonymous.get("/api/v1/problems/").json()["results"][0]["status"] is None


def test_errors_are_not_cached(add_two):
    client = APIClient()
    assert client.get("/api/v1/problems/?colour=red").status_code == 400
    assert client.get("/api/v1/problems/?colour=red").status_code == 400
    assert client.get("/api/v1/problems/nope/").status_code == 404
    load_problem_pack(problems=[pack_problem(function_doc("nope", topics=["math"], title="Nope"))])
    assert client.get("/api/v1/problems/nope/").status_code == 200

"""The shipped pack (problems/pack/) through the loader, the API and the pages."""

import io

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from problems.models import Problem
from problems.selectors import starter_codes

pytestmark = pytest.mark.django_db

REQUIRED = {
    "two-sum": "two_sum(nums: list[int], target: int) -> list[int]",
    "valid-parentheses": "is_valid(s: str) -> bool",
    "longest-substring-without-repeating": "length_of_longest_substring(s: str) -> int",
    "merge-intervals": "merge(intervals: list[list[int]]) -> list[list[int]]",
    "number-of-islands": "num_islands(grid: list[list[str]]) -> int",
    "climbing-stairs": "climb_stairs(n: int) -> int",
    "top-k-frequent": "top_k_frequent(nums: list[int], k: int) -> list[int]",
    "binary-search": "search(nums: list[int], target: int) -> int",
}


def load() -> str:
    out = io.StringIO()
    call_command("load_problems", stdout=out)
    return out.getvalue()


def test_real_pack_loads_idempotently_with_required_problems():
    first = load()
    count = Problem.objects.count()
    assert f"Problems: {count} created, 0 updated, 0 unchanged." in first
    assert f"Problems: 0 created, 0 updated, {count} unchanged." in load()
    api = APIClient()
    for slug, signature in REQUIRED.items():
        body = api.get(f"/api/v1/problems/{slug}/").json()
        assert body["signature_text"] == signature, slug


def test_no_hidden_input_of_the_real_pack_reaches_the_api_or_pages(client):
    load()
    api = APIClient()
    checked = 0
    for problem in Problem.objects.prefetch_related("test_cases"):
        api_text = api.get(f"/api/v1/problems/{problem.slug}/").content.decode()
        page_text = client.get(f"/problems/{problem.slug}/").content.decode()
        public = problem.statement + "".join(
            t.input + t.expected_output for t in problem.test_cases.all() if t.is_sample
        )
        for test in problem.test_cases.all():
            # Distinctive hidden inputs only: "[]" or "1" may legitimately appear elsewhere.
            if test.is_sample or len(test.input) < 16 or test.input in public:
                continue
            assert test.input not in api_text, (problem.slug, test.order)
            assert test.input.replace('"', "&quot;") not in page_text and test.input not in page_text
            checked += 1
        solution_lines = [line.strip() for line in problem.reference_solution.splitlines() if len(line.strip()) > 25]
        starters = "".join(starter_codes(problem=problem).values())
        for line in solution_lines:
            if line not in problem.statement and line not in starters:
                assert line not in api_text and line not in page_text, (problem.slug, line)
    assert checked > 100  # the check really looked at hidden tests

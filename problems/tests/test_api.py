import json
import re
from datetime import UTC, datetime

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from problems.models import Problem
from problems.services import load_problem_pack, record_verdict

from .packs import function_doc, pack_problem, stdio_doc

pytestmark = pytest.mark.django_db

HIDDEN_MARKERS = ["98765", "HIDDENSTDIO", "REFSOLMARKER"]


@pytest.fixture
def catalog():
    fn = function_doc("add-two", topics=["math"], title="Add Two Numbers")
    fn["reference_solution"] = "def add(a, b):\n    # REFSOLMARKER\n    return a + b\n"
    fn["tests"][2:] = [{"input": {"a": 9876500 + i, "b": 0}, "expected": 9876500 + i} for i in range(6)]
    io = stdio_doc("echo-sum", topics=["strings"])
    io["reference_solution"] = "# REFSOLMARKER\na, b = map(int, input().split())\nprint(a + b)\n"
    io["tests"][2:] = [{"input": f"HIDDENSTDIO {i}\n", "expected": f"HIDDENSTDIO {i}\n"} for i in range(6)]
    hard = function_doc("hard-one", difficulty="hard", topics=["graphs"], title="Hard One")
    draft = function_doc("draft-problem", title="Draft Problem")
    load_problem_pack(problems=[pack_problem(d) for d in (fn, io, hard, draft)])
    Problem.objects.filter(slug="draft-problem").update(is_published=False)
    return {p.slug: p for p in Problem.objects.all()}


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def user():
    return UserFactory()


@pytest.fixture
def authed(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def test_anonymous_can_list_problems_paginated(api, catalog):
    body = api.get("/api/v1/problems/").json()
    assert body["count"] == 3  # the unpublished one does not exist for students
    assert {p["slug"] for p in body["results"]} == {"add-two", "echo-sum", "hard-one"}
    assert all(p["status"] is None for p in body["results"])
    first = body["results"][0]
    assert set(first) == {"slug", "title", "difficulty", "kind", "topics", "status"}


def test_pagination_pages(api):
    load_problem_pack(problems=[pack_problem(function_doc(f"p-{i:02d}")) for i in range(23)])
    page1 = api.get("/api/v1/problems/").json()
    page2 = api.get("/api/v1/problems/?page=2").json()
    assert page1["count"] == 23 and len(page1["results"]) == 20 and len(page2["results"]) == 3
    assert page1["next"].endswith("page=2") and page2["next"] is None


@pytest.mark.parametrize(
    "query,expected",
    [
        ("difficulty=hard", {"hard-one"}),
        ("topic=strings", {"echo-sum"}),
        ("search=add two", {"add-two"}),
        ("search=ONE", {"hard-one"}),
        ("difficulty=easy&topic=math", {"add-two"}),
    ],
)
def test_filters(api, catalog, query, expected):
    body = api.get(f"/api/v1/problems/?{query}").json()
    assert {p["slug"] for p in body["results"]} == expected


def test_status_filter_is_per_user(authed, user, catalog):
    now = datetime(2026, 3, 1, tzinfo=UTC)
    record_verdict(user=user, problem=catalog["add-two"], verdict="accepted", runtime_ms=5, at=now)
    record_verdict(user=user, problem=catalog["echo-sum"], verdict="wrong_answer", runtime_ms=None, at=now)
    other = UserFactory()
    record_verdict(user=other, problem=catalog["hard-one"], verdict="accepted", runtime_ms=5, at=now)

    def slugs(q):
        return {p["slug"]: p["status"] for p in authed.get(f"/api/v1/problems/?{q}").json()["results"]}

    assert slugs("status=solved") == {"add-two": "solved"}
    assert slugs("status=attempted") == {"echo-sum": "attempted"}
    assert slugs("status=unsolved") == {"echo-sum": "attempted", "hard-one": "unsolved"}
    assert slugs("") == {"add-two": "solved", "echo-sum": "attempted", "hard-one": "unsolved"}


def test_status_filter_needs_auth(api, catalog):
    assert api.get("/api/v1/problems/?status=solved").status_code in (401, 403)


def test_unknown_query_params_are_400_naming_them(api, catalog):
    response = api.get("/api/v1/problems/?dificulty=easy&sort=title")
    assert response.status_code == 400
    message = response.json()["detail"]
    assert "dificulty" in message and "sort" in message and "difficulty" in message


def test_invalid_filter_values_are_400(api, catalog):
    assert api.get("/api/v1/problems/?difficulty=impossible").status_code == 400
    assert api.get("/api/v1/problems/?status=maybe").status_code == 400


def test_problem_detail_has_statement_signature_starters_and_samples_only(api, catalog):
    body = api.get("/api/v1/problems/add-two/").json()
    assert body["title"] == "Add Two Numbers"
    assert "<code>a + b</code>" in body["statement_html"]
    assert body["signature"]["function"] == "add" and body["signature_text"] == "add(a: int, b: int) -> int"
    assert set(body["starter_code"]) == {"python", "javascript", "cpp", "java"}
    assert body["starter_code"]["python"].startswith("def add(a: int, b: int) -> int:")
    assert "class Solution" in body["starter_code"]["java"]
    assert [json.loads(s["input"]) for s in body["samples"]] == [{"a": 1, "b": 2}, {"a": 5, "b": 5}]
    assert body["samples"][0]["explanation"] == "1 + 2"
    assert (body["time_limit_ms"], body["memory_limit_mb"]) == (2000, 256)
    assert "reference_solution" not in body and "tests" not in body


def test_stdio_detail_uses_stdio_starters(api, catalog):
    body = api.get("/api/v1/problems/echo-sum/").json()
    assert body["kind"] == "stdio" and body["signature"] == {} and body["signature_text"] == ""
    assert "sys.stdin" in body["starter_code"]["python"] and "public class Main" in body["starter_code"]["java"]


def test_unpublished_and_unknown_problems_are_404(api, authed, catalog):
    assert api.get("/api/v1/problems/draft-problem/").status_code == 404
    assert authed.get("/api/v1/problems/draft-problem/").status_code == 404
    assert api.get("/api/v1/problems/nope/").status_code == 404


def test_topics_list_counts_published_problems(api, catalog):
    topics = {t["slug"]: t["problem_count"] for t in api.get("/api/v1/topics/").json()}
    assert topics == {"math": 1, "strings": 1, "graphs": 1}  # draft's math does not count


def test_me_endpoints_need_auth(api):
    assert api.get("/api/v1/me/progress/").status_code == 401
    assert api.get("/api/v1/me/recommendations/").status_code == 401


def test_me_progress(authed, user, catalog):
    now = datetime.now(UTC)
    record_verdict(user=user, problem=catalog["add-two"], verdict="accepted", runtime_ms=5, at=now)
    body = authed.get("/api/v1/me/progress/?days=7").json()
    assert body["solved"] == {"total": 1, "easy": 1, "medium": 0, "hard": 0}
    assert body["current_streak"] == 1 and body["solved_today"] is True
    assert len(body["activity"]) == 7 and body["activity"][-1] == {
        "day": now.date().isoformat(),
        "submissions": 1,
        "accepted": 1,
    }
    assert {t["topic"]: t["solved"] for t in body["topics"]}["math"] == 1
    assert authed.get("/api/v1/me/progress/?days=0").status_code == 400
    assert authed.get("/api/v1/me/progress/?days=x").status_code == 400


def test_me_recommendations(authed, user, catalog):
    body = authed.get("/api/v1/me/recommendations/?limit=2").json()
    assert len(body) == 2
    assert all(set(r) == {"slug", "title", "difficulty", "reason"} and r["reason"] for r in body)
    assert "draft-problem" not in {r["slug"] for r in body}
    assert authed.get("/api/v1/me/recommendations/?limit=99").status_code == 400


def test_no_hidden_test_or_reference_solution_leaves_the_api(api, authed, user, catalog):
    now = datetime.now(UTC)
    record_verdict(user=user, problem=catalog["hard-one"], verdict="wrong_answer", runtime_ms=None, at=now)
    urls = [
        "/api/v1/problems/",
        "/api/v1/problems/?page=1",
        "/api/v1/topics/",
        "/api/v1/me/progress/",
        "/api/v1/me/recommendations/?limit=10",
        "/api/schema/",
        "/api/schema/?format=json",
    ]
    urls += [f"/api/v1/problems/{slug}/" for slug in ("add-two", "echo-sum", "hard-one")]
    for client in (api, authed):
        for url in urls:
            response = client.get(url)
            if url.startswith("/api/v1/me/") and client is api:
                continue
            assert response.status_code == 200, url
            text = response.content.decode()
            for marker in HIDDEN_MARKERS:
                assert marker not in text, (url, marker)
    # The markers really are in the database: the check above can fail.
    assert catalog["add-two"].test_cases.filter(input__contains="98765").count() == 6
    assert "REFSOLMARKER" in catalog["echo-sum"].reference_solution


def test_schema_renders_and_documents_the_catalog_paths(api):
    response = api.get("/api/schema/?format=json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in [
        "/api/v1/problems/",
        "/api/v1/problems/{slug}/",
        "/api/v1/topics/",
        "/api/v1/me/progress/",
        "/api/v1/me/recommendations/",
        "/api/v1/auth/token/",
        "/api/v1/auth/register/",
        "/api/v1/auth/token/regenerate/",
    ]:
        assert path in paths, path
    params = {p["name"] for p in paths["/api/v1/problems/"]["get"]["parameters"]}
    assert {"difficulty", "topic", "status", "search", "page"} <= params
    assert set(paths["/api/v1/auth/token/regenerate/"]) >= {"get", "post"}
    docs = api.get("/api/docs/")
    assert docs.status_code == 200


def test_swagger_ui_is_served_without_a_cdn(api):
    from django.contrib.staticfiles import finders

    html = api.get("/api/docs/").content.decode()
    assert "cdn.jsdelivr" not in html and "unpkg" not in html
    assets = re.findall(r'(?:src|href)="/static/([^"]+)"', html)
    assert any("swagger-ui-bundle" in a for a in assets)
    for asset in assets:
        assert finders.find(asset), asset

from datetime import UTC, datetime

import pytest

from accounts.tests.factories import UserFactory
from problems.models import Problem
from problems.services import load_problem_pack, record_verdict

from .packs import function_doc, pack_problem, stdio_doc

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog():
    fn = function_doc("add-two", title="Add Two Numbers")
    fn["reference_solution"] = "def add(a, b):\n    # REFSOLMARKER\n    return a + b\n"
    fn["tests"][2:] = [{"input": {"a": 9876500 + i, "b": 0}, "expected": 9876500 + i} for i in range(6)]
    io = stdio_doc("echo-sum")
    io["tests"][2:] = [{"input": f"HIDDENSTDIO {i}\n", "expected": f"HIDDENSTDIO {i}\n"} for i in range(6)]
    docs = [fn, io, function_doc("draft-problem", title="Draft Problem")]
    docs += [function_doc(f"filler-{i:02d}", title=f"Filler {i:02d}", difficulty="medium") for i in range(26)]
    load_problem_pack(problems=[pack_problem(d) for d in docs])
    Problem.objects.filter(slug="draft-problem").update(is_published=False)
    return {p.slug: p for p in Problem.objects.all()}


def test_home_welcomes_anonymous_visitors(client):
    body = client.get("/").content.decode()
    assert "Practice technical interviews" in body and "/accounts/signup/" in body


def test_home_dashboard_for_logged_in_users(client, catalog):
    user = UserFactory()
    record_verdict(user=user, problem=catalog["add-two"], verdict="accepted", runtime_ms=3, at=datetime.now(UTC))
    client.force_login(user)
    body = client.get("/").content.decode()
    assert "Dashboard" in body
    assert 'id="current-streak">1 day' in body
    assert "1 of 28" in body  # solved of published
    assert body.count("/problems/") >= 3 and "Next up" in body


def test_problem_list_filters_search_pagination_and_badges(client, catalog):
    user = UserFactory()
    record_verdict(user=user, problem=catalog["add-two"], verdict="accepted", runtime_ms=3, at=datetime.now(UTC))
    record_verdict(
        user=user, problem=catalog["echo-sum"], verdict="wrong_answer", runtime_ms=None, at=datetime.now(UTC)
    )
    anonymous = client.get("/problems/").content.decode()
    assert "Add Two Numbers" in anonymous and "Draft Problem" not in anonymous
    assert "Page 1 of 2 (28 problems)" in anonymous and "page=2" in anonymous
    assert "badge" not in anonymous.split("<tbody>")[1]
    client.force_login(user)
    page = client.get("/problems/").content.decode()
    assert '<span class="badge solved">Solved</span>' in page and '<span class="badge attempted">' in page
    assert "Add Two" in client.get("/problems/?q=add+two").content.decode()
    assert "Filler" not in client.get("/problems/?q=add+two").content.decode()
    assert "Echo Sum" not in client.get("/problems/?difficulty=easy&topic=math").content.decode()
    solved = client.get("/problems/?status=solved").content.decode()
    assert "Add Two Numbers" in solved and "Filler 00" not in solved
    assert "Filler 25" in client.get("/problems/?page=2").content.decode()


def test_problem_detail_page_statement_samples_and_starters(client, catalog):
    page = client.get("/problems/add-two/").content.decode()
    assert "Add Two Numbers" in page and "<code>a + b</code>" in page  # rendered statement
    assert "add(a: int, b: int) -&gt; int" in page
    assert "{&quot;a&quot;: 1, &quot;b&quot;: 2}" in page  # a sample, escaped
    assert "def add(a: int, b: int) -&gt; int:" in page
    java = client.get("/problems/add-two/?lang=java").content.decode()
    assert "public int add(int a, int b)" in java
    assert "Reads standard input" in client.get("/problems/echo-sum/").content.decode()


def test_unpublished_problem_page_is_404(client, catalog):
    assert client.get("/problems/draft-problem/").status_code == 404
    staff = UserFactory(username="boss")
    client.force_login(staff)
    assert client.get("/problems/draft-problem/").status_code == 404


def test_pages_never_show_hidden_tests_or_reference_solutions(client, catalog):
    user = UserFactory()
    record_verdict(user=user, problem=catalog["add-two"], verdict="wrong_answer", runtime_ms=None, at=datetime.now(UTC))
    urls = ["/", "/problems/", "/problems/?page=2"] + [
        f"/problems/{slug}/?lang={lang}"
        for slug in ("add-two", "echo-sum")
        for lang in ("python", "javascript", "cpp", "java")
    ]
    for logged_in in (False, True):
        if logged_in:
            client.force_login(user)
        for url in urls:
            body = client.get(url).content.decode()
            for marker in ("98765", "HIDDENSTDIO", "REFSOLMARKER"):
                assert marker not in body, (url, marker)
    assert catalog["add-two"].test_cases.filter(input__contains="98765").count() == 6

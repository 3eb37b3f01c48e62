import copy
import io
import json

import pytest
from django.core.management import call_command

from problems.markdown import render_statement
from problems.models import Problem, TestCase, Topic
from problems.services import compute_test_set_version, load_problem_pack, refresh_problem_derived

from .packs import function_doc, pack_problem, stdio_doc

pytestmark = pytest.mark.django_db


def load(*docs):
    return load_problem_pack(problems=[pack_problem(d) for d in docs])


def test_first_load_creates_everything():
    report = load(function_doc(), stdio_doc())
    assert sorted(report.created) == ["echo-sum", "sum-two"]
    problem = Problem.objects.get(slug="sum-two")
    assert problem.signature["function"] == "add"
    assert problem.test_cases.count() == 8
    assert problem.test_cases.filter(is_sample=True).count() == 2
    first = problem.test_cases.order_by("order").first()
    assert json.loads(first.input) == {"a": 1, "b": 2} and json.loads(first.expected_output) == 3
    assert first.explanation == "1 + 2"
    assert len(problem.test_set_version) == 64
    assert "<table>" in problem.statement_html and "<code>a + b</code>" in problem.statement_html
    assert set(Problem.objects.get(slug="echo-sum").topics.values_list("slug", flat=True)) == {"math", "strings"}
    assert Topic.objects.get(slug="strings").name == "Strings"


def test_second_load_changes_nothing():
    load(function_doc(), stdio_doc())
    before = {
        p.slug: (p.updated_at, p.test_set_version, list(p.test_cases.values_list("pk", flat=True)))
        for p in Problem.objects.all()
    }
    report = load(function_doc(), stdio_doc())
    assert report.changed == 0 and sorted(report.unchanged) == ["echo-sum", "sum-two"]
    after = {
        p.slug: (p.updated_at, p.test_set_version, list(p.test_cases.values_list("pk", flat=True)))
        for p in Problem.objects.all()
    }
    assert after == before  # same rows: tests were not even rewritten


def test_editing_a_test_changes_the_version():
    load(function_doc())
    old = Problem.objects.get(slug="sum-two").test_set_version
    doc = function_doc()
    doc["tests"][4]["expected"] = 12345
    doc["tests"][4]["input"] = {"a": 12345, "b": 0}
    report = load(doc)
    problem = Problem.objects.get(slug="sum-two")
    assert report.updated == ["sum-two"]
    assert problem.test_set_version != old
    assert problem.test_cases.filter(expected_output="12345").count() == 1


def test_adding_or_resampling_a_test_changes_the_version():
    load(function_doc())
    v1 = Problem.objects.get(slug="sum-two").test_set_version
    doc = function_doc()
    doc["tests"].append({"input": {"a": 0, "b": 0}, "expected": 0})
    load(doc)
    v2 = Problem.objects.get(slug="sum-two").test_set_version
    doc2 = copy.deepcopy(doc)
    doc2["tests"][2]["sample"] = True
    load(doc2)
    v3 = Problem.objects.get(slug="sum-two").test_set_version
    assert len({v1, v2, v3}) == 3


def test_editing_only_statement_or_explanation_keeps_the_version():
    load(function_doc())
    problem = Problem.objects.get(slug="sum-two")
    version, test_ids = problem.test_set_version, set(problem.test_cases.values_list("pk", flat=True))
    report = load(function_doc(statement="Add the **two** numbers.", title="Adder"))
    problem.refresh_from_db()
    assert report.updated == ["sum-two"]
    assert problem.title == "Adder" and "<strong>two</strong>" in problem.statement_html
    assert problem.test_set_version == version
    assert set(problem.test_cases.values_list("pk", flat=True)) == test_ids
    doc = function_doc(statement="Add the **two** numbers.", title="Adder")
    doc["tests"][0]["explanation"] = "one plus two"
    load(doc)
    problem.refresh_from_db()
    assert problem.test_set_version == version
    assert problem.test_cases.get(order=0).explanation == "one plus two"


def test_topics_and_limits_update_in_place():
    load(function_doc())
    pk = Problem.objects.get(slug="sum-two").pk
    load(function_doc(topics=["greedy", "math"], time_limit_ms=500, difficulty="hard"))
    problem = Problem.objects.get(slug="sum-two")
    assert problem.pk == pk
    assert set(problem.topics.values_list("slug", flat=True)) == {"greedy", "math"}
    assert (problem.time_limit_ms, problem.difficulty) == (500, "hard")


def test_version_is_hash_of_tests_only():
    rows = [
        {"order": 0, "input": "1", "expected_output": "2", "is_sample": True, "comparison": "exact", "explanation": "a"}
    ]
    same = [dict(rows[0], explanation="b")]
    other = [dict(rows[0], expected_output="3")]
    assert compute_test_set_version(rows) == compute_test_set_version(same) != compute_test_set_version(other)


@pytest.mark.parametrize(
    "evil",
    [
        "<script>alert(1)</script>",
        '<img src="x" onerror="alert(1)">',
        "[click](javascript:alert(1))",
        '<a href="javascript:alert(1)">x</a>',
        '<iframe src="https://evil.example"></iframe>',
        '<div onclick="steal()">hi</div>',
    ],
)
def test_statement_html_is_sanitized(evil):
    html = render_statement(f"Intro\n\n{evil}\n\n```python\nprint('<b>')\n```\n")
    lowered = html.lower()
    assert "<script" not in lowered and "onerror" not in lowered and "onclick" not in lowered
    assert "javascript:" not in lowered and "<iframe" not in lowered
    assert "<pre><code" in html and "&lt;b&gt;" in html


def test_refresh_recomputes_derived_fields_after_direct_edits():
    load(function_doc())
    problem = Problem.objects.get(slug="sum-two")
    old = problem.test_set_version
    TestCase.objects.filter(problem=problem, order=3).update(expected_output="999")
    Problem.objects.filter(pk=problem.pk).update(statement="New *statement*")
    problem = refresh_problem_derived(problem=problem)
    assert problem.test_set_version != old and "<em>statement</em>" in problem.statement_html
    # A pack reload with the original tests restores the original version.
    load(function_doc())
    assert Problem.objects.get(slug="sum-two").test_set_version == old


def test_load_problems_command_is_idempotent(tmp_path):
    import yaml

    for doc in (function_doc(), stdio_doc()):
        (tmp_path / f"{doc['slug']}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    out = io.StringIO()
    call_command("load_problems", "--dir", str(tmp_path), stdout=out)
    assert "2 created, 0 updated, 0 unchanged" in out.getvalue()
    out = io.StringIO()
    call_command("load_problems", "--dir", str(tmp_path), stdout=out)
    assert "0 created, 0 updated, 2 unchanged" in out.getvalue()


def test_load_problems_command_reports_bad_files(tmp_path):
    from django.core.management import CommandError

    (tmp_path / "broken.yaml").write_text("slug: broken\n")
    with pytest.raises(CommandError, match="missing required field"):
        call_command("load_problems", "--dir", str(tmp_path), stdout=io.StringIO())
    assert not Problem.objects.exists()


def test_lists_right_after_a_paragraph_render_as_lists_but_code_stays_verbatim():
    html = render_statement("**Constraints**\n- `1 <= n`\n- `n <= 10`\n\n```\nx\n- not a list\n```\n1. one\n2. two\n")
    assert "<ul>\n<li><code>1 &lt;= n</code></li>\n<li><code>n &lt;= 10</code></li>\n</ul>" in html
    assert "- not a list" in html and "<ol>" in html

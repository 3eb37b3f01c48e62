import pytest

from accounts.tests.factories import StaffFactory, UserFactory
from problems.models import Problem

from .packs import function_doc, yaml_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(StaffFactory())
    return client


def upload(client, content: bytes, name: str = "sum-two.yaml", follow=False):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post("/admin/problems/problem/upload/", {"file": SimpleUploadedFile(name, content)}, follow=follow)


def test_upload_creates_then_updates_in_place(staff_client):
    response = upload(staff_client, yaml_bytes(function_doc()))
    assert response.status_code == 302
    problem = Problem.objects.get(slug="sum-two")
    assert problem.test_cases.count() == 8 and problem.statement_html
    version = problem.test_set_version
    doc = function_doc()
    doc["tests"][3]["expected"] = 4242
    doc["tests"][3]["input"] = {"a": 4242, "b": 0}
    page = upload(staff_client, yaml_bytes(doc), follow=True).content.decode()
    problem.refresh_from_db()
    assert Problem.objects.count() == 1 and problem.test_set_version != version
    assert "Loaded sum-two.yaml: 0 created, 1 updated, 0 unchanged." in page


def test_upload_shows_validation_errors_and_changes_nothing(staff_client):
    doc = function_doc()
    doc["tests"] = doc["tests"][:3]  # too few hidden tests
    response = upload(staff_client, yaml_bytes(doc))
    assert response.status_code == 200
    assert "needs at least 6 hidden tests" in response.content.decode()
    assert not Problem.objects.exists()
    response = upload(staff_client, b"slug: [unclosed")
    assert "invalid YAML" in response.content.decode()


def test_upload_is_staff_only(client):
    client.force_login(UserFactory())
    response = upload(client, yaml_bytes(function_doc()))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert not Problem.objects.exists()


def test_admin_save_recomputes_statement_html_and_version(staff_client):
    upload(staff_client, yaml_bytes(function_doc()))
    problem = Problem.objects.get(slug="sum-two")
    cases = list(problem.test_cases.order_by("order"))
    old_version = problem.test_set_version
    change_url = f"/admin/problems/problem/{problem.pk}/change/"
    page = staff_client.get(change_url).content.decode()
    assert "statement-preview" in page and "<table>" in page  # the rendered preview
    data = {
        "title": problem.title,
        "slug": problem.slug,
        "difficulty": "easy",
        "topics": [t.pk for t in problem.topics.all()],
        "is_published": "on",
        "statement": "Now **bold** <script>alert(1)</script>",
        "kind": "function",
        "signature": '{"function": "add", "params": [{"name": "a", "type": "int"}, {"name": "b", "type": "int"}], "returns": "int"}',
        "time_limit_ms": 2000,
        "memory_limit_mb": 256,
        "reference_solution": problem.reference_solution,
        "test_cases-TOTAL_FORMS": len(cases),
        "test_cases-INITIAL_FORMS": len(cases),
        "test_cases-MIN_NUM_FORMS": 0,
        "test_cases-MAX_NUM_FORMS": 1000,
    }
    for i, case in enumerate(cases):
        data.update(
            {
                f"test_cases-{i}-id": case.pk,
                f"test_cases-{i}-problem": problem.pk,
                f"test_cases-{i}-order": case.order,
                f"test_cases-{i}-input": case.input,
                f"test_cases-{i}-expected_output": case.expected_output,
                f"test_cases-{i}-comparison": case.comparison,
                f"test_cases-{i}-explanation": case.explanation,
            }
        )
        if case.is_sample:
            data[f"test_cases-{i}-is_sample"] = "on"
    data["test_cases-5-expected_output"] = "777"
    response = staff_client.post(change_url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    problem.refresh_from_db()
    assert "<strong>bold</strong>" in problem.statement_html and "<script" not in problem.statement_html
    assert problem.test_set_version != old_version
    assert problem.test_cases.get(order=cases[5].order).expected_output == "777"


def test_admin_changelist_and_topic_admin_render(staff_client):
    upload(staff_client, yaml_bytes(function_doc()))
    page = staff_client.get("/admin/problems/problem/?difficulty__exact=easy").content.decode()
    assert "Sum Two" in page and "Upload problem file" in page
    assert staff_client.get("/admin/problems/topic/").status_code == 200
    assert staff_client.get("/admin/problems/problem/add/").status_code == 200


def test_admin_rejects_a_broken_signature(staff_client):
    upload(staff_client, yaml_bytes(function_doc()))
    problem = Problem.objects.get(slug="sum-two")
    data = {
        "title": problem.title,
        "slug": problem.slug,
        "difficulty": "easy",
        "is_published": "on",
        "statement": "x",
        "kind": "function",
        "signature": '{"function": "Add!", "params": [], "returns": "int"}',
        "time_limit_ms": 2000,
        "memory_limit_mb": 256,
        "reference_solution": "",
        "test_cases-TOTAL_FORMS": 0,
        "test_cases-INITIAL_FORMS": 0,
        "test_cases-MIN_NUM_FORMS": 0,
        "test_cases-MAX_NUM_FORMS": 1000,
    }
    response = staff_client.post(f"/admin/problems/problem/{problem.pk}/change/", data)
    assert response.status_code == 200 and "snake_case identifier" in response.content.decode()
    problem.refresh_from_db()
    assert problem.signature["function"] == "add"

"""Hostile input: oversized, binary, deeply nested, path-like, script-bearing, cross-site and
brute-force requests. Each must be refused with a 4xx (never a 5xx), store nothing it should
not, and render nothing executable."""

import json
from html.parser import HTMLParser

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from accounts.tests.factories import UserFactory
from mentor.models import Conversation, Message
from problems.tests.factories import ProblemFactory, TestCaseFactory
from submissions.models import Submission

SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)><a href="javascript:alert(2)">link</a>'


@pytest.fixture
def student(db):
    return UserFactory(username="abuser")


@pytest.fixture
def api(student):
    return Client(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=student).key}")


@pytest.fixture
def problem(db):
    problem = ProblemFactory(slug="abuse-problem")
    TestCaseFactory(problem=problem, is_sample=True)
    return problem


class _ActiveContent(HTMLParser):
    """Collects what a browser would execute: event-handler attributes, javascript: URLs and
    scripts whose body mentions the payload (the page's own scripts are src-only)."""

    def __init__(self):
        super().__init__()
        self.found, self._in_script = [], False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=...>")
            if name in ("href", "src") and (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}={value}>")
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script and "alert" in data:
            self.found.append(f"<script>{data[:40]}")


def active_content(html: str) -> list[str]:
    parser = _ActiveContent()
    parser.feed(html)
    return parser.found


def post_json(client, path, body, **extra):
    raw = body if isinstance(body, bytes | str) else json.dumps(body)
    return client.post(path, data=raw, content_type="application/json", **extra)


def submission_body(problem_obj, **overrides):
    body = {
        "problem": problem_obj.slug,
        "language": "python",
        "code": "def add(a, b):\n    return a + b\n",
        "mode": "submit",
    }
    body.update(overrides)
    return body


def test_huge_code_is_refused_before_anything_is_stored(api, problem, settings):
    code = "x = 1\n" * (settings.SUBMISSION_MAX_CODE_BYTES // 6 + 10)
    response = post_json(api, "/api/v1/submissions/", submission_body(problem, code=code))
    assert response.status_code == 400
    assert "code" in response.json()
    assert Submission.objects.count() == 0


def test_request_body_over_the_upload_limit_is_a_client_error(api, problem, settings):
    big = "y" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1024)
    response = post_json(api, "/api/v1/submissions/", submission_body(problem, code=big))
    assert 400 <= response.status_code < 500
    assert Submission.objects.count() == 0


@pytest.mark.parametrize(
    "raw",
    [
        b"\xff\xfe\xfa\x00garbage",  # invalid UTF-8
        b'{"problem": "abuse-problem", "code": "\xc3\x28"}',  # invalid UTF-8 inside a string
        bytes(range(256)),  # binary
        b"",  # empty
    ],
)
def test_binary_and_invalid_utf8_bodies_are_400(api, problem, raw):
    response = api.post("/api/v1/submissions/", data=raw, content_type="application/json")
    assert response.status_code == 400
    assert Submission.objects.count() == 0


def test_nul_characters_in_code_are_refused_not_a_database_error(api, problem):
    response = post_json(api, "/api/v1/submissions/", submission_body(problem, code="print(1)\x00\x00"))
    assert response.status_code == 400
    assert Submission.objects.count() == 0


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_deeply_nested_json_is_400(api, problem, depth):
    nested = "[" * depth + "]" * depth
    response = api.post("/api/v1/submissions/", data=nested, content_type="application/json")
    assert response.status_code == 400
    obj = '{"a":' * depth + "1" + "}" * depth
    response = post_json(api, f"/api/v1/mentor/conversations/{0}/messages/", obj)
    assert response.status_code in (400, 404)


def test_very_long_custom_input_is_refused(api, problem, settings):
    stdin = "9" * (settings.SUBMISSION_MAX_STDIN_BYTES + 1)
    response = post_json(api, "/api/v1/submissions/", submission_body(problem, mode="run", stdin=stdin))
    assert response.status_code == 400
    assert "stdin" in response.json()
    assert Submission.objects.count() == 0


@pytest.mark.parametrize(
    "slug",
    [
        "../../etc/passwd",
        "..%2F..%2Fetc%2Fpasswd",
        "abuse-problem/../../admin",
        "%00",
        "a" * 5000,
        "abuse-problem;DROP TABLE problems_problem",
    ],
)
def test_path_like_problem_slugs_are_rejected(api, problem, slug):
    response = api.get(f"/api/v1/problems/{slug}/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    page = Client().get(f"/problems/{slug}/")
    assert page.status_code == 404
    response = post_json(api, "/api/v1/submissions/", submission_body(problem, problem=slug))
    assert response.status_code in (400, 404)
    assert Submission.objects.count() == 0


def test_unknown_api_paths_answer_json_404():
    response = Client().get("/api/v1/no/such/thing/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
    assert "text/html" in Client().get("/no/such/page/")["Content-Type"]


def test_problem_statement_html_is_sanitized(db):
    from problems.services import refresh_problem_derived

    # The admin and the pack loader both go through refresh_problem_derived to render the HTML.
    problem = ProblemFactory(slug="evil-statement", statement=f"# Title\n\n{SCRIPT}\n\n[x](javascript:alert(3))")
    refresh_problem_derived(problem=problem)
    response = Client().get("/problems/evil-statement/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Title</h1>" in html
    assert active_content(html) == []
    api_html = Client().get("/api/v1/problems/evil-statement/").json()["statement_html"]
    assert "Title</h1>" in api_html
    assert active_content(api_html) == []


def test_mentor_answers_are_sanitized_and_student_text_escaped(student, problem):
    conversation = Conversation.objects.create(user=student, problem=problem)
    Message.objects.create(conversation=conversation, role="user", text=SCRIPT)
    Message.objects.create(conversation=conversation, role="mentor", text=f"Try **this**:\n\n{SCRIPT}")
    page = Client()
    page.force_login(student)
    html = page.get(f"/mentor/panel/{problem.slug}/").content.decode()
    assert "<strong>this</strong>" in html  # Markdown still renders
    assert active_content(html) == []
    assert "&lt;script&gt;" in html  # the student's own text is shown, escaped


@pytest.mark.parametrize(
    "path,data",
    [
        ("/submissions/new/", {"problem": "abuse-problem", "language": "python", "code": "x", "mode": "run"}),
        ("/mentor/ask/abuse-problem/", {"message": "hi"}),
        ("/accounts/profile/", {}),
        ("/accounts/logout/", {}),
    ],
)
def test_forms_refuse_cross_site_posts(student, problem, path, data):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(student)
    response = browser.post(path, data)
    assert response.status_code == 403
    assert Submission.objects.count() == 0
    assert Message.objects.count() == 0


def test_login_form_refuses_cross_site_posts(student):
    response = Client(enforce_csrf_checks=True).post("/accounts/login/", {"username": "abuser", "password": "x"})
    assert response.status_code == 403


def test_brute_force_login_is_throttled_per_address(student, settings):
    settings.LOGIN_THROTTLE_ATTEMPTS = 5
    attacker = Client()
    statuses = [
        attacker.post("/accounts/login/", {"username": f"guess{i}", "password": "wrong"}).status_code for i in range(8)
    ]
    assert statuses[:5] == [200] * 5  # the form again, with an error
    assert statuses[5:] == [429] * 3
    # The right password does not get through while throttled either.
    student.set_password("Correct-horse-9")
    student.save()
    blocked = attacker.post("/accounts/login/", {"username": "abuser", "password": "Correct-horse-9"})
    assert blocked.status_code == 429
    assert "_auth_user_id" not in attacker.session


def test_brute_force_login_is_throttled_per_username_across_addresses(student, settings):
    settings.LOGIN_THROTTLE_ATTEMPTS = 3
    statuses = [
        Client(REMOTE_ADDR=f"10.0.0.{i}").post("/admin/login/", {"username": "abuser", "password": "no"}).status_code
        for i in range(5)
    ]
    assert statuses[3:] == [429, 429]
    assert (
        Client(REMOTE_ADDR="10.0.1.1").post("/accounts/login/", {"username": "someone", "password": "x"}).status_code
        == 200
    )

"""The mentor panel endpoints of the workspace (Django test client, offline provider)."""

import pytest

from accounts.tests.factories import StaffFactory, UserFactory
from mentor.models import Conversation, Layer, Message, Role
from problems.tests.factories import ProblemFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def problem():
    return ProblemFactory(slug="mentor-page", is_published=True)


def test_login_required(client, problem):
    assert client.get("/mentor/panel/mentor-page/").status_code == 302
    assert client.post("/mentor/ask/mentor-page/", {"text": "hi"}).status_code == 302
    assert Message.objects.count() == 0


def test_unknown_or_unpublished_problem_is_404(client, problem):
    client.force_login(UserFactory())
    assert client.post("/mentor/ask/no-such/", {"text": "help"}).status_code == 404
    problem.is_published = False
    problem.save()
    assert client.get("/mentor/panel/mentor-page/").status_code == 404


def test_ask_answers_with_code_and_layer(client, problem, offline):
    user = UserFactory()
    client.force_login(user)
    response = client.post(
        "/mentor/ask/mentor-page/",
        {"text": "Can you review my code?", "code": "def add(a, b):\n    return a - b\n", "language": "python"},
    )
    assert response.status_code == 201, response.content
    data = response.json()
    conversation = Conversation.objects.get(pk=data["conversation"])
    assert conversation.user == user and conversation.problem == problem
    question = conversation.messages.get(role=Role.USER)
    assert question.code.startswith("def add") and question.language == "python"
    assert data["layer"] == Layer.OFFLINE and "Offline mentor" in data["html"]
    assert 'class="cost"' not in data["html"]  # students never see costs
    # The next question continues the same conversation; the panel shows both turns.
    client.post("/mentor/ask/mentor-page/", {"text": "And a hint?", "conversation": data["conversation"]})
    assert Conversation.objects.filter(user=user).count() == 1
    panel = client.get("/mentor/panel/mentor-page/").content.decode()
    assert panel.count('class="msg mentor"') == 2 and "And a hint?" in panel


def test_answers_are_sanitized_markdown_and_staff_see_cost(client, problem):
    staff = StaffFactory()
    conversation = Conversation.objects.create(user=staff, problem=problem)
    Message.objects.create(conversation=conversation, role=Role.USER, text="<b>hi</b>")
    Message.objects.create(
        conversation=conversation,
        role=Role.MENTOR,
        layer=Layer.MODEL,
        model="gemini-x",
        cost_usd="0.00123400",
        text="**Use a dict.**\n\n```python\nseen = {}\n```\n<script>alert(1)</script>"
        '<a href="javascript:alert(2)">x</a><img src=x onerror=alert(3)>',
    )
    client.force_login(staff)
    panel = client.get("/mentor/panel/mentor-page/").content.decode()
    assert "<strong>Use a dict.</strong>" in panel and '<code class="language-python">' in panel
    assert "<script" not in panel and "javascript:" not in panel and "onerror" not in panel
    assert "&lt;b&gt;hi&lt;/b&gt;" in panel  # the student's own text is escaped, not rendered
    assert "cost $0.001234" in panel and "Gemini model" in panel


def test_someone_elses_conversation_is_never_used(client, problem, offline):
    other = UserFactory()
    theirs = Conversation.objects.create(user=other, problem=problem)
    Message.objects.create(conversation=theirs, role=Role.USER, text="PRIVATE QUESTION")
    me = UserFactory()
    client.force_login(me)
    data = client.post(
        "/mentor/ask/mentor-page/", {"text": "hello there, what next?", "conversation": theirs.pk}
    ).json()
    assert data["conversation"] != theirs.pk
    assert "PRIVATE QUESTION" not in data["html"]
    assert "PRIVATE QUESTION" not in client.get("/mentor/panel/mentor-page/").content.decode()
    assert theirs.messages.count() == 1


def test_quota_reached_is_a_kind_429(client, problem, settings):
    settings.GEMINI_API_KEY = ""
    settings.MENTOR_DAILY_MESSAGE_QUOTA = 1
    settings.MENTOR_MESSAGES_PER_MINUTE = 100
    client.force_login(UserFactory())
    assert client.post("/mentor/ask/mentor-page/", {"text": "first question please"}).status_code == 201
    response = client.post("/mentor/ask/mentor-page/", {"text": "second question please"})
    assert response.status_code == 429
    data = response.json()
    assert data["kind"] == "quota" and "resets at midnight UTC" in data["error"]
    assert int(response["Retry-After"]) > 0


def test_empty_question_is_400(client, problem, offline):
    client.force_login(UserFactory())
    response = client.post("/mentor/ask/mentor-page/", {"text": "   "})
    assert response.status_code == 400 and response.json()["code"] == "message_empty"

"""Workspace, dashboard and error pages of the student UI (Django test client)."""

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import StaffFactory, UserFactory
from problems.services import record_verdict
from problems.tests.factories import ProblemFactory, TopicFactory
from problems.views import heatmap_weeks
from submissions.models import Status, Submission

pytestmark = pytest.mark.django_db


@pytest.fixture
def problem():
    problem = ProblemFactory(slug="add-ui", title="Add UI", is_published=True)
    problem.topics.add(TopicFactory(slug="math", name="Math"))
    return problem


def test_workspace_for_anonymous_asks_to_log_in(client, problem):
    body = client.get("/problems/add-ui/").content.decode()
    assert "to run and submit your code" in body
    assert 'id="run-button"' not in body and 'id="mentor-panel"' not in body


def test_workspace_has_editor_starters_and_controls(client, problem):
    client.force_login(UserFactory())
    response = client.get("/problems/add-ui/?lang=java")
    body = response.content.decode()
    assert 'id="run-button"' in body and 'id="submit-button"' in body and 'id="mentor-form"' in body
    assert 'data-language="java"' in body and "/static/vendor/codemirror/codemirror.js" in body
    starters = json.loads(re.search(r'id="starter-codes" type="application/json">(.*?)</script>', body, re.S).group(1))
    assert set(starters) == {"python", "javascript", "cpp", "java"}
    assert "def add(a: int, b: int)" in starters["python"] and "class Solution" in starters["java"]
    assert 'placeholder="{&quot;a&quot;: …, &quot;b&quot;: …}"' in body  # custom input hint names the args


def test_unknown_and_unpublished_problems_are_a_friendly_404(client, problem):
    ProblemFactory(slug="draft-ui", is_published=False)
    for url in ["/problems/no-such/", "/problems/draft-ui/"]:
        response = client.get(url)
        assert response.status_code == 404
        assert "We could not find that page" in response.content.decode()


def test_no_page_loads_assets_from_another_origin(client, problem):
    user = UserFactory()
    client.force_login(user)
    for url in ["/", "/problems/", "/problems/add-ui/", "/accounts/profile/"]:
        body = client.get(url).content.decode()
        assert not re.search(r'<(script|link|img)[^>]+(src|href)="(https?:)?//', body), url


def test_dashboard_heatmap_streak_and_recent(client, problem):
    user, other = UserFactory(), UserFactory()
    now = datetime.now(UTC)
    for days_ago in (0, 1, 2):
        record_verdict(user=user, problem=problem, verdict="accepted", runtime_ms=3, at=now - timedelta(days=days_ago))
    record_verdict(user=user, problem=problem, verdict="wrong_answer", runtime_ms=3, at=now)
    Submission.objects.create(
        user=user,
        problem=problem,
        language="python",
        code="x",
        status=Status.FINISHED,
        verdict="accepted",
        finished_at=timezone.now(),
    )
    Submission.objects.create(
        user=other,
        problem=problem,
        language="cpp",
        code="y",
        status=Status.FINISHED,
        verdict="wrong_answer",
        finished_at=timezone.now(),
    )
    client.force_login(user)
    body = client.get("/").content.decode()
    assert 'id="current-streak">3 days' in body
    cells = re.findall(r'data-day="([\d-]+)" data-count="(\d+)"', body)
    assert len(cells) == 365
    assert cells[-1] == (now.date().isoformat(), "2")
    assert cells[-2][1] == "1" and cells[0][1] == "0"
    recent = body.split('id="recent-submissions"')[1]
    assert "Accepted" in recent and "Wrong answer" not in recent  # only the user's own
    assert 'aria-valuenow="1"' in body  # topic mastery bar for Math


def test_dashboard_empty_state(client, problem):
    client.force_login(UserFactory())
    body = client.get("/").content.decode()
    assert 'id="current-streak">0 days' in body and "No submissions yet" in body
    assert "0 submissions on 0 days" in body


def test_heatmap_weeks_start_on_monday():
    from datetime import date

    series = [{"day": date(2026, 11, 18) + timedelta(days=i), "submissions": i, "accepted": 0} for i in range(6)]
    weeks = heatmap_weeks(series)  # 2026-11-18 is a Wednesday
    assert weeks[0][:2] == [None, None] and weeks[0][2]["day"] == date(2026, 11, 18)
    assert [len(w) for w in weeks] == [7, 1]
    assert weeks[0][2]["level"] == 0 and weeks[0][3]["level"] == 1


def test_cost_links_for_staff_only(client, problem):
    client.force_login(UserFactory())
    body = client.get("/").content.decode()
    assert "/admin/costs/dashboard/" not in body and "/admin/costs/calculator/" not in body
    client.force_login(StaffFactory())
    body = client.get("/").content.decode()
    assert "/admin/costs/dashboard/" in body and "/admin/costs/calculator/" in body


def test_list_filters_are_in_the_query_string(client, problem):
    ProblemFactory(slug="hard-ui", title="Hard UI", difficulty="hard", is_published=True)
    client.force_login(UserFactory())
    body = client.get("/problems/?difficulty=hard&q=UI").content.decode()
    assert "Hard UI" in body and "Add UI" not in body and ">Clear</a>" in body
    body = client.get("/problems/?q=zzz-nothing").content.decode()
    assert "No problems match these filters" in body

"""The student journeys in a real browser, judged by a real Celery worker on the local sandbox.

One test per journey, so the first failure does not hide the rest: each starts from a fresh
database (the live server's is flushed between tests) with the catalog loaded and, where the
journey needs one, a logged-in student; the worker judges committed rows.
"""

import re

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import StaffFactory, UserFactory
from problems.packfile import read_pack_dir
from problems.services import load_problem_pack

pytestmark = pytest.mark.django_db(transaction=True)

PACK = {"two-sum", "valid-parentheses", "climbing-stairs", "a-plus-b"}
CORRECT = (
    "def two_sum(nums, target):\n"
    "    seen = {}\n"
    "    for i, value in enumerate(nums):\n"
    "        if target - value in seen:\n"
    "            return [seen[target - value], i]\n"
    "        seen[value] = i\n"
    "    return []\n"
)
WRONG = "def two_sum(nums, target):\n    return [0, 1]\n"
# Correct, but slow on every test but the first sample, so the page can be seen mid-judging.
SLOW_A_PLUS_B = (
    "import sys, time\n"
    "a, b = map(int, sys.stdin.read().split())\n"
    "if (a, b) != (2, 3):\n"
    "    time.sleep(0.3)\n"
    "print(a + b)\n"
)


@pytest.fixture
def catalog(transactional_db):
    from mentor.tests.conftest import seed_prices

    seed_prices()  # the ledger prices a flush may have removed
    load_problem_pack(problems=[p for p in read_pack_dir() if p.slug in PACK])


def set_code(page, code: str) -> None:
    """Type into CodeMirror like a user: focus, select all, insert the text."""
    page.locator(".cm-content").click()
    page.keyboard.press("Control+a")
    page.keyboard.press("Delete")
    # insert_text bypasses auto-indent (a paste-like insertion), so the code lands verbatim.
    page.keyboard.insert_text(code)
    assert page.evaluate("window.cmEditor.getValue()") == code


def wait_verdict(page, text: str):
    expect(page.locator("#result #verdict")).to_have_text(text, timeout=60_000)


@pytest.fixture
def offline_mentor(settings):
    settings.GEMINI_API_KEY = ""  # the offline mentor answers
    settings.MENTOR_DAILY_MESSAGE_QUOTA = 1000
    settings.MENTOR_MESSAGES_PER_MINUTE = 1000


def log_in(page, username: str, password: str = "pw-123456") -> None:  # noqa: S107 - the factories' password
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


@pytest.fixture
def student(catalog, new_page):
    """A page logged in as a new student."""
    UserFactory(username="ada")
    page = new_page()
    log_in(page, "ada")
    return page


def open_workspace(page, slug: str = "two-sum") -> None:
    page.goto(f"/problems/{slug}/")
    expect(page.locator(".cm-editor")).to_be_visible()


def test_sign_up_lands_on_an_empty_dashboard(catalog, live_server, new_page, shots):
    page = new_page()
    page.goto("/")
    expect(page.get_by_role("heading", name="Practice technical interviews")).to_be_visible()
    shots.take(page, "home-anonymous")
    page.get_by_role("link", name="Sign up").first.click()
    shots.take(page, "signup")
    page.fill("#id_username", "ada")
    page.fill("#id_email", "ada@example.com")
    page.fill("#id_password1", "correct-horse-battery-9")
    page.fill("#id_password2", "correct-horse-battery-9")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.locator("#current-streak")).to_have_text("0 days")
    today_cell = page.locator("#heatmap .cell[data-day]").last
    assert today_cell.get_attribute("data-count") == "0"
    shots.take(page, "dashboard-new")
    assert not page.console_errors, page.console_errors


def test_problem_list_filters_by_difficulty(student, shots):
    page = student
    page.get_by_role("link", name="Problems", exact=True).click()
    page.select_option("select[name=difficulty]", "easy")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"difficulty=easy"))
    expect(page.locator("#problem-table")).to_contain_text("Two Sum")
    shots.take(page, "problem-list")
    # The workspace opens from the list.
    page.get_by_role("link", name="Two Sum").click()
    expect(page.locator(".cm-editor")).to_be_visible()
    assert not page.console_errors, page.console_errors


def test_workspace_editor_starters_and_keyboard(student, shots):
    page = student
    open_workspace(page)
    page.wait_for_load_state("networkidle")
    assert not page.console_errors, page.console_errors
    assert "def two_sum(nums" in page.evaluate("window.cmEditor.getValue()")
    assert page.locator(".cm-content .tok-keyword, .cm-content span[class^='ͼ']").count() > 0  # highlighted
    page.select_option("#language-select", "java")
    assert "class Solution" in page.evaluate("window.cmEditor.getValue()")
    page.select_option("#language-select", "python")
    expect(page.locator("#mentor-empty")).to_be_visible()
    expect(page.locator("#history")).to_contain_text("No submissions for this problem yet")
    shots.take(page, "workspace")
    # Keyboard users are never trapped: Escape leaves the editor.
    page.locator(".cm-content").click()
    page.keyboard.press("Escape")
    assert page.evaluate("!document.activeElement.closest('.cm-editor')")
    # The draft survives a reload (localStorage, per language).
    set_code(page, WRONG)
    page.reload()
    expect(page.locator(".cm-editor")).to_be_visible()
    assert page.evaluate("window.cmEditor.getValue()") == WRONG
    assert not page.console_errors, page.console_errors


def test_wrong_answer_custom_run_then_accepted(student, celery_worker_process, shots):
    page = student
    open_workspace(page)
    # A wrong solution: Submit shows the failing sample with input/expected/actual.
    set_code(page, WRONG)
    page.get_by_role("button", name="Submit").click()
    wait_verdict(page, "Wrong answer")
    failing = page.locator("#failing-test")
    expect(failing).to_contain_text("Failing sample 1")
    expect(failing).to_contain_text("Expected")
    expect(failing.locator("dd").nth(1)).to_contain_text("[0, 3]")
    expect(failing.locator("dd").nth(2)).to_contain_text("[0, 1]")
    shots.take(page, "workspace-wrong-answer")  # the phone shot reloads: drafts come back from localStorage

    # Run with custom input via the keyboard shortcut (Ctrl+Enter inside the editor).
    page.check("#use-custom")
    page.fill("#custom-stdin", '{"nums": [1, 2, 3], "target": 5}')
    page.locator(".cm-content").click()
    page.keyboard.press("Control+Enter")
    custom = page.locator("#custom-output")
    expect(custom).to_be_visible(timeout=60_000)
    expect(custom).to_contain_text(re.compile(r"\[0,\s*1\]"))
    expect(page.locator("#result #verdict")).to_have_text("Ran without errors")
    page.uncheck("#use-custom")

    # The correct solution is accepted; history lists the attempts.
    set_code(page, CORRECT)
    page.get_by_role("button", name="Submit").click()
    wait_verdict(page, "Accepted")
    expect(page.locator("#result")).to_contain_text(re.compile(r"(\d+) / \1 tests passed"))
    expect(page.locator("#history-list li")).to_have_count(3)
    expect(page.locator("#problem-title .badge")).to_have_text("Solved")
    shots.take(page, "workspace-accepted")

    # Submission detail page.
    page.locator("#history-list a").first.click()
    expect(page.get_by_role("heading", name=re.compile(r"Submission #\d+"))).to_be_visible()
    expect(page.locator("#submission-code")).to_contain_text("seen = {}")
    shots.take(page, "submission-detail")

    # The dashboard shows the streak, the heatmap cell, the solved count and recent submissions.
    page.goto("/")
    expect(page.locator("#current-streak")).to_have_text("1 day")
    assert int(page.locator("#heatmap .cell[data-day]").last.get_attribute("data-count")) >= 2
    expect(page.locator("#solved-easy")).to_contain_text("1")
    expect(page.locator("#recent-submissions")).to_contain_text("Accepted")
    shots.take(page, "dashboard")
    assert not page.console_errors, page.console_errors


def test_mentor_answers_with_the_code_attached(student, offline_mentor, shots):
    page = student
    open_workspace(page)
    set_code(page, CORRECT)
    page.fill("#mentor-text", "Can you review my code? Is it efficient enough?")
    page.get_by_role("button", name="Ask the mentor").click()
    answer = page.locator("#mentor-log .msg.mentor").last
    expect(answer).to_be_visible(timeout=30_000)
    expect(answer.locator(".layer")).to_have_text(re.compile(r"Offline mentor|Pattern responder"))
    expect(page.locator("#mentor-log .msg.user").last).to_contain_text("with your python code")
    assert answer.locator(".cost").count() == 0  # students do not see costs
    assert answer.locator("script").count() == 0
    shots.take(page, "workspace-mentor")
    assert not page.console_errors, page.console_errors


def test_stdio_results_arrive_test_by_test(student, celery_worker_process, shots):
    # A stdio problem runs one process per test: results arrive test by test while judging.
    page = student
    open_workspace(page, "a-plus-b")
    set_code(page, SLOW_A_PLUS_B)
    page.get_by_role("button", name="Submit").click()
    expect(page.locator("#pending-tests")).to_contain_text(re.compile(r"[1-9]\d* of \d+ tests done"), timeout=30_000)
    expect(page.locator("#result ol.tests.live li").first).to_contain_text("Sample 1: passed")
    shots.take(page, "workspace-live-tests")
    wait_verdict(page, "Accepted")
    assert not page.console_errors, page.console_errors


def test_profile_token_hidden_until_asked_and_regenerated(student, shots):
    page = student
    page.goto("/accounts/profile/")
    token = page.locator("#api-token")
    expect(token).to_be_hidden()
    page.get_by_role("button", name="Show token").click()
    expect(token).to_be_visible()
    old = token.inner_text()
    expect(page.locator("#curl-example")).to_contain_text(f"Token {old}")
    shots.take(page, "profile")
    page.get_by_role("button", name="Regenerate token").click()
    page.get_by_role("button", name="Show token").click()
    assert page.locator("#api-token").inner_text() not in ("", old)
    assert not page.console_errors, page.console_errors


def test_unknown_problem_is_a_friendly_404(student, shots):
    page = student
    response = page.goto("/problems/no-such-problem/")
    assert response.status == 404
    expect(page.get_by_role("heading", name="We could not find that page")).to_be_visible()
    shots.take(page, "not-found")


def test_staff_cost_dashboard_calculator_and_turn_costs(catalog, offline_mentor, new_page, shots):
    from costs.pricing import Usage
    from costs.services import record_call

    # Some of today's ledger for the charts: an execution and a mentor turn.
    student = UserFactory(username="ada")
    record_call(
        provider="local_sandbox",
        operation="execute",
        feature="submission",
        model="python",
        user=student,
        usage=Usage(executions=1),
        latency_ms=120,
        problem_slug="two-sum",
        reference="submission:1",
    )
    record_call(
        provider="gemini",
        operation="generate",
        feature="mentor",
        model="gemini-2.5-flash",
        user=student,
        usage=Usage(input_tokens=900, output_tokens=120),
        latency_ms=800,
        reference="message:1",
    )
    StaffFactory(username="boss")
    staff = new_page()
    log_in(staff, "boss")
    expect(staff.get_by_role("link", name="Cost calculator")).to_be_visible()
    staff.get_by_role("link", name="Cost dashboard").click()
    staff.wait_for_function("window.Chart && Object.keys(Chart.instances).length >= 6")
    charts = staff.evaluate("""() => Object.values(Chart.instances).map(c => ({
        id: c.canvas.id,
        points: c.data.datasets.reduce((n, d) => n + d.data.filter(v => Number(v) > 0).length, 0)}))""")
    by_id = {c["id"]: c["points"] for c in charts}
    assert by_id["chart-calls"] > 0, charts
    assert staff.locator("canvas").count() >= 6
    shots.take(staff, "staff-cost-dashboard", fits_phone=False)  # Django admin layout
    # Staff see what a mentor turn cost.
    open_workspace(staff)
    staff.fill("#mentor-text", "Give me a hint for this problem")
    staff.get_by_role("button", name="Ask the mentor").click()
    expect(staff.locator("#mentor-log .msg.mentor .cost").last).to_contain_text(re.compile(r"cost \$\d"))
    staff.goto("/admin/costs/calculator/")
    expect(staff.locator("body")).to_contain_text(re.compile(r"calculator", re.I))
    shots.take(staff, "staff-cost-calculator", fits_phone=False)

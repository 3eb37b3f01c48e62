"""Mentor fixtures: the real google-genai SDK talks to a Gemini stand-in on 127.0.0.1."""

import pytest

from testing.gemini_standin import GeminiStandIn


@pytest.fixture(scope="session")
def gemini_server():
    server = GeminiStandIn().start()
    yield server
    server.stop()


@pytest.fixture
def gemini(gemini_server, settings):
    """The stand-in, reset, with settings pointing the Gemini provider at it (fast retries)."""
    seed_prices()
    gemini_server.reset()
    gemini_server.min_cache_tokens = 400
    settings.GEMINI_API_KEY = "test-key"
    settings.GEMINI_BASE_URL = gemini_server.url
    settings.GEMINI_API_VERSION = "v1beta"
    settings.GEMINI_RETRY_ATTEMPTS = 3
    settings.GEMINI_RETRY_INITIAL_DELAY = 0.01
    settings.GEMINI_RETRY_MAX_DELAY = 0.02
    settings.GEMINI_TIMEOUT_MS = 5000
    settings.MENTOR_CONTEXT_CACHE = True
    settings.MENTOR_CACHE_MIN_TOKENS = 1024
    settings.MENTOR_CACHE_MIN_TOKENS_BY_MODEL = {}
    settings.MENTOR_CACHE_EXPECTED_READS_PER_HOUR = 100.0
    settings.MENTOR_DAILY_MESSAGE_QUOTA = 1000
    settings.MENTOR_MESSAGES_PER_MINUTE = 1000
    return gemini_server


def seed_prices():
    """The seeded list prices, again: a transactional test elsewhere may have flushed them."""
    from importlib import import_module

    from django.apps import apps

    from costs.models import PriceRule

    if not PriceRule.objects.filter(provider="gemini").exists():
        import_module("costs.migrations.0002_seed_price_rules").seed(apps, None)


@pytest.fixture
def offline(settings):
    settings.GEMINI_API_KEY = ""
    settings.MENTOR_DAILY_MESSAGE_QUOTA = 1000
    settings.MENTOR_MESSAGES_PER_MINUTE = 1000


@pytest.fixture(scope="session")
def judge0_for_mentor():
    from testing.judge0_standin import Judge0StandIn

    server = Judge0StandIn(workers=2).start()
    yield server
    server.stop()


@pytest.fixture
def judge0(judge0_for_mentor, settings):
    """analyze_code_submission runs code through the real pipeline on the Judge0 stand-in."""
    judge0_for_mentor.reset()
    settings.EXECUTOR_BACKEND = "judge0"
    settings.JUDGE0_URL = judge0_for_mentor.url
    settings.JUDGE0_AUTH_TOKEN = ""
    settings.JUDGE0_CALLBACK_BASE_URL = ""
    settings.JUDGE0_POLL_INITIAL = 0.05
    settings.JUDGE0_POLL_MAX_INTERVAL = 0.1
    return judge0_for_mentor


def make_sum_problem(slug: str = "mentor-sum", **kwargs):
    """A stdio problem: read two integers, print their sum (two samples, one hidden test)."""
    from problems.tests.factories import ProblemFactory, TestCaseFactory

    problem = ProblemFactory(slug=slug, title="Sum Two", kind="stdio", signature={}, statement="Print a+b.", **kwargs)
    for order, (inp, out, sample) in enumerate(
        [("1 2\n", "3\n", True), ("5 7\n", "12\n", True), ("10 1\n", "11\n", False)]
    ):
        TestCaseFactory(problem=problem, order=order, input=inp, expected_output=out, is_sample=sample)
    return problem


SUM_OK = "a, b = map(int, input().split())\nprint(a + b)\n"
SUM_WRONG = "a, b = map(int, input().split())\nprint(a * b)\n"

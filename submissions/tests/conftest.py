"""Fixtures of the pipeline tests: a real Judge0 stand-in server on 127.0.0.1 and
problems to judge. The real Celery worker fixture is in the root conftest.py."""

import pytest

from problems.tests.factories import ProblemFactory, TestCaseFactory
from testing.judge0_standin import Judge0StandIn


@pytest.fixture(scope="session")
def judge0_server():
    server = Judge0StandIn(workers=2).start()
    yield server
    server.stop()


@pytest.fixture
def judge0(judge0_server, settings):
    """The stand-in, reset, with the settings pointing the Judge0 executor at it."""
    judge0_server.reset()
    settings.JUDGE0_URL = judge0_server.url
    settings.JUDGE0_AUTH_TOKEN = ""
    settings.JUDGE0_CALLBACK_BASE_URL = ""
    settings.JUDGE0_POLL_INITIAL = 0.05
    settings.JUDGE0_POLL_MAX_INTERVAL = 0.1
    return judge0_server


@pytest.fixture
def judge0_executor(judge0):
    from submissions.executors.judge0 import Judge0Executor

    return Judge0Executor(use_callbacks=False)


def make_stdio_problem(slug: str = "sum-two", *, hidden: int = 2, **kwargs):
    """Read two integers, print their sum: two sample tests and `hidden` hidden ones."""
    problem = ProblemFactory(slug=slug, kind="stdio", signature={}, statement="Print a+b.", **kwargs)
    cases = [("1 2\n", "3\n", True), ("5 7\n", "12\n", True)]
    cases += [(f"{10 * i} {i}\n", f"{11 * i}\n", False) for i in range(1, hidden + 1)]
    for order, (inp, out, sample) in enumerate(cases):
        TestCaseFactory(problem=problem, order=order, input=inp, expected_output=out, is_sample=sample)
    return problem


SUM_OK = "a, b = map(int, input().split())\nprint(a + b)\n"
# Right on the samples, wrong on the hidden tests (which have b < 10 and a >= 10).
SUM_HIDDEN_WRONG = "a, b = map(int, input().split())\nprint(a + b if a < 10 else a - b)\n"
SUM_WRONG = "a, b = map(int, input().split())\nprint(a * b)\n"

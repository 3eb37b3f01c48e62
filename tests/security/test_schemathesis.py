"""Property-based API fuzzing with schemathesis against the published /api/schema/.

Every operation of the OpenAPI schema is called in-process through the WSGI app (the real
Django stack, real PostgreSQL/Redis), as an anonymous client and as a student with a token.
Checks: no 5xx, status codes and bodies conform to the schema, content types match.
Bounded (a few examples per operation) so the whole module stays well under two minutes.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from rest_framework.throttling import SimpleRateThrottle
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.tests.factories import UserFactory
from problems.tests.factories import ProblemFactory, TestCaseFactory

MAX_EXAMPLES = 10


@pytest.fixture
def api_schema(live_server, settings, monkeypatch):
    # Fuzzed submissions are judged inline; generous limits keep the fuzzer from only ever
    # seeing 429s, which are covered by their own tests. DRF bound DEFAULT_THROTTLE_RATES to
    # SimpleRateThrottle.THROTTLE_RATES at import, so that is what must change (a settings
    # override alone is never read); the attempt counters and mentor quotas read settings live.
    monkeypatch.setattr(
        SimpleRateThrottle,
        "THROTTLE_RATES",
        {"submission_run": "100000/min", "submission_submit": "100000/min", "auth": "100000/min"},
    )
    settings.LOGIN_THROTTLE_ATTEMPTS = settings.REGISTER_THROTTLE_ATTEMPTS = 100_000
    settings.MENTOR_MESSAGES_PER_MINUTE = settings.MENTOR_DAILY_MESSAGE_QUOTA = 100_000
    problem = ProblemFactory(slug="fuzz-problem")
    TestCaseFactory(problem=problem, is_sample=True)
    return schemathesis.openapi.from_url(f"{live_server.url}/api/schema/")


def no_server_error(ctx, response, case):
    if response.status_code >= 500:
        raise AssertionError(f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:300]}")
    return None


CHECKS = [no_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def fuzz_all_operations(schema, headers) -> tuple[int, list[str], dict[str, list[int]]]:
    """Runs every operation MAX_EXAMPLES times; returns (operations, failures, the status
    codes each operation answered)."""
    failures, operations = [], 0
    statuses: dict[str, list[int]] = {}

    def record_status(ctx, response, case):
        statuses[f"{case.method.upper()} {case.path}"].append(response.status_code)

    checks = [record_status, *CHECKS]
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        statuses[f"{operation.method.upper()} {operation.path}"] = []

        @given(case=operation.as_strategy())
        @hypothesis_settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
            phases=[Phase.explicit, Phase.generate],
        )
        def run(case):
            case.call_and_validate(headers=headers, checks=checks, timeout=30)

        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:  # collect every operation's failure, not just the first
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:2000]}")
    return operations, failures, statuses


def assert_fuzzed_past_the_throttles(statuses: dict[str, list[int]]):
    """Every operation was called, and none was throttled: a 429 means the fuzzer's case never
    reached the view, so the run covered less than it claims."""
    assert all(statuses.values()), [op for op, codes in statuses.items() if not codes]
    throttled = {op: codes.count(429) for op, codes in statuses.items() if 429 in codes}
    assert not throttled, f"throttled operations (429 count): {throttled}"


@pytest.mark.django_db(transaction=True)
def test_api_as_anonymous(api_schema):
    operations, failures, statuses = fuzz_all_operations(api_schema, {})
    assert operations >= 12
    assert not failures, "\n\n".join(failures)
    assert_fuzzed_past_the_throttles(statuses)


@pytest.mark.django_db(transaction=True)
def test_api_as_student(api_schema):
    from rest_framework.authtoken.models import Token

    headers = {"Authorization": f"Token {Token.objects.create(user=UserFactory()).key}"}
    operations, failures, statuses = fuzz_all_operations(api_schema, headers)
    assert operations >= 12
    assert not failures, "\n\n".join(failures)
    assert_fuzzed_past_the_throttles(statuses)

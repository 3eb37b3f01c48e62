"""The result cache stores and serves only supervisor-produced program verdicts, and its
durable rows expire."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone

from problems.tests.factories import ProblemFactory
from submissions import result_cache
from submissions.executors.base import Verdict
from submissions.models import CachedResult


def payload(verdict=Verdict.ACCEPTED, **extra):
    return {"verdict": verdict, "tests": [], "compile_output": "", "trusted": True, **extra}


@pytest.mark.parametrize(
    "verdict",
    [
        Verdict.ACCEPTED,
        Verdict.WRONG_ANSWER,
        Verdict.COMPILE_ERROR,
        Verdict.RUNTIME_ERROR,
        Verdict.TIME_LIMIT_EXCEEDED,
        Verdict.MEMORY_LIMIT_EXCEEDED,
        Verdict.OUTPUT_LIMIT_EXCEEDED,
    ],
)
def test_program_verdicts_from_the_supervisor_are_cacheable_tle_and_mle_included(verdict):
    assert result_cache.is_cacheable(payload(verdict))


@pytest.mark.parametrize(
    "bad",
    [
        payload(Verdict.SYSTEM_ERROR),
        payload(""),
        payload("forged"),
        {"verdict": Verdict.ACCEPTED},
        payload(trusted=False),
        payload(trusted="true"),
        payload(trusted=1),
        None,
        [],
    ],
)
def test_system_errors_and_results_no_supervisor_vouched_for_are_not(bad):
    assert not result_cache.is_cacheable(bad)


@pytest.mark.django_db
def test_put_then_get_through_redis_and_the_table(settings):
    problem = ProblemFactory()
    result_cache.put(
        "k1", problem=problem, language="python", payload=payload(Verdict.TIME_LIMIT_EXCEEDED), executions=1
    )
    assert result_cache.get("k1")["verdict"] == Verdict.TIME_LIMIT_EXCEEDED
    row = CachedResult.objects.get(key="k1")
    expected = timezone.now() + timedelta(seconds=settings.SUBMISSION_RESULT_CACHE_DURABLE_TTL)
    assert abs((row.expires_at - expected).total_seconds()) < 60
    cache.clear()
    assert result_cache.get("k1")["verdict"] == Verdict.TIME_LIMIT_EXCEEDED  # from the table, refills Redis
    assert result_cache.get_fast("k1") is not None


@pytest.mark.django_db
def test_untrusted_results_are_never_stored():
    problem = ProblemFactory()
    result_cache.put("k2", problem=problem, language="python", payload=payload(trusted=False), executions=1)
    result_cache.put("k3", problem=problem, language="python", payload=payload(Verdict.SYSTEM_ERROR), executions=1)
    assert result_cache.get("k2") is None and result_cache.get("k3") is None
    assert not CachedResult.objects.exists()


@pytest.mark.django_db
def test_old_untrusted_rows_and_redis_entries_are_not_served():
    problem = ProblemFactory()
    CachedResult.objects.create(key="old", problem=problem, language="python", payload={"verdict": "accepted"})
    cache.set("submissions:result:old2", {"verdict": "accepted"}, 60)
    assert result_cache.get("old") is None and result_cache.get("old2") is None
    assert result_cache.get_fast("old2") is None


@pytest.mark.django_db
def test_expired_rows_are_ignored_and_purged():
    problem = ProblemFactory()
    result_cache.put("live", problem=problem, language="python", payload=payload(), executions=1)
    CachedResult.objects.create(
        key="gone",
        problem=problem,
        language="python",
        payload=payload(),
        expires_at=timezone.now() - timedelta(seconds=1),
    )
    CachedResult.objects.create(key="untrusted", problem=problem, language="python", payload={"verdict": "accepted"})
    cache.clear()
    assert result_cache.get("gone") is None
    assert cache.get("submissions:result:gone") is None  # an expired row never refills Redis
    assert result_cache.purge_expired() == 2
    assert list(CachedResult.objects.values_list("key", flat=True)) == ["live"]
    call_command("purge_result_cache")
    assert CachedResult.objects.filter(key="live").exists()


@pytest.mark.django_db
def test_redis_never_keeps_a_copy_past_the_rows_expiry(settings):
    settings.SUBMISSION_RESULT_CACHE_DURABLE_TTL = 100
    problem = ProblemFactory()
    result_cache.put("short", problem=problem, language="python", payload=payload(), executions=1)
    assert 0 < cache.ttl("submissions:result:short") <= 100  # not SUBMISSION_RESULT_CACHE_TTL (7 days)
    CachedResult.objects.filter(key="short").update(expires_at=timezone.now() - timedelta(seconds=1))
    cache.delete("submissions:result:short")
    assert result_cache.get("short") is None

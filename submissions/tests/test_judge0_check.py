"""`manage.py judge0_check` against the stand-in."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from submissions.tests import test_judge0 as _judge0_fixtures

# The stand-in fixtures of test_judge0 (one server per module).
standin = _judge0_fixtures.standin
judge0 = _judge0_fixtures.judge0


def run_check():
    out, err = StringIO(), StringIO()
    try:
        call_command("judge0_check", stdout=out, stderr=err)
    except CommandError as exc:
        return False, out.getvalue(), err.getvalue() + str(exc)
    return True, out.getvalue(), err.getvalue()


def test_a_default_judge0_ce_matches(judge0):
    ok, out, err = run_check()
    assert ok, err
    assert "Judge0 version 1.13.1" in out
    assert "language java: id 62 = Java (OpenJDK 13.0.1)" in out
    stats = judge0.snapshot()
    assert stats["paths"] == ["GET /about", "GET /languages", "GET /config_info"]


def test_mismatches_are_reported_with_a_non_zero_exit(judge0, settings):
    judge0.languages = {71: "Python (3.8.1)", 63: "JavaScript (Node.js 12.14.0)", 54: "C (GCC 9.2.0)"}
    judge0.config.update(enable_batched_submissions=False, max_cpu_time_limit=10.0, max_memory_limit=256000)
    ok, _out, err = run_check()
    assert not ok
    assert "language java: id 62 is not offered" in err
    assert "language cpp: id 54 is 'C (GCC 9.2.0)'" in err
    assert "batched submissions are disabled" in err
    assert "max_cpu_time_limit is 10.0" in err and "max_memory_limit is 256000" in err
    assert "5 Judge0 mismatch(es)" in err


def test_wait_disabled_is_fine_but_callbacks_disabled_is_not_when_we_use_them(judge0, settings):
    judge0.config.update(enable_wait_result=False)
    ok, out, _ = run_check()
    assert ok and "wait=true is disabled" in out

    settings.JUDGE0_CALLBACK_SECRET = "s"
    settings.JUDGE0_CALLBACK_BASE_URL = "https://codementor.example"
    judge0.config.update(enable_callbacks=False)
    ok, _, err = run_check()
    assert not ok and "callbacks are configured here but disabled" in err


def test_an_unreachable_or_unauthorized_judge0_fails_the_check(judge0, settings):
    settings.JUDGE0_AUTH_TOKEN = "wrong"
    ok, _, err = run_check()
    assert not ok and "401" in err
    settings.JUDGE0_URL = ""
    with pytest.raises(CommandError, match="set JUDGE0_URL"):
        call_command("judge0_check", stdout=StringIO(), stderr=StringIO())

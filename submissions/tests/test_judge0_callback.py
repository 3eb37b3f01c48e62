"""The signed Judge0 callback endpoint, and the executor finishing through it."""

import base64
import json

import pytest
from django.core.cache import cache
from django.urls import reverse

from submissions.executors.base import Verdict
from submissions.executors.judge0 import Judge0Executor, callback_cache_key, callback_signature, callback_url
from submissions.tests import test_judge0 as _judge0_fixtures
from submissions.tests.test_judge0 import ADD, stdio_job

# The stand-in fixtures of test_judge0 (one server per module).
standin = _judge0_fixtures.standin
judge0 = _judge0_fixtures.judge0

SECRET = "callback-secret-for-tests"


def judge0_body(token, status_id=3, stdout="3\n"):
    return {
        "token": token,
        "time": "0.011",
        "memory": 3100,
        "stdout": base64.encodebytes(stdout.encode()).decode(),
        "stderr": None,
        "compile_output": None,
        "message": None,
        "status": {"id": status_id, "description": "Accepted"},
    }


@pytest.fixture
def secret(settings):
    settings.JUDGE0_CALLBACK_SECRET = SECRET
    settings.JUDGE0_CALLBACK_BASE_URL = "http://testserver"
    return SECRET


def put(client, nonce, signature, body):
    url = reverse("submissions:judge0_callback", args=[nonce, signature])
    return client.put(url, data=json.dumps(body), content_type="application/json")


def test_bad_signature_is_refused_and_nothing_is_stored(client, secret):
    response = put(client, "nonce-1", "0" * 64, judge0_body("tok-1"))
    assert response.status_code == 403
    assert cache.get(callback_cache_key("tok-1")) is None


def test_no_secret_configured_refuses_everything(client, settings):
    settings.JUDGE0_CALLBACK_SECRET = ""
    # Even the signature of an empty secret must not open the endpoint.
    import hashlib
    import hmac

    signature = hmac.new(b"", b"nonce-1", hashlib.sha256).hexdigest()
    assert put(client, "nonce-1", signature, judge0_body("tok-1")).status_code == 403


def test_good_signature_stores_the_result_for_that_run_only(client, secret):
    response = put(client, "nonce-A", callback_signature("nonce-A"), judge0_body("tok-2"))
    assert response.status_code == 200
    stored = cache.get(callback_cache_key("tok-2"))
    assert stored["nonce"] == "nonce-A" and stored["body"]["token"] == "tok-2"

    # The poller trusts it only for the run that handed out nonce-A.
    assert Judge0Executor._callback_results(cache, ["tok-2"], "nonce-B") == {}
    found = Judge0Executor._callback_results(cache, ["tok-2"], "nonce-A")
    assert found["tok-2"].status_id == 3 and found["tok-2"].stdout == "3\n" and found["tok-2"].time_ms == 11

    # Judge0 retries after client timeouts: storing again is harmless.
    assert put(client, "nonce-A", callback_signature("nonce-A"), judge0_body("tok-2")).status_code == 200


def test_malformed_bodies_are_rejected(client, secret):
    sig = callback_signature("n")
    url = reverse("submissions:judge0_callback", args=["n", sig])
    assert client.put(url, data="{not json", content_type="application/json").status_code == 400
    assert put(client, "n", sig, {"token": "t"}).status_code == 400  # no status
    assert client.get(url).status_code == 405


def test_callback_url_is_signed_and_absent_without_configuration(settings, secret):
    url = callback_url("abc")
    assert url == f"http://testserver/submissions/judge0/callback/abc/{callback_signature('abc')}/"
    settings.JUDGE0_CALLBACK_BASE_URL = ""
    assert callback_url("abc") is None


@pytest.mark.django_db(transaction=True)
def test_executor_finishes_from_the_callback_when_polls_never_complete(judge0, live_server, settings):
    settings.JUDGE0_CALLBACK_SECRET = SECRET
    settings.JUDGE0_CALLBACK_BASE_URL = live_server.url
    judge0.polls_before_done = 10**6  # polling alone would never see a final status

    report = Judge0Executor(poll_deadline=20).run(stdio_job(ADD, [("1 2", "3"), ("2 2", "5")]))

    assert [t.verdict for t in report.tests] == [Verdict.ACCEPTED, Verdict.WRONG_ANSWER]
    assert report.tests[0].actual == "3\n"
    stats = judge0.snapshot()
    assert stats["callbacks_sent"] == 1 == report.executions  # one submission for both tests
    assert report.http_requests == stats["requests"]
    assert all(sub.callback_url.startswith(live_server.url) for sub in judge0.submissions.values())

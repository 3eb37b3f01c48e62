"""The real google-genai SDK against the Gemini stand-in: tool loop, ledger, context cache,
retries and fallback."""

import json
import os
import subprocess
import sys
from decimal import Decimal

import pytest
from django.db import connection

from accounts.tests.factories import UserFactory
from costs.models import ApiCall
from costs.tests.factories import ApiCallFactory
from mentor import services
from mentor.models import ContextCache, Layer
from submissions.models import Submission

from .conftest import SUM_WRONG, make_sum_problem

FLASH = {"in": Decimal("0.30"), "cached": Decimal("0.03"), "out": Decimal("2.50")}
M = Decimal(1_000_000)


def expected_cost(usage: dict, prices=FLASH) -> Decimal:
    prompt, cached = usage["promptTokenCount"], usage.get("cachedContentTokenCount", 0)
    out = usage["candidatesTokenCount"] + usage.get("thoughtsTokenCount", 0)
    total = (prompt - cached) * prices["in"] / M + cached * prices["cached"] / M + out * prices["out"] / M
    return total.quantize(Decimal("0.00000001"))


def generate_rows(reference: str):
    return list(ApiCall.objects.filter(reference=reference, operation="generate").order_by("id"))


@pytest.mark.django_db
def test_two_round_tool_loop_runs_the_tool_and_writes_one_ledger_row_per_call(gemini, judge0, settings):
    user = UserFactory()
    problem = make_sum_problem()
    conversation = services.start_conversation(user=user, problem=problem)
    gemini.script(
        settings.MENTOR_STRONG_MODEL,
        [
            {
                "calls": [
                    {
                        "name": "analyze_code_submission",
                        "args": {"problem_slug": problem.slug, "code": SUM_WRONG, "language": "python"},
                    }
                ]
            },
            {"text": "Your code multiplies; the samples expect a sum. Check the operator."},
        ],
    )

    reply = services.ask(
        user=user, conversation=conversation, text="Why does my code fail?", code=SUM_WRONG, language="python"
    )

    assert reply.layer == Layer.MODEL and reply.model == settings.MENTOR_STRONG_MODEL
    assert reply.text.startswith("Your code multiplies")
    assert reply.tools_used == ["analyze_code_submission"]
    # The tool really ran the code on the samples through the pipeline (run mode).
    run = Submission.objects.get(user=user, mode="run")
    assert run.verdict == "wrong_answer"
    assert judge0.snapshot()["executions"] >= 1

    generates = gemini.calls("generateContent")
    assert len(generates) == 2
    first_call = generates[0]["parts"][0]["functionCall"]
    second_contents = generates[1]["body"]["contents"]
    model_turn = second_contents[-2]
    assert model_turn["role"] == "model"
    assert (
        model_turn["parts"][0].get("thoughtSignature", model_turn["parts"][0].get("thought_signature"))
        == "c2lnbmF0dXJl"
    )  # appended verbatim
    response_part = second_contents[-1]["parts"][0]
    fr = response_part.get("functionResponse") or response_part.get("function_response")
    assert fr["id"] == first_call["id"] and fr["name"] == "analyze_code_submission"
    assert fr["response"]["result"]["verdict"] == "wrong_answer"
    assert fr["response"]["result"]["samples_passed"] == 0
    for request in generates:  # AFC off means no +afc in the client header; cache means no tools resent
        assert "cachedContent" in request["body"]
        assert not {"tools", "systemInstruction", "toolConfig", "system_instruction"} & set(request["body"])

    rows = generate_rows(f"message:{reply.pk - 1}")
    assert len(rows) == 2
    for row, request in zip(rows, generates):
        assert row.status == "ok" and row.model == settings.MENTOR_STRONG_MODEL
        assert row.cost_usd == expected_cost(request["usage"])
        assert row.cached_tokens == request["usage"]["cachedContentTokenCount"] > 0
    turn_rows = ApiCall.objects.filter(reference=f"message:{reply.pk - 1}")
    assert reply.cost_usd == sum(r.cost_usd for r in turn_rows)
    assert reply.api_calls == 2


@pytest.mark.django_db
def test_loop_stops_after_four_rounds(gemini, settings):
    user = UserFactory()
    conversation = services.start_conversation(user=user)
    gemini.script("*", [{"calls": [{"name": "track_user_progress", "args": {}}]}] * 6)
    reply = services.ask(user=user, conversation=conversation, text="Please review my approach step by step")
    assert len(gemini.calls("generateContent")) == settings.MENTOR_MAX_TOOL_ROUNDS == 4
    assert reply.api_calls == 4
    assert len(generate_rows(f"message:{reply.pk - 1}")) == 4


@pytest.mark.django_db
def test_below_minimum_size_no_cache_and_prefix_sent_normally(gemini, settings):
    settings.MENTOR_CACHE_MIN_TOKENS = 100_000
    user = UserFactory()
    conversation = services.start_conversation(user=user)
    services.ask(user=user, conversation=conversation, text="What is a stack?")
    assert gemini.calls("cache.create") == []
    assert len(gemini.calls("countTokens")) == 1
    body = gemini.calls("generateContent")[0]["body"]
    assert "cachedContent" not in body
    assert {"tools", "systemInstruction", "toolConfig"} <= set(body)
    assert ContextCache.objects.count() == 0


@pytest.mark.django_db
def test_server_says_too_small_means_no_cache_and_no_retry(gemini, settings):
    gemini.min_cache_tokens = 1_000_000  # our minimum passes, the API's 400 decides
    user = UserFactory()
    conversation = services.start_conversation(user=user)
    services.ask(user=user, conversation=conversation, text="What is a stack?")
    services.ask(user=user, conversation=services.start_conversation(user=user), text="What is a queue?")
    assert len(gemini.calls("cache.create")) == 1
    failed = ApiCall.objects.get(operation="cache_create")
    assert failed.status == "error" and "minimum token count" in failed.error and failed.cost_usd == 0
    assert all("cachedContent" not in r["body"] for r in gemini.calls("generateContent"))


@pytest.mark.django_db
def test_not_worth_caching_without_expected_reads(gemini, settings):
    settings.MENTOR_CACHE_EXPECTED_READS_PER_HOUR = 0.0  # and no traffic in the ledger yet
    user = UserFactory()
    services.ask(user=user, conversation=services.start_conversation(user=user), text="What is a heap?")
    assert gemini.calls("cache.create") == []


@pytest.mark.django_db
def test_cache_hits_in_the_ledger_are_not_counted_as_expected_reads(gemini, settings):
    # Response-cache hits carry the model's name but never read a context cache.
    settings.MENTOR_CACHE_EXPECTED_READS_PER_HOUR = 0.0
    for model in (settings.MENTOR_CHEAP_MODEL, settings.MENTOR_STRONG_MODEL):
        ApiCallFactory.create_batch(200, model=model, cache_layer="response", cost_usd=Decimal(0))
    user = UserFactory()
    services.ask(user=user, conversation=services.start_conversation(user=user), text="What is a heap?")
    assert gemini.calls("cache.create") == []
    assert gemini.calls("generateContent"), "the model still answered"


@pytest.mark.django_db
def test_cache_creation_is_a_ledger_row_with_write_and_storage(gemini, settings):
    user = UserFactory()
    services.ask(user=user, conversation=services.start_conversation(user=user), text="What is a trie?")
    created = gemini.calls("cache.create")
    assert len(created) == 1
    row = ApiCall.objects.get(operation="cache_create")
    tokens = created[0]["tokens"]
    hours = Decimal(settings.MENTOR_CACHE_TTL_SECONDS) / 3600
    assert row.cache_write_tokens == tokens
    assert row.storage_token_hours == (tokens * hours).quantize(Decimal("0.0001"))
    lite_in, storage = Decimal("0.10") / M, Decimal("1.00") / M
    assert row.cost_usd == (tokens * lite_in + row.storage_token_hours * storage).quantize(Decimal("0.00000001"))


@pytest.mark.django_db
def test_expired_cache_is_recreated_once(gemini, settings):
    user = UserFactory()
    services.ask(user=user, conversation=services.start_conversation(user=user), text="What is a graph?")
    first = ContextCache.objects.get()
    gemini.expire_cache(first.name)
    reply = services.ask(user=user, conversation=services.start_conversation(user=user), text="What is a tree?")
    assert reply.layer == Layer.MODEL
    assert len(gemini.calls("cache.create")) == 2
    names = [r["body"]["cachedContent"] for r in gemini.calls("generateContent")]
    second = ContextCache.objects.get()
    assert second.name != first.name
    assert names == [first.name, first.name, second.name]
    rows = generate_rows(f"message:{reply.pk - 1}")
    assert [r.status for r in rows] == ["error", "ok"]
    assert rows[0].error.startswith("404")


@pytest.mark.django_db(transaction=True)
def test_cache_created_once_and_shared_with_another_process(gemini, settings):
    user = UserFactory()
    services.ask(user=user, conversation=services.start_conversation(user=user), text="What is recursion?")
    assert len(gemini.calls("cache.create")) == 1
    name = ContextCache.objects.get().name
    other = services.start_conversation(user=user)
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "codementor.settings_test",
        "TEST_DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "TEST_REDIS_URL": settings.REDIS_URL,
        "GEMINI_API_KEY": "test-key",
        "GEMINI_BASE_URL": gemini.url,
        "MENTOR_CACHE_MIN_TOKENS": "1024",
        "MENTOR_CACHE_EXPECTED_READS_PER_HOUR": "100",
        "NO_PROXY": "127.0.0.1,localhost",
    }
    code = (
        "import django, json; django.setup()\n"
        "from django.contrib.auth import get_user_model\n"
        "from mentor import services\nfrom mentor.models import Conversation\n"
        f"u = get_user_model().objects.get(pk={user.pk})\n"
        f"r = services.ask(user=u, conversation=Conversation.objects.get(pk={other.pk}), text='What is a deque?')\n"
        "print(json.dumps({'layer': r.layer, 'model': r.model}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120, cwd=settings.BASE_DIR
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1])["layer"] == "model"
    assert len(gemini.calls("cache.create")) == 1  # the other process reused it
    last = gemini.calls("generateContent")[-1]["body"]
    assert last["cachedContent"] == name
    assert not {"tools", "systemInstruction", "toolConfig"} & set(last)


@pytest.mark.django_db
def test_sdk_retries_a_503_then_succeeds(gemini):
    gemini.fail_next(1, codes=[503])
    user = UserFactory()
    reply = services.ask(user=user, conversation=services.start_conversation(user=user), text="What is a set?")
    assert reply.layer == Layer.MODEL
    statuses = [r.get("status") for r in gemini.calls("generateContent")]
    assert statuses == [503, 200]
    # The SDK's retry is its own HTTP call, so it is its own (error, cost 0) ledger row.
    rows = generate_rows(f"message:{reply.pk - 1}")
    assert [(r.status, r.error) for r in rows] == [("error", "HTTP 503, retried by the SDK"), ("ok", "")]
    assert rows[0].cost_usd == 0 and reply.api_calls == 2


@pytest.mark.django_db
def test_persistent_429_falls_back_to_offline_answer_and_ledger_has_error(gemini, settings):
    gemini.fail_next(10, codes=[429, 503])
    user = UserFactory()
    reply = services.ask(user=user, conversation=services.start_conversation(user=user), text="What is binary search?")
    assert reply.layer == Layer.FALLBACK
    assert "Offline mentor" in reply.text and "busy" in reply.text
    assert "Binary search" in reply.text  # the playbook hint
    assert len(gemini.calls("generateContent")) == settings.GEMINI_RETRY_ATTEMPTS
    rows = generate_rows(f"message:{reply.pk - 1}")  # one row per HTTP attempt
    assert [r.status for r in rows] == ["error"] * settings.GEMINI_RETRY_ATTEMPTS
    assert all(r.cost_usd == 0 for r in rows)
    assert rows[0].error == "HTTP 429, retried by the SDK" and rows[-1].error.startswith("429")


@pytest.mark.django_db
def test_timeout_falls_back(gemini, settings):
    settings.GEMINI_TIMEOUT_MS = 300
    settings.GEMINI_RETRY_ATTEMPTS = 2
    gemini.hang(1.0, count=2)
    user = UserFactory()
    reply = services.ask(user=user, conversation=services.start_conversation(user=user), text="What is a queue?")
    assert reply.layer == Layer.FALLBACK
    # The stand-in saw every attempt the SDK made; the ledger has a row for each of them.
    attempts = gemini.calls("generateContent")
    assert len(attempts) == settings.GEMINI_RETRY_ATTEMPTS == 2
    rows = generate_rows(f"message:{reply.pk - 1}")
    assert [r.status for r in rows] == ["error"] * len(attempts)
    assert rows[0].error == "no response (timeout or connection error), retried by the SDK"
    assert "Timeout" in rows[-1].error and rows[-1].latency_ms >= 250
    assert all(r.cost_usd == 0 for r in rows)


@pytest.mark.django_db
def test_budget_stop_refuses_the_paid_call_and_answers_offline(gemini):
    from costs.models import Budget

    Budget.objects.create(name="zero", scope="global", period="day", amount_usd=Decimal("0"), hard_stop=True)
    user = UserFactory()
    reply = services.ask(user=user, conversation=services.start_conversation(user=user), text="What is a map?")
    assert reply.layer == Layer.FALLBACK and "budget" in reply.route_reason
    assert gemini.requests == []  # not even a paid cache creation
    assert [r.status for r in generate_rows(f"message:{reply.pk - 1}")] == ["refused"]


@pytest.mark.django_db
def test_cache_ttl_is_extended_while_in_use_and_the_storage_is_in_the_ledger(gemini, settings):
    from datetime import timedelta

    from django.core.cache import cache
    from django.utils import timezone

    from mentor.context_cache import _redis_key, cache_key

    settings.MENTOR_CACHE_TTL_SECONDS = 600
    user = UserFactory()
    services.ask(user=user, conversation=services.start_conversation(user=user), text="What is a graph?")
    row = ContextCache.objects.get()
    # Time passes: only 100 s of the 600 s TTL are left.
    soon = timezone.now() + timedelta(seconds=100)
    ContextCache.objects.filter(pk=row.pk).update(expire_time=soon)
    cache.set(
        _redis_key(cache_key(row.model)),
        {"name": row.name, "expire": soon.isoformat(), "tokens": row.tokens},
        timeout=100,
    )
    services.ask(user=user, conversation=services.start_conversation(user=user), text="What is a tree?")
    patches = gemini.calls("cache.PATCH")
    assert len(patches) == 1 and patches[0]["body"]["ttl"] == "600s"
    extend = ApiCall.objects.get(operation="cache_extend")
    expected = Decimal(row.tokens) * 500 / 3600
    assert abs(extend.storage_token_hours - expected) < Decimal(row.tokens) * 5 / 3600  # within 5 s
    assert extend.cost_usd > 0 and extend.cache_write_tokens == 0
    services.ask(user=user, conversation=services.start_conversation(user=user), text="What is a heap?")
    assert len(gemini.calls("cache.PATCH")) == 1  # a full TTL is left again
    assert ContextCache.objects.get().expire_time > timezone.now() + timedelta(seconds=500)


def test_standin_accepts_snake_case_and_rejects_tools_with_cached_content(gemini_server):
    import requests

    gemini_server.reset()
    base = f"{gemini_server.url}/v1"
    headers = {"x-goog-api-key": "k"}
    small = requests.post(
        f"{base}/cachedContents",
        headers=headers,
        timeout=5,
        json={"model": "models/m", "system_instruction": {"parts": [{"text": "tiny"}]}},
    )
    assert small.status_code == 400 and "minimum token count" in small.json()["error"]["message"]
    created = requests.post(
        f"{base}/cachedContents",
        headers=headers,
        timeout=5,
        json={"model": "models/m", "contents": [{"role": "user", "parts": [{"text": "x" * 4000}]}], "ttl": "60s"},
    )
    name = created.json()["name"]
    both = requests.post(
        f"{base}/models/m:generateContent",
        headers=headers,
        timeout=5,
        json={
            "contents": [{"role": "user", "parts": [{"text": "hi"}]}],
            "cached_content": name,
            "system_instruction": {"parts": [{"text": "be brief"}]},
        },
    )
    assert both.status_code == 400
    ok = requests.post(
        f"{base}/models/m:generateContent",
        headers=headers,
        timeout=5,
        json={
            "contents": [{"role": "user", "parts": [{"text": "hi"}]}],
            "cached_content": name,
            "generation_config": {"thinking_config": {"thinking_budget": 0}},
        },
    )
    usage = ok.json()["usageMetadata"]
    assert ok.status_code == 200 and usage["cachedContentTokenCount"] == 1000
    assert usage["promptTokenCount"] == 1001
    other_model = requests.post(
        f"{base}/models/other:generateContent",
        headers=headers,
        timeout=5,
        json={"contents": [{"role": "user", "parts": [{"text": "hi"}]}], "cachedContent": name},
    )
    assert other_model.status_code == 400
    assert requests.get(f"{base}/cachedContents/nope", headers=headers, timeout=5).status_code == 404
    assert requests.delete(f"{base}/{name}", headers=headers, timeout=5).json() == {}
    assert requests.get(f"{base}/{name}", headers=headers, timeout=5).status_code == 404


@pytest.mark.django_db
def test_unreachable_gemini_falls_back_and_records_the_error(gemini, settings):
    settings.GEMINI_BASE_URL = "http://127.0.0.1:9"  # nothing listens: transport error after retries
    settings.GEMINI_TIMEOUT_MS = 500
    user = UserFactory()
    reply = services.ask(user=user, conversation=services.start_conversation(user=user), text="What is a trie?")
    assert reply.layer == Layer.FALLBACK and "Offline mentor" in reply.text
    rows = ApiCall.objects.filter(reference=f"message:{reply.pk - 1}")
    assert {r.status for r in rows} == {"error"}
    # Every attempt was refused before any response; the SDK made GEMINI_RETRY_ATTEMPTS of them
    # and each is its own ledger row.
    generates = list(rows.filter(operation="generate").order_by("id"))
    assert len(generates) == settings.GEMINI_RETRY_ATTEMPTS == 3
    assert [r.error for r in generates[:-1]] == ["no response (timeout or connection error), retried by the SDK"] * 2
    assert generates[-1].error.startswith("ConnectError") and reply.api_calls == 3


@pytest.mark.django_db
def test_empty_model_answer_becomes_a_polite_reply(gemini):
    gemini.script("*", [{"text": ""}])
    user = UserFactory()
    reply = services.ask(user=user, conversation=services.start_conversation(user=user), text="What is a set?")
    assert reply.layer == Layer.MODEL and reply.text.startswith("I could not answer that one")

"""Pattern responder, response cache (never personal), router, history pruning, quotas."""

import pytest

from accounts.tests.factories import UserFactory
from codementor.api_errors import QuotaExceeded
from costs.models import ApiCall
from mentor import services
from mentor.models import Layer
from mentor.router import route
from problems.tests.factories import ProblemFactory


def ask(user, text, conversation=None, **kw):
    conversation = conversation or services.start_conversation(user=user)
    return services.ask(user=user, conversation=conversation, text=text, **kw)


@pytest.mark.django_db
@pytest.mark.parametrize("text", ["Hi", "hello!", "Thanks!", "thank you", "ok", "Done.", "got it"])
def test_pattern_responder_answers_without_any_http_call(gemini, text):
    user = UserFactory()
    reply = ask(user, text)
    assert reply.layer == Layer.PATTERN and reply.text
    assert gemini.requests == []
    row = ApiCall.objects.get(reference=f"message:{reply.pk - 1}")
    assert row.cache_layer == "pattern" and row.cost_usd == 0 and row.baseline_cost_usd > 0


@pytest.mark.django_db
def test_pattern_responder_ignores_real_questions(gemini):
    reply = ask(UserFactory(), "hi, what is a hash map?")
    assert reply.layer == Layer.MODEL


@pytest.mark.django_db
def test_response_cache_serves_public_question_to_another_student_without_http(gemini, settings):
    problem = ProblemFactory(slug="two-sum-public")
    a, b = UserFactory(), UserFactory()
    first = ask(a, "What is a hash map?", services.start_conversation(user=a, problem=problem))
    calls = len(gemini.calls("generateContent"))
    second = ask(b, "what is a  HASH map?", services.start_conversation(user=b, problem=problem))
    assert first.layer == Layer.MODEL and second.layer == Layer.RESPONSE_CACHE
    assert second.text == first.text
    assert len(gemini.calls("generateContent")) == calls
    row = ApiCall.objects.get(reference=f"message:{second.pk - 1}")
    assert row.cache_layer == "response" and row.cost_usd == 0
    # Another problem is another key.
    third = ask(b, "What is a hash map?", services.start_conversation(user=b))
    assert third.layer == Layer.MODEL


@pytest.mark.django_db
@pytest.mark.parametrize(
    "text,kwargs",
    [
        ("Why does my code fail on the second sample?", {}),
        ("What is a hash map?", {"code": "def f():\n    return 1\n", "language": "python"}),
        ("How is my progress going?", {}),
        ("What should I solve next?", {}),
    ],
)
def test_personal_questions_are_never_served_from_another_students_answer(gemini, text, kwargs):
    a, b = UserFactory(), UserFactory()
    ask(a, text, **kwargs)
    calls = len(gemini.calls("generateContent"))
    reply = ask(b, text, **kwargs)
    assert reply.layer == Layer.MODEL
    assert len(gemini.calls("generateContent")) > calls


@pytest.mark.django_db
def test_answers_built_from_tool_results_are_not_shared(gemini):
    a, b = UserFactory(), UserFactory()
    gemini.script("*", [{"calls": [{"name": "track_user_progress", "args": {}}]}, {"text": "You solved 0."}])
    ask(a, "What is dynamic programming?")
    calls = len(gemini.calls("generateContent"))
    reply = ask(b, "What is dynamic programming?")
    assert reply.layer == Layer.MODEL and len(gemini.calls("generateContent")) > calls


@pytest.mark.django_db
def test_follow_up_questions_with_history_skip_the_response_cache(gemini):
    a, b = UserFactory(), UserFactory()
    ask(b, "What is a stack?")
    conversation = services.start_conversation(user=a)
    ask(a, "What is a queue?", conversation)
    reply = ask(a, "What is a stack?", conversation)  # has history now: personal context
    assert reply.layer == Layer.MODEL


def test_router_rules(settings):
    cheap, strong = settings.MENTOR_CHEAP_MODEL, settings.MENTOR_STRONG_MODEL
    assert route(text="What is a hash map?").model == cheap
    r = route(text="Look at this", code="print(1)")
    assert r.model == strong and r.reason.startswith("code analysis")
    assert route(text="Why does my solution get wrong answer?").model == strong
    assert route(text="Explain " + "very " * 80 + "long").reason.startswith("multi-step")
    assert route(text="hash map?").thinking_budget == settings.MENTOR_CHEAP_THINKING_BUDGET
    assert route(text="debug this", code="x").thinking_budget == settings.MENTOR_STRONG_THINKING_BUDGET


@pytest.mark.django_db
def test_router_choice_reason_and_thinking_budget_reach_the_request(gemini, settings):
    user = UserFactory()
    cheap = ask(user, "What is a heap?")
    strong = ask(user, "Can you explain step by step how to optimize a BFS?")
    assert cheap.model == settings.MENTOR_CHEAP_MODEL and cheap.route_reason == "short conceptual question"
    assert strong.model == settings.MENTOR_STRONG_MODEL and strong.route_reason.startswith("multi-step")
    requests = gemini.calls("generateContent")
    assert [r["model"] for r in requests] == [settings.MENTOR_CHEAP_MODEL, settings.MENTOR_STRONG_MODEL]

    def budget(r):
        thinking = r["body"]["generationConfig"]["thinkingConfig"]
        return thinking.get("thinkingBudget", thinking.get("thinking_budget"))

    assert [budget(r) for r in requests] == [0, settings.MENTOR_STRONG_THINKING_BUDGET]
    # Routed turns show savings against the strong model in the ledger.
    row = ApiCall.objects.get(reference=f"message:{cheap.pk - 1}", operation="generate")
    assert row.baseline_model == settings.MENTOR_STRONG_MODEL and row.baseline_cost_usd > row.cost_usd


@pytest.mark.django_db
def test_history_is_pruned_to_recent_turns_plus_summary(gemini, settings):
    settings.MENTOR_HISTORY_TURNS = 2
    user = UserFactory()
    conversation = services.start_conversation(user=user)
    for i in range(6):
        ask(user, f"Question number {i} about graphs and BFS", conversation)
    body = gemini.calls("generateContent")[-1]["body"]
    contents = body["contents"]
    texts = [p.get("text", "") for c in contents for p in c["parts"]]
    assert len(contents) == 2 * 2 + 1  # two earlier exchanges + the question
    assert not any("Question number 0" in t and "Earlier" not in t for t in texts[:-1])
    conversation.refresh_from_db()
    assert "Question number 0" in conversation.summary
    assert "Earlier in this conversation" in contents[-1]["parts"][0]["text"]


@pytest.mark.django_db
def test_history_respects_the_input_token_cap(gemini, settings):
    settings.MENTOR_MAX_INPUT_TOKENS = 300
    user = UserFactory()
    conversation = services.start_conversation(user=user)
    for i in range(3):
        ask(user, f"Long question {i}: " + "words " * 150, conversation)
    contents = gemini.calls("generateContent")[-1]["body"]["contents"]
    assert len(contents) == 1  # earlier turns did not fit the cap


@pytest.mark.django_db
def test_per_minute_rate_and_daily_quota_have_distinct_messages(offline, settings):
    settings.MENTOR_MESSAGES_PER_MINUTE = 2
    user = UserFactory()
    ask(user, "hi")
    ask(user, "thanks")
    with pytest.raises(QuotaExceeded) as slow:
        ask(user, "ok")
    assert "slow down" in slow.value.message.lower() and int(slow.value.headers["Retry-After"]) <= 60

    settings.MENTOR_MESSAGES_PER_MINUTE = 100
    settings.MENTOR_DAILY_MESSAGE_QUOTA = 3
    ask(user, "ok")
    with pytest.raises(QuotaExceeded) as daily:
        ask(user, "ok")
    assert "daily limit reached" in daily.value.message.lower()
    assert int(daily.value.headers["Retry-After"]) > 0
    ask(UserFactory(), "hi")  # other students are not affected

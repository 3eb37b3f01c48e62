"""Mentor cost benchmark: the same scripted workload, naive vs optimized, in one run.

Both paths go through mentor.services.ask with the real google-genai SDK against the
Gemini stand-in (realistic token counts: ~4 chars/token, fixed answer and thinking
lengths) and run the same tools (code reviews execute on the Judge0 stand-in through the
submissions pipeline). Costs are the ledger's Gemini rows (seeded list prices).

naive:      one strong model for every turn, thinking on (budget 1024), no pattern
            responder, no response cache, no context cache, full history every turn.
optimized:  the shipped settings: pattern responder, response cache, router (cheap model,
            thinking off, for short conceptual turns), explicit context cache, pruned history.

    .venv/bin/python bench/mentor.py [--students 40] [--turns 10] [--seed 7]
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/cm_mentor_bench (default)
    BENCH_REDIS_URL=redis://127.0.0.1:6379/7 (default; keys prefixed "mentorbench")
"""

import argparse
import os
import random
import statistics
import sys
import time
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
DB_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cm_mentor_bench")
os.environ["DATABASE_URL"] = DB_URL
os.environ["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/7")
os.environ["CACHE_KEY_PREFIX"] = "mentorbench"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "codementor.settings")
os.environ.setdefault("DEBUG", "true")
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
os.environ["NO_PROXY"] = "127.0.0.1,localhost"

import django  # noqa: E402

GREETINGS = ["hi", "hello", "thanks!", "thank you", "ok", "got it", "hey there", "done"]
CONCEPTS = [
    "What is a hash map?",
    "When should I use BFS instead of DFS?",
    "What is dynamic programming?",
    "How does binary search work?",
    "What is a sliding window?",
    "Explain big O notation.",
    "What is a heap used for?",
    "What is the two pointers technique?",
    "What is memoization?",
    "What is a stack?",
    "How do I detect a cycle in a linked list?",
    "What is a greedy algorithm?",
]
NEXT = ["What should I solve next?", "Can you recommend my next problem?"]
PROGRESS = ["How is my progress?", "What are my weakest topics and my streak?"]
REVIEW = ["Why does my code fail?", "Can you review my code?", "Is my solution too slow?"]
CODES = [
    "a, b = map(int, input().split())\nprint(a * b)\n",
    "a, b = map(int, input().split())\nprint(a + b)\n",
    "a, b = map(int, input().split())\ns = 0\nfor i in range(a):\n    for j in range(b):\n"
    "        s += 0\nprint(a + b)\n",
]
MIX = [("greeting", 0.25), ("concept", 0.35), ("review", 0.22), ("next", 0.10), ("progress", 0.08)]


def ensure_database(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else 0


def workload(students: int, turns: int, seed: int) -> list[list[tuple[str, str, str | None]]]:
    rng = random.Random(seed)
    kinds, weights = zip(*MIX)
    scripts = []
    for _ in range(students):
        script = []
        for _ in range(turns):
            kind = rng.choices(kinds, weights)[0]
            if kind == "greeting":
                script.append((kind, rng.choice(GREETINGS), None))
            elif kind == "concept":
                # Popular questions repeat across students (a few are asked far more often).
                script.append((kind, CONCEPTS[min(int(rng.expovariate(0.35)), len(CONCEPTS) - 1)], None))
            elif kind == "review":
                script.append((kind, rng.choice(REVIEW), rng.choice(CODES)))
            elif kind == "next":
                script.append((kind, rng.choice(NEXT), None))
            else:
                script.append((kind, rng.choice(PROGRESS), None))
        scripts.append(script)
    return scripts


def run(mode: str, scripts, problem, gemini, settings) -> dict:
    from django.core.cache import cache
    from django.db.models import Count, Sum

    from accounts.tests.factories import UserFactory
    from costs.models import ApiCall
    from mentor import services
    from mentor.models import Message
    from mentor.providers import gemini as gemini_provider

    cache.clear()
    gemini.reset()
    gemini_provider._clients.clear()
    if mode == "naive":
        overrides = {
            "MENTOR_CHEAP_LAYERS": False,
            "MENTOR_CONTEXT_CACHE": False,
            "MENTOR_CHEAP_MODEL": settings.MENTOR_STRONG_MODEL,
            "MENTOR_CHEAP_THINKING_BUDGET": 1024,
            "MENTOR_STRONG_THINKING_BUDGET": 1024,
            "MENTOR_HISTORY_TURNS": 1000,
            "MENTOR_MAX_INPUT_TOKENS": 10**9,
        }
    else:
        overrides = {}
    saved = {k: getattr(settings, k) for k in overrides}
    for k, v in overrides.items():
        setattr(settings, k, v)
    started_at = time.time()
    latencies = defaultdict(list)
    layers = Counter()
    tools_per_turn = []  # (kind, tools the turn called), in script order: the quality check
    wall = time.monotonic()
    try:
        for n, script in enumerate(scripts):
            user = UserFactory(username=f"{mode}-student-{n}")
            conversation = services.start_conversation(user=user, problem=problem)
            for kind, text, code in script:
                t0 = time.monotonic()
                reply = services.ask(
                    user=user, conversation=conversation, text=text, code=code, language="python" if code else None
                )
                ms = (time.monotonic() - t0) * 1000
                layers[reply.layer] += 1
                tools_per_turn.append((kind, tuple(sorted(_tool_names(reply.tools_used)))))
                latencies[reply.layer if not reply.tools_used else f"{reply.layer}+tools"].append(ms)
    finally:
        for k, v in saved.items():
            setattr(settings, k, v)
    wall = time.monotonic() - wall
    from datetime import UTC, datetime

    from django.utils import timezone

    since = datetime.fromtimestamp(started_at, UTC)
    rows = ApiCall.objects.filter(provider="gemini", created_at__gte=since, created_at__lte=timezone.now())
    agg = rows.aggregate(cost=Sum("cost_usd"), n=Count("id"))
    by_op = dict(rows.filter(cache_layer="none").values_list("operation").annotate(c=Count("id")))
    turns = sum(len(s) for s in scripts)
    tokens = Message.objects.filter(conversation__user__username__startswith=f"{mode}-", role="mentor").aggregate(
        i=Sum("input_tokens"), c=Sum("cached_tokens"), o=Sum("output_tokens"), t=Sum("thinking_tokens")
    )
    http = len(gemini.requests)
    return {
        "mode": mode,
        "turns": turns,
        "cost": agg["cost"] or Decimal(0),
        "http": http,
        "by_op": by_op,
        "layers": dict(layers),
        "latencies": latencies,
        "tokens": tokens,
        "wall": wall,
        "tools_per_turn": tools_per_turn,
    }


def _tool_names(tools_used) -> list[str]:
    return [t["name"] if isinstance(t, dict) else str(t) for t in tools_used or []]


def compare_tool_use(naive: dict, optimized: dict) -> None:
    """Quality check: the optimized path must call the same tools on the same turns as the
    naive one (the cheap layers may only take turns that need no tool)."""
    pairs = list(zip(naive["tools_per_turn"], optimized["tools_per_turn"]))
    same = sum(1 for a, b in pairs if a == b)
    with_tools = sum(1 for a, _ in pairs if a[1])
    print(
        f"\ntool use, turn by turn: identical in {same} of {len(pairs)} turns ({with_tools} naive turns called a tool)"
    )
    differing = Counter((a[0], a[1], b[1]) for a, b in pairs if a != b)
    for (kind, naive_tools, opt_tools), n in differing.most_common():
        print(f"  differs: {n} x {kind}: naive {list(naive_tools)} vs optimized {list(opt_tools)}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--turns", type=int, default=10)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    ensure_database(DB_URL)
    os.environ["GEMINI_API_KEY"] = "bench-key"
    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from testing.gemini_standin import GeminiStandIn
    from testing.judge0_standin import Judge0StandIn

    call_command("migrate", verbosity=0)
    from costs.models import ApiCall
    from mentor.models import Conversation
    from problems.models import Problem
    from submissions.models import Submission

    ApiCall.objects.all().delete()
    Conversation.objects.all().delete()
    Submission.objects.all().delete()
    from django.contrib.auth import get_user_model

    get_user_model().objects.filter(username__contains="-student-").delete()
    Problem.objects.filter(slug="bench-sum").delete()
    from problems.tests.factories import ProblemFactory, TestCaseFactory

    problem = ProblemFactory(
        slug="bench-sum",
        title="Bench Sum",
        kind="stdio",
        signature={},
        statement="Read two integers a and b and print a + b. " * 8,
    )
    for order, (inp, out) in enumerate([("1 2\n", "3\n"), ("5 7\n", "12\n")]):
        TestCaseFactory(problem=problem, order=order, input=inp, expected_output=out, is_sample=True)

    # A realistic answer is ~180 output tokens; 2.5 Flash with thinking on spends a few hundred more.
    gemini = GeminiStandIn(output_tokens=180, thinking_tokens=800).start()
    judge0 = Judge0StandIn(workers=2).start()
    settings.GEMINI_BASE_URL = gemini.url
    settings.GEMINI_RETRY_INITIAL_DELAY = 0.01
    settings.EXECUTOR_BACKEND, settings.JUDGE0_URL, settings.JUDGE0_CALLBACK_BASE_URL = "judge0", judge0.url, ""
    settings.JUDGE0_POLL_INITIAL, settings.JUDGE0_POLL_MAX_INTERVAL = 0.02, 0.05
    settings.MENTOR_DAILY_MESSAGE_QUOTA = settings.MENTOR_MESSAGES_PER_MINUTE = 10**6
    # Gemini API docs list 1024 tokens as the 2.5 Flash / Flash-Lite minimum; the shipped
    # default (4096) is the conservative value when the model's minimum is unknown.
    settings.MENTOR_CACHE_MIN_TOKENS_BY_MODEL = {settings.MENTOR_STRONG_MODEL: 1024, settings.MENTOR_CHEAP_MODEL: 1024}
    # A site with about one mentor call a minute per model (the ledger's observed rate wins when higher).
    settings.MENTOR_CACHE_EXPECTED_READS_PER_HOUR = 60
    scripts = workload(args.students, args.turns, args.seed)
    results = [run("naive", scripts, problem, gemini, settings), run("optimized", scripts, problem, gemini, settings)]
    gemini.stop()
    judge0.stop()

    print(
        f"workload: {args.students} students x {args.turns} turns = {results[0]['turns']} turns, seed {args.seed}; "
        f"mix {dict(MIX)}"
    )
    for r in results:
        per_1k = r["cost"] / r["turns"] * 1000
        r["per_1k"] = per_1k
        print(
            f"\n[{r['mode']}] cost ${r['cost']:.6f} total, ${per_1k:.4f} per 1,000 turns; "
            f"Gemini HTTP calls {r['http']} ({r['http'] / r['turns']:.2f} per turn) {r['by_op']}"
        )
        print(f"  layers: {r['layers']}")
        t = r["tokens"]
        print(f"  tokens: input {t['i']}, cached {t['c']}, output {t['o']}, thinking {t['t']}; wall {r['wall']:.1f}s")
        for layer, values in sorted(r["latencies"].items()):
            print(
                f"  latency {layer:>22}: n={len(values):4d} p50 {statistics.median(values):7.1f} ms "
                f"p95 {percentile(values, 0.95):7.1f} ms"
            )
    naive, opt = results
    compare_tool_use(naive, opt)
    print(
        f"\ncost reduction: {(1 - opt['per_1k'] / naive['per_1k']) * 100:.1f}% "
        f"(${naive['per_1k']:.4f} -> ${opt['per_1k']:.4f} per 1,000 turns)"
    )


if __name__ == "__main__":
    main()

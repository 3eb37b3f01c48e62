"""The mentor's tools: declarations sent to Gemini and their implementations.

Tools act only as the requesting student: `ToolContext.user` comes from the
authenticated request, never from model-provided arguments, and no tool has a user
parameter. Arguments that try to name a user are refused; problems must be published.
So a prompt injection inside student code can at most make the model call these same
tools for the same student.

analyze_code_submission runs the code on the problem's sample tests through the
submissions pipeline: submit_code(mode="run") and then judge_submission synchronously
in this process (so the result cache and the ledger apply). judge_submission is
idempotent: if a Celery worker picked up the queued task first, we wait for its result.
"""

from __future__ import annotations

import ast
import logging
import re
import time
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

TOOLS_VERSION = "1"
MAX_CODE_CHARS = 20000
RUN_WAIT_SECONDS = 30.0

logger = logging.getLogger(__name__)

DECLARATIONS = [
    {
        "name": "analyze_code_submission",
        "description": (
            "Run the student's code on the problem's sample tests and return the verdict, the first "
            "failing sample and static observations (nested loops, recursion without memo, ...). "
            "Call it whenever the student shares code or asks why their code fails or is slow."
        ),
        "parameters_json_schema": {
            "type": "object",
            "properties": {
                "problem_slug": {"type": "string", "description": "slug of the problem the code solves"},
                "code": {"type": "string", "description": "the student's source code"},
                "language": {"type": "string", "enum": ["python", "javascript", "cpp", "java"]},
            },
            "required": [],
        },
    },
    {
        "name": "get_recommended_problem",
        "description": "The next problem this student should try, with the reason. Takes no arguments.",
        "parameters_json_schema": {"type": "object", "properties": {}},
    },
    {
        "name": "track_user_progress",
        "description": "This student's progress: solved counts, streaks and weakest topics. Takes no arguments.",
        "parameters_json_schema": {"type": "object", "properties": {}},
    },
]
TOOL_NAMES = tuple(d["name"] for d in DECLARATIONS)
_ALLOWED_ARGS = {
    "analyze_code_submission": {"problem_slug", "code", "language"},
    "get_recommended_problem": set(),
    "track_user_progress": set(),
}


@dataclass
class ToolContext:
    """What a tool may act on: the requesting user and this turn's own problem/code."""

    user: object
    problem: object = None  # the conversation's problem, if any
    code: str | None = None
    language: str | None = None
    executor: object = None  # None = the configured executor backend
    calls: list[dict] = field(default_factory=list)  # {"name", "args", "result"} of every call made


class ToolRefused(Exception):
    pass


def run_tool(name: str, args: dict | None, ctx: ToolContext) -> dict:
    """Execute one tool call; never raises (errors become {"error": ...} for the model)."""
    args = dict(args or {})
    try:
        if name not in _ALLOWED_ARGS:
            raise ToolRefused(f"unknown tool {name!r}")
        extra = set(args) - _ALLOWED_ARGS[name]
        if extra:
            # e.g. {"user_id": 7}: tools only ever act for the requesting student.
            raise ToolRefused(f"unsupported arguments {sorted(extra)}; tools act only for the current student")
        if name == "analyze_code_submission":
            result = analyze_code_submission(ctx, **args)
        elif name == "get_recommended_problem":
            result = get_recommended_problem(ctx)
        else:
            result = track_user_progress(ctx)
    except ToolRefused as exc:
        result = {"error": str(exc)}
    except Exception as exc:  # a tool bug must not kill the turn; the model sees a short error
        logger.exception("mentor tool %s failed", name)
        result = {"error": f"tool failed: {exc.__class__.__name__}"}
    ctx.calls.append({"name": name, "args": {k: v for k, v in args.items() if k != "code"}, "result": result})
    return result


# --- analyze_code_submission ----------------------------------------------------------------


def _published_problem(slug: str | None, ctx: ToolContext):
    from problems.models import Problem

    if not slug:
        if ctx.problem is None:
            raise ToolRefused("no problem given: ask the student which problem the code is for")
        return ctx.problem if ctx.problem.is_published else None
    return Problem.objects.filter(slug=slug, is_published=True).first()


def analyze_code_submission(
    ctx: ToolContext, *, problem_slug: str | None = None, code: str | None = None, language: str | None = None
) -> dict:
    problem = _published_problem(problem_slug, ctx)
    if problem is None:
        raise ToolRefused(f"no published problem {problem_slug!r}")
    code = code or ctx.code
    language = (language or ctx.language or "python").lower()
    if not code or not code.strip():
        raise ToolRefused("no code to analyze: ask the student to paste their code")
    code = code[:MAX_CODE_CHARS]
    result = {"problem": problem.slug, "language": language, "observations": static_observations(code, language)}
    result.update(run_samples(ctx, problem=problem, code=code, language=language))
    return result


def run_samples(ctx: ToolContext, *, problem, code: str, language: str) -> dict:
    from submissions.executors.base import RetryableExecutorError
    from submissions.models import Status, Submission
    from submissions.selectors import visible_result
    from submissions.services import judge_submission, submit_code

    try:
        submission = submit_code(user=ctx.user, problem=problem, language=language, code=code, mode="run")
    except ValidationError as exc:
        return {"verdict": "not_run", "error": "; ".join(exc.messages)}
    try:
        judged = judge_submission(submission_id=submission.pk, executor=ctx.executor or _default_executor())
    except RetryableExecutorError:
        judged = None
    if judged is None or judged.status != Status.FINISHED:
        deadline = time.monotonic() + RUN_WAIT_SECONDS
        while time.monotonic() < deadline:
            judged = Submission.objects.get(pk=submission.pk)
            if judged.status == Status.FINISHED:
                break
            time.sleep(0.2)
        else:
            return {
                "verdict": "not_run",
                "error": "the code runner is busy; try again in a minute",
                "submission": submission.pk,
            }
    # The same visibility rule as the student's own pages (never a hidden test's data).
    shown = visible_result(submission=judged, viewer=ctx.user)
    tests = [t for t in shown["tests"] if t["sample"]]
    failing = next((t for t in tests if not t.get("passed")), None)
    out = {
        "submission": judged.pk,
        "verdict": judged.verdict,
        "samples_passed": sum(1 for t in tests if t.get("passed")),
        "samples_total": len(tests),
        "from_result_cache": judged.cache_hit,
    }
    if shown["compile_output"]:
        out["compile_output"] = shown["compile_output"][:500]
    if failing:
        out["first_failing_sample"] = {
            k: (str(failing.get(k))[:300] if failing.get(k) is not None else None)
            for k in ("input", "expected", "actual", "verdict", "stderr", "message")
        }
    if judged.error_message:
        out["error"] = judged.error_message
    return out


def _default_executor():
    """None lets judge_submission use the configured backend; until the executor registry
    (submissions.executors.get_executor) exists, build the Judge0 executor here."""
    from django.conf import settings

    from submissions import executors

    if hasattr(executors, "get_executor") or settings.EXECUTOR_BACKEND != "judge0":
        return None
    from submissions.executors.judge0 import Judge0Executor

    return Judge0Executor()


# --- static observations -----------------------------------------------------------------------


_MEMO_DECORATORS = {"cache", "lru_cache", "functools.cache", "functools.lru_cache"}


def static_observations(code: str, language: str) -> list[str]:
    """Cheap, deterministic hints about costly constructs; never runs the code."""
    if language == "python":
        try:
            return _python_observations(ast.parse(code))
        except SyntaxError as exc:
            return [f"syntax error on line {exc.lineno}: {exc.msg}"]
    return _brace_observations(code)


def _python_observations(tree: ast.AST) -> list[str]:
    notes: list[str] = []

    def walk(node, depth):
        for child in ast.iter_child_nodes(node):
            d = depth + 1 if isinstance(child, (ast.For, ast.While)) else depth
            if isinstance(child, (ast.For, ast.While)) and depth >= 1:
                _add(notes, f"nested loops (line {child.lineno}): likely O(n^2) or worse on the input")
            if depth >= 1 and isinstance(child, ast.Call):
                fn = child.func
                name = fn.attr if isinstance(fn, ast.Attribute) else getattr(fn, "id", "")
                if name in {"sort", "sorted"}:
                    _add(notes, f"sorting inside a loop (line {child.lineno}): O(n^2 log n); sort once before it")
                if name in {"index", "count"} and isinstance(fn, ast.Attribute):
                    _add(notes, f".{name}() inside a loop (line {child.lineno}) scans the list each time")
            if (
                depth >= 1
                and isinstance(child, ast.Compare)
                and any(isinstance(o, (ast.In, ast.NotIn)) for o in child.ops)
            ):
                target = child.comparators[0]
                if isinstance(target, (ast.List, ast.Name, ast.Subscript)) and not _looks_like_set(target):
                    _add(
                        notes,
                        f"`in` test inside a loop (line {child.lineno}): O(n) per test on a list; "
                        "a set or dict makes it O(1)",
                    )
            if (
                depth >= 1
                and isinstance(child, ast.AugAssign)
                and isinstance(child.op, ast.Add)
                and isinstance(child.value, (ast.JoinedStr, ast.Constant))
                and isinstance(getattr(child.value, "value", ""), str)
            ):
                _add(notes, f"string concatenation in a loop (line {child.lineno}); collect parts and join once")
            walk(child, d)

    walk(tree, 0)
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            calls_self = any(
                isinstance(n, ast.Call)
                and (getattr(n.func, "id", None) == fn.name or getattr(n.func, "attr", None) == fn.name)
                for n in ast.walk(fn)
            )
            decorators = {ast.unparse(d).split("(")[0] for d in fn.decorator_list}
            params = {a.arg for a in fn.args.args}
            if calls_self and not (decorators & _MEMO_DECORATORS) and not params & {"memo", "cache", "dp", "seen"}:
                _add(
                    notes,
                    f"recursion without memo in {fn.name}() (line {fn.lineno}): repeated subproblems "
                    "may make it exponential",
                )
    return notes


def _looks_like_set(node) -> bool:
    name = getattr(node, "id", "") or ""
    return any(word in name.lower() for word in ("set", "seen", "dict", "map", "visited", "lookup"))


_FOR = re.compile(r"\b(for|while)\s*\(")


def _brace_observations(code: str) -> list[str]:
    """Brace languages: track loop nesting by brace depth (good enough for hints)."""
    notes: list[str] = []
    stack: list[bool] = []  # per open brace: does it open a loop body?
    pending_loop = False
    loop_depth = 0
    for lineno, line in enumerate(code.splitlines(), 1):
        for match in re.finditer(r"\b(?:for|while)\s*\(|[{}]|\b(?:sort|Arrays\.sort|Collections\.sort)\s*\(", line):
            piece = match.group(0)
            if _FOR.match(piece):
                if loop_depth >= 1:
                    _add(notes, f"nested loops (line {lineno}): likely O(n^2) or worse on the input")
                pending_loop = True
            elif piece == "{":
                stack.append(pending_loop)
                loop_depth += pending_loop
                pending_loop = False
            elif piece == "}":
                if stack and stack.pop():
                    loop_depth -= 1
            elif loop_depth >= 1:
                _add(notes, f"sorting inside a loop (line {lineno}); sort once before it")
    functions = re.findall(r"\b(\w+)\s*\([^;{}]*\)\s*(?:const\s*)?\{", code)
    for name in set(functions) - {"if", "for", "while", "switch", "catch", "function"}:
        body_calls = len(re.findall(rf"\b{re.escape(name)}\s*\(", code))
        if body_calls >= 2 and not re.search(r"\b(memo|cache|dp)\b", code):
            _add(notes, f"recursion without memo in {name}(): repeated subproblems may make it exponential")
    return notes


def _add(notes: list[str], note: str) -> None:
    kind = note.split(" (")[0].split(":")[0]
    if not any(n.startswith(kind) for n in notes):
        notes.append(note)


# --- recommendations and progress ---------------------------------------------------------


def get_recommended_problem(ctx: ToolContext) -> dict:
    from problems.selectors import recommended_problems

    picks = recommended_problems(user=ctx.user, limit=1)
    if not picks:
        return {"recommendation": None, "reason": "no published problems yet"}
    pick = picks[0]
    p = pick.problem
    return {"slug": p.slug, "title": p.title, "difficulty": str(p.difficulty), "reason": pick.reason}


def track_user_progress(ctx: ToolContext) -> dict:
    from problems.selectors import progress_summary

    summary = progress_summary(user=ctx.user)
    topics = [t for t in summary.get("topics", []) if t.get("attempted")]
    weakest = sorted(topics, key=lambda t: (t["solved"] / t["attempted"], -t["attempted"]))[:3]
    untouched = [t["name"] for t in summary.get("topics", []) if not t.get("attempted")][:3]
    return {
        "solved": summary["solved"],
        "attempted_unsolved": summary["attempted_unsolved"],
        "current_streak": summary["current_streak"],
        "longest_streak": summary["longest_streak"],
        "solved_today": summary["solved_today"],
        "weakest_topics": [{"topic": t["name"], "solved": t["solved"], "attempted": t["attempted"]} for t in weakest],
        "untried_topics": untouched,
    }

"""The offline mentor: deterministic answers through the same tools, no network.

Used when GEMINI_API_KEY is empty (the embedded default) and as the fallback when a
Gemini turn fails. Every answer is labeled "Offline mentor" so students know.
"""

from __future__ import annotations

import re

from ..prompts import playbook_hint
from ..tools import run_tool
from .base import Answer, Turn

LABEL = "**Offline mentor**"
_NEXT = re.compile(r"\b(next|recommend\w*|what should i (do|solve|try)|which problem)\b", re.IGNORECASE)
_PROGRESS = re.compile(r"\b(progress|streak|how am i doing|weak\w*|stats|solved)\b", re.IGNORECASE)
_CODE = re.compile(r"```(?:\w+)?\n(?P<code>.*?)```", re.DOTALL)


class OfflineProvider:
    name = "offline"

    def answer(self, turn: Turn, *, intro: str = "") -> Answer:
        done = {c["name"]: c["result"] for c in turn.tools.calls}  # results a failed Gemini turn already got
        sections = []
        code = turn.code or _code_in(turn.text)
        if code and (turn.tools.problem is not None or "analyze_code_submission" in done):
            if turn.code is None:
                turn.tools.code = code
            result = done.get("analyze_code_submission") or run_tool("analyze_code_submission", {}, turn.tools)
            sections.append(_review(result))
        if _NEXT.search(turn.text):
            result = done.get("get_recommended_problem") or run_tool("get_recommended_problem", {}, turn.tools)
            sections.append(_recommendation(result))
        if _PROGRESS.search(turn.text):
            result = done.get("track_user_progress") or run_tool("track_user_progress", {}, turn.tools)
            sections.append(_progress(result))
        if not sections:
            sections.append(_concept(turn))
        head = f"{LABEL}: {intro}" if intro else f"{LABEL} (deterministic hints; the AI mentor is not configured)"
        return Answer(text=head + "\n\n" + "\n\n".join(sections), model="offline")


def _code_in(text: str) -> str | None:
    match = _CODE.search(text)
    return match.group("code") if match else None


def _review(result: dict) -> str:
    if "error" in result and "verdict" not in result:
        return f"I could not analyze the code: {result['error']}."
    lines = []
    verdict = (result.get("verdict") or "not_run").replace("_", " ")
    if result.get("verdict") == "not_run":
        lines.append(f"I could not run your code: {result.get('error', 'unknown reason')}.")
    else:
        lines.append(
            f"On the sample tests: **{verdict}** ({result.get('samples_passed', 0)}/"
            f"{result.get('samples_total', 0)} passed)."
        )
    failing = result.get("first_failing_sample")
    if failing:
        lines.append(
            f"- First failing sample: input `{_short(failing.get('input'))}`, expected "
            f"`{_short(failing.get('expected'))}`, your output `{_short(failing.get('actual'))}`. "
            "Trace your code by hand on this input."
        )
    if result.get("compile_output"):
        lines.append(f"- Compiler says: `{_short(result['compile_output'], 160)}`")
    for note in result.get("observations") or []:
        lines.append(f"- {note[0].upper()}{note[1:]}.")
    if result.get("verdict") == "accepted" and not result.get("observations"):
        lines.append(
            "- The samples pass. Submit to run the hidden tests, and think about edge cases "
            "(empty input, duplicates, large values)."
        )
    return "\n".join(lines)


def _recommendation(result: dict) -> str:
    if not result.get("slug"):
        return "I have no problem to recommend yet."
    return f"Next, try **{result['title']}** ({result['difficulty']}, `{result['slug']}`): {result['reason']}"


def _progress(result: dict) -> str:
    if "error" in result:
        return f"I could not read your progress: {result['error']}."
    solved = result.get("solved", {})
    parts = [
        f"You have solved {solved.get('total', 0)} problems; current streak {result.get('current_streak', 0)} "
        f"day(s), longest {result.get('longest_streak', 0)}."
    ]
    weakest = result.get("weakest_topics") or []
    if weakest:
        parts.append(
            "Weakest topics: "
            + ", ".join(f"{t['topic']} ({t['solved']}/{t['attempted']} solved)" for t in weakest)
            + "."
        )
    if result.get("untried_topics"):
        parts.append("Not tried yet: " + ", ".join(result["untried_topics"]) + ".")
    return " ".join(parts)


def _concept(turn: Turn) -> str:
    words = turn.text
    problem = turn.tools.problem
    if problem is not None:
        words += " " + " ".join(t.name for t in problem.topics.all())
    hint = playbook_hint(words)
    if hint:
        topic, text = hint
        return f"*{topic}*: {text}"
    return (
        "Start from a small example and solve it by hand; write down what you need to remember at each "
        "step. That usually points to the right data structure. Share your code and I will run it on the "
        "sample tests."
    )


def _short(value, limit: int = 80) -> str:
    text = "" if value is None else str(value).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"

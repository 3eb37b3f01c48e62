"""JavaScript on the supervised harness.

Function problems: `solution.js` is the student's text as written; `runner.js`
(runners/runner.js) compiles it with `vm.Script(..., {filename: "solution.js"})` inside
Node's own module wrapper (so `require` works and line 1 is the student's line 1), and
finds the function whichever way it was declared: `function f`, `var/let/const f = ...`,
`module.exports.f`, or a LeetCode `class Solution` with that method. JSON maps to JS
natively. Stdio problems run solution.js itself.
"""

from __future__ import annotations

import json
from pathlib import Path

from problems.signatures import Signature, function_name

RUNNER = (Path(__file__).parent / "runners" / "runner.js").read_text(encoding="utf-8")
PLACEHOLDER = "'__FUNCTION__'"


def render(signature: Signature, code: str) -> dict[str, str]:
    name = function_name(signature, "javascript")
    return {"solution.js": code, "runner.js": RUNNER.replace(PLACEHOLDER, json.dumps(name), 1)}


def render_stdio(code: str) -> dict[str, str]:
    return {"solution.js": code}


def argv(profile, limits, kind: str) -> tuple[list[str] | None, list[str]]:
    # RLIMIT_AS breaks V8; the heap flag makes an overflow abort with "heap out of memory".
    mem = max(limits.memory_limit_mb, 32)
    script = "runner.js" if kind == "function" else "solution.js"
    return None, [profile.node, f"--max-old-space-size={mem}", "--stack-size=8000", script]

"""Python on the supervised harness.

Function problems: `solution.py` is the student's text as written and `runner.py`
(runners/runner.py) loads it with `compile(..., "solution.py")` and the
`from __future__ import annotations` flag, so tracebacks and syntax errors carry the
student's own line numbers and `list[int]` annotations work on Python 3.8 too. JSON maps
to Python natively, so there is nothing to convert. Stdio problems run solution.py itself.
"""

from __future__ import annotations

import json
from pathlib import Path

from problems.signatures import Signature, function_name

RUNNER = (Path(__file__).parent / "runners" / "runner.py").read_text(encoding="utf-8")
PLACEHOLDER = '"__FUNCTION__"'


def render(signature: Signature, code: str) -> dict[str, str]:
    name = function_name(signature, "python")
    return {"solution.py": code, "runner.py": RUNNER.replace(PLACEHOLDER, json.dumps(name), 1)}


def render_stdio(code: str) -> dict[str, str]:
    return {"solution.py": code}


def argv(profile, limits, kind: str) -> tuple[list[str] | None, list[str]]:
    """(compile argv or None, run argv) of the student process."""
    if kind == "function":
        return None, [profile.python, "-B", "runner.py"]
    return None, [profile.python, "-B", "solution.py"]

"""Server-side output comparison, by a test case's comparison mode.

Function problems compare JSON values; stdio problems compare text line by line with
trailing whitespace ignored (what Judge0 and most judges do).
"""

import json
import math

from .models import Comparison

FLOAT_TOLERANCE = 1e-6


def _canonical(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _deep_sorted(value):
    if isinstance(value, list):
        return sorted((_deep_sorted(v) for v in value), key=_canonical)
    return value


def _close(expected, actual) -> bool:
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    if isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        return math.isclose(expected, actual, rel_tol=FLOAT_TOLERANCE, abs_tol=FLOAT_TOLERANCE)
    if isinstance(expected, list) and isinstance(actual, list):
        return len(expected) == len(actual) and all(_close(e, a) for e, a in zip(expected, actual))
    return expected == actual


def _strictly_equal(expected, actual) -> bool:
    # JSON true == 1 in Python; a judge must not accept True for 1 or 1.0 for "1".
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(expected) is type(actual) and expected == actual
    if isinstance(expected, list) and isinstance(actual, list):
        return len(expected) == len(actual) and all(_strictly_equal(e, a) for e, a in zip(expected, actual))
    if isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        return expected == actual
    return type(expected) is type(actual) and expected == actual


def values_match(expected, actual, mode: str) -> bool:
    """Compare decoded JSON values of a function problem."""
    if mode == Comparison.UNORDERED and isinstance(expected, list) and isinstance(actual, list):
        return _strictly_equal(sorted(expected, key=_canonical), sorted(actual, key=_canonical))
    if mode == Comparison.UNORDERED_DEEP:
        return _strictly_equal(_deep_sorted(expected), _deep_sorted(actual))
    if mode == Comparison.FLOAT:
        return _close(expected, actual)
    return _strictly_equal(expected, actual)


def normalize_text(text: str) -> str:
    lines = text.replace("\r\n", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip("\n")


def text_matches(expected: str, actual: str, mode: str = Comparison.EXACT) -> bool:
    """Compare stdio output. FLOAT compares whitespace-separated tokens numerically."""
    if mode == Comparison.FLOAT:
        exp_tokens, act_tokens = expected.split(), actual.split()
        if len(exp_tokens) != len(act_tokens):
            return False
        for e, a in zip(exp_tokens, act_tokens):
            try:
                if not math.isclose(float(e), float(a), rel_tol=FLOAT_TOLERANCE, abs_tol=FLOAT_TOLERANCE):
                    return False
            except ValueError:
                if e != a:
                    return False
        return True
    if mode in (Comparison.UNORDERED, Comparison.UNORDERED_DEEP):
        return sorted(normalize_text(expected).split("\n")) == sorted(normalize_text(actual).split("\n"))
    return normalize_text(expected) == normalize_text(actual)

"""Source normalization for the result-cache key.

Two sources share a cache key only if they normalize equal, and they must then be
indistinguishable to every toolchain we run (python3 3.8/3.11, node 12/20, g++ 9/12
C++17, javac 13/17). So this module removes only what provably cannot change what a
compiler or interpreter does, and when in doubt it returns the source unchanged (a
cache miss costs one execution; a wrong merge costs someone a wrong verdict).

Invariants, for every language:
- Line structure is kept exactly: same number of lines, nothing removed at the start or
  the end of the file, no line joined or split. Line numbers (tracebacks, `__LINE__`,
  stack traces, compile errors at end of input) and the column of every token are the
  same before and after.
- Only these characters are ever removed: a CR immediately before an LF, runs of ASCII
  space/tab at a line end, and (Python) comment text. Never `str.strip()`/`rstrip()`
  without arguments: those also remove U+001C–U+001F, U+0085, U+00A0, U+2028…, which
  compilers reject or read as code.
- A line whose last non-blank characters are a backslash (or the `??/` trigraph) is kept
  verbatim: "\\   \\n" and "\\\\n" are different things (a continuation with or without a
  warning, a string with or without spaces).

Per language (docs/pipeline.md "Result cache" has the reasoning):
- python: refused (returned unchanged) with a PEP 263 coding cookie candidate in lines
  1–2 (a `rot13`/`utf-7` cookie turns comments into code), a form feed, vertical tab,
  NUL, lone CR or surrogate. Otherwise tokenized; comments are removed; lines inside a
  multi-line token (triple-quoted string, f-string) are kept verbatim; and the result
  must parse to exactly the same AST (with every position) as the original, under the
  3.8 grammar, or the source is returned unchanged.
- cpp: refused if it contains a raw string literal prefix (`R"`): raw strings keep
  trailing spaces and CRs verbatim. Otherwise CRLF -> LF and trailing blanks go (a
  literal cannot span lines without a backslash continuation, and those lines are kept).
- java: refused with a text block (`\"\"\"`) or any Unicode escape (`\\u`: it can spell
  a text block delimiter or a backslash). Otherwise as cpp.
- javascript: never normalized. `Function.prototype.toString` returns the exact source
  text of a function, CRs and trailing spaces included, so any change is observable by
  the program itself.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
import warnings

# Python refuses: form feed (resets the indentation column), vertical tab, NUL, a CR not
# followed by LF (a line break for Python, not for us), lone surrogates.
_PY_REFUSE = re.compile(r"[\f\v\x00\ud800-\udfff]|\r(?!\n)")
# Any mention of "coding" in lines 1-2 could be a PEP 263 cookie; be broader than PEP 263.
_PY_COOKIE = re.compile(r"coding", re.IGNORECASE)
_CPP_REFUSE = re.compile(r'R"|[\ud800-\udfff]')
_JAVA_REFUSE = re.compile(r'"""|\\u|[\ud800-\udfff]')
_TRAILING_BLANKS = re.compile(r"[ \t]+\Z")


def _strip_blanks(line: str) -> str:
    """Drop trailing ASCII spaces/tabs, unless the line then ends with a continuation."""
    stripped = _TRAILING_BLANKS.sub("", line)
    if stripped.endswith("\\") or stripped.endswith("??/"):
        return line
    return stripped


def _split_lines(code: str) -> list[str]:
    """Lines without their LF; a CR before an LF is dropped, every other CR is kept."""
    lines = code.split("\n")
    # Only a CR directly before an LF goes; a CR at the very end has no LF after it.
    return [line[:-1] if line.endswith("\r") else line for line in lines[:-1]] + lines[-1:]


def _normalize_c_like(code: str) -> str:
    out = []
    for raw, line in zip(code.split("\n"), _split_lines(code)):
        if line.rstrip(" \t").endswith(("\\", "??/")):
            out.append(raw)  # a continuation: byte for byte, CR included
        else:
            out.append(_strip_blanks(line))
    return "\n".join(out)


def _python_ast(source: str) -> str | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escape sequences etc.
            tree = ast.parse(source, filename="solution.py", type_comments=False, feature_version=(3, 8))
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    return ast.dump(tree, include_attributes=True)


def _normalize_python(code: str) -> str:
    if _PY_REFUSE.search(code):
        return code
    if _PY_COOKIE.search("\n".join(code.split("\n", 2)[:2])):
        return code
    source = code.replace("\r\n", "\n")
    lines = source.split("\n")
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError, ValueError):
        return code
    verbatim: set[int] = set()  # 1-based rows that lie inside a multi-line token
    comments: dict[int, int] = {}  # row -> column where its comment starts
    for tok in tokens:
        if tok.type == tokenize.COMMENT:
            comments[tok.start[0]] = tok.start[1]
        elif tok.end[0] > tok.start[0] and tok.type not in (tokenize.NL, tokenize.NEWLINE):
            verbatim.update(range(tok.start[0], tok.end[0]))
    if verbatim & comments.keys():
        return code  # a comment inside a multi-line token (3.12 f-string fields): no guessing
    out = []
    for number, line in enumerate(lines, start=1):
        if number in verbatim:
            out.append(line)
            continue
        if number in comments:
            line = line[: comments[number]]
        out.append(_strip_blanks(line))
    normalized = "\n".join(out)
    # The proof obligation, checked: same tree, same positions, or no normalization.
    original_tree = _python_ast(source)
    if original_tree is None or original_tree != _python_ast(normalized):
        return code
    return normalized


def normalize_source(code: str, language: str) -> str:
    """The text the cache key is computed from (see the module docstring)."""
    if language == "python":
        return _normalize_python(code)
    if language == "cpp":
        return code if _CPP_REFUSE.search(code) else _normalize_c_like(code)
    if language == "java":
        return code if _JAVA_REFUSE.search(code) else _normalize_c_like(code)
    return code

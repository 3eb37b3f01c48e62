"""Source normalization for the result-cache key.

Conservative on purpose: two sources normalize equal only if they cannot behave
differently. For every language: line endings and trailing whitespace. Trailing
whitespace is kept where it can matter: after a backslash (line continuation) and in
sources with multi-line literals whose text could end in spaces (JS template literals,
C++ raw strings, Python triple-quoted strings outside the tokenizer path). For Python
also comments and blank lines, through the tokenizer so a `#` inside a string is never
touched and string contents stay byte-exact. Anything the tokenizer cannot read falls
back to the generic normalization.
"""

import io
import tokenize

# Markers of literals that may span lines and keep trailing spaces verbatim.
_MULTILINE_LITERALS = {"javascript": ("`",), "cpp": ('R"',), "python": ('"""', "'''")}


def _strip_line(line: str) -> str:
    stripped = line.rstrip()
    # "\\   " at a line end is not a continuation but "\\" is: keep the spaces.
    return line if stripped.endswith("\\") else stripped


def normalize_generic(code: str, language: str = "") -> str:
    lines = code.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if not any(marker in code for marker in _MULTILINE_LITERALS.get(language, ())):
        lines = [_strip_line(line) for line in lines]
    return "\n".join(lines).strip("\n") + "\n"


def _is_string_token(tok: tokenize.TokenInfo) -> bool:
    # Python 3.12+ splits f-strings into FSTRING_* tokens.
    return tok.type == tokenize.STRING or tokenize.tok_name.get(tok.type, "").startswith("FSTRING")


def _normalize_python(code: str) -> str:
    source = code.replace("\r\n", "\n").replace("\r", "\n")
    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    verbatim_lines: set[int] = set()  # lines a multi-line string touches
    comment_cols: dict[int, int] = {}
    code_lines: set[int] = set()
    for tok in tokens:
        if tok.type == tokenize.COMMENT:
            comment_cols[tok.start[0]] = tok.start[1]
        elif tok.type in (tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER):
            continue
        else:
            code_lines.update(range(tok.start[0], tok.end[0] + 1))
            if _is_string_token(tok) and tok.end[0] > tok.start[0]:
                verbatim_lines.update(range(tok.start[0], tok.end[0] + 1))
    out = []
    for number, line in enumerate(source.split("\n"), start=1):
        if number in comment_cols:
            # A comment can only follow a string's end on a shared line, never sit inside it.
            line = line[: comment_cols[number]]
        elif number in verbatim_lines:
            out.append(line)
            continue
        if number not in code_lines:
            continue  # blank or comment-only line
        out.append(_strip_line(line))
    return "\n".join(out).strip("\n") + "\n"


def normalize_source(code: str, language: str) -> str:
    if language == "python":
        try:
            return _normalize_python(code)
        except (tokenize.TokenError, IndentationError, SyntaxError):
            return normalize_generic(code, language)
    return normalize_generic(code, language)

"""The result-cache normalization is sound: two sources with the same key behave the same.

Three kinds of evidence:
- shape properties (fast, any text): line structure kept, only CR-before-LF, trailing
  ASCII blanks and Python comments are ever removed, idempotent;
- targeted regressions for the issue #12 attacks, run for real where a toolchain decides;
- property-based pairs (hypothesis): a generated program, two random cosmetic variants of
  it; whenever they normalize equal, both are really compiled and run (python3 3.11 and
  3.8, g++ -std=c++17, javac/java) and must print the same, exit the same and compile
  (or fail to) the same. Our own generated programs, so plain subprocesses with a timeout.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from submissions.executors.base import Job, TestSpec
from submissions.normalize import normalize_source
from submissions.result_cache import content_key

LANGUAGES = ("python", "javascript", "cpp", "java")
PY311 = "/usr/bin/python3"
PY38 = next((str(p) for p in sorted(Path("/root/.pyenv/versions").glob("3.8*/bin/python3"))), None)
PYTHONS = [p for p in (PY311, PY38) if p and Path(p).exists()]
# Characters str.rstrip() removes that every compiler/interpreter here reads as code.
NOT_BLANKS = ["\x1c", "\x1d", "\x1e", "\x1f", "\x85", "\xa0", "\u2028", "\u2029", "\u3000", "\x0b", "\x0c"]


def key(code: str, language: str) -> str:
    job = Job(
        language=language,
        code=code,
        kind="stdio",
        signature=None,
        tests=(TestSpec(index=0, input="", expected="ok\n"),),
    )
    return content_key(problem=SimpleNamespace(pk=1, test_set_version="v"), job=job, mode="submit", stdin=None)


# --- Running programs for real ------------------------------------------------------


def _run(argv, cwd, *, stdin: str = "", timeout: float = 30) -> tuple[int, str, str]:
    proc = subprocess.run(
        argv,
        cwd=cwd,
        input=stdin.encode(),
        capture_output=True,
        timeout=timeout,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"},
    )
    return proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace")


def _write(directory: str, name: str, code: str) -> None:
    # Bytes as given: CRLF, lone CR and every other character reach the toolchain unchanged.
    Path(directory, name).write_bytes(code.encode("utf-8", "surrogatepass"))


def run_python(code: str, python: str) -> tuple:
    with tempfile.TemporaryDirectory() as d:
        _write(d, "solution.py", code)
        rc, out, err = _run([python, "-I", "solution.py"], d)
        err = err.replace(d, "<dir>")
    # Quoted source lines and caret lines (indented 4+) show the student's own comments
    # and blanks; everything else (file, line numbers, exception) must match.
    err = "\n".join(line for line in err.split("\n") if not line.startswith("    "))
    return rc, out, err


def run_cpp(code: str) -> tuple:
    with tempfile.TemporaryDirectory() as d:
        _write(d, "solution.cpp", code)
        crc, _, cerr = _run(["g++", "-std=c++17", "-O0", "-o", "prog", "solution.cpp"], d, timeout=120)
        if crc != 0:
            return ("compile", crc, cerr)
        rc, out, err = _run(["./prog"], d)
        return ("ran", cerr, rc, out, err)  # warnings included, byte for byte


def run_java(code: str) -> tuple:
    with tempfile.TemporaryDirectory() as d:
        _write(d, "Main.java", code)
        crc, cout, cerr = _run(["javac", "-J-Xshare:auto", "-encoding", "UTF-8", "Main.java"], d, timeout=120)
        # javac quotes the offending line: the blanks at its end are the student's own.
        diag = "\n".join(line.rstrip(" \t") for line in (cout + cerr).split("\n"))
        if crc != 0:
            return ("compile", crc, diag)
        rc, out, err = _run(["java", "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-cp", ".", "Main"], d)
        return ("ran", diag, rc, out, err)


def run_node(code: str) -> tuple:
    with tempfile.TemporaryDirectory() as d:
        _write(d, "solution.js", code)
        return _run(["node", "solution.js"], d)


needs = {
    "g++": pytest.mark.skipif(shutil.which("g++") is None, reason="g++ not installed"),
    "javac": pytest.mark.skipif(shutil.which("javac") is None, reason="javac not installed"),
    "node": pytest.mark.skipif(shutil.which("node") is None, reason="node not installed"),
}


# --- Shape: what normalization may remove --------------------------------------------

_interesting = st.lists(
    st.sampled_from(list(" \t\r\n#\\'\"`xR(){};/*?u\x1c\x85\xa0\u2028\x0c\ufeff:=") + ["coding", '"""', 'R"(', "\\u"]),
    max_size=40,
).map("".join)
_pythonish = st.lists(
    st.sampled_from(
        [
            "x = 1",
            "  ",
            "\t",
            " # c",
            "'a  '",
            '"""',
            "\\",
            "\r\n",
            "\n",
            "(",
            ")",
            "print(x)",
            "if x:",
            "    ",
            "f'{x}'",
            "#",
            "'",
            "\r",
        ]
    ),
    max_size=25,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(code=st.one_of(_interesting, _pythonish), language=st.sampled_from(LANGUAGES))
def test_normalization_keeps_lines_and_only_removes_crs_blanks_and_python_comments(code, language):
    normalized = normalize_source(code, language)
    assert normalize_source(normalized, language) == normalized  # idempotent
    raw_lines, new_lines = code.split("\n"), normalized.split("\n")
    assert len(new_lines) == len(raw_lines)  # no line added, removed, joined or split
    for raw, new in zip(raw_lines, new_lines):
        assert raw.startswith(new)
        removed = raw[len(new) :]
        if language == "python" and "#" in removed:
            assert re.fullmatch(r"[ \t]*#[^\n]*", removed)
        else:
            assert re.fullmatch(r"[ \t]*\r?", removed), (raw, new)
            assert "\r" not in removed or raw.endswith("\r")


def test_javascript_is_never_normalized():
    code = "function f() {   \r\n  return 1;\t\r\n}\r\n"
    assert normalize_source(code, "javascript") == code


@needs["node"]
def test_javascript_programs_can_read_their_own_blanks_and_crs():
    # Function.prototype.toString returns the exact source text: why JS keys stay exact.
    probe = "console.log(JSON.stringify(String(f)));\n"
    a = run_node("function f() { return 1;   \n}\n" + probe)
    b = run_node("function f() { return 1;\n}\n" + probe)
    c = run_node("function f() { return 1;\r\n}\n" + probe)
    assert a[0] == b[0] == c[0] == 0
    assert len({a[1], b[1], c[1]}) == 3


# --- Regressions for the attacks of issue #12 -----------------------------------------


@pytest.mark.parametrize("char", NOT_BLANKS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_characters_rstrip_would_remove_stay_in_the_key(language, char):
    clean = {
        "python": "print(1)\n",
        "javascript": "console.log(1);\n",
        "cpp": "int main() { return 0; }\n",
        "java": "public class Main { public static void main(String[] a) { } }\n",
    }[language]
    poisoned = clean.replace("\n", char + "\n")
    assert char in normalize_source(poisoned, language)
    assert key(poisoned, language) != key(clean, language)


@pytest.mark.parametrize("char", ["\x1c", "\x1f", "\x85", "\xa0"])
def test_characters_rstrip_would_remove_are_compile_errors_for_real(char):
    # The attack: submit first with one of these at a line end; the old key (rstrip) then
    # handed its compile error to everyone submitting the clean program.
    for python in PYTHONS:
        assert run_python("print(1)\n", python)[0] == 0
        assert run_python(f"print(1){char}\n", python)[0] != 0
    if shutil.which("g++"):
        assert run_cpp("int main() { return 0; }\n")[0] == "ran"
        assert run_cpp(f"int main() {{ return 0; }}{char}\n")[0] == "compile"


VICTIM = "def add(a, b):\n    return sum((a, b))\nprint(add(2, 3))\n"  # no '+': it is UTF-7's escape
COOKIES = [
    "# coding: utf-7\n" + VICTIM + "#+AAo-print('attacker text')\n",  # +AAo- is a newline in UTF-7
    "# -*- coding: rot13 -*-\n" + VICTIM + "# cevag('nggnpxre')\n",
    "#!/usr/bin/env python3\n# vim: set fileencoding=utf-7 :\n" + VICTIM + "#+AAo-raise SystemExit(1)\n",
    "# CODING: UTF-7\n" + VICTIM,
]


@pytest.mark.parametrize("attack", COOKIES)
def test_a_coding_cookie_disables_python_comment_removal(attack):
    assert normalize_source(attack, "python") == attack
    assert key(attack, "python") != key(VICTIM, "python")


@pytest.mark.parametrize("python", PYTHONS)
def test_a_coding_cookie_really_turns_comments_into_code(python):
    victim = run_python(VICTIM, python)
    assert victim[:2] == (0, "5\n")
    utf7 = run_python(COOKIES[0], python)
    assert utf7[:2] == (0, "5\nattacker text\n")  # the "comment" ran
    rot13 = run_python(COOKIES[1], python)
    assert rot13[0] != 0  # a compile error nobody else's program has


def test_python_comments_go_but_lines_stay():
    a = "def add(a, b):  # fast\n    # sum them\n    return a + b\n"
    b = "def add(a, b):\n\n    return a + b\n"
    assert normalize_source(a, "python") == normalize_source(b, "python") == b
    # A removed comment line would move every line number below it (tracebacks, f_lineno).
    assert normalize_source("# my solution\n" + b, "python") != normalize_source(b, "python")


@pytest.mark.parametrize("python", PYTHONS)
def test_trailing_spaces_inside_a_triple_quoted_string_are_code(python):
    a = 'S = """line   \n# not a comment\t\n"""  # a comment\nprint(repr(S))\n'
    b = 'S = """line\n# not a comment\n"""\nprint(repr(S))\n'
    assert normalize_source(a, "python") == 'S = """line   \n# not a comment\t\n"""\nprint(repr(S))\n'
    assert key(a, "python") != key(b, "python")
    assert run_python(a, python)[1] != run_python(b, python)[1]


@pytest.mark.parametrize("python", PYTHONS)
def test_crlf_inside_a_python_triple_quoted_string_reads_as_lf(python):
    a = 's = """a  \r\nb"""\r\nprint(repr(s))   \r\n'
    b = 's = """a  \nb"""\nprint(repr(s))\n'
    assert normalize_source(a, "python") == normalize_source(b, "python")
    assert run_python(a, python) == run_python(b, python) == (0, "'a  \\nb'\n", "")


@pytest.mark.parametrize("python", PYTHONS)
def test_a_lone_cr_is_never_normalized_in_python(python):
    a = "s = 'a\rb'\nprint(len(s))\n"  # a line break for Python's tokenizer, not for us
    assert normalize_source(a, "python") == a
    assert key(a, "python") != key("s = 'ab'\nprint(len(s))\n", "python")
    assert run_python(a, python)[0] != 0


def test_python_hash_inside_a_string_is_code():
    a = 'print("a # b")  # c\n'
    assert normalize_source(a, "python") == 'print("a # b")\n'


@pytest.mark.parametrize(
    "code",
    [
        "x = 1\f\nprint(x)  # c\n",  # form feed
        "x = 1\v\nprint(x)  # c\n",  # vertical tab
        "def f(:\n    return 1  # c\n",  # does not parse: nothing is touched
        "match x:\n    case 1:  # c\n        pass\n",  # not 3.8 grammar
        "x = 1  # c\x00\n",
    ],
)
def test_python_sources_we_cannot_prove_things_about_are_left_alone(code):
    assert normalize_source(code, "python") == code


@pytest.mark.parametrize("language", ["python", "cpp", "java"])
def test_a_backslash_line_end_keeps_its_blanks(language):
    line = {
        "python": "x = 'a\\   \nb'\n",
        "cpp": 'const char* s = "a\\   \nb";\n',
        "java": "int x = 1; // a\\   \nint y;\n",
    }[language]
    assert normalize_source(line, language) == line
    assert key(line, language) != key(line.replace("\\   \n", "\\\n"), language)


@needs["g++"]
def test_cpp_backslash_then_blanks_is_still_a_continuation_but_not_the_same_compile():
    a = run_cpp('#include <cstdio>\nint main() { std::puts("a\\   \nb"); }\n')
    b = run_cpp('#include <cstdio>\nint main() { std::puts("a\\\nb"); }\n')
    assert a[0] == b[0] == "ran" and a[3] == b[3] == "ab\n"
    assert "backslash and newline separated by space" in a[1] and b[1] == ""


@pytest.mark.parametrize(
    "code,language",
    [
        ('const char* s = R"(a   \r\nb)";\n', "cpp"),
        ('auto s = u8R"x(a\t\nb)x";  \n', "cpp"),
        ('String s = """\n    a   \n    """;  \n', "java"),
        ("String s = \\u0022\\u0022\\u0022\n  a  \n\\u0022\\u0022\\u0022;  \n", "java"),
        ("char c = '\\u005c';  \n", "java"),
        ("const s = `a   \r\nb`;  \n", "javascript"),
    ],
)
def test_sources_with_verbatim_multiline_literals_are_left_alone(code, language):
    assert normalize_source(code, language) == code


@needs["g++"]
def test_cpp_raw_strings_keep_blanks_for_real():
    a = run_cpp('#include <cstdio>\nint main() { std::printf("%s|", R"(a   \nb)"); }\n')
    b = run_cpp('#include <cstdio>\nint main() { std::printf("%s|", R"(a\nb)"); }\n')
    assert a[3] == "a   \nb|" and b[3] == "a\nb|"


def test_cr_lf_and_trailing_blanks_merge_where_provably_inert():
    cpp = "int main() {   \r\n  return 0;\t\r\n}\r\n"
    assert normalize_source(cpp, "cpp") == "int main() {\n  return 0;\n}\n"
    java = "class Main {  \r\n}\t\r\n"
    assert normalize_source(java, "java") == "class Main {\n}\n"
    assert key(cpp, "cpp") == key("int main() {\n  return 0;\n}\n", "cpp")


def test_the_end_of_the_file_is_kept():
    # Compilers report "expected '}' at end of input" at the last line: EOF is code.
    assert normalize_source("x = 1\n\n\n", "python") != normalize_source("x = 1\n", "python")
    assert normalize_source("int x;\n\n", "cpp") != normalize_source("int x;", "cpp")


def test_content_key_survives_lone_surrogates():
    assert key("print('\ud800')\n", "python") != key("print('\ud801')\n", "python")


# --- Property-based pairs, compiled and run for real ----------------------------------

_BLANKS = st.sampled_from([" ", "\t", "   ", " \t", "\t  "])
_WEIRD = st.sampled_from(NOT_BLANKS)
_PY_TEXT = st.text(alphabet=" \ta#b\\'\"x", max_size=6)
_PLAIN = st.text(alphabet=" \tab#*/x", max_size=6)  # no quotes, no backslash


def _c_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


@st.composite
def _python_piece(draw):
    """Lines of one statement, each with `safe`: its end is outside every literal."""
    kind = draw(st.integers(0, 12))
    if kind == 0:
        return [(f"v = {draw(_PY_TEXT)!r}", True)]
    if kind == 1:  # a triple-quoted string with blanks and '#' inside
        a, b, c = draw(_PLAIN), draw(_PLAIN), draw(_PLAIN)
        return [(f'v = """{a}', False), (b, False), (f'{c}"""', True)]
    if kind == 2:  # a string continued by a backslash
        return [(f"v = '{draw(_PLAIN)}\\", False), (f"{draw(_PLAIN)}'", True)]
    if kind == 3:
        return [("v = 1 + \\", False), ("    2", True)]
    if kind == 4:
        return [("v = (1 +", True), ("     2)", True)]
    if kind == 5:
        return [(f"# note {draw(_PY_TEXT)}", True)]
    if kind == 6:
        return [("", True)]
    if kind == 7:
        return [("if True:", True), (f"    v = {draw(_PY_TEXT)!r}", True)]
    if kind == 8:
        return [(f'v = f"{{len({draw(_PLAIN)!r})}}|{{v!r}}"', True)]
    if kind == 9:
        return [("v = [][1]", True)]  # IndexError: a traceback, exit 1
    if kind == 10:
        return [("raise SystemExit(3)", True)]
    if kind == 11:
        return [("v = sorted([3, 1,", True), (f"  2])  # {draw(_PLAIN)}", True)]
    return [(f"v = '''{draw(_PLAIN)}", False), (f"{draw(_PLAIN)}'''", True)]


@st.composite
def _cpp_piece(draw):
    kind = draw(st.integers(0, 9))
    text = draw(st.text(alphabet=' \ta\\"/*#x', max_size=6))
    if kind == 0:
        return [(f"out += \"{_c_escape(text)}\"; out += '|';", True)]
    if kind == 1:
        return [(f'out += "{_c_escape(draw(_PLAIN))}\\', False), (f"{_c_escape(draw(_PLAIN))}\"; out += '|';", True)]
    if kind == 2:
        return [(f"/* {draw(_PLAIN)}", True), (f"{draw(_PLAIN)} */", True)]
    if kind == 3:
        return [(f"// {text}", True)]
    if kind == 4:
        return [("out += STR(x   y", True), ("  z); out += '|';", True)]
    if kind == 5:
        n = draw(st.integers(0, 99))
        return [(f'#define M{n} "{_c_escape(draw(_PLAIN))}"', True), (f"out += M{n}; out += '|';", True)]
    if kind == 6:
        return [(f'out += R"x({draw(_PLAIN)}', False), (f"{draw(_PLAIN)})x\"; out += '|';", True)]
    if kind == 7:
        return [(f'std::printf("%s\\n", out.c_str()); return {draw(st.integers(0, 3))};', True)]
    if kind == 8:
        return [("int e = ;", True)]  # a compile error
    return [("// t ??/", True), ('out += "T";', True)]


@st.composite
def _java_piece(draw):
    kind = draw(st.integers(0, 7))
    text = draw(st.text(alphabet=' \ta\\"/*#x', max_size=6))
    if kind == 0:
        return [(f"out.append(\"{_c_escape(text)}\").append('|');", True)]
    if kind == 1:
        return [(f"/* {draw(_PLAIN)}", True), (f"{draw(_PLAIN)} */", True)]
    if kind == 2:
        return [(f"// {text}", True)]
    if kind == 3:
        return [('out.append("""', False), (draw(_PLAIN), False), ('""");', True)]
    if kind == 4:
        return [('out.append("\\u0041");', True)]
    if kind == 5:
        return [("if (out.length() > 3) { System.out.print(out); System.exit(3); }", True)]
    if kind == 6:
        return [("int e = ;", True)]
    return [("out.append(1 +", True), ("  2);", True)]


PY_HEAD, PY_TAIL = [("out = []", True), ("v = 0", True)], [("print(out, v)", True)]
CPP_HEAD = [
    ("#include <cstdio>", True),
    ("#include <string>", True),
    ("#define STR(...) #__VA_ARGS__", True),
    ("int main() {", True),
    ("std::string out;", True),
]
CPP_TAIL = [('std::printf("%s\\n", out.c_str());', True), ("return 0;", True), ("}", True)]
JAVA_HEAD = [
    ("public class Main {", True),
    ("  public static void main(String[] args) {", True),
    ("    StringBuilder out = new StringBuilder();", True),
]
JAVA_TAIL = [("    System.out.println(out);", True), ("  }", True), ("}", True)]


def _program(piece, head, tail, after_piece=()):
    return st.lists(piece, min_size=1, max_size=6).map(
        lambda pieces: head + [line for p in pieces for line in p + list(after_piece)] + tail
    )


@st.composite
def _variant(draw, lines, *, comments: bool):
    """A cosmetic variant: blanks, CRLF, comments (Python) at line ends: mostly where the
    end is outside literals, sometimes anywhere (then the key must tell them apart), and
    rarely a character str.rstrip() would have eaten."""
    out = []
    for line, safe in lines:
        if safe or draw(st.integers(0, 9)) == 0:
            roll = draw(st.integers(0, 9))
            if roll < 3:
                line += draw(_BLANKS)
            elif roll < 5 and comments:
                line += draw(st.sampled_from(["", " ", "  "])) + "#~c" + draw(_PY_TEXT)
                if draw(st.booleans()):
                    line += draw(_BLANKS)
            elif roll == 5 and draw(st.integers(0, 3)) == 0:
                line += draw(_WEIRD)
        out.append(line + ("\r\n" if draw(st.integers(0, 2)) == 0 else "\n"))
    return "".join(out)


def _pair(program, *, comments):
    return program.flatmap(
        lambda lines: st.tuples(_variant(lines, comments=comments), _variant(lines, comments=comments))
    )


def _check_pair(a: str, b: str, language: str, run) -> None:
    na, nb = normalize_source(a, language), normalize_source(b, language)
    assume(a != b and na == nb)
    results: dict[str, tuple] = {}
    for source in dict.fromkeys((a, b, na)):
        results[source] = run(source)
    # Same key, same behaviour: both variants as the students wrote them...
    assert results[a] == results[b], (a, b)
    # ...and the normalized text itself (what a pipeline may choose to execute).
    assert results[na] == results[a], (a, na)


_PAIR_SETTINGS = settings(
    deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow, HealthCheck.data_too_large]
)


@pytest.mark.parametrize("python", PYTHONS)
@settings(_PAIR_SETTINGS, max_examples=30)
@given(pair=_pair(_program(_python_piece(), PY_HEAD, PY_TAIL, [("out.append(repr(v))", True)]), comments=True))
def test_python_pairs_with_one_key_behave_the_same(python, pair):
    _check_pair(*pair, "python", lambda source: run_python(source, python))


@pytest.mark.slow
@needs["g++"]
@settings(_PAIR_SETTINGS, max_examples=15)
@given(pair=_pair(_program(_cpp_piece(), CPP_HEAD, CPP_TAIL), comments=False))
def test_cpp_pairs_with_one_key_compile_and_run_the_same(pair):
    _check_pair(*pair, "cpp", run_cpp)


@pytest.mark.slow
@needs["javac"]
@settings(_PAIR_SETTINGS, max_examples=12)
@given(pair=_pair(_program(_java_piece(), JAVA_HEAD, JAVA_TAIL), comments=False))
def test_java_pairs_with_one_key_compile_and_run_the_same(pair):
    _check_pair(*pair, "java", run_java)


@given(pair=_pair(_program(_cpp_piece(), CPP_HEAD, CPP_TAIL), comments=False))
@settings(max_examples=50, deadline=None)
def test_javascript_pairs_share_a_key_only_when_identical(pair):
    a, b = pair
    if normalize_source(a, "javascript") == normalize_source(b, "javascript"):
        assert a == b

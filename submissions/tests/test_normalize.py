from submissions.normalize import normalize_source


def test_line_endings_and_trailing_whitespace_are_ignored_for_every_language():
    # Same lines in the same places: only CRLF and trailing ASCII blanks differ.
    a = "int main() {\n  return 0;\n}\n"
    b = "int main() {   \r\n  return 0;\t\r\n}\r\n"
    for language in ("cpp", "java"):
        assert normalize_source(a, language) == normalize_source(b, language), language
    # JavaScript is left as written (a template literal can span lines and keep their blanks).
    assert normalize_source(b, "javascript") == b
    a = "def f():\n    return 0\n"
    assert normalize_source(a, "python") == normalize_source("def f():   \r\n    return 0\t\r\n", "python")


def test_leading_whitespace_matters():
    assert normalize_source("x = 1\nif x:\n    y = 2\n", "python") != normalize_source(
        "x = 1\nif x:\n  y = 2\n", "python"
    )


def test_python_comments_are_ignored_but_lines_keep_their_numbers():
    a = "def add(a, b):\n    return a + b\n"
    b = "def add(a, b):  # fast\n    return a + b  # sum them\n"
    assert normalize_source(a, "python") == normalize_source(b, "python")
    # An added comment LINE moves every later line: a traceback can tell them apart.
    shifted = "# my solution\ndef add(a, b):\n    return a + b\n"
    assert normalize_source(a, "python") != normalize_source(shifted, "python")


def test_python_hash_inside_a_string_is_code():
    a = 'print("a # b")\n'
    b = 'print("a ")\n'
    assert normalize_source(a, "python") != normalize_source(b, "python")
    assert "# b" in normalize_source(a, "python")


def test_python_multiline_string_content_is_kept_verbatim():
    a = 'S = """line   \n\n# not a comment\n"""\nprint(S)\n'
    b = 'S = """line\n\n# not a comment\n"""\nprint(S)\n'
    assert normalize_source(a, "python") != normalize_source(b, "python")
    assert "# not a comment" in normalize_source(a, "python")


def test_python_that_does_not_tokenize_is_left_as_it_is():
    broken = "def f(:\n    return (1,\n"
    assert normalize_source(broken + "   ", "python") == broken + "   "


def test_comments_in_other_languages_are_code():
    a = "int f() { return 1; }\n"
    b = "// note\nint f() { return 1; }\n"
    assert normalize_source(a, "cpp") != normalize_source(b, "cpp")


def test_backslash_continuation_keeps_its_trailing_spaces():
    a = "x = 'a\\   \nb'\n"
    b = "x = 'a\\\nb'\n"
    assert normalize_source(a, "javascript") != normalize_source(b, "javascript")


def test_js_template_literals_keep_trailing_spaces():
    a = "const s = `a   \nb`;\n"
    b = "const s = `a\nb`;\n"
    assert normalize_source(a, "javascript") != normalize_source(b, "javascript")

from submissions.normalize import normalize_source


def test_line_endings_and_trailing_whitespace_are_ignored_for_every_language():
    for language in ("python", "javascript", "cpp", "java"):
        a = "int main() {\n  return 0;\n}\n"
        b = "int main() {   \r\n  return 0;\t\r\n}\r\n\r\n"
        assert normalize_source(a, language) == normalize_source(b, language), language


def test_leading_whitespace_matters():
    assert normalize_source("x = 1\nif x:\n    y = 2\n", "python") != normalize_source(
        "x = 1\nif x:\n  y = 2\n", "python"
    )


def test_python_comments_and_blank_lines_are_ignored():
    a = "def add(a, b):\n    return a + b\n"
    b = "# my solution\n\ndef add(a, b):  # fast\n\n    # sum them\n    return a + b\n\n\n"
    assert normalize_source(a, "python") == normalize_source(b, "python")


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


def test_python_that_does_not_tokenize_falls_back_to_generic():
    broken = "def f(:\n    return (1,\n"
    assert normalize_source(broken + "   ", "python") == normalize_source(broken, "python")


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

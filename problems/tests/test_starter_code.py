"""Starter code for the four languages really parses/compiles (real python, node, g++, javac).

The editor starters have empty bodies (pleasant to type into); C++ and Java need a return
statement to compile, so the test inserts a default one where the body is empty.
"""

import re
import shutil
import subprocess

import pytest

from problems.signatures import STDIO_STARTERS, Signature, starter_code

SIGNATURES = [
    {
        "function": "two_sum",
        "params": [{"name": "nums", "type": "list[int]"}, {"name": "target", "type": "int"}],
        "returns": "list[int]",
    },
    {"function": "is_valid", "params": [{"name": "s", "type": "str"}], "returns": "bool"},
    {"function": "merge", "params": [{"name": "intervals", "type": "list[list[int]]"}], "returns": "list[list[int]]"},
    {"function": "num_islands", "params": [{"name": "grid", "type": "list[list[str]]"}], "returns": "int"},
    {"function": "climb_stairs", "params": [{"name": "n", "type": "int"}], "returns": "int"},
    {
        "function": "average_of_levels",
        "params": [{"name": "values", "type": "list[float]"}, {"name": "max_depth", "type": "int"}],
        "returns": "list[float]",
    },
    {"function": "group_words", "params": [{"name": "words", "type": "list[str]"}], "returns": "list[list[str]]"},
    {"function": "flags_to_mask", "params": [{"name": "flags", "type": "list[bool]"}], "returns": "float"},
    {
        "function": "longest_word",
        "params": [{"name": "sentence", "type": "str"}, {"name": "strict_mode", "type": "bool"}],
        "returns": "str",
    },
]
SIGS = [Signature.from_json(s) for s in SIGNATURES]

JAVA_DEFAULTS = {"int": "0", "double": "0.0", "boolean": "false"}


def _needs(binary: str):
    if shutil.which(binary) is None:
        pytest.fail(f"{binary} is not installed (bin/ensure-system-deps installs it)")


def test_python_starters_compile_and_use_snake_case():
    for sig in SIGS:
        code = starter_code(sig, "python")
        compile(code, f"{sig.function}.py", "exec")
        assert code.startswith(f"def {sig.function}(")
    compile(STDIO_STARTERS["python"], "main.py", "exec")
    assert starter_code(SIGS[0], "python").startswith("def two_sum(nums: list[int], target: int) -> list[int]:")


def test_javascript_starters_parse_with_node(tmp_path):
    _needs("node")
    files = []
    for i, sig in enumerate(SIGS):
        code = starter_code(sig, "javascript")
        assert "function " + re.sub(r"_(\w)", lambda m: m.group(1).upper(), sig.function) + "(" in code
        path = tmp_path / f"s{i}.js"
        path.write_text(code)
        files.append(path)
    (tmp_path / "stdio.js").write_text(STDIO_STARTERS["javascript"])
    files.append(tmp_path / "stdio.js")
    for path in files:
        result = subprocess.run(["node", "--check", str(path)], capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, (path.read_text(), result.stderr)
    assert "function twoSum(nums, target) {" in starter_code(SIGS[0], "javascript")


@pytest.mark.slow
def test_cpp_starters_compile_with_gpp(tmp_path):
    _needs("g++")
    header = "#include <bits/stdc++.h>\nusing namespace std;\n\n"
    # One translation unit (bits/stdc++.h parsed once): each starter in its own namespace.
    unit = [header]
    for i, sig in enumerate(SIGS):
        code = starter_code(sig, "cpp")
        assert code.startswith(header)
        # Value-initialised return: valid for every type of the type system.
        code = re.sub(r"\{\n\n    \}", "{\n        return {};\n    }", code[len(header) :], count=1)
        assert "return {};" in code
        unit.append(f"namespace starter{i} {{\n{code}}}\n")
    assert STDIO_STARTERS["cpp"].startswith(header)
    unit.append(STDIO_STARTERS["cpp"][len(header) :])
    path = tmp_path / "starters.cpp"
    path.write_text("".join(unit))
    result = subprocess.run(
        ["g++", "-std=c++17", "-fsyntax-only", "-Wall", "-Werror=return-type", str(path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "vector<int> twoSum(vector<int>& nums, int target) {" in starter_code(SIGS[0], "cpp")


@pytest.mark.slow
def test_java_starters_compile_with_javac(tmp_path):
    _needs("javac")
    files = []
    for i, sig in enumerate(SIGS):
        code = starter_code(sig, "java")
        match = re.search(r"public (\S+) \w+\(", code)
        default = JAVA_DEFAULTS.get(match.group(1), "null")
        code = re.sub(r"\{\n\n    \}", "{\n        return " + default + ";\n    }", code, count=1)
        # One javac run for all: each starter gets its own class name.
        code = code.replace("class Solution", f"class Solution{i}")
        path = tmp_path / f"Solution{i}.java"
        path.write_text(code)
        files.append(str(path))
    (tmp_path / "Main.java").write_text(STDIO_STARTERS["java"])
    files.append(str(tmp_path / "Main.java"))
    result = subprocess.run(["javac", "-d", str(tmp_path / "out"), *files], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "public int[] twoSum(int[] nums, int target) {" in starter_code(SIGS[0], "java")
    assert "public List" not in starter_code(SIGS[2], "java")

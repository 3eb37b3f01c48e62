"""The pack proof: every problems/pack/*.yaml file validates, and its Python reference
solution, run in a subprocess, produces every expected output. Plus the catalog-level
rules of the pack and the reader's strictness on broken files."""

import copy
import json
import subprocess
import sys
from collections import Counter
from functools import cache
from pathlib import Path

import pytest
import yaml

from problems.comparison import text_matches, values_match
from problems.models import Comparison, Difficulty, ProblemKind
from problems.packfile import (
    COMPARISONS,
    DIFFICULTIES,
    KINDS,
    PACK_DIR,
    TOPIC_NAMES,
    PackError,
    PackProblem,
    read_pack_bytes,
    read_pack_dir,
    read_pack_file,
)

PACK_FILES = sorted(PACK_DIR.glob("*.yaml"))
REFERENCE_TIMEOUT_S = 120
MAX_TEST_INPUT_CHARS = 24 * 1024

# Runs in a fresh interpreter: the trusted reference solution against all tests of one
# problem, one JSON result per test. Stdio programs get sys.stdin/sys.stdout swapped per
# test, so they must read through sys.stdin or input() (not open(0)).
RUNNER = r"""
import io, json, sys, time, traceback
job = json.load(sys.stdin)
real_stdout = sys.stdout
results = []
code = compile(job["solution"], "reference.py", "exec")
if job["kind"] == "function":
    namespace = {"__name__": "reference"}
    exec(code, namespace)
    function = namespace[job["function"]]
    for text in job["tests"]:
        args = json.loads(text)
        sys.stdout = io.StringIO()
        try:
            start = time.perf_counter()
            value = function(*[args[name] for name in job["params"]])
            elapsed = (time.perf_counter() - start) * 1000
            results.append({"value": json.loads(json.dumps(value)), "ms": elapsed})
        except Exception:
            results.append({"error": traceback.format_exc()})
        finally:
            sys.stdout = real_stdout
else:
    for text in job["tests"]:
        out = io.BytesIO()
        sys.stdin = io.TextIOWrapper(io.BytesIO(text.encode()), encoding="utf-8")
        sys.stdout = io.TextIOWrapper(out, encoding="utf-8", write_through=True)
        try:
            start = time.perf_counter()
            try:
                exec(code, {"__name__": "__main__"})
            except SystemExit as exc:
                if exc.code not in (None, 0):
                    raise
            elapsed = (time.perf_counter() - start) * 1000
            sys.stdout.flush()
            results.append({"value": out.getvalue().decode(), "ms": elapsed})
        except BaseException:
            results.append({"error": traceback.format_exc()})
        finally:
            sys.stdin, sys.stdout = sys.__stdin__, real_stdout
json.dump(results, real_stdout)
"""


def run_reference(problem: PackProblem) -> list[dict]:
    job = {
        "kind": problem.kind,
        "solution": problem.reference_solution,
        "function": problem.signature["function"] if problem.signature else None,
        "params": [p["name"] for p in problem.signature["params"]] if problem.signature else [],
        "tests": [t.input for t in problem.tests],
    }
    completed = subprocess.run(
        [sys.executable, "-I", "-c", RUNNER],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        timeout=REFERENCE_TIMEOUT_S,
        check=False,
    )
    assert completed.returncode == 0, f"{problem.slug}: reference run failed:\n{completed.stderr[-4000:]}"
    return json.loads(completed.stdout)


@cache
def catalog() -> tuple[PackProblem, ...]:
    return tuple(read_pack_dir())


# --- every pack file -------------------------------------------------------------------


def reference_problems(problem: PackProblem) -> list[str]:
    """Every way the reference solution disagrees with the problem's tests (empty = proven)."""
    results = run_reference(problem)
    assert len(results) == len(problem.tests)
    problems = []
    for test, result in zip(problem.tests, results):
        label = f"{problem.slug} tests[{test.order}]"
        if "error" in result:
            problems.append(f"{label}: reference raised\n{result['error']}")
            continue
        if problem.kind == ProblemKind.FUNCTION:
            if not values_match(json.loads(test.expected), result["value"], test.comparison):
                problems.append(
                    f"{label}: expected {test.expected[:300]} but the reference returns "
                    f"{json.dumps(result['value'])[:300]}"
                )
        elif not text_matches(test.expected, result["value"], test.comparison):
            problems.append(
                f"{label}: expected {test.expected[:300]!r} but the reference prints {result['value'][:300]!r}"
            )
        # If the reference Python cannot meet the limit, no Python student can either.
        if result["ms"] >= problem.time_limit_ms:
            problems.append(f"{label}: reference took {result['ms']:.0f} ms, limit {problem.time_limit_ms} ms")
    return problems


@pytest.mark.parametrize("path", PACK_FILES, ids=[p.stem for p in PACK_FILES])
def test_reference_solution_produces_every_expected_output(path: Path):
    problem = read_pack_file(path)
    assert reference_problems(problem) == []


@pytest.mark.parametrize("path", PACK_FILES, ids=[p.stem for p in PACK_FILES])
def test_pack_file_shape(path: Path):
    problem = read_pack_file(path)
    assert path.name == f"{problem.slug}.yaml"
    assert len(problem.sample_tests) >= 2 and len(problem.hidden_tests) >= 6
    for test in problem.tests:
        assert len(test.input) <= MAX_TEST_INPUT_CHARS, f"{problem.slug} tests[{test.order}] input is too big"
    inputs = [t.input for t in problem.tests]
    assert len(set(inputs)) == len(inputs), f"{problem.slug}: two tests have the same input"


# --- the catalog -----------------------------------------------------------------------

REQUIRED_SIGNATURES = {
    "two-sum": ("two_sum", [("nums", "list[int]"), ("target", "int")], "list[int]"),
    "valid-parentheses": ("is_valid", [("s", "str")], "bool"),
    "longest-substring-without-repeating": ("length_of_longest_substring", [("s", "str")], "int"),
    "merge-intervals": ("merge", [("intervals", "list[list[int]]")], "list[list[int]]"),
    "number-of-islands": ("num_islands", [("grid", "list[list[str]]")], "int"),
    "climbing-stairs": ("climb_stairs", [("n", "int")], "int"),
    "top-k-frequent": ("top_k_frequent", [("nums", "list[int]"), ("k", "int")], "list[int]"),
    "binary-search": ("search", [("nums", "list[int]"), ("target", "int")], "int"),
}


def test_catalog_has_at_least_40_problems():
    assert len(catalog()) >= 40, f"only {len(catalog())} problems in {PACK_DIR}"


@pytest.mark.parametrize("slug", sorted(REQUIRED_SIGNATURES))
def test_required_problem_has_its_exact_signature(slug):
    by_slug = {p.slug: p for p in catalog()}
    assert slug in by_slug, f"required problem {slug} is missing"
    function, params, returns = REQUIRED_SIGNATURES[slug]
    assert by_slug[slug].kind == "function"
    assert by_slug[slug].signature == {
        "function": function,
        "params": [{"name": name, "type": type_} for name, type_ in params],
        "returns": returns,
    }


def test_catalog_has_at_least_5_stdio_problems():
    stdio = [p.slug for p in catalog() if p.kind == "stdio"]
    assert len(stdio) >= 5, f"stdio problems: {stdio}"


def test_catalog_difficulty_mix():
    counts = Counter(p.difficulty for p in catalog())
    assert 13 <= counts["easy"] <= 17, counts
    assert 16 <= counts["medium"] <= 21, counts
    assert 6 <= counts["hard"] <= 9, counts


def test_catalog_uses_every_topic():
    used = {topic for p in catalog() for topic in p.topics}
    assert set(TOPIC_NAMES) - used == set()


def test_reader_value_sets_mirror_the_models():
    assert set(DIFFICULTIES) == set(Difficulty.values)
    assert set(KINDS) == set(ProblemKind.values)
    assert set(COMPARISONS) == set(Comparison.values)


# --- the reader on broken files --------------------------------------------------------

VALID = {
    "slug": "add-two",
    "title": "Add Two",
    "difficulty": "easy",
    "topics": ["math"],
    "kind": "function",
    "signature": {
        "function": "add",
        "params": [{"name": "a", "type": "int"}, {"name": "b", "type": "list[float]"}],
        "returns": "float",
    },
    "statement": "Add `a` to the sum of `b`.\n",
    "reference_solution": "def add(a, b):\n    return a + sum(b)\n",
    "tests": [{"input": {"b": [0.5 * i], "a": i}, "expected": i * 1.5, "sample": i < 2} for i in range(8)],
}
VALID_STDIO = {
    "slug": "echo-sum",
    "title": "Echo Sum",
    "difficulty": "medium",
    "topics": ["math", "strings"],
    "kind": "stdio",
    "comparison": "exact",
    "time_limit_ms": 500,
    "memory_limit_mb": 64,
    "statement": "Print the sum.\n",
    "reference_solution": "print(sum(map(int, input().split())))\n",
    "tests": [{"input": f"{i} 1\n", "expected": f"{i + 1}\n", "sample": i < 2} for i in range(8)],
}


def dump(doc) -> bytes:
    return yaml.safe_dump(doc, sort_keys=False).encode()


def test_reader_accepts_a_valid_function_problem_and_canonicalizes_tests():
    problem = read_pack_bytes(dump(VALID), "add-two.yaml")
    assert problem.slug == "add-two" and problem.topics == ("math",) and problem.kind == "function"
    assert problem.comparison == "exact" and problem.time_limit_ms == 2000 and problem.memory_limit_mb == 256
    assert len(problem.sample_tests) == 2 and len(problem.hidden_tests) == 6
    # Arguments in parameter order although the YAML gave b before a.
    assert problem.tests[3].input == '{"a": 3, "b": [1.5]}'
    assert problem.tests[3].expected == "4.5"
    assert [t.order for t in problem.tests] == list(range(8))


def test_reader_keeps_stdio_text_raw():
    problem = read_pack_bytes(dump(VALID_STDIO), "echo-sum.yaml")
    assert problem.signature is None and problem.time_limit_ms == 500 and problem.memory_limit_mb == 64
    assert problem.tests[0].input == "0 1\n" and problem.tests[0].expected == "1\n"


def _broken(change):
    doc = copy.deepcopy(VALID)
    change(doc)
    return doc


BROKEN = [
    ("missing field", lambda d: d.pop("title"), "missing required field(s): title"),
    ("unknown field", lambda d: d.update(hint="x"), "unknown field(s): hint"),
    ("bad slug", lambda d: d.update(slug="Add_Two"), "slug 'Add_Two'"),
    ("bad difficulty", lambda d: d.update(difficulty="trivial"), "difficulty 'trivial'"),
    ("bad kind", lambda d: d.update(kind="interactive"), "kind 'interactive'"),
    ("bad topic", lambda d: d.update(topics=["math", "linked-lists"]), "unknown topic 'linked-lists'"),
    ("no topics", lambda d: d.update(topics=[]), "topics must be a non-empty list"),
    ("bad comparison", lambda d: d.update(comparison="fuzzy"), "comparison 'fuzzy'"),
    ("bad test comparison", lambda d: d["tests"][4].update(comparison="fuzzy"), "tests[4].comparison 'fuzzy'"),
    ("zero time limit", lambda d: d.update(time_limit_ms=0), "time_limit_ms must be an integer"),
    ("no signature", lambda d: d.pop("signature"), "need a signature"),
    ("bad type", lambda d: d["signature"].update(returns="dict"), "unknown type 'dict'"),
    ("camelCase name", lambda d: d["signature"].update(function="addTwo"), "snake_case"),
    ("missing arg", lambda d: d["tests"][5]["input"].pop("b"), "tests[5].input keys ['a']"),
    ("extra arg", lambda d: d["tests"][5]["input"].update(c=1), "tests[5].input keys"),
    ("bool for int", lambda d: d["tests"][2]["input"].update(a=True), "tests[2].input.a: True is not a int"),
    ("int too big for Java", lambda d: d["tests"][2]["input"].update(a=2**31), "is not a int"),
    ("str for float", lambda d: d["tests"][6].update(expected="1e-6"), "tests[6].expected: '1e-6' is not a float"),
    ("scalar for list", lambda d: d["tests"][6]["input"].update(b=3.0), "tests[6].input.b: 3.0 is not a list"),
    ("no expected", lambda d: d["tests"][1].pop("expected"), "tests[1] is missing expected"),
    ("unknown test key", lambda d: d["tests"][1].update(hidden=True), "tests[1] has unknown field(s): hidden"),
    ("sample not bool", lambda d: d["tests"][1].update(sample="yes please"), "tests[1].sample must be true or false"),
    ("one sample", lambda d: d["tests"][1].update(sample=False), "at least 2 sample tests"),
    ("five hidden", lambda d: d["tests"].pop(), "at least 6 hidden tests, has 5"),
    ("stdio with signature", lambda d: d.update(kind="stdio"), "stdio problems take no signature"),
    ("empty statement", lambda d: d.update(statement="  \n"), "statement must be non-empty text"),
]


@pytest.mark.parametrize(("change", "message"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_reader_rejects_broken_problem_with_a_clear_message(change, message):
    with pytest.raises(PackError) as caught:
        read_pack_bytes(dump(_broken(change)), "upload.yaml")
    assert str(caught.value).startswith("upload.yaml: ")
    assert message in str(caught.value)


def test_reader_rejects_stdio_tests_that_are_not_text():
    doc = copy.deepcopy(VALID_STDIO)
    doc["tests"][3]["input"] = 42
    with pytest.raises(PackError, match=r"tests\[3\]: stdio input and expected must be text"):
        read_pack_bytes(dump(doc), "echo-sum.yaml")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"slug: [unclosed\n", "invalid YAML"),
        (b"\xff\xfe not utf-8", "not UTF-8"),
        (b"- just\n- a list\n", "must be a mapping"),
        # An alias bomb would blow up when the tests are turned into JSON text.
        (b"a: &x [1, 2]\nb: [*x, *x]\n", "aliases"),
    ],
    ids=["yaml", "encoding", "not-mapping", "alias"],
)
def test_reader_rejects_unreadable_documents(data, message):
    with pytest.raises(PackError, match=message):
        read_pack_bytes(data, "upload.yaml")


def test_read_pack_file_requires_the_file_name_to_match_the_slug(tmp_path):
    (tmp_path / "add-three.yaml").write_bytes(dump(VALID))
    with pytest.raises(PackError, match="file name must be add-two.yaml"):
        read_pack_file(tmp_path / "add-three.yaml")


def test_read_pack_dir_reads_every_file_sorted(tmp_path):
    (tmp_path / "echo-sum.yaml").write_bytes(dump(VALID_STDIO))
    (tmp_path / "add-two.yaml").write_bytes(dump(VALID))
    (tmp_path / "notes.txt").write_text("not a pack file")
    assert [p.slug for p in read_pack_dir(tmp_path)] == ["add-two", "echo-sum"]
    with pytest.raises(PackError, match="not a directory"):
        read_pack_dir(tmp_path / "missing")


# --- the proof itself catches wrong packs ----------------------------------------------


def test_proof_reports_a_wrong_expected_output_and_a_crashing_test():
    doc = copy.deepcopy(VALID)
    doc["tests"][4]["expected"] = 7.0  # the reference returns 6.0
    doc["tests"][5]["input"]["b"] = [1e308, 1e308]  # sum overflows to inf, which is not JSON
    doc["reference_solution"] = (
        "import math\n"
        "def add(a, b):\n"
        "    total = a + sum(b)\n"
        "    if math.isinf(total):\n"
        "        raise OverflowError('too big')\n"
        "    return total\n"
    )
    report = reference_problems(read_pack_bytes(dump(doc), "add-two.yaml"))
    assert len(report) == 2
    assert report[0].startswith("add-two tests[4]: expected 7.0 but the reference returns 6.0")
    assert report[1].startswith("add-two tests[5]: reference raised") and "OverflowError: too big" in report[1]


def test_proof_reports_wrong_stdio_output_and_a_slow_reference():
    doc = copy.deepcopy(VALID_STDIO)
    doc["time_limit_ms"] = 100
    doc["tests"][6]["expected"] = "7 \n\n"  # trailing spaces and blank lines are ignored: still correct
    doc["tests"][7]["expected"] = "9\n"  # 7 + 1 is 8
    doc["reference_solution"] = (
        "import sys, time\na, b = map(int, sys.stdin.read().split())\nif a == 5:\n    time.sleep(0.15)\nprint(a + b)\n"
    )
    report = reference_problems(read_pack_bytes(dump(doc), "echo-sum.yaml"))
    assert len(report) == 2
    assert report[0].startswith("echo-sum tests[5]: reference took") and "limit 100 ms" in report[0]
    assert report[1] == "echo-sum tests[7]: expected '9\\n' but the reference prints '8\\n'"


def test_proof_uses_the_test_comparison_mode():
    doc = copy.deepcopy(VALID)
    doc["signature"]["returns"] = "list[float]"
    doc["reference_solution"] = "def add(a, b):\n    return [a, *b]\n"
    for test in doc["tests"]:
        test["expected"] = list(reversed([test["input"]["a"], *test["input"]["b"]]))
        test["comparison"] = "unordered"
    doc["tests"][2]["comparison"] = "exact"  # [0.5 * 2, 2] reversed is a different list
    report = reference_problems(read_pack_bytes(dump(doc), "add-two.yaml"))
    assert [line.split(":")[0] for line in report] == ["add-two tests[2]"]

"""Reader for the problem pack: one YAML file per problem in problems/pack/<slug>.yaml.

The reader only parses and validates; loading into the database is the loader's job.
It imports no Django models so bench scripts and the pack proof test can use it alone;
the value sets below mirror problems.models (problems/tests/test_pack.py checks that).

Function problems store `input` as the JSON object of arguments in parameter order and
`expected` as the JSON value (json.dumps text, as TestCase stores them); stdio problems
keep the raw strings.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from .signatures import Signature, SignatureError, Type

PACK_DIR = Path(__file__).resolve().parent / "pack"

TOPIC_NAMES: dict[str, str] = {
    "arrays-hashing": "Arrays & Hashing",
    "two-pointers": "Two Pointers",
    "sliding-window": "Sliding Window",
    "stack": "Stack",
    "binary-search": "Binary Search",
    "intervals": "Intervals",
    "strings": "Strings",
    "heap": "Heap / Priority Queue",
    "greedy": "Greedy",
    "graphs": "Graphs",
    "trees": "Trees",
    "backtracking": "Backtracking",
    "dynamic-programming": "Dynamic Programming",
    "math": "Math",
}
DIFFICULTIES = ("easy", "medium", "hard")
KINDS = ("function", "stdio")
COMPARISONS = ("exact", "unordered", "unordered_deep", "float")

DEFAULT_COMPARISON = "exact"
DEFAULT_TIME_LIMIT_MS = 2000
DEFAULT_MEMORY_LIMIT_MB = 256
TIME_LIMIT_RANGE_MS = (100, 20_000)
MEMORY_LIMIT_RANGE_MB = (16, 2048)
MIN_SAMPLE_TESTS = 2
MIN_HIDDEN_TESTS = 6
# Admin uploads go through read_pack_bytes; a pack file is a few hundred KB at most.
MAX_PACK_BYTES = 4 * 1024 * 1024

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

_REQUIRED = ("slug", "title", "difficulty", "topics", "kind", "statement", "reference_solution", "tests")
_OPTIONAL = ("signature", "comparison", "time_limit_ms", "memory_limit_mb")
_TEST_REQUIRED = ("input", "expected")
_TEST_OPTIONAL = ("sample", "comparison", "explanation")


class PackError(ValueError):
    """A pack file that cannot be used; the message starts with the file name."""


@dataclass(frozen=True)
class PackTest:
    order: int
    input: str
    expected: str
    is_sample: bool
    comparison: str
    explanation: str = ""


@dataclass(frozen=True)
class PackProblem:
    slug: str
    title: str
    difficulty: str
    topics: tuple[str, ...]
    kind: str
    signature: dict | None
    comparison: str
    time_limit_ms: int
    memory_limit_mb: int
    statement: str
    reference_solution: str
    tests: tuple[PackTest, ...]

    @property
    def sample_tests(self) -> tuple[PackTest, ...]:
        return tuple(t for t in self.tests if t.is_sample)

    @property
    def hidden_tests(self) -> tuple[PackTest, ...]:
        return tuple(t for t in self.tests if not t.is_sample)


# libyaml parses our large flow-style test lists about 10x faster than pure Python.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _load_yaml(text: str):
    """Safe-load one document, refusing anchors/aliases: an alias bomb is tiny as YAML but
    expands exponentially once the tests are turned into JSON text."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        seen: set[int] = set()
        pending = [node]
        while pending:
            current = pending.pop()
            if id(current) in seen:
                raise yaml.composer.ComposerError(
                    None, None, "YAML aliases (*name) are not allowed", current.start_mark
                )
            seen.add(id(current))
            if isinstance(current, yaml.SequenceNode):
                pending.extend(current.value)
            elif isinstance(current, yaml.MappingNode):
                for key, value in current.value:
                    pending.extend((key, value))
        return loader.construct_document(node)
    finally:
        loader.dispose()


def read_pack_dir(path: str | Path | None = None) -> list[PackProblem]:
    """Every *.yaml file of the directory (default problems/pack/), sorted by file name."""
    directory = Path(path) if path is not None else PACK_DIR
    if not directory.is_dir():
        raise PackError(f"{directory}: not a directory")
    problems = []
    seen: dict[str, Path] = {}
    for file in sorted(directory.glob("*.yaml")):
        problem = read_pack_file(file)
        if problem.slug in seen:
            raise PackError(f"{file}: slug {problem.slug!r} already used by {seen[problem.slug]}")
        seen[problem.slug] = file
        problems.append(problem)
    return problems


def read_pack_file(path: str | Path) -> PackProblem:
    """Read and validate one pack file; its name must be `<slug>.yaml`."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PackError(f"{path}: cannot read: {exc}") from exc
    problem = read_pack_bytes(data, str(path))
    if path.name != f"{problem.slug}.yaml":
        raise PackError(f"{path}: file name must be {problem.slug}.yaml to match the slug")
    return problem


def read_pack_bytes(data: bytes, name: str) -> PackProblem:
    """Parse and validate one pack file's content; `name` is only used in error messages."""
    if len(data) > MAX_PACK_BYTES:
        raise PackError(f"{name}: file is {len(data)} bytes; the limit is {MAX_PACK_BYTES}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PackError(f"{name}: not UTF-8: {exc}") from exc
    try:
        doc = _load_yaml(text)
    except yaml.YAMLError as exc:
        raise PackError(f"{name}: invalid YAML: {exc}") from exc
    return _problem_from_doc(doc, name)


def _problem_from_doc(doc, name: str) -> PackProblem:
    def fail(message: str):
        raise PackError(f"{name}: {message}")

    if not isinstance(doc, dict):
        fail("the document must be a mapping of fields")
    _check_keys(doc, _REQUIRED, _OPTIONAL, "", fail)

    slug = doc["slug"]
    if not isinstance(slug, str) or not SLUG_PATTERN.match(slug) or len(slug) > 100:
        fail(f"slug {slug!r} must be lowercase words joined by '-' (a-z, 0-9), at most 100 characters")
    title = _text(doc["title"], "title", fail)
    if len(title) > 200:
        fail("title is longer than 200 characters")
    statement = _text(doc["statement"], "statement", fail)
    reference_solution = _text(doc["reference_solution"], "reference_solution", fail)

    difficulty = _one_of(doc["difficulty"], DIFFICULTIES, "difficulty", fail)
    kind = _one_of(doc["kind"], KINDS, "kind", fail)
    topics = _topics(doc["topics"], fail)
    comparison = _one_of(doc.get("comparison", DEFAULT_COMPARISON), COMPARISONS, "comparison", fail)
    time_limit_ms = _int_in_range(
        doc.get("time_limit_ms", DEFAULT_TIME_LIMIT_MS), "time_limit_ms", TIME_LIMIT_RANGE_MS, fail
    )
    memory_limit_mb = _int_in_range(
        doc.get("memory_limit_mb", DEFAULT_MEMORY_LIMIT_MB), "memory_limit_mb", MEMORY_LIMIT_RANGE_MB, fail
    )
    parsed = _signature(doc, kind, fail)

    raw_tests = doc["tests"]
    if not isinstance(raw_tests, list):
        fail("tests must be a list")
    tests = [_pack_test(raw, order, parsed, comparison, fail) for order, raw in enumerate(raw_tests)]

    samples = sum(1 for t in tests if t.is_sample)
    hidden = len(tests) - samples
    if samples < MIN_SAMPLE_TESTS:
        fail(f"needs at least {MIN_SAMPLE_TESTS} sample tests (sample: true), has {samples}")
    if hidden < MIN_HIDDEN_TESTS:
        fail(f"needs at least {MIN_HIDDEN_TESTS} hidden tests, has {hidden}")

    return PackProblem(
        slug=slug,
        title=title,
        difficulty=difficulty,
        topics=tuple(topics),
        kind=kind,
        signature=parsed.to_json() if parsed is not None else None,
        comparison=comparison,
        time_limit_ms=time_limit_ms,
        memory_limit_mb=memory_limit_mb,
        statement=statement,
        reference_solution=reference_solution,
        tests=tuple(tests),
    )


def _check_keys(mapping: dict, required: tuple, optional: tuple, where: str, fail) -> None:
    missing = [key for key in required if key not in mapping]
    unknown = sorted(str(key) for key in mapping if key not in required + optional)
    if not where:
        if missing:
            fail(f"missing required field(s): {', '.join(missing)}")
        if unknown:
            fail(f"unknown field(s): {', '.join(unknown)}")
    else:
        if missing:
            fail(f"{where} is missing {', '.join(missing)}")
        if unknown:
            fail(f"{where} has unknown field(s): {', '.join(unknown)}")


def _one_of(value, allowed: tuple[str, ...], field: str, fail) -> str:
    if value not in allowed:
        fail(f"{field} {value!r} must be one of {', '.join(allowed)}")
    return value


def _topics(topics, fail) -> list[str]:
    if not isinstance(topics, list) or not topics:
        fail("topics must be a non-empty list of topic slugs")
    for topic in topics:
        if topic not in TOPIC_NAMES:
            fail(f"unknown topic {topic!r}; use one of {', '.join(TOPIC_NAMES)}")
    if len(set(topics)) != len(topics):
        fail("topics contain duplicates")
    return topics


def _signature(doc: dict, kind: str, fail) -> Signature | None:
    """The parsed signature of a function problem; None for stdio problems (which take none)."""
    if kind != "function":
        if doc.get("signature") is not None:
            fail("stdio problems take no signature")
        return None
    if not isinstance(doc.get("signature"), dict):
        fail("function problems need a signature mapping (function, params, returns)")
    try:
        parsed = Signature.from_json(doc["signature"])
    except SignatureError as exc:
        fail(f"signature: {exc}")
    names = [p.name for p in parsed.params]
    if len(set(names)) != len(names):
        fail("signature: parameter names repeat")
    return parsed


def _pack_test(raw, order: int, signature: Signature | None, comparison: str, fail) -> PackTest:
    where = f"tests[{order}]"
    if not isinstance(raw, dict):
        fail(f"{where} must be a mapping with input and expected")
    _check_keys(raw, _TEST_REQUIRED, _TEST_OPTIONAL, where, fail)
    is_sample = raw.get("sample", False)
    if not isinstance(is_sample, bool):
        fail(f"{where}.sample must be true or false")
    test_comparison = _one_of(raw.get("comparison", comparison), COMPARISONS, f"{where}.comparison", fail)
    explanation = raw.get("explanation", "")
    if explanation is None:
        explanation = ""
    if not isinstance(explanation, str):
        fail(f"{where}.explanation must be text")
    if signature is not None:
        input_text, expected_text = _function_test(raw, signature, where, fail)
    else:
        input_text, expected_text = raw["input"], raw["expected"]
        if not isinstance(input_text, str) or not isinstance(expected_text, str):
            fail(f"{where}: stdio input and expected must be text (use a YAML block scalar `|`)")
    return PackTest(
        order=order,
        input=input_text,
        expected=expected_text,
        is_sample=is_sample,
        comparison=test_comparison,
        explanation=explanation.strip(),
    )


def _text(value, field: str, fail) -> str:
    if not isinstance(value, str) or not value.strip():
        fail(f"{field} must be non-empty text")
    text = value.strip()
    return text + "\n" if "\n" in text else text


def _int_in_range(value, field: str, bounds: tuple[int, int], fail) -> int:
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        fail(f"{field} must be an integer from {low} to {high}, got {value!r}")
    return value


def _function_test(raw: dict, signature: Signature, where: str, fail) -> tuple[str, str]:
    args = raw["input"]
    if not isinstance(args, dict):
        fail(f"{where}.input must be a mapping of parameter name to value")
    names = [p.name for p in signature.params]
    if set(args) != set(names):
        fail(f"{where}.input keys {sorted(map(str, args))} must equal the parameters {names}")
    for param in signature.params:
        problem = _type_problem(args[param.name], param.type)
        if problem:
            fail(f"{where}.input.{param.name}: {problem} (declared {param.type})")
    problem = _type_problem(raw["expected"], signature.returns)
    if problem:
        fail(f"{where}.expected: {problem} (declared {signature.returns})")
    # Arguments in parameter order: the harness and the reference call them positionally.
    return json.dumps({name: args[name] for name in names}), json.dumps(raw["expected"])


def _type_problem(value, declared: Type) -> str | None:
    """Why `value` is not a JSON value of the declared type, or None. C++/Java need exact types."""
    if declared.item is not None:
        if not isinstance(value, list):
            return f"{value!r:.60} is not a list"
        for index, item in enumerate(value):
            problem = _type_problem(item, declared.item)
            if problem:
                return f"[{index}] {problem}"
        return None
    name = declared.name
    if name == "bool":
        ok = isinstance(value, bool)
    elif name == "int":
        # C++ and Java map `int` to a 32-bit int, so every value must fit one.
        ok = isinstance(value, int) and not isinstance(value, bool) and -(2**31) <= value < 2**31
    elif name == "float":
        # PyYAML reads 1e-6 (no dot) as a string; that lands here with a clear message.
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    else:
        ok = isinstance(value, str)
    return None if ok else f"{value!r:.60} is not a {name}"

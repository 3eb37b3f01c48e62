"""Pack-file builders for tests: real YAML through the real reader (problems.packfile)."""

import yaml

from problems.packfile import PackProblem, read_pack_bytes


def function_doc(slug: str = "sum-two", **overrides) -> dict:
    doc = {
        "slug": slug,
        "title": slug.replace("-", " ").title(),
        "difficulty": "easy",
        "topics": ["math"],
        "kind": "function",
        "signature": {
            "function": "add",
            "params": [{"name": "a", "type": "int"}, {"name": "b", "type": "int"}],
            "returns": "int",
        },
        "statement": "Return `a + b`.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
        "reference_solution": "def add(a, b):\n    return a + b\n",
        "tests": [
            {"input": {"a": 1, "b": 2}, "expected": 3, "sample": True, "explanation": "1 + 2"},
            {"input": {"a": 5, "b": 5}, "expected": 10, "sample": True},
            *({"input": {"a": 1000 + i, "b": -7}, "expected": 993 + i} for i in range(6)),
        ],
    }
    doc.update(overrides)
    return doc


def stdio_doc(slug: str = "echo-sum", **overrides) -> dict:
    doc = {
        "slug": slug,
        "title": "Echo Sum",
        "difficulty": "medium",
        "topics": ["math", "strings"],
        "kind": "stdio",
        "statement": "Read two numbers, print their sum.",
        "reference_solution": "a, b = map(int, input().split())\nprint(a + b)\n",
        "tests": [
            {"input": "1 2\n", "expected": "3\n", "sample": True},
            {"input": "2 2\n", "expected": "4\n", "sample": True},
            *({"input": f"{i} 900001\n", "expected": f"{i + 900001}\n"} for i in range(6)),
        ],
    }
    doc.update(overrides)
    return doc


def pack_problem(doc: dict) -> PackProblem:
    return read_pack_bytes(yaml.safe_dump(doc, sort_keys=False).encode(), f"{doc['slug']}.yaml")


def yaml_bytes(doc: dict) -> bytes:
    return yaml.safe_dump(doc, sort_keys=False).encode()

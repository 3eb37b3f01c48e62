"""Building executor Jobs for tests: from a pack problem, or from a signature and cases."""

from __future__ import annotations

import json

from problems.packfile import PACK_DIR, read_pack_file
from submissions.executors.base import Job, Limits, TestSpec


def pack_job(slug: str, language: str, code: str, **limits) -> Job:
    problem = read_pack_file(PACK_DIR / f"{slug}.yaml")
    tests = tuple(
        TestSpec(index=k, input=t.input, expected=t.expected, comparison=t.comparison, is_sample=t.is_sample)
        for k, t in enumerate(problem.tests)
    )
    return Job(
        language=language,
        code=code,
        kind=problem.kind,
        signature=problem.signature,
        tests=tests,
        limits=Limits(
            time_limit_ms=limits.get("time_limit_ms", problem.time_limit_ms),
            memory_limit_mb=limits.get("memory_limit_mb", problem.memory_limit_mb),
        ),
    )


def function_job(
    signature: dict,
    code: str,
    cases: list[tuple[dict, object]],
    *,
    language: str = "python",
    comparison: str = "exact",
    time_limit_ms: int = 1000,
    memory_limit_mb: int = 256,
) -> Job:
    """cases: (arguments by name, expected value) pairs; expected None = custom run."""
    tests = tuple(
        TestSpec(
            index=k,
            input=json.dumps(args),
            expected=None if expected is None else json.dumps(expected),
            comparison=comparison,
        )
        for k, (args, expected) in enumerate(cases)
    )
    return Job(
        language=language,
        code=code,
        kind="function",
        signature=signature,
        tests=tests,
        limits=Limits(time_limit_ms=time_limit_ms, memory_limit_mb=memory_limit_mb),
    )


def stdio_job(
    code: str,
    cases: list[tuple[str, str | None]],
    *,
    language: str = "python",
    time_limit_ms: int = 1000,
    memory_limit_mb: int = 256,
    output_limit_bytes: int = 1024 * 1024,
) -> Job:
    tests = tuple(TestSpec(index=k, input=i, expected=e) for k, (i, e) in enumerate(cases))
    return Job(
        language=language,
        code=code,
        kind="stdio",
        signature=None,
        tests=tests,
        limits=Limits(
            time_limit_ms=time_limit_ms, memory_limit_mb=memory_limit_mb, output_limit_bytes=output_limit_bytes
        ),
    )


TWO_SUM = {
    "function": "two_sum",
    "params": [{"name": "nums", "type": "list[int]"}, {"name": "target", "type": "int"}],
    "returns": "list[int]",
}
TWO_SUM_CASES = [
    ({"nums": [2, 7, 11, 15], "target": 9}, [0, 1]),
    ({"nums": [3, 2, 4], "target": 6}, [1, 2]),
    ({"nums": [3, 3], "target": 6}, [0, 1]),
    ({"nums": [1, 5, 9, 2], "target": 11}, [2, 3]),
]

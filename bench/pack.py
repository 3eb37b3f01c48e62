"""Problem pack benchmark: how long reading the pack takes, and what it holds.

    .venv/bin/python bench/pack.py [--rounds 5]

Reads every problems/pack/*.yaml file through problems.packfile (libyaml CSafeLoader
when available) and, for comparison, parses the same bytes with PyYAML's pure-Python
SafeLoader (what the reader would cost without libyaml). Then runs every Python
reference solution over all its tests, one subprocess per problem (as the pack proof
test does) and reports the slowest problems. Prints the catalog size too.
No database or Django settings needed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from problems import packfile  # noqa: E402

# Same runner contract as problems/tests/test_pack.py, function problems and stdio alike.
RUNNER = r"""
import io, json, sys, time
job = json.load(sys.stdin)
out = sys.stdout
code = compile(job["solution"], "reference.py", "exec")
start = time.perf_counter()
if job["function"]:
    ns = {}
    exec(code, ns)
    for text in job["tests"]:
        args = json.loads(text)
        json.dumps(ns[job["function"]](*[args[p] for p in job["params"]]))
else:
    for text in job["tests"]:
        sys.stdin = io.TextIOWrapper(io.BytesIO(text.encode()), encoding="utf-8")
        sys.stdout = io.StringIO()
        exec(code, {"__name__": "__main__"})
        sys.stdout = out
out.write(json.dumps((time.perf_counter() - start) * 1000))
"""


def timed(fn, rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    files = sorted(packfile.PACK_DIR.glob("*.yaml"))
    blobs = [f.read_bytes() for f in files]
    problems = packfile.read_pack_dir()
    tests = sum(len(p.tests) for p in problems)
    print(f"pack: {len(problems)} problems, {tests} tests, {sum(map(len, blobs)) / 1024:.0f} KiB YAML")
    print(f"  difficulty: {dict(Counter(p.difficulty for p in problems))}")
    print(f"  kind: {dict(Counter(p.kind for p in problems))}")

    reader_ms = timed(packfile.read_pack_dir, args.rounds)
    pure_ms = timed(lambda: [yaml.load(b, Loader=yaml.SafeLoader) for b in blobs], args.rounds)  # noqa: S506
    print(f"read_pack_dir (loader {packfile._Loader.__name__}, validation included): {reader_ms:.0f} ms")
    print(f"pure-Python yaml.SafeLoader, parsing only: {pure_ms:.0f} ms")

    per_problem = []
    wall_start = time.perf_counter()
    for problem in problems:
        job = {
            "solution": problem.reference_solution,
            "function": problem.signature["function"] if problem.signature else None,
            "params": [p["name"] for p in problem.signature["params"]] if problem.signature else [],
            "tests": [t.input for t in problem.tests],
        }
        done = subprocess.run(
            [sys.executable, "-I", "-c", RUNNER],
            input=json.dumps(job),
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        per_problem.append((float(done.stdout), problem.slug))
    wall_ms = (time.perf_counter() - wall_start) * 1000
    per_problem.sort(reverse=True)
    print(
        f"reference solutions, all tests, one subprocess per problem: {wall_ms:.0f} ms wall "
        f"({wall_ms / len(problems):.0f} ms per problem incl. interpreter start)"
    )
    print(
        "  slowest (in-process time for all tests): " + ", ".join(f"{slug} {ms:.0f} ms" for ms, slug in per_problem[:5])
    )


if __name__ == "__main__":
    main()

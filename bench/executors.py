"""Execution layer figures on this machine, in the real bubblewrap sandbox:

1. per language and N tests (synthetic function problem `add_pair(a, b) -> int`):
   executions and wall time of the one-execution harness vs one process per test
   (the same logic as a stdio program, run once per test, as a classic judge does);
2. sandbox start-up overhead: a bare `python3 -c pass` / `/bin/true` vs the same inside
   bwrap (slot uid, rlimits, namespaces);
3. with --harness: the supervised harness vs the legacy in-process harness, same job,
   interleaved runs, p50 and p90 wall time of a function submission (Python, JavaScript).

    DEBUG=true .venv/bin/python bench/executors.py [--sizes 1,10,50,100] [--languages python,javascript,cpp,java]
        [--repeat 3]
    DEBUG=true .venv/bin/python bench/executors.py --harness [--sizes 1,10] [--repeat 15]

Wall times include compiling once (C++/Java) and are the median of --repeat runs.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "codementor.settings")
os.environ.setdefault("DEBUG", "true")

import django  # noqa: E402

django.setup()

from submissions.executors.base import Job, Limits, TestSpec, Verdict  # noqa: E402
from submissions.executors.local import LocalExecutor  # noqa: E402
from submissions.executors.sandbox import SandboxLimits, acquire_slot, run_in_sandbox  # noqa: E402

SIGNATURE = {
    "function": "add_pair",
    "params": [{"name": "a", "type": "int"}, {"name": "b", "type": "int"}],
    "returns": "int",
}
FUNCTION_CODE = {
    "python": "def add_pair(a, b):\n    return a + b\n",
    "javascript": "function addPair(a, b) {\n  return a + b;\n}\n",
    "cpp": "class Solution {\npublic:\n    int addPair(int a, int b) { return a + b; }\n};\n",
    "java": "class Solution {\n    public int addPair(int a, int b) { return a + b; }\n}\n",
}
STDIO_CODE = {
    "python": "a, b = map(int, input().split())\nprint(a + b)\n",
    "javascript": "const [a, b] = require('fs').readFileSync(0, 'utf8').trim().split(/\\s+/).map(Number);\n"
    "console.log(a + b);\n",
    "cpp": "#include <bits/stdc++.h>\nint main() {\n  long long a, b;\n  std::cin >> a >> b;\n"
    "  std::cout << a + b << '\\n';\n}\n",
    "java": "import java.util.*;\npublic class Main {\n  public static void main(String[] x) {\n"
    "    Scanner in = new Scanner(System.in);\n"
    "    System.out.println(in.nextLong() + in.nextLong());\n  }\n}\n",
}


def function_job(language: str, n: int) -> Job:
    tests = tuple(
        TestSpec(index=k, input=json.dumps({"a": k, "b": 2 * k}), expected=json.dumps(3 * k)) for k in range(n)
    )
    return Job(
        language=language,
        code=FUNCTION_CODE[language],
        kind="function",
        signature=SIGNATURE,
        tests=tests,
        limits=Limits(time_limit_ms=1000),
    )


def stdio_job(language: str, n: int) -> Job:
    tests = tuple(TestSpec(index=k, input=f"{k} {2 * k}\n", expected=f"{3 * k}\n") for k in range(n))
    return Job(
        language=language,
        code=STDIO_CODE[language],
        kind="stdio",
        signature=None,
        tests=tests,
        limits=Limits(time_limit_ms=2000),
    )


def measure(job: Job, repeat: int) -> tuple[int, float]:
    walls, executions = [], set()
    for _ in range(repeat):
        started = time.perf_counter()
        report = LocalExecutor().run(job)
        walls.append((time.perf_counter() - started) * 1000)
        if report.verdict != Verdict.ACCEPTED:
            raise SystemExit(f"{job.language}/{job.kind}: {report.verdict} {report.compile_output[:300]}")
        executions.add(report.executions)
    assert len(executions) == 1
    return executions.pop(), statistics.median(walls)


def startup(repeat: int) -> list[tuple[str, float, float]]:
    rows = []
    for label, command in (
        ("/bin/true", ["/bin/true"]),
        ("python3 -c pass", ["/usr/bin/python3", "-c", "pass"]),
        ("node -e 0", ["/usr/bin/node", "-e", "0"]),
    ):
        # RLIMIT_AS breaks V8 (sandbox.md): none for node, as in the executor.
        limits = SandboxLimits(wall_seconds=10, cpu_seconds=10, address_space_mb=None if "node" in label else 512)
        bare = []
        for _ in range(repeat):
            started = time.perf_counter()
            subprocess.run(command, check=True, env={"PATH": "/usr/bin"})
            bare.append((time.perf_counter() - started) * 1000)
        boxed = []
        with acquire_slot() as slot:
            for _ in range(repeat):
                started = time.perf_counter()
                result = run_in_sandbox(command, slot=slot, limits=limits)
                boxed.append((time.perf_counter() - started) * 1000)
                assert result.exit_code == 0, result.stderr
        rows.append((label, statistics.median(bare), statistics.median(boxed)))
    return rows


def harness_comparison(languages: list[str], sizes: list[int], repeat: int) -> None:
    """Supervised (LocalExecutor.run) vs legacy (the in-process harness) on one function job."""
    print(
        "| language | N tests | legacy p50 ms | supervised p50 ms | added p50 ms | legacy p90 | supervised p90 |"
        " executions |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    executor = LocalExecutor()
    for language in languages:
        for n in sizes:
            job = function_job(language, n)
            walls = {"legacy": [], "supervised": []}
            executions = set()
            for _ in range(repeat):
                for name, run in (("legacy", executor._run_function_legacy), ("supervised", executor.run)):
                    started = time.perf_counter()
                    report = run(job)
                    walls[name].append((time.perf_counter() - started) * 1000)
                    if report.verdict != Verdict.ACCEPTED:
                        raise SystemExit(f"{name} {language}: {report.verdict} {[t.message for t in report.tests]}")
                    if name == "supervised":
                        executions.add(report.executions)

            def pct(values, q):
                return statistics.quantiles(values, n=10)[q - 1] if len(values) > 1 else values[0]

            legacy, supervised = statistics.median(walls["legacy"]), statistics.median(walls["supervised"])
            print(
                f"| {language} | {n} | {legacy:.0f} | {supervised:.0f} | {supervised - legacy:+.0f} | "
                f"{pct(walls['legacy'], 9):.0f} | {pct(walls['supervised'], 9):.0f} | "
                f"{','.join(map(str, sorted(executions)))} |",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1,10,50,100")
    parser.add_argument("--languages", default="python,javascript,cpp,java")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--harness", action="store_true", help="supervised vs legacy harness (Python, JS)")
    args = parser.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    if args.harness:
        languages = [x for x in args.languages.split(",") if x in ("python", "javascript")]
        harness_comparison(languages, sizes, args.repeat)
        return

    print(
        "| language | N tests | harness: executions | harness: wall ms | per process: executions | "
        "per process: wall ms | speed-up |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    LocalExecutor().run(function_job("cpp", 1))  # builds the C++ precompiled header once
    for language in args.languages.split(","):
        for n in sizes:
            h_exec, h_wall = measure(function_job(language, n), args.repeat)
            s_exec, s_wall = measure(stdio_job(language, n), args.repeat)
            print(
                f"| {language} | {n} | {h_exec} | {h_wall:.0f} | {s_exec} | {s_wall:.0f} | {s_wall / h_wall:.1f}x |",
                flush=True,
            )

    print()
    print("| command | bare process ms | in sandbox ms | overhead ms |")
    print("|---|---:|---:|---:|")
    for label, bare, boxed in startup(max(args.repeat, 10)):
        print(f"| {label} | {bare:.1f} | {boxed:.1f} | {boxed - bare:.1f} |")


if __name__ == "__main__":
    main()

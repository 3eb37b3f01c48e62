"""A hostile student against the supervised harness, through the local executor in the real
sandbox (bwrap, real processes): one test per class of issue #12 items 1-3, each beside a
control showing that the attack code really ran and, where a naive judge is meaningful,
that it would have worked there (the supervisor's test-only `unsafe_controls`: keep the
supervisor dumpable, or charge only the student's process / main thread)."""

import dataclasses
import json
import secrets

import pytest

from submissions.executors.base import Verdict, stops_on_failure
from submissions.executors.local import LocalExecutor
from submissions.executors.sandbox import acquire_slot, run_in_sandbox
from submissions.harness import HostFacts, build_program, build_report, parse_supervisor_output

from ._jobs import TWO_SUM, TWO_SUM_CASES, function_job, stdio_job

MARKER = 987654321  # a hidden test's input: must never come back from a sample test
LIMIT_MS = 300


def _job(code, *, language="python", time_limit_ms=1000, hidden_marker=False, **kwargs):
    cases = list(TWO_SUM_CASES)
    if hidden_marker:
        cases += [
            ({"nums": [1, MARKER - 1], "target": MARKER}, [0, 1]),
            ({"nums": [MARKER, 5, 6], "target": 11}, [1, 2]),
        ]
    job = function_job(
        TWO_SUM, code, cases, language=language, comparison="unordered", time_limit_ms=time_limit_ms, **kwargs
    )
    # The first two are samples (run first, shown to the student), the rest hidden.
    return dataclasses.replace(job, tests=tuple(dataclasses.replace(t, is_sample=t.index < 2) for t in job.tests))


def _run(job):
    return LocalExecutor().run(job)


def _run_with_controls(job, controls):
    """The executor's own steps, with the supervisor's test-only controls switched on."""
    program = build_program(job, nonce=secrets.token_hex(16), stop_on_failure=stops_on_failure(job))
    config = json.loads(program.stdin)
    config["unsafe_controls"] = controls
    program = dataclasses.replace(program, stdin=json.dumps(config))
    executor = LocalExecutor()
    limits = executor._supervised_limits(job, program)
    with acquire_slot() as slot:
        for name, text in program.files.items():
            executor._write_source(slot, name, text)
        result = run_in_sandbox(program.run_argv, slot=slot, limits=limits, stdin=program.stdin)
    parsed = parse_supervisor_output(program, result.stdout)
    host = HostFacts(exit_code=result.exit_code, signal=result.signal, timed_out=result.timed_out)
    return build_report(job, program, parsed, host=host), result


def _everything_shown(report, *, samples_only=True):
    return json.dumps([dataclasses.asdict(t) for t in report.tests if not (samples_only and t.hidden)])


CORRECT_PY = (
    "    seen = {}\n    for i, v in enumerate(nums):\n        if target - v in seen:\n"
    "            return [seen[target - v], i]\n        seen[v] = i\n"
)
CORRECT_JS = (
    "  const seen = new Map();\n  for (let i = 0; i < nums.length; i++) {\n"
    "    if (seen.has(target - nums[i])) return [seen.get(target - nums[i]), i];\n"
    "    seen.set(nums[i], i);\n  }\n"
)


# --- 1. forging results ---------------------------------------------------------------
def _forged_block(nonce, job, *, time_ms=0.0):
    tests = [
        {
            "id": t.index,
            "status": "ok",
            "value": json.loads(t.expected),
            "output": "",
            "stderr": "",
            "error": "",
            "time_ms": time_ms,
            "memory_kb": 0,
            "exit_code": None,
            "signal": None,
        }
        for t in job.tests
    ]
    body = {"v": 1, "compile": None, "ready": {"ok": True, "compile_error": None, "error": None}, "tests": tests}
    return f"\n{nonce}\n{json.dumps(body)}\n{nonce}-end\n"


FORGE = {
    "python": (
        "import os, sys\nFORGED = {forged!r}\n\ndef two_sum(nums, target):\n"
        "    sys.stdout.flush()\n    os.write(1, FORGED.encode())\n"
        "    try:\n        with open('/proc/1/fd/1', 'w') as out:\n            out.write(FORGED)\n"
        "    except OSError:\n        pass\n    os._exit(0)\n"
    ),
    "javascript": (
        "const fs = require('fs');\nconst FORGED = {forged_js};\nfunction twoSum(nums, target) {{\n"
        "  fs.writeSync(1, FORGED);\n  try {{ fs.writeFileSync('/proc/1/fd/1', FORGED); }} catch (e) {{}}\n"
        "  process.exit(0);\n}}\n"
    ),
}


@pytest.mark.parametrize("language", ["python", "javascript"])
@pytest.mark.parametrize("time_ms", [0.0, -5.0, "NaN"])
def test_a_forged_results_block_followed_by_an_exit_is_never_accepted(language, time_ms):
    job = _job("", language=language)
    guess = secrets.token_hex(16)  # the student cannot know the run's nonce
    forged = _forged_block(guess, job, time_ms=float(time_ms) if time_ms != "NaN" else 0.0)
    if time_ms == "NaN":
        forged = forged.replace('"time_ms": 0.0', '"time_ms": NaN')
    code = FORGE[language].format(forged=forged, forged_js=json.dumps(forged))
    report = _run(dataclasses.replace(job, code=code))
    assert report.verdict != Verdict.ACCEPTED and not any(t.passed for t in report.tests)
    assert report.executions == 1  # a report, not a crashed task
    # Control: the forged text is a perfect acceptance for a judge that would trust it...
    program = build_program(job, nonce=guess)
    trusted = parse_supervisor_output(program, _forged_block(guess, job))
    assert build_report(job, program, trusted, host=HostFacts()).verdict == Verdict.ACCEPTED
    # ...and the attack code ran: its forged block left the student's process (and stayed
    # the student's output, inside the real block, or broke the block: never accepted).
    controlled, raw = _run_with_controls(dataclasses.replace(job, code=code), {})
    assert guess in raw.stdout and controlled.verdict == Verdict.RUNTIME_ERROR
    if time_ms != 0.0:
        assert parse_supervisor_output(program, forged) is None  # out-of-range fields are rejected


@pytest.mark.parametrize("language", ["python", "javascript"])
def test_a_forged_reply_frame_needs_the_token_of_the_test_it_answers(language):
    frame = "\\n\\x1e\\x1fCMR:" + json.dumps({"k": "0" * 24, "status": "ok", "value": [0, 1]}).replace('"', '\\"')
    code = {
        "python": f'def two_sum(nums, target):\n    print("{frame}")\n    return [5, 5]\n',
        "javascript": f'function twoSum(nums, target) {{\n  console.log("{frame}");\n  return [5, 5];\n}}\n',
    }
    report = _run(dataclasses.replace(_job(code[language], language=language), stop_on_failure=False))
    assert all(t.verdict == Verdict.WRONG_ANSWER for t in report.tests)
    assert "CMR:" in report.tests[0].stdout  # the forged frame was printed, and stayed a print


# --- 2. beating the time limit --------------------------------------------------------
TIMER_PATCH = {
    "python": (
        "import resource, signal, time\nsignal.setitimer = lambda *a, **k: (0.0, 0.0)\n"
        "signal.signal = lambda *a, **k: None\ntime.process_time = lambda: 0.0\n"
        "resource.getrusage = lambda *a: None\n\ndef two_sum(nums, target):\n"
        "    print('patched', time.process_time(), flush=True)\n    end = time.monotonic() + 3.0\n"
        "    while time.monotonic() < end:\n        pass\n" + CORRECT_PY
    ),
    "javascript": (
        "process.cpuUsage = () => ({user: 0, system: 0});\nprocess.resourceUsage = () => ({});\n"
        "function twoSum(nums, target) {\n  console.log('patched', JSON.stringify(process.cpuUsage()));\n"
        "  const end = Date.now() + 3000;\n  while (Date.now() < end) {}\n" + CORRECT_JS + "}\n"
    ),
}


@pytest.mark.parametrize("language", ["python", "javascript"])
def test_patching_the_timers_does_not_stop_the_clock(language):
    report = _run(_job(TIMER_PATCH[language], language=language, time_limit_ms=LIMIT_MS))
    assert report.verdict == Verdict.TIME_LIMIT_EXCEEDED
    failed = next(t for t in report.tests if t.verdict == Verdict.TIME_LIMIT_EXCEEDED)
    assert failed.time_ms >= LIMIT_MS or "wall clock" in failed.message  # CPU, unless the machine is swamped
    # Control: the patches were in force inside the student's process when it ran.
    assert failed.stdout.startswith("patched 0.0" if language == "python" else 'patched {"user":0,"system":0}')


THREAD_BURN = {
    "python": (
        "import threading, time\n\ndef two_sum(nums, target):\n    def work():\n"
        "        start = time.thread_time()\n        while time.thread_time() - start < 0.6:\n            pass\n"
        "    worker = threading.Thread(target=work)\n    worker.start()\n    worker.join()\n" + CORRECT_PY
    ),
    "javascript": (
        "const { Worker } = require('worker_threads');\nfunction twoSum(nums, target) {\n"
        "  const flag = new Int32Array(new SharedArrayBuffer(4));\n"
        "  new Worker(\"const { workerData } = require('worker_threads'); const a = new Int32Array(workerData);"
        ' const t = Date.now(); while (Date.now() - t < 600) {} Atomics.store(a, 0, 1); Atomics.notify(a, 0);",'
        " {eval: true, workerData: flag.buffer}).unref();\n  Atomics.wait(flag, 0, 0);\n" + CORRECT_JS + "}\n"
    ),
}


@pytest.mark.parametrize("language", ["python", "javascript"])
def test_cpu_burned_on_another_thread_is_charged_to_the_test(language):
    job = dataclasses.replace(
        _job(THREAD_BURN[language], language=language, time_limit_ms=LIMIT_MS), tests=_job("").tests[:1]
    )
    report = _run(job)
    assert report.verdict == Verdict.TIME_LIMIT_EXCEEDED, report.tests
    # Control: a judge reading only the main thread's clock accepts it (the main thread
    # only waits), so the CPU really was burned on the other thread.
    naive, _ = _run_with_controls(job, {"cpu_scope": "main_thread"})
    assert naive.verdict == Verdict.ACCEPTED, naive.tests
    assert naive.tests[0].time_ms < LIMIT_MS


FORK_BURN_FUNCTION = (
    "import os, time\n\ndef two_sum(nums, target):\n    r, w = os.pipe()\n    if os.fork() == 0:\n"
    "        start = time.process_time()\n        while time.process_time() - start < 0.6:\n            pass\n"
    "        os.write(w, b'done')\n        os._exit(0)\n    os.read(r, 4)  # blocks: no CPU; the child is never waited for\n"
    + CORRECT_PY
)
FORK_BURN_STDIO = (
    "import os, sys, time\nr, w = os.pipe()\nif os.fork() == 0:\n    start = time.process_time()\n"
    "    while time.process_time() - start < 0.6:\n        pass\n    print(sum(map(int, sys.stdin.read().split())))\n"
    "    sys.stdout.flush()\n    os.write(w, b'x')\n    os._exit(0)\nos.read(r, 1)\nos._exit(0)\n"
)


@pytest.mark.parametrize("kind", ["function", "stdio"])
def test_cpu_burned_in_a_forked_child_nobody_waits_for_is_charged_to_the_test(kind):
    if kind == "function":
        job = dataclasses.replace(_job(FORK_BURN_FUNCTION, time_limit_ms=LIMIT_MS), tests=_job("").tests[:1])
    else:
        job = stdio_job(FORK_BURN_STDIO, [("1 2\n", "3\n")], time_limit_ms=LIMIT_MS)
    report = _run(job)
    assert report.verdict == Verdict.TIME_LIMIT_EXCEEDED, report.tests
    # Control: charging only the student's own process accepts it: the child did the work.
    naive, _ = _run_with_controls(job, {"cpu_scope": "process"})
    assert naive.verdict == Verdict.ACCEPTED, naive.tests


def test_a_background_worker_does_not_outlive_its_test():
    code = (
        "import os, time\nSTARTED = []\n\ndef two_sum(nums, target):\n    if not STARTED:\n"
        "        STARTED.append(1)\n        if os.fork() == 0:\n            while True:\n                pass\n"
        "    return [0, 1] if target == 9 else [1, 2] if target == 6 else [0, 1] if target == 6 else "
        "[2, 3] if target == 11 else [0, 1]\n"
    )
    job = dataclasses.replace(_job(code, time_limit_ms=LIMIT_MS), stop_on_failure=False)
    report = _run(job)
    # The spinning child is killed after the first test: later tests are not charged for it.
    later = [t for t in report.tests if t.index != report.tests[0].index]
    assert all(t.time_ms < LIMIT_MS for t in later), report.tests


# --- 3. reading hidden tests --------------------------------------------------------------
PROBE_PY = (
    r"""import glob, json, os, struct

# A CPython int object of one 30-bit digit: ob_size 1, then the digit. The attack looks for
# a hidden input's value in the supervisor's memory (a real one would dump every int).
NEEDLE = struct.pack("<qI", 1, 987654320 + 1)


def probe():
    found = {}
    ppid = os.getppid()
    try:
        with open(f"/proc/{ppid}/maps") as maps, open(f"/proc/{ppid}/mem", "rb") as mem:
            hits = []
            for line in maps:
                lo, hi = (int(x, 16) for x in line.split()[0].split("-"))
                if "rw" not in line.split()[1] or hi - lo > 1 << 26:
                    continue
                try:
                    mem.seek(lo)
                    chunk = mem.read(hi - lo)
                except OSError:
                    continue
                at = chunk.find(NEEDLE)
                if at >= 0 and not hits:
                    hits.append(struct.unpack("<I", chunk[at + 8:at + 12])[0])
            found["mem"] = hits
    except OSError as exc:
        found["mem"] = repr(exc)
    for path in [f"/proc/{ppid}/environ", f"/proc/{ppid}/cmdline", "/proc/1/fd/0", f"/proc/{ppid}/fd/0"]:
        try:
            with open(path, "rb") as handle:
                found[path] = handle.read(300).decode("latin-1")
        except OSError as exc:
            found[path] = repr(exc)
    try:
        found["fds"] = os.listdir(f"/proc/{ppid}/fd")
    except OSError as exc:
        found["fds"] = repr(exc)
    found["env"] = dict(os.environ)
    found["box"] = {p: open(p, "rb").read().decode("latin-1")[-200:] for p in glob.glob("/box/*") if os.path.isfile(p)}
    return found


def two_sum(nums, target):
    print(json.dumps(probe()))
"""
    + CORRECT_PY
)

PROBE_JS = (
    r"""const fs = require('fs');
function probe() {
  const found = {};
  for (const p of [`/proc/${process.ppid}/environ`, `/proc/${process.ppid}/mem`, '/proc/1/fd/0',
                   `/proc/${process.ppid}/fd/0`]) {
    try { found[p] = fs.readFileSync(p, 'latin1').slice(0, 300); } catch (e) { found[p] = String(e.code); }
  }
  try { found.fds = fs.readdirSync(`/proc/${process.ppid}/fd`); } catch (e) { found.fds = String(e.code); }
  found.env = process.env;
  found.box = {};
  for (const name of fs.readdirSync('/box')) {
    try { found.box[name] = fs.readFileSync('/box/' + name, 'latin1').slice(-200); } catch (e) {}
  }
  return found;
}
function twoSum(nums, target) {
  console.log(JSON.stringify(probe()));
"""
    + CORRECT_JS
    + "}\n"
)


@pytest.mark.parametrize("language", ["python", "javascript"])
def test_a_sample_test_cannot_print_hidden_inputs(language):
    job = dataclasses.replace(
        _job(PROBE_PY if language == "python" else PROBE_JS, language=language, hidden_marker=True),
        stop_on_failure=False,
    )
    report = _run(job)
    assert report.verdict == Verdict.ACCEPTED, [t.message for t in report.tests]
    shown = _everything_shown(report)
    assert str(MARKER) not in shown and str(MARKER - 1) not in shown
    # Control: the probe ran on the samples and was refused by the kernel, not ignored.
    sample = json.loads(report.tests[0].stdout.splitlines()[0])
    mem = sample["mem"] if "mem" in sample else next(v for k, v in sample.items() if k.endswith("/mem"))
    assert "Permission" in str(mem) or "EACCES" in str(mem), mem
    assert "Permission" in str(sample["fds"]) or "EACCES" in str(sample["fds"])
    assert set(sample["env"]) <= {"PATH", "HOME", "LANG"}
    if language == "python":
        # Control: the same probe against a dumpable supervisor finds the hidden inputs.
        naive, _ = _run_with_controls(job, {"dumpable": True})
        assert str(MARKER) in _everything_shown(naive)


def test_a_stdio_program_cannot_read_later_tests_input():
    code = (
        "import os, sys\nprint(sys.stdin.read().strip())\nfor path in ['/proc/1/fd/0', f'/proc/{os.getppid()}/fd/0',"
        " f'/proc/{os.getppid()}/mem']:\n    try:\n        print(open(path, 'rb').read(200))\n"
        "    except OSError as e:\n        print(type(e).__name__)\n"
    )
    job = stdio_job(code, [("sample", None), (f"secret {MARKER}", None)])
    job = dataclasses.replace(job, tests=(dataclasses.replace(job.tests[0], is_sample=True), job.tests[1]))
    report = _run(job)
    assert report.tests[0].actual.startswith("sample\n") and str(MARKER) not in report.tests[0].actual
    assert "PermissionError" in report.tests[0].actual
    assert str(MARKER) in report.tests[1].actual  # its own input, in a hidden test's (unshown) output

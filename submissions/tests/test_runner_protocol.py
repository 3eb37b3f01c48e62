"""The C++ and Java runners of the supervised harness, driven over the runner protocol.

No supervisor of ours is needed: a small stand-in (FAKE_SUPERVISOR below, stdlib Python)
runs inside the real sandbox next to the compiled runner, spawns it with its own pipes,
waits for the ready frame, sends one request line per test with a fresh token, takes
the reply frame with that token (every other byte is the student's prints) and writes a
transcript. It also holds a nonce the runner never receives, to prove that nothing of
the runner (memory, argv, environment, files) carries one.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from problems.comparison import values_match
from problems.packfile import PACK_DIR, read_pack_file
from problems.signatures import Signature
from submissions.executors.sandbox import (
    CPP_FLAGS,
    SandboxLimits,
    acquire_slot,
    cpp_precompiled_header,
    run_in_sandbox,
)
from submissions.harness import cpp, java

pytestmark = pytest.mark.slow

SOLUTIONS = Path(__file__).parent / "solutions"
EXTENSIONS = {"cpp": "cpp", "java": "java"}
SLUGS = sorted({p.stem for p in SOLUTIONS.glob("*.cpp")})
FRAME = "\n\x1e\x1fCMR:"

# The stand-in supervisor (runs as `python3 -I fake_supervisor.py` in /box, Python >= 3.8).
FAKE_SUPERVISOR = r'''
import ctypes, json, os, re, secrets, select, subprocess, sys, time

MARK = b"\n\x1e\x1fCMR:"
cfg = json.loads(sys.stdin.buffer.read())
null = os.open("/dev/null", os.O_RDONLY)
os.dup2(null, 0)
nonce = cfg["nonce"].encode()
def cpu_ms(pid):
    fields = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000.0 / os.sysconf("SC_CLK_TCK")


def scan(pid, needle):
    """Where `needle` occurs in the process: its readable memory, argv, environment."""
    found = []
    for name in ("cmdline", "environ"):
        try:
            if needle in open("/proc/%d/%s" % (pid, name), "rb").read():
                found.append(name)
        except OSError as exc:
            found.append("%s unreadable: %s" % (name, exc))
    total = 0
    with open("/proc/%d/mem" % pid, "rb", 0) as mem:
        for line in open("/proc/%d/maps" % pid):
            addr, perms = line.split()[:2]
            if perms[0] != "r" or line.rstrip().endswith(("[vvar]", "[vsyscall]")):
                continue
            low, high = (int(x, 16) for x in addr.split("-"))
            tail = b""
            for offset in range(low, high, 1 << 20):
                if total > 1200 << 20:
                    found.append("scan truncated")
                    return found
                try:
                    mem.seek(offset)
                    chunk = mem.read(min(1 << 20, high - offset))
                except (OSError, ValueError, OverflowError):
                    break
                total += len(chunk)
                if needle in tail + chunk:
                    found.append("memory %s" % addr)
                    break
                tail = chunk[-len(needle):]
    return found


result = {"replies": []}
if cfg.get("scan"):
    # Control, before going non-dumpable (which closes our own /proc/<pid>/mem too).
    result["scan_self"] = scan(os.getpid(), nonce)
if cfg.get("nondumpable"):
    ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE, 0: as the real supervisor does
proc = subprocess.Popen(cfg["argv"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                        close_fds=True, start_new_session=True, cwd="/box",
                        env={"PATH": "/usr/bin", "HOME": "/box", "LANG": "C.UTF-8"})
bufs = {proc.stdout.fileno(): bytearray(), proc.stderr.fileno(): bytearray()}
open_fds = set(bufs)
out = bufs[proc.stdout.fileno()]
consumed = 0


def pump(deadline):
    """Read whatever arrives until the deadline; False once stdout is closed or time is up."""
    remaining = deadline - time.monotonic()
    if remaining <= 0 or proc.stdout.fileno() not in open_fds:
        return False
    ready, _, _ = select.select(list(open_fds), [], [], min(remaining, 0.5))
    for fd in ready:
        chunk = os.read(fd, 65536)
        if chunk:
            bufs[fd].extend(chunk)
        else:
            open_fds.discard(fd)
    return True


def wait_frame(accept, seconds):
    """The first frame `accept` takes: (frame, bytes before it since the last frame)."""
    global consumed
    deadline = time.monotonic() + seconds
    while True:
        start = consumed
        while True:
            i = out.find(MARK, start)
            if i < 0:
                break
            end = out.find(b"\n", i + len(MARK))
            if end < 0:
                break
            try:
                frame = json.loads(out[i + len(MARK):end].decode("utf-8"))
            except ValueError:
                frame = None
            if isinstance(frame, dict) and accept(frame):
                before = bytes(out[consumed:i])
                consumed = end + 1
                return frame, before.decode("utf-8", "replace")
            start = i + 1
        if not pump(deadline):
            return None, bytes(out[consumed:]).decode("utf-8", "replace")


ready, result["before_ready"] = wait_frame(lambda f: "ready" in f, cfg.get("startup_s", 20))
result["ready"] = ready
if ready and ready.get("ready"):
    for request in cfg["requests"]:
        token = request["token"] if "token" in request else secrets.token_hex(8)
        line = request.get("raw") or json.dumps({"k": token, "args": request["args"]})
        proc.stdin.write(line.encode() + b"\n")
        proc.stdin.flush()
        frame, prints = wait_frame(lambda f: f.get("k") == token, cfg.get("per_test_s", 20))
        entry = {"token": token, "frame": frame, "prints": prints}
        if cfg.get("measure_cpu_s") and proc.poll() is None:
            entry["cpu_at_reply"] = cpu_ms(proc.pid)
            time.sleep(cfg["measure_cpu_s"])
            entry["cpu_later"] = cpu_ms(proc.pid)
        result["replies"].append(entry)
        if frame is None:
            break
    if cfg.get("scan") and proc.poll() is None:
        result["scan_runner"] = scan(proc.pid, nonce)
        files = []
        for root in ("/box", "/tmp"):
            for dirpath, _, names in os.walk(root):
                for n in names:
                    path = os.path.join(dirpath, n)
                    try:
                        if nonce in open(path, "rb").read():
                            files.append(path)
                    except OSError:
                        pass
        result["scan_files"] = files
try:
    proc.stdin.close()
except OSError:
    pass
deadline = time.monotonic() + cfg.get("exit_s", 10)
while pump(deadline):
    pass
try:
    result["exit"] = proc.wait(timeout=max(0.1, deadline - time.monotonic()))
except subprocess.TimeoutExpired:
    proc.kill()
    result["exit"] = "killed: still running after stdin was closed"
    proc.wait()
result["after"] = bytes(out[consumed:]).decode("utf-8", "replace")
result["stderr"] = bytes(bufs[proc.stderr.fileno()]).decode("utf-8", "replace")
sys.stdout.write(json.dumps(result))
'''


@dataclass
class Transcript:
    compiled: bool
    compile_output: str = ""
    ready: dict | None = None
    before_ready: str = ""
    replies: list[dict] = field(default_factory=list)
    after: str = ""
    stderr: str = ""
    exit: object = None
    raw: dict = field(default_factory=dict)

    def frames(self) -> list[dict | None]:
        return [r["frame"] for r in self.replies]

    def values(self) -> list:
        out = []
        for r in self.replies:
            assert r["frame"] is not None, (r, self.stderr)
            assert r["frame"]["status"] == "ok", r["frame"]
            out.append(r["frame"]["value"])
        return out


COMPILE_LIMITS = SandboxLimits(
    wall_seconds=60,
    cpu_seconds=60,
    address_space_mb=None,
    nproc=128,
    file_size_mb=64,
    open_files=256,
    output_bytes=256 * 1024,
    tmp_size_mb=256,
)


def _compile_argv(language: str) -> tuple[list[str], list[tuple[str, str]]]:
    if language == "cpp":
        argv = cpp.compile_argv()
        pch = cpp_precompiled_header(cpp.PCH_HEADER)
        if pch is None:
            return argv, []
        # As the local executor does: the precompiled header (with the runner library) first.
        return [argv[0], "-I/pch", *argv[1:]], [(str(pch), "/pch")]
    return java.compile_argv(), []


def drive(
    language: str, signature: dict | Signature, code: str, requests: list, *, memory_mb: int = 256, **options
) -> Transcript:
    """Compile the runner + `code` in the sandbox, then speak the protocol to it.

    requests: argument lists, or dicts {"args": [...], "token": ..., "raw": "line"}."""
    sig = signature if isinstance(signature, Signature) else Signature.from_json(signature)
    files = (cpp if language == "cpp" else java).render(sig, code)
    files["fake_supervisor.py"] = FAKE_SUPERVISOR
    run = cpp.run_argv() if language == "cpp" else java.run_argv(memory_mb)
    config = {
        "nonce": options.pop("nonce", secrets.token_hex(16)),
        "argv": run,
        "requests": [r if isinstance(r, dict) else {"args": r} for r in requests],
        **options,
    }
    with acquire_slot() as slot:
        for name, text in files.items():
            path = slot.workdir / name
            path.write_text(text, encoding="utf-8")
            path.chmod(0o644)
        argv, binds = _compile_argv(language)
        compiled = run_in_sandbox(argv, slot=slot, limits=COMPILE_LIMITS, ro_binds=binds)
        if not compiled.ok:
            return Transcript(compiled=False, compile_output=compiled.stderr + compiled.stdout)
        limits = SandboxLimits(
            wall_seconds=90,
            cpu_seconds=60,
            stack_mb=256,
            output_bytes=8 * 1024 * 1024,
            address_space_mb=memory_mb + 128 if language == "cpp" else None,
            nproc=64 if language == "cpp" else 160,
        )
        result = run_in_sandbox(
            ["python3", "-I", "fake_supervisor.py"], slot=slot, limits=limits, stdin=json.dumps(config)
        )
    try:
        raw = json.loads(result.stdout)
    except ValueError:
        raise AssertionError(f"the stand-in supervisor failed: {result}") from None
    return Transcript(
        compiled=True,
        compile_output=compiled.stderr + compiled.stdout,
        ready=raw["ready"],
        before_ready=raw["before_ready"],
        replies=raw["replies"],
        after=raw.get("after", ""),
        stderr=raw.get("stderr", ""),
        exit=raw.get("exit"),
        raw=raw,
    )


def _solution(slug: str, language: str) -> str:
    return (SOLUTIONS / f"{slug}.{EXTENSIONS[language]}").read_text()


LANGUAGES = ["cpp", "java"]
TWO_SUM = {
    "function": "two_sum",
    "params": [{"name": "nums", "type": "list[int]"}, {"name": "target", "type": "int"}],
    "returns": "list[int]",
}


# --- the files: no sandbox ------------------------------------------------------------
def test_cpp_files_map_the_students_lines_and_hold_no_timer_or_secret():
    code = "class Solution {\npublic:\n  vector<int> twoSum(vector<int>& nums, int target) { return {}; }\n};"
    files = cpp.render(Signature.from_json(TWO_SUM), code)
    assert set(files) == {"main.cpp", "solution.cpp"}
    assert files["solution.cpp"] == code
    main = files["main.cpp"]
    assert '#line 1 "solution.cpp"\n' + code + "\n" in main
    lines = main.split("\n")
    directive = next(k for k, line in enumerate(lines) if line.startswith("#line") and "runner.cpp" in line)
    # runner.cpp:N is line N of main.cpp itself.
    assert lines[directive] == f'#line {directive + 2} "runner.cpp"'
    runner = "\n".join(lines[directive:])
    for banned in ("thread", "chrono", "sentinel", "pthread", "timer", "alarm", "getrusage"):
        assert banned not in cpp.PRELUDE + runner, banned
    assert cpp.compile_argv() == ["g++", *CPP_FLAGS, "-pipe", "-o", "main", "main.cpp"]


def test_java_files_keep_the_students_code_untouched():
    code = "public class Solution {\n  public int[] twoSum(int[] nums, int target) { return null; }\n}\n"
    files = java.render(Signature.from_json(TWO_SUM), code)
    assert files == {"Solution.java": code, "Main.java": files["Main.java"]}
    runner = files["Main.java"]
    assert "public class Main" in runner and "twoSum(int[] nums, int target) { return null; }" not in runner
    for banned in ("new Thread(() -> {", "ThreadMXBean", "sentinel", "Timer", "halt("):
        assert banned not in runner, banned
    assert java.compile_argv()[-2:] == ["Main.java", "Solution.java"]
    assert java.run_argv(256) == [
        "java",
        "-Xmx256m",
        "-Xss64m",
        "-XX:+ExitOnOutOfMemoryError",
        "-XX:+UseSerialGC",
        "-XX:TieredStopAtLevel=1",
        "-cp",
        ".",
        "Main",
    ]


def test_local_cpp_flags_match_the_precompiled_header():
    # A PCH built with other macro-defining flags (-pthread defines _REENTRANT) is silently
    # ignored and every compile takes ~1 s longer.
    assert cpp.LOCAL_FLAGS == CPP_FLAGS


# --- reference solutions on their pack tests ----------------------------------------
def _pack_params():
    for language in LANGUAGES:
        for slug in SLUGS:
            yield pytest.param(language, slug, id=f"{language}-{slug}")


@pytest.mark.parametrize(("language", "slug"), list(_pack_params()))
def test_reference_solution_answers_every_pack_test(language, slug):
    problem = read_pack_file(PACK_DIR / f"{slug}.yaml")
    sig = Signature.from_json(problem.signature)
    requests = [[json.loads(t.input)[p.name] for p in sig.params] for t in problem.tests]
    transcript = drive(language, sig, _solution(slug, language), requests)
    assert transcript.compiled, transcript.compile_output
    assert transcript.ready == {"ready": True}
    values = transcript.values()
    assert len(values) == len(problem.tests)
    for test, value in zip(problem.tests, values):
        assert values_match(json.loads(test.expected), value, test.comparison), (test.input, value)
    assert transcript.exit == 0  # EOF on stdin ends the runner
    assert all(r["prints"] == "" for r in transcript.replies)


def test_at_least_ten_problems_have_cpp_and_java_solutions():
    assert len(SLUGS) >= 10
    for slug in SLUGS:
        for ext in EXTENSIONS.values():
            assert (SOLUTIONS / f"{slug}.{ext}").exists()


# --- every type of the signature ------------------------------------------------------
ROUNDTRIP = {
    "function": "round_trip",
    "params": [
        {"name": "count", "type": "int"},
        {"name": "ratio", "type": "float"},
        {"name": "flag", "type": "bool"},
        {"name": "text", "type": "str"},
        {"name": "grid", "type": "list[list[int]]"},
        {"name": "words", "type": "list[str]"},
        {"name": "flags", "type": "list[bool]"},
        {"name": "values", "type": "list[float]"},
        {"name": "cells", "type": "list[list[str]]"},
    ],
    "returns": "list[str]",
}
ROUNDTRIP_CODE = {
    "cpp": "class Solution {\npublic:\n  vector<string> roundTrip(int count, double ratio, bool flag, string text,\n"
    "      vector<vector<int>>& grid, vector<string>& words, vector<bool>& flags, vector<double>& values,\n"
    "      vector<vector<string>>& cells) {\n"
    "    double total = ratio; for (double v : values) total += v;\n"
    "    long sum = count; for (auto& row : grid) for (int v : row) sum += v;\n"
    "    int on = 0; for (bool f : flags) on += f;\n"
    "    vector<string> out{text};\n    out.insert(out.end(), words.begin(), words.end());\n"
    "    out.push_back(to_string(sum));\n"
    '    out.push_back(string(flag ? "true" : "false") + "/" + to_string(on));\n'
    '    char b[64]; snprintf(b, sizeof b, "%.3f", total); out.push_back(b);\n'
    "    string joined; for (auto& row : cells) { for (auto& c : row) joined += c; joined += '|'; }\n"
    "    out.push_back(joined);\n    return out;\n  }\n};\n",
    "java": "import java.util.*;\n\nclass Solution {\n"
    "  public String[] roundTrip(int count, double ratio, boolean flag, String text, int[][] grid,\n"
    "      String[] words, boolean[] flags, double[] values, String[][] cells) {\n"
    "    double total = ratio; for (double v : values) total += v;\n"
    "    long sum = count; for (int[] row : grid) for (int v : row) sum += v;\n"
    "    int on = 0; for (boolean f : flags) if (f) on++;\n"
    "    List<String> out = new ArrayList<>(); out.add(text); out.addAll(Arrays.asList(words));\n"
    '    out.add(Long.toString(sum)); out.add(flag + "/" + on);\n'
    '    out.add(String.format(Locale.ROOT, "%.3f", total));\n'
    "    StringBuilder joined = new StringBuilder();\n"
    "    for (String[] row : cells) { for (String c : row) joined.append(c); joined.append('|'); }\n"
    "    out.add(joined.toString());\n"
    "    return out.toArray(new String[0]);\n  }\n}\n",
}
TEXT = 'quote " backslash \\ newline \n tab \t é ✓ 😀 \x01'


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_argument_type_is_converted(language):
    args = [
        5,
        1.25,
        True,
        TEXT,
        [[1, 2], [], [3]],
        ["a", "", "ü"],
        [True, False, True],
        [0.5, 2.0],
        [["1", "0"], ["x"]],
    ]
    empty = [-3, 0.0, False, "", [], [], [], [], []]
    big = [2**31 - 1, -1e-3, False, "x" * 5000, [[-(2**31)]], ["y"] * 300, [False] * 7, [1e6], [[]]]
    transcript = drive(language, ROUNDTRIP, ROUNDTRIP_CODE[language], [args, empty, big])
    assert transcript.ready == {"ready": True}, transcript
    assert transcript.values() == [
        [TEXT, "a", "", "ü", "11", "true/2", "3.750", "10|x|"],
        ["", "-3", "false/0", "0.000", ""],
        ["x" * 5000, *["y"] * 300, "-1", "false/0", "999999.999", "|"],
    ]


ECHO_CODE = {
    "cpp": "class Solution {\npublic:\n  __T__ echo(__T__ value) { return value; }\n};\n",
    "java": "class Solution {\n  public __T__ echo(__T__ value) { return value; }\n}\n",
}
ECHO_CASES = {
    "int": ([7, -(2**31), 2**31 - 1, 0], "int", "int"),
    "float": ([0.1, -2.5, 1e-300, 3.0, 123456789.125], "double", "double"),
    "bool": ([True, False], "bool", "boolean"),
    "str": ([TEXT, "", "a\u2028b", "\\u0041"], "string", "String"),
    "list[list[int]]": ([[[1, 2], [3]], [], [[]]], "vector<vector<int>>", "int[][]"),
    "list[bool]": ([[True, False], []], "vector<bool>", "boolean[]"),
    "list[float]": ([[0.5, -1e10], []], "vector<double>", "double[]"),
    "list[list[str]]": ([[["a", "1"], []], []], "vector<vector<string>>", "String[][]"),
}


def _echo_params():
    for language in LANGUAGES:
        for name in ECHO_CASES:
            yield pytest.param(language, name, id=f"{language}-{name}")


@pytest.mark.parametrize(("language", "type_name"), list(_echo_params()))
def test_every_return_type_round_trips(language, type_name):
    values, cpp_type, java_type = ECHO_CASES[type_name]
    sig = {"function": "echo", "params": [{"name": "value", "type": type_name}], "returns": type_name}
    code = ECHO_CODE[language].replace("__T__", cpp_type if language == "cpp" else java_type)
    transcript = drive(language, sig, code, [[v] for v in values])
    got = transcript.values()
    if type_name == "float" or type_name == "list[float]":
        assert all(values_match(v, g, "float") for v, g in zip(values, got)), got
        assert got[0] == values[0]  # shortest round-trip text (17 digits in C++): exact
    else:
        assert got == values


# --- prints, errors, readiness --------------------------------------------------------
PRINTS_CODE = {
    # printf, cout and a cout that no longer syncs with stdio: all flushed before the frame.
    "cpp": "#include <cstdio>\nclass Solution {\npublic:\n  vector<int> twoSum(vector<int>& nums, int target) {\n"
    "    if (target == 1) ios::sync_with_stdio(false);\n"
    '    printf("pf%d ", (int)nums.size());\n    cout << "co" << nums.size() << \'\\n\' << "tail";\n'
    '    cerr << "to stderr\\n";\n    return {target, (int)nums.size()};\n  }\n};\n',
    "java": "class Solution {\n  public int[] twoSum(int[] nums, int target) {\n"
    '    System.out.printf("pf%d ", nums.length);\n    System.out.print("co" + nums.length + "\\ntail");\n'
    '    System.err.println("to stderr");\n    return new int[] {target, nums.length};\n  }\n}\n',
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_student_prints_land_outside_the_frames(language):
    transcript = drive(language, TWO_SUM, PRINTS_CODE[language], [[[1, 2], 0], [[1, 2, 3], 1], [[4], 2]])
    assert transcript.values() == [[0, 2], [1, 3], [2, 1]]
    prints = [r["prints"] for r in transcript.replies]
    if language == "cpp":
        # Unsynced, cout has a buffer of its own, and `cerr <<` flushes it (cerr is tied to
        # cout) while printf's text waits in stdio's buffer: that is the program's real order.
        assert prints == ["pf2 co2\ntail", "co3\ntailpf3 ", "co1\ntailpf1 "]
    else:
        assert prints == ["pf2 co2\ntail", "pf3 co3\ntail", "pf1 co1\ntail"]
    assert transcript.stderr.count("to stderr") == 3
    assert transcript.after == ""


ERRORS_CODE = {
    "cpp": "class Solution {\npublic:\n  vector<int> twoSum(vector<int>& nums, int target) {\n"
    "    if (target == 0) return {nums.at(10)};\n"
    '    if (target == 1) throw invalid_argument("bad target");\n'
    "    if (target == 2) throw 42;\n"
    '    if (target == 3) throw "a C string";\n'
    "    return {target};\n  }\n};\n",
    "java": "class Solution {\n  public int[] twoSum(int[] nums, int target) {\n"
    "    if (target == 0) return new int[] {nums[10]};\n"
    '    if (target == 1) throw new IllegalArgumentException("bad target");\n'
    "    if (target == 2) return twoSum(nums, target);\n"
    "    if (target == 3) return null;\n"
    "    return new int[] {target};\n  }\n}\n",
}
ERRORS_EXPECTED = {
    "cpp": [
        "std::out_of_range: vector::_M_range_check",
        "std::invalid_argument: bad target",
        "exception of type int",
        "exception: a C string",
    ],
    "java": [
        "java.lang.ArrayIndexOutOfBoundsException: Index 10 out of bounds for length 1 (line 3)",
        "java.lang.IllegalArgumentException: bad target (line 4)",
        "java.lang.StackOverflowError (line 5)",
    ],
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_exceptions_are_error_replies_with_the_message_and_the_runner_goes_on(language):
    transcript = drive(language, TWO_SUM, ERRORS_CODE[language], [[[1], 0], [[1], 1], [[1], 2], [[1], 3], [[1], 9]])
    frames = transcript.frames()
    expected = ERRORS_EXPECTED[language]
    for frame, message in zip(frames, expected):
        assert frame["status"] == "error" and frame["value"] is None
        assert frame["error"].startswith(message), frame
    if language == "java":
        assert frames[3] == {"k": transcript.replies[3]["token"], "status": "ok", "value": None, "error": None}
    assert frames[4]["status"] == "ok" and frames[4]["value"] == [9]


@pytest.mark.parametrize("language", LANGUAGES)
def test_bad_request_lines_get_an_error_reply_and_blank_lines_are_ignored(language):
    transcript = drive(
        language,
        TWO_SUM,
        _solution("two-sum", language),
        [
            {"raw": '\n  \n{"k": "t1", "args": [[1, 2]]}', "token": "t1"},
            {"raw": '{"k": "t2", "args": [[1, 2], 3]', "token": ""},  # truncated: it cannot even name its token
            {"raw": '{"k": "t3", "args": [[2, 7, 11, 15], 9]}', "token": "t3"},
        ],
    )
    f1, f2, f3 = transcript.frames()
    assert f1["status"] == "error" and "bad request" in f1["error"]
    assert f2["status"] == "error" and "JSON" in f2["error"]
    assert f3["status"] == "ok" and sorted(f3["value"]) == [0, 1]
    assert [r["prints"] for r in transcript.replies] == ["", "", ""]  # a blank line gets no frame


MISSING = {
    "cpp": {
        "method": "class Solution {\npublic:\n  vector<int> twoSm(vector<int>& nums, int target) { return {}; }\n};\n",
        "private": "class Solution {\n  vector<int> twoSum(vector<int>& nums, int target) { return {}; }\n};\n",
        "types": 'class Solution {\npublic:\n  string twoSum(vector<string>& nums, int target) { return ""; }\n};\n',
        "class": "int twoSum(vector<int>& nums, int target) { return 0; }\n",
    },
    "java": {
        "method": "class Solution {\n  public int[] twoSm(int[] nums, int target) { return null; }\n}\n",
        "types": "class Solution {\n  public long[] twoSum(int[] nums, long target) { return null; }\n}\n",
        "class": "class Answer {\n  public int[] twoSum(int[] nums, int target) { return null; }\n}\n",
    },
}


def _missing_params():
    for language, cases in MISSING.items():
        for kind in cases:
            yield pytest.param(language, kind, id=f"{language}-{kind}")


@pytest.mark.parametrize(("language", "kind"), list(_missing_params()))
def test_a_missing_class_or_method_is_not_ready_with_a_clear_error(language, kind):
    transcript = drive(language, TWO_SUM, MISSING[language][kind], [[[1], 1]])
    assert transcript.compiled, transcript.compile_output
    assert transcript.ready["ready"] is False
    error = transcript.ready["error"]
    if kind == "class":
        assert error.startswith("class Solution is not defined")
    else:
        assert error.startswith("function twoSum is not defined")
    signature = {
        "cpp": "vector<int> twoSum(vector<int>& nums, int target)",
        "java": "int[] twoSum(int[] nums, int target)",
    }[language]
    assert signature in error
    assert transcript.exit == 0


BROKEN = {
    "cpp": "#include <vector>\nclass Solution {\npublic:\n  vector<int> twoSum(vector<int>& nums, int target) {\n"
    "    return undefined_name;\n  }\n};\n",
    "java": "import java.util.*;\n\npublic class Solution {\n  public int[] twoSum(int[] nums, int target) {\n"
    "    return undefinedName;\n  }\n}\n",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_compile_errors_point_at_the_students_own_lines(language):
    transcript = drive(language, TWO_SUM, BROKEN[language], [])
    assert not transcript.compiled
    output = transcript.compile_output
    if language == "cpp":
        assert re.search(r"^solution\.cpp:5:\d+: error: .undefined_name. was not declared", output, re.M), output
        assert "    return undefined_name;" in output  # g++ quotes the student's line from solution.cpp
    else:
        assert "Solution.java:5: error: cannot find symbol" in output, output
    assert "runner.cpp" not in output and "Main.java" not in output and "/box/" not in output


CONVENIENCES = {
    # A pasted LeetCode answer with its own includes, `using namespace std` and a main() of
    # its own for local testing; in Java a public class Solution.
    "cpp": "#include <bits/stdc++.h>\nusing namespace std;\n\nclass Solution {\npublic:\n"
    "  vector<int> twoSum(const vector<int>& nums, long long target) {\n"
    "    for (size_t i = 0; i < nums.size(); i++) for (size_t j = i + 1; j < nums.size(); j++)\n"
    "      if (nums[i] + nums[j] == target) return {(int)i, (int)j};\n    return {};\n  }\n};\n\n"
    "int main() {\n  vector<int> v{1, 2};\n  cout << Solution().twoSum(v, 3)[0] << endl;\n  return 7;\n}",
    "java": "import java.util.*;\n\npublic class Solution {\n  static int calls;\n"
    "  int[] twoSum(int[] nums, int target) {\n    calls++;\n"
    "    for (int i = 0; i < nums.length; i++) for (int j = i + 1; j < nums.length; j++)\n"
    "      if (nums[i] + nums[j] == target) return new int[] {i, j, calls};\n    return new int[0];\n  }\n"
    '  public static void main(String[] args) { System.out.println("own main"); }\n}\n',
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_leetcode_conventions_still_work(language):
    transcript = drive(language, TWO_SUM, CONVENIENCES[language], [[[2, 7, 11, 15], 9], [[3, 3], 6]])
    assert transcript.ready == {"ready": True}
    values = transcript.values()
    if language == "cpp":
        assert values == [[0, 1], [0, 1]]
    else:
        # A fresh Solution per test, one class for the run (statics persist, as on LeetCode).
        assert values == [[0, 1, 1], [0, 1, 2]]
    assert transcript.before_ready == "" and all(r["prints"] == "" for r in transcript.replies)


# --- hostile code --------------------------------------------------------------------
FORGER = {
    # Prints a frame of its own (a wrong token, then a guessed one) and returns a wrong answer.
    "cpp": "class Solution {\npublic:\n  vector<int> twoSum(vector<int>& nums, int target) {\n"
    '    printf("\\n\\x1e\\x1f" "CMR:{\\"k\\":\\"forged\\",\\"status\\":\\"ok\\",\\"value\\":[0,1]}\\n");\n'
    '    cout << "\\n\\x1e\\x1f" << "CMR:{\\"ready\\":true}\\n";\n'
    "    return {9, 9};\n  }\n};\n",
    "java": "class Solution {\n  public int[] twoSum(int[] nums, int target) {\n"
    '    System.out.print("\\n\\u001e\\u001fCMR:{\\"k\\":\\"forged\\",\\"status\\":\\"ok\\",\\"value\\":[0,1]}\\n");\n'
    '    System.out.print("\\n\\u001e\\u001fCMR:{\\"ready\\":true}\\n");\n'
    "    return new int[] {9, 9};\n  }\n}\n",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_forged_frame_with_another_token_is_only_the_students_prints(language):
    transcript = drive(language, TWO_SUM, FORGER[language], [[[2, 7], 9], [[3, 3], 6]])
    assert transcript.values() == [[9, 9], [9, 9]]
    for reply in transcript.replies:
        assert reply["prints"] == FRAME + '{"k":"forged","status":"ok","value":[0,1]}\n' + FRAME + '{"ready":true}\n'
        assert reply["frame"]["k"] == reply["token"] != "forged"


SNOOPER_SIG = {"function": "snoop", "params": [{"name": "probe", "type": "str"}], "returns": "list[str]"}
# Looks everywhere the runner process can see for 32-hex-digit strings (a nonce's shape):
# its own memory, argv, environment, files in /box and /tmp, and the parent's /proc entries.
SNOOPER = {
    "cpp": r"""#include <fcntl.h>
#include <fstream>
#include <dirent.h>
#include <sys/stat.h>
class Solution {
    static void hexes(const string& data, const string& where, set<string>& out) {
        size_t run = 0;
        for (size_t i = 0; i <= data.size(); i++) {
            char c = i < data.size() ? data[i] : 0;
            if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) { run++; continue; }
            if (run == 32) out.insert(where + ":" + data.substr(i - 32, 32));
            run = 0;
        }
    }
    static string slurp(const string& path, bool& ok) {
        ifstream in(path, ios::binary); ok = (bool)in;
        return string((istreambuf_iterator<char>(in)), istreambuf_iterator<char>());
    }
    static void walk(const string& dir, set<string>& out) {
        DIR* d = opendir(dir.c_str()); if (!d) return;
        while (dirent* e = readdir(d)) {
            string name = e->d_name; if (name == "." || name == "..") continue;
            string path = dir + "/" + name; struct stat st{};
            if (lstat(path.c_str(), &st) != 0) continue;
            if (S_ISDIR(st.st_mode)) walk(path, out);
            else if (S_ISREG(st.st_mode)) { bool ok; hexes(slurp(path, ok), "file", out); }
        }
        closedir(d);
    }
public:
    vector<string> snoop(string probe) {
        set<string> out; bool ok;
        hexes(slurp("/proc/self/cmdline", ok), "cmdline", out);
        hexes(slurp("/proc/self/environ", ok), "environ", out);
        walk("/box", out); walk("/tmp", out);
        ifstream maps("/proc/self/maps"); string line;
        int mem = open("/proc/self/mem", O_RDONLY);
        vector<char> buf(1 << 20);
        while (getline(maps, line)) {
            unsigned long lo, hi; char perms[5] = {0};
            if (sscanf(line.c_str(), "%lx-%lx %4s", &lo, &hi, perms) != 3 || perms[0] != 'r') continue;
            if (line.find("[vvar]") != string::npos || line.find("[vsyscall]") != string::npos) continue;
            for (unsigned long at = lo; at < hi; at += buf.size()) {
                ssize_t n = pread(mem, buf.data(), min((unsigned long)buf.size(), hi - at), (off_t)at);
                if (n <= 0) break;
                hexes(string(buf.data(), (size_t)n), "memory", out);
            }
        }
        close(mem);
        pid_t parent = getppid();
        for (string what : {"environ", "mem", "cmdline"}) {
            slurp("/proc/" + to_string(parent) + "/" + what, ok);
            out.insert("parent " + what + (ok ? " readable" : " refused"));
        }
        return vector<string>(out.begin(), out.end());
    }
};
""",
    "java": r"""import java.io.*;
import java.nio.file.*;
import java.util.*;

class Solution {
    static void hexes(byte[] data, String where, Set<String> out) {
        if (data == null) return;
        int run = 0;
        for (int i = 0; i <= data.length; i++) {
            int c = i < data.length ? data[i] : 0;
            if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) { run++; continue; }
            if (run == 32) out.add(where + ":" + new String(data, i - 32, 32, java.nio.charset.StandardCharsets.ISO_8859_1));
            run = 0;
        }
    }
    static byte[] slurp(String path) {
        try { return Files.readAllBytes(Paths.get(path)); } catch (Exception e) { return null; }
    }
    public String[] snoop(String probe) throws Exception {
        Set<String> out = new TreeSet<>();
        hexes(slurp("/proc/self/cmdline"), "cmdline", out);
        hexes(slurp("/proc/self/environ"), "environ", out);
        for (String root : new String[] {"/box", "/tmp"}) {
            try (java.util.stream.Stream<Path> s = Files.walk(Paths.get(root))) {
                for (Path p : (Iterable<Path>) s::iterator) {
                    if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                        byte[] b = slurp(p.toString()); if (b != null) hexes(b, "file", out);
                    }
                }
            } catch (Exception e) { }
        }
        // The JVM's own memory (heap included: the request line and its token are there).
        try (RandomAccessFile mem = new RandomAccessFile("/proc/self/mem", "r")) {
            for (String line : Files.readAllLines(Paths.get("/proc/self/maps"))) {
                String[] f = line.split("\\s+");
                if (f[1].charAt(0) != 'r' || line.contains("[vvar]") || line.contains("[vsyscall]")) continue;
                String[] r = f[0].split("-");
                long lo = Long.parseUnsignedLong(r[0], 16), hi = Long.parseUnsignedLong(r[1], 16);
                byte[] buf = new byte[1 << 20];
                for (long at = lo; at < hi; at += buf.length) {
                    int n = (int) Math.min(buf.length, hi - at);
                    try { mem.seek(at); mem.readFully(buf, 0, n); } catch (IOException e) { break; }
                    hexes(n == buf.length ? buf : Arrays.copyOf(buf, n), "memory", out);
                }
            }
        }
        long parent = ProcessHandle.current().parent().map(ProcessHandle::pid).orElse(-1L);
        for (String what : new String[] {"environ", "mem", "cmdline"}) {
            byte[] b = null;
            try (FileInputStream in = new FileInputStream("/proc/" + parent + "/" + what)) { b = in.readNBytes(16); }
            catch (IOException e) { }
            out.add("parent " + what + (b != null ? " readable" : " refused"));
        }
        return out.toArray(new String[0]);
    }
}
""",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_runner_holds_no_nonce_anywhere(language):
    nonce = secrets.token_hex(16)
    probe = secrets.token_hex(16)  # control: a 32-hex string the runner does receive is found
    transcript = drive(
        language,
        SNOOPER_SIG,
        SNOOPER[language],
        [[probe]],
        nonce=nonce,
        scan=True,
        nondumpable=True,
        memory_mb=96,
        per_test_s=60,
    )
    (found,) = transcript.values()
    assert any(f"memory:{probe}" == item for item in found), found
    assert not any(nonce in item for item in found)
    # The supervisor is non-dumpable: the runner cannot read its memory or environment.
    assert "parent mem refused" in found and "parent environ refused" in found
    raw = transcript.raw
    assert raw["scan_runner"] == [], raw["scan_runner"]  # from outside: memory, argv, environ
    assert any(item.startswith("memory") for item in raw["scan_self"])  # control: the scan works
    assert raw["scan_files"] == []


BURNER_SIG = {"function": "burn", "params": [{"name": "ms", "type": "int"}], "returns": "int"}
BURNER = {
    # Returns at once and leaves a thread spinning: the per-test CPU must include it.
    "cpp": "#include <thread>\nclass Solution {\npublic:\n  int burn(int ms) {\n"
    "    std::thread([] { volatile unsigned long x = 0; while (true) x++; }).detach();\n"
    "    return ms;\n  }\n};\n",
    "java": "class Solution {\n  public int burn(int ms) {\n"
    "    Thread t = new Thread(() -> { long x = 0; while (true) x++; });\n"
    "    t.setDaemon(true); t.start();\n    return ms;\n  }\n}\n",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_thread_left_burning_is_charged_to_the_runner_process(language):
    # The runner starts no thread of its own and measures nothing: the supervisor charges the
    # whole process (utime+stime of /proc/<pid>/stat covers every thread) and kills every
    # student process after each reply; this stand-in only shows the CPU is there to see.
    transcript = drive(language, BURNER_SIG, BURNER[language], [[5]], measure_cpu_s=0.6)
    (reply,) = transcript.replies
    assert reply["frame"]["value"] == 5
    burned = reply["cpu_later"] - reply["cpu_at_reply"]
    assert burned >= 150, reply  # 600 ms of wall on a loaded 2-core machine: well above 150 ms of CPU
    assert transcript.exit == 0  # EOF still ends the runner: the thread does not keep it alive


def test_argv_hook_for_the_harness_builds_the_compile_and_run_steps():
    from types import SimpleNamespace

    limits = SimpleNamespace(memory_limit_mb=128)
    profile = SimpleNamespace(
        gxx="/usr/local/gcc-9/bin/g++", cxx_flags=("-O2", "-std=c++17"), javac="javac", java="java"
    )
    assert cpp.argv(profile, limits, "function") == (
        ["/usr/local/gcc-9/bin/g++", "-O2", "-std=c++17", "-pipe", "-o", "main", "main.cpp"],
        ["./main"],
    )
    compile_step, run = java.argv(profile, limits, "function")
    assert compile_step[-2:] == ["Main.java", "Solution.java"] and run[1] == "-Xmx128m"
    assert java.argv(profile, limits, "stdio")[0][-1] == "Main.java"

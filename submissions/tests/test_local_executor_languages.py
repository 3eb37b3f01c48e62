"""JavaScript, C++ and Java through the one-execution harness in the real sandbox.

Reference solutions (submissions/tests/solutions/) must be accepted on every pack test
with exactly one execution; wrong, slow, crashing and non-compiling versions get the
right verdict and name the failing test.
"""

import dataclasses
from pathlib import Path

import pytest

from submissions.executors.base import Verdict
from submissions.executors.local import LocalExecutor

from ._jobs import TWO_SUM, TWO_SUM_CASES, function_job, pack_job

SOLUTIONS = Path(__file__).parent / "solutions"
EXTENSIONS = {"javascript": "js", "cpp": "cpp", "java": "java"}
SLUGS = sorted({p.stem for p in SOLUTIONS.glob("*.js")})
LANGUAGE_MARKS = {
    "javascript": [],
    "cpp": [pytest.mark.slow],
    "java": [pytest.mark.slow],
}


def _params():
    for language, marks in LANGUAGE_MARKS.items():
        for slug in SLUGS:
            yield pytest.param(language, slug, marks=marks, id=f"{language}-{slug}")


def test_at_least_ten_problems_have_solutions_in_every_language():
    assert len(SLUGS) >= 10
    for slug in SLUGS:
        for ext in EXTENSIONS.values():
            assert (SOLUTIONS / f"{slug}.{ext}").exists(), f"{slug}.{ext} missing"


@pytest.mark.parametrize(("language", "slug"), list(_params()))
def test_reference_solution_is_accepted_in_one_execution(language, slug):
    code = (SOLUTIONS / f"{slug}.{EXTENSIONS[language]}").read_text()
    job = pack_job(slug, language, code)
    report = LocalExecutor().run(job)
    failing = [(t.index, t.verdict, t.actual, t.message) for t in report.tests if not t.passed]
    assert report.verdict == Verdict.ACCEPTED, (failing, report.compile_output)
    assert report.executions == 1
    assert len(report.tests) == len(job.tests)
    assert all(t.time_ms is not None for t in report.tests)


# Per language: a wrong answer on test 2 only, an infinite loop on test 1 only, an
# exception on test 3 only, and a file that does not compile (line 3).
VARIANTS = {
    "javascript": {
        "wrong": "function twoSum(nums, target) {\n  if (nums[0] === 3 && nums[1] === 3) return [0, 0];\n"
        "  for (let i = 0; i < nums.length; i++) for (let j = i + 1; j < nums.length; j++)\n"
        "    if (nums[i] + nums[j] === target) return [i, j];\n}\n",
        "slow": "function twoSum(nums, target) {\n  if (nums[0] === 3 && nums[1] === 2) { while (true) {} }\n"
        "  for (let i = 0; i < nums.length; i++) for (let j = i + 1; j < nums.length; j++)\n"
        "    if (nums[i] + nums[j] === target) return [i, j];\n}\n",
        "crash": "function twoSum(nums, target) {\n  if (nums.length === 4 && nums[0] === 1) throw new Error('boom');\n"
        "  for (let i = 0; i < nums.length; i++) for (let j = i + 1; j < nums.length; j++)\n"
        "    if (nums[i] + nums[j] === target) return [i, j];\n}\n",
        "broken": "function twoSum(nums, target) {\n  const x = ;\n  return [0, 1];\n}\n",
    },
    "cpp": {
        "wrong": "class Solution {\npublic:\n  vector<int> twoSum(vector<int>& nums, int target) {\n"
        "    if (nums[0] == 3 && nums[1] == 3) return {0, 0};\n"
        "    for (int i = 0; i < (int)nums.size(); i++) for (int j = i + 1; j < (int)nums.size(); j++)\n"
        "      if (nums[i] + nums[j] == target) return {i, j};\n    return {};\n  }\n};\n",
        "slow": "class Solution {\npublic:\n  vector<int> twoSum(vector<int>& nums, int target) {\n"
        "    volatile long spin = 0;\n    if (nums[0] == 3 && nums[1] == 2) while (true) spin++;\n"
        "    for (int i = 0; i < (int)nums.size(); i++) for (int j = i + 1; j < (int)nums.size(); j++)\n"
        "      if (nums[i] + nums[j] == target) return {i, j};\n    return {};\n  }\n};\n",
        "crash": "class Solution {\npublic:\n  vector<int> twoSum(vector<int>& nums, int target) {\n"
        "    if (nums.size() == 4 && nums[0] == 1) return {nums.at(10), 0};\n"
        "    for (int i = 0; i < (int)nums.size(); i++) for (int j = i + 1; j < (int)nums.size(); j++)\n"
        "      if (nums[i] + nums[j] == target) return {i, j};\n    return {};\n  }\n};\n",
        "broken": "class Solution {\npublic:\n  vector<int> twoSum(vector<int>& nums, int target) { return undefined_name; }\n};\n",
    },
    "java": {
        "wrong": "class Solution {\n  public int[] twoSum(int[] nums, int target) {\n"
        "    if (nums[0] == 3 && nums[1] == 3) return new int[] {0, 0};\n"
        "    for (int i = 0; i < nums.length; i++) for (int j = i + 1; j < nums.length; j++)\n"
        "      if (nums[i] + nums[j] == target) return new int[] {i, j};\n    return null;\n  }\n}\n",
        "slow": "class Solution {\n  public int[] twoSum(int[] nums, int target) {\n"
        "    long spin = 0;\n    if (nums[0] == 3 && nums[1] == 2) while (spin >= 0) spin = (spin + 1) % 1000;\n"
        "    for (int i = 0; i < nums.length; i++) for (int j = i + 1; j < nums.length; j++)\n"
        "      if (nums[i] + nums[j] == target) return new int[] {i, j};\n    return null;\n  }\n}\n",
        "crash": "class Solution {\n  public int[] twoSum(int[] nums, int target) {\n"
        "    if (nums.length == 4 && nums[0] == 1) return new int[] {nums[10], 0};\n"
        "    for (int i = 0; i < nums.length; i++) for (int j = i + 1; j < nums.length; j++)\n"
        "      if (nums[i] + nums[j] == target) return new int[] {i, j};\n    return null;\n  }\n}\n",
        "broken": "class Solution {\n  public int[] twoSum(int[] nums, int target) {\n    return undefinedName;\n  }\n}\n",
    },
}


def _variant_params():
    for language, marks in LANGUAGE_MARKS.items():
        yield pytest.param(language, marks=marks, id=language)


def _run(language, kind, time_limit_ms=500):
    job = function_job(
        TWO_SUM,
        VARIANTS[language][kind],
        TWO_SUM_CASES,
        language=language,
        comparison="unordered",
        time_limit_ms=time_limit_ms,
    )
    return LocalExecutor().run(dataclasses.replace(job, stop_on_failure=False))  # every test's verdict


@pytest.mark.parametrize("language", list(_variant_params()))
def test_wrong_answer_names_the_failing_test(language):
    report = _run(language, "wrong")
    assert report.verdict == Verdict.WRONG_ANSWER
    assert [t.index for t in report.tests if not t.passed] == [2]
    assert report.tests[2].actual == "[0, 0]"
    assert report.executions == 1


@pytest.mark.parametrize("language", list(_variant_params()))
def test_infinite_loop_is_a_time_limit_on_that_test_only(language):
    report = _run(language, "slow", time_limit_ms=300)
    assert report.verdict == Verdict.TIME_LIMIT_EXCEEDED
    verdicts = [t.verdict for t in report.tests]
    assert verdicts[0] == Verdict.ACCEPTED
    assert verdicts[1] == Verdict.TIME_LIMIT_EXCEEDED
    # After the TLE the supervisor stops (submit) or restarts the runner: either way, no
    # later test is reported as passed by a runner that was over the limit.
    assert report.executions == 1


@pytest.mark.parametrize("language", list(_variant_params()))
def test_exception_is_a_runtime_error_on_that_test_with_its_message(language):
    report = _run(language, "crash")
    assert report.verdict == Verdict.RUNTIME_ERROR
    assert [t.index for t in report.tests if not t.passed] == [3]
    message = report.tests[3].message
    expected = {"javascript": "boom", "cpp": "out_of_range", "java": "ArrayIndexOutOfBounds"}[language]
    assert expected in message
    if language != "cpp":
        assert "line 2" in message or "line 3" in message


@pytest.mark.parametrize("language", list(_variant_params()))
def test_code_that_does_not_compile_is_a_compile_error_with_the_message(language):
    report = _run(language, "broken")
    assert report.verdict == Verdict.COMPILE_ERROR
    assert all(t.verdict == Verdict.COMPILE_ERROR for t in report.tests)
    assert report.executions == (1 if language == "javascript" else 0)
    output = report.compile_output
    needle = {"javascript": "SyntaxError", "cpp": "undefined_name", "java": "undefinedName"}[language]
    assert needle in output
    # The student's own line numbers, and no host path.
    where = {"javascript": "solution.js:2", "cpp": "solution.cpp:3", "java": "Solution.java:3"}[language]
    assert where in output
    assert "codementor-sandbox" not in output and "/box/" not in output


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
    ],
    "returns": "list[str]",
}
ROUNDTRIP_CODE = {
    "javascript": "function roundTrip(count, ratio, flag, text, grid, words, flags, values) {\n"
    "  const total = values.reduce((a, b) => a + b, ratio);\n"
    "  return [text, ...words, String(count + grid.flat().reduce((a, b) => a + b, 0)),\n"
    "          String(flag) + '/' + flags.filter((f) => f).length, total > 3.5 ? 'big' : 'small'];\n}\n",
    "cpp": "class Solution {\npublic:\n  vector<string> roundTrip(int count, double ratio, bool flag, string text,\n"
    "      vector<vector<int>>& grid, vector<string>& words, vector<bool>& flags, vector<double>& values) {\n"
    "    double total = ratio; for (double v : values) total += v;\n"
    "    long sum = count; for (auto& row : grid) for (int v : row) sum += v;\n"
    "    int on = 0; for (bool f : flags) on += f;\n"
    "    vector<string> out{text};\n    out.insert(out.end(), words.begin(), words.end());\n"
    "    out.push_back(to_string(sum));\n"
    '    out.push_back(string(flag ? "true" : "false") + "/" + to_string(on));\n'
    '    out.push_back(total > 3.5 ? "big" : "small");\n    return out;\n  }\n};\n',
    "java": "import java.util.*;\n\nclass Solution {\n"
    "  public String[] roundTrip(int count, double ratio, boolean flag, String text, int[][] grid,\n"
    "      String[] words, boolean[] flags, double[] values) {\n"
    "    double total = ratio; for (double v : values) total += v;\n"
    "    long sum = count; for (int[] row : grid) for (int v : row) sum += v;\n"
    "    int on = 0; for (boolean f : flags) if (f) on++;\n"
    "    List<String> out = new ArrayList<>(); out.add(text); out.addAll(Arrays.asList(words));\n"
    '    out.add(Long.toString(sum)); out.add(flag + "/" + on); out.add(total > 3.5 ? "big" : "small");\n'
    "    return out.toArray(new String[0]);\n  }\n}\n",
}


@pytest.mark.parametrize("language", list(_variant_params()))
def test_every_type_of_the_signature_round_trips(language):
    text = 'quote " backslash \\ newline \n tab \t é ✓'
    args = {
        "count": 5,
        "ratio": 1.25,
        "flag": True,
        "text": text,
        "grid": [[1, 2], [], [3]],
        "words": ["a", "", "ü"],
        "flags": [True, False, True],
        "values": [0.5, 2.0],
    }
    expected = [text, "a", "", "ü", "11", "true/2", "big"]
    empty = {"count": -3, "ratio": 0.0, "flag": False, "text": "", "grid": [], "words": [], "flags": [], "values": []}
    job = function_job(
        ROUNDTRIP,
        ROUNDTRIP_CODE[language],
        [(args, expected), (empty, ["", "-3", "false/0", "small"])],
        language=language,
    )
    report = LocalExecutor().run(job)
    assert report.verdict == Verdict.ACCEPTED, [(t.actual, t.message) for t in report.tests]


@pytest.mark.parametrize("language", list(_variant_params()))
def test_student_prints_are_captured_per_test_and_do_not_break_results(language):
    code = {
        "javascript": "function twoSum(nums, target) {\n  console.log('looking at', nums.length);\n"
        "  process.stdout.write('raw\\n');\n"
        "  for (let i = 0; i < nums.length; i++) for (let j = i + 1; j < nums.length; j++)\n"
        "    if (nums[i] + nums[j] === target) return [i, j];\n}\n",
        "cpp": "class Solution {\npublic:\n  vector<int> twoSum(vector<int>& nums, int target) {\n"
        '    cout << "looking at " << nums.size() << endl;\n'
        "    for (int i = 0; i < (int)nums.size(); i++) for (int j = i + 1; j < (int)nums.size(); j++)\n"
        "      if (nums[i] + nums[j] == target) return {i, j};\n    return {};\n  }\n};\n",
        "java": "class Solution {\n  public int[] twoSum(int[] nums, int target) {\n"
        '    System.out.println("looking at " + nums.length);\n'
        "    for (int i = 0; i < nums.length; i++) for (int j = i + 1; j < nums.length; j++)\n"
        "      if (nums[i] + nums[j] == target) return new int[] {i, j};\n    return null;\n  }\n}\n",
    }[language]
    job = function_job(TWO_SUM, code, TWO_SUM_CASES, language=language, comparison="unordered")
    report = LocalExecutor().run(job)
    assert report.verdict == Verdict.ACCEPTED
    assert report.tests[0].stdout.startswith("looking at 4")
    assert report.tests[1].stdout.startswith("looking at 3")
    # Peak resident set as the harness saw it: more than nothing, less than the limit.
    assert all(1000 < t.memory_kb < 256 * 1024 for t in report.tests)


DEPTH = {"function": "depth", "params": [{"name": "n", "type": "int"}], "returns": "int"}
DEPTH_CODE = {
    "python": "def depth(n):\n    return 0 if n == 0 else 1 + depth(n - 1)\n",
    "javascript": "function depth(n) {\n  return n === 0 ? 0 : 1 + depth(n - 1);\n}\n",
    "cpp": "class Solution {\npublic:\n  int depth(int n) { return n == 0 ? 0 : 1 + depth(n - 1); }\n};\n",
    "java": "class Solution {\n  public int depth(int n) { return n == 0 ? 0 : 1 + depth(n - 1); }\n}\n",
}


@pytest.mark.parametrize("language", ["python", *_variant_params()])
def test_deep_recursion_of_fifty_thousand_calls_works(language):
    # DFS-style solutions recurse as deep as the input: the default 8 MiB stack and
    # Python's default limit of 1000 would fail them.
    job = function_job(DEPTH, DEPTH_CODE[language], [({"n": 50000}, 50000), ({"n": 10}, 10)], language=language)
    report = LocalExecutor().run(job)
    assert report.verdict == Verdict.ACCEPTED, [t.message for t in report.tests]


A_PLUS_B = {
    "javascript": "const [a, b] = require('fs').readFileSync(0, 'utf8').trim().split(/\\s+/).map(BigInt);\n"
    "console.log((a + b).toString());\n",
    "cpp": "#include <bits/stdc++.h>\nint main() {\n  long long a, b;\n  std::cin >> a >> b;\n"
    "  std::cout << a + b << '\\n';\n}\n",
    "java": "import java.util.*;\n\npublic class Main {\n  public static void main(String[] args) {\n"
    "    Scanner in = new Scanner(System.in);\n    System.out.println(in.nextLong() + in.nextLong());\n  }\n}\n",
}


@pytest.mark.parametrize("language", list(_variant_params()))
def test_stdio_problem_runs_one_process_per_test(language):
    job = pack_job("a-plus-b", language, A_PLUS_B[language])
    report = LocalExecutor().run(job)
    assert report.verdict == Verdict.ACCEPTED, [(t.verdict, t.actual, t.message) for t in report.tests]
    assert report.executions == 1  # each test's own process, inside one supervised execution

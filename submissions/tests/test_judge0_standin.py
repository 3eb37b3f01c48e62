"""The stand-in itself behaves like Judge0 CE 1.13.1 where our client relies on it, and
the Python harness stays within the Python 3.8 grammar Judge0 CE 1.13.1 runs."""

import ast
import base64
import json
import time

import pytest
import requests

from submissions.executors.base import Job, RetryableExecutorError, TestSpec
from submissions.executors.judge0 import Judge0Executor
from submissions.harness import build_harness
from submissions.tests import test_judge0 as _judge0_fixtures
from submissions.tests.test_judge0 import ADD, TOKEN, stdio_job

# The stand-in fixtures of test_judge0 (one server per module).
standin = _judge0_fixtures.standin
judge0 = _judge0_fixtures.judge0

HEADERS = {"X-Auth-Token": TOKEN, "Content-Type": "application/json"}


def b64(text):
    return base64.b64encode(text.encode()).decode()


def wait_final(url, token, params):
    for _ in range(200):
        body = requests.get(f"{url}/submissions/{token}", params=params, headers=HEADERS, timeout=5).json()
        if body["status"]["id"] > 2:
            return body
        time.sleep(0.05)
    raise AssertionError("never finished")


def test_batch_limits_and_per_item_errors(judge0):
    url = judge0.url
    item = {"language_id": 71, "source_code": b64("print(1)")}
    too_many = requests.post(
        f"{url}/submissions/batch",
        params={"base64_encoded": "true"},
        headers=HEADERS,
        data=json.dumps({"submissions": [item] * 21}),
        timeout=5,
    )
    assert too_many.status_code == 400 and "less than or equal to 20" in too_many.json()["error"]
    empty = requests.post(f"{url}/submissions/batch", headers=HEADERS, data=json.dumps({"submissions": []}), timeout=5)
    assert empty.status_code == 400
    mixed = requests.post(
        f"{url}/submissions/batch",
        params={"base64_encoded": "true"},
        headers=HEADERS,
        data=json.dumps({"submissions": [item, {"language_id": 1234, "source_code": b64("x")}]}),
        timeout=5,
    )
    assert mixed.status_code == 201
    assert "token" in mixed.json()[0] and mixed.json()[1] == {"language_id": ["language with id 1234 doesn't exist"]}
    no_auth = requests.get(f"{url}/about", timeout=5)
    assert no_auth.status_code == 401 and no_auth.content == b""


def test_base64_fields_decimal_strings_and_bad_fields(judge0):
    url = judge0.url
    source = "print('ünï ok', end='')\n"
    token = requests.post(
        f"{url}/submissions",
        params={"base64_encoded": "true"},
        headers=HEADERS,
        data=json.dumps({"language_id": 71, "source_code": b64(source)}),
        timeout=5,
    ).json()["token"]
    body = wait_final(url, token, {"base64_encoded": "true", "fields": "stdout,time,memory,status,exit_code"})
    assert set(body) == {"stdout", "time", "memory", "status", "exit_code"}
    assert base64.b64decode(body["stdout"]).decode() == "ünï ok"
    assert isinstance(body["time"], str) and float(body["time"]) >= 0
    plain = requests.get(f"{url}/submissions/{token}", params={"fields": "stdout"}, headers=HEADERS, timeout=5)
    assert plain.json() == {"stdout": "ünï ok"}  # base64_encoded absent: plain text
    bad = requests.get(f"{url}/submissions/{token}", params={"fields": "stdout,nope"}, headers=HEADERS, timeout=5)
    assert bad.status_code == 400 and bad.json()["error"] == "invalid fields: [nope]"
    assert requests.get(f"{url}/submissions/not-a-token", headers=HEADERS, timeout=5).status_code == 404


def test_control_endpoints_over_http(judge0):
    url = judge0.url
    requests.post(
        f"{url}/_standin/control",
        json={"action": "fail", "status": 503, "count": 2, "body": {"error": "queue is full"}},
        timeout=5,
    )
    answers = [requests.get(f"{url}/languages", headers=HEADERS, timeout=5).status_code for _ in range(3)]
    assert answers == [503, 503, 200]
    stats = requests.get(f"{url}/_standin/stats", timeout=5).json()
    assert stats["requests"] == 3 and stats["faults_served"] == 2
    requests.post(f"{url}/_standin/reset", timeout=5)
    assert requests.get(f"{url}/_standin/stats", timeout=5).json()["requests"] == 0


def test_python_harness_parses_as_python_3_8():
    signature = {
        "function": "pick",
        "params": [{"name": "grid", "type": "list[list[int]]"}, {"name": "word", "type": "str"}],
        "returns": "list[str]",
    }
    job = Job(
        language="python",
        code="def pick(grid, word):\n    return [word]\n",
        kind="function",
        signature=signature,
        tests=(TestSpec(0, json.dumps({"grid": [[1]], "word": "x"}), '["x"]'),),
    )
    program = build_harness(job, sentinel="s" * 32)
    # Judge0 CE 1.13.1 runs Python 3.8.1 (language 71): the generated file must parse there.
    ast.parse(program.source, feature_version=(3, 8))


def test_a_full_queue_answers_503_and_the_executor_retries_later(judge0):
    judge0.config["max_queue_size"] = 0  # waiting jobs + 1 > MAX_QUEUE_SIZE
    with pytest.raises(RetryableExecutorError, match="queue is full"):
        Judge0Executor().run(stdio_job(ADD, [("1 1", "2")] * 3))
    judge0.config["max_queue_size"] = 1
    assert Judge0Executor().run(stdio_job(ADD, [("1 1", "2")] * 3)).verdict == "accepted"


# --- language 89 "Multi-file program", as IsolateJob (app/jobs/isolate_job.rb, v1.13.1) runs it ---
def zip_b64(files):
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return base64.b64encode(buffer.getvalue()).decode()


def run_project(url, files, stdin="", **fields):
    body = {"language_id": 89, "additional_files": zip_b64(files), "stdin": b64(stdin), **fields}
    created = requests.post(
        f"{url}/submissions", params={"base64_encoded": "true"}, headers=HEADERS, data=json.dumps(body), timeout=5
    )
    assert created.status_code == 201, created.text
    final = wait_final(url, created.json()["token"], {"base64_encoded": "true", "fields": "*"})
    for name in ("stdout", "stderr", "compile_output", "message"):
        if final.get(name):
            final[name] = base64.b64decode(final[name]).decode()
    return final


PY38 = "/usr/local/python-3.8.1/bin/python3"


def test_multi_file_program_runs_the_run_script_on_the_ce_python(judge0):
    code = (
        "import os, sys\nprint(sys.version_info[:2], sys.executable, os.getcwd(), sorted(os.listdir('.')))\n"
        "print(sys.stdin.read())\n"
    )
    final = run_project(judge0.url, {"run": f"exec {PY38} -I main.py\n", "main.py": code}, "the stdin")
    assert final["status"]["id"] == 3, final
    first, second = final["stdout"].splitlines()
    # The CE 1.13.1 path, really a Python 3.8; the archive unzipped into the box (/box).
    assert first == f"(3, 8) {PY38} /box ['main.py', 'run']"
    assert second == "the stdin"
    assert isinstance(final["memory"], int) and final["memory"] > 1000  # KB, like cgroup cg-mem
    assert final["language"] == {"id": 89, "name": "Multi-file program"}


def test_multi_file_program_compile_script_and_its_errors(judge0):
    source = (
        "#include <bits/stdc++.h>\nint main() { std::string s; std::cin >> s; std::cout << s << '!' << std::endl; }\n"
    )
    files = {"compile": "/usr/local/gcc-9.2.0/bin/g++ -o main main.cpp\n", "run": "exec ./main\n", "main.cpp": source}
    ok = run_project(judge0.url, files, "hi")
    assert ok["status"]["id"] == 3 and ok["stdout"] == "hi!\n"
    broken = run_project(judge0.url, {**files, "main.cpp": "int main() { return x; }\n"})
    assert broken["status"]["id"] == 6 and "was not declared" in broken["compile_output"]
    assert broken["stdout"] is None and broken["time"] is None and broken["memory"] is None
    # The other CE runtimes are at their CE paths too.
    java = run_project(
        judge0.url,
        {
            "compile": "/usr/local/openjdk13/bin/javac Main.java\n",
            "run": "exec /usr/local/openjdk13/bin/java Main\n",
            "Main.java": "public class Main { public static void main(String[] a) { System.out.println(6 * 7); } }\n",
        },
        memory_limit=512000,
    )
    assert java["status"]["id"] == 3 and java["stdout"] == "42\n", java
    node = run_project(judge0.url, {"run": "exec /usr/local/node-12.14.0/bin/node -e 'console.log(6 * 7)'\n"})
    assert node["status"]["id"] == 3 and node["stdout"] == "42\n"


def test_multi_file_statuses_follow_the_bash_run_wrapper(judge0):
    url = judge0.url
    # bash survives its child: exit 128 + 9 -> NZEC, with bash's own line in stderr.
    survived = run_project(url, {"run": f"{PY38} -c 'import os; os.kill(os.getpid(), 9)'\n"})
    assert survived["status"]["id"] == 11 and survived["exit_code"] == 137 and survived["exit_signal"] is None, survived
    assert "Killed" in survived["stderr"] and survived["message"] == "Exited with error status 137"
    # `exec`: the program is isolate's direct child, so its signal is reported as such (SG).
    segv = run_project(url, {"run": f"exec {PY38} -c 'import os; os.kill(os.getpid(), 11)'\n"})
    assert segv["status"]["id"] == 7 and segv["exit_signal"] == 11, segv
    failed = run_project(url, {"run": f"exec {PY38} -c 'raise SystemExit(3)'\n"})
    assert failed["status"]["id"] == 11 and failed["exit_code"] == 3, failed
    # The whole box's CPU: a busy child nobody waits for still counts (--cg-timing).
    spin = f"exec {PY38} -c 'import os, time\nif os.fork() == 0:\n    while True: pass\ntime.sleep(30)'\n"
    slow = run_project(url, {"run": spin}, cpu_time_limit=0.5, cpu_extra_time=0.5, wall_time_limit=10)
    assert slow["status"]["id"] == 5 and float(slow["time"]) >= 0.5
    # Memory of the whole box against memory_limit: the biggest process is killed (OOM).
    hog = f"exec {PY38} -c 'x = bytearray(200 * 1024 * 1024); import time; time.sleep(2)'\n"
    oom = run_project(url, {"run": hog}, memory_limit=96000)
    assert oom["status"]["id"] == 12 and oom["exit_signal"] == 9 and oom["memory"] >= 0.95 * 96000


def test_multi_file_validation_like_the_submission_model(judge0):
    def create(body):
        return requests.post(
            f"{judge0.url}/submissions",
            params={"base64_encoded": "true"},
            headers=HEADERS,
            data=json.dumps(body),
            timeout=5,
        )

    both = create({"language_id": 89, "source_code": b64("print(1)")})
    assert both.status_code == 422
    assert both.json() == {"source_code": ["must be blank"], "additional_files": ["can't be blank"]}
    judge0.config["enable_additional_files"] = False
    refused = create({"language_id": 89, "additional_files": zip_b64({"run": "true\n"})})
    assert refused.json() == {"additional_files": ["setting additional files is not allowed"]}

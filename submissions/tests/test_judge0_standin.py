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
    too_many = requests.post(f"{url}/submissions/batch", params={"base64_encoded": "true"}, headers=HEADERS,
                             data=json.dumps({"submissions": [item] * 21}), timeout=5)
    assert too_many.status_code == 400 and "less than or equal to 20" in too_many.json()["error"]
    empty = requests.post(f"{url}/submissions/batch", headers=HEADERS, data=json.dumps({"submissions": []}), timeout=5)
    assert empty.status_code == 400
    mixed = requests.post(f"{url}/submissions/batch", params={"base64_encoded": "true"}, headers=HEADERS,
                          data=json.dumps({"submissions": [item, {"language_id": 1234, "source_code": b64("x")}]}),
                          timeout=5)
    assert mixed.status_code == 201
    assert "token" in mixed.json()[0] and mixed.json()[1] == {"language_id": ["language with id 1234 doesn't exist"]}
    no_auth = requests.get(f"{url}/about", timeout=5)
    assert no_auth.status_code == 401 and no_auth.content == b""


def test_base64_fields_decimal_strings_and_bad_fields(judge0):
    url = judge0.url
    source = "print('ünï ok', end='')\n"
    token = requests.post(f"{url}/submissions", params={"base64_encoded": "true"}, headers=HEADERS,
                          data=json.dumps({"language_id": 71, "source_code": b64(source)}), timeout=5).json()["token"]
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
    requests.post(f"{url}/_standin/control", json={"action": "fail", "status": 503, "count": 2,
                                                   "body": {"error": "queue is full"}}, timeout=5)
    answers = [requests.get(f"{url}/languages", headers=HEADERS, timeout=5).status_code for _ in range(3)]
    assert answers == [503, 503, 200]
    stats = requests.get(f"{url}/_standin/stats", timeout=5).json()
    assert stats["requests"] == 3 and stats["faults_served"] == 2
    requests.post(f"{url}/_standin/reset", timeout=5)
    assert requests.get(f"{url}/_standin/stats", timeout=5).json()["requests"] == 0


def test_python_harness_parses_as_python_3_8():
    signature = {"function": "pick", "params": [{"name": "grid", "type": "list[list[int]]"},
                                                {"name": "word", "type": "str"}], "returns": "list[str]"}
    job = Job(language="python", code="def pick(grid, word):\n    return [word]\n", kind="function",
              signature=signature, tests=(TestSpec(0, json.dumps({"grid": [[1]], "word": "x"}), '["x"]'),))
    program = build_harness(job, sentinel="s" * 32)
    # Judge0 CE 1.13.1 runs Python 3.8.1 (language 71): the generated file must parse there.
    ast.parse(program.source, feature_version=(3, 8))


def test_a_full_queue_answers_503_and_the_executor_retries_later(judge0):
    judge0.config["max_queue_size"] = 2  # a batch counts as its size
    with pytest.raises(RetryableExecutorError, match="queue is full"):
        Judge0Executor().run(stdio_job(ADD, [("1 1", "2")] * 3))
    assert Judge0Executor().run(stdio_job(ADD, [("1 1", "2")] * 2)).verdict == "accepted"

"""The embedded default `make run` serves: SQLite, local-memory cache, eager Celery, the local
sandbox and the offline mentor, with nothing else configured.

The rest of the suite runs on PostgreSQL and Redis (codementor/settings_test.py), so this
module starts the project the way the Makefile's `run` target does, in subprocesses with the
production settings module (codementor.settings) and DEBUG=true: `migrate`, `load_problems`,
`seed_demo`, then `runserver` (without the autoreloader). The only differences: the SQLite file
lives in a temporary directory instead of var/ (a developer's database is left alone), the
port is a free one, and the sandbox isolation variables of the test run are kept. Every
variable that would switch a part away from its embedded default is removed or emptied, so
a developer's .env cannot either.

It then drives the journey over HTTP: submit -> verdict -> result-cache hit -> two identical
submissions at once (one execution shared through the local-memory single-flight lock, with
the SQLite branch of the judging claim) -> mentor answer -> student dashboard -> staff cost
dashboard, and reads the ledger the server wrote.
"""

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

pytestmark = pytest.mark.slow

BASE_DIR = Path(__file__).resolve().parents[2]
DEMO = ("demo", "codementor-demo")
ADMIN = ("admin", "codementor-admin")
TWO_SUM = (
    "def two_sum(nums, target):\n    seen = {}\n    for i, n in enumerate(nums):\n"
    "        if target - n in seen:\n            return [seen[target - n], i]\n        seen[n] = i\n"
)
# Variables that switch a part away from its embedded default (settings.py, .env.example),
# and the ones codementor/settings_test.py put into this process's environment.
NOT_EMBEDDED = (
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "CELERY_RESULT_BACKEND",
    "CELERY_TASK_ALWAYS_EAGER",
    "EXECUTOR_BACKEND",
    "JUDGE0_URL",
    "JUDGE0_AUTH_TOKEN",
    "JUDGE0_RAPIDAPI_KEY",
    "GEMINI_API_KEY",
    "GEMINI_BASE_URL",
    "SECRET_KEY",
    "DEBUG",
    "SECURE_SSL_REDIRECT",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "STATICFILES_BACKEND",
    "DJANGO_SETTINGS_MODULE",
    "CACHE_KEY_PREFIX",
    "DEMO_PASSWORD",
    "ADMIN_PASSWORD",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_run_env(work: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in NOT_EMBEDDED and not k.startswith("TEST_")}
    # Empty, not absent: settings.py reads .env without overwriting what is set.
    env.update({"REDIS_URL": "", "JUDGE0_URL": "", "GEMINI_API_KEY": "", "EXECUTOR_BACKEND": "local"})
    env["DEBUG"] = "true"  # exactly what the Makefile sets
    env["DATABASE_URL"] = f"sqlite:///{work / 'codementor.sqlite3'}"
    env["DJANGO_SETTINGS_MODULE"] = "codementor.settings"
    return env


def manage(env: dict, *args: str, timeout: float = 300) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, f"manage.py {' '.join(args)}:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    return done.stdout


def shell_json(env: dict, code: str):
    """Run `code` (which must print one JSON line last) in `manage.py shell` on the server's database."""
    out = manage(env, "shell", "-c", code, timeout=120)
    return json.loads(out.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    work = tmp_path_factory.mktemp("embedded")
    env = make_run_env(work)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # The Makefile's `run` target, step by step.
    manage(env, "migrate", "--noinput")
    manage(env, "load_problems")
    manage(env, "seed_demo", "--base-url", base)
    log = open(work / "runserver.log", "w+")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, (work / "runserver.log").read_text()[-4000:]
            try:
                if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, (work / "runserver.log").read_text()[-4000:]
            time.sleep(0.2)
        yield {"url": base, "env": env, "log": work / "runserver.log"}
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def api(server, user=DEMO) -> requests.Session:
    session = requests.Session()
    token = session.post(
        f"{server['url']}/api/v1/auth/token/", json={"username": user[0], "password": user[1]}, timeout=30
    )
    assert token.status_code == 200, token.text
    session.headers["Authorization"] = f"Token {token.json()['token']}"
    return session


def logged_in_browser(server, user=DEMO) -> requests.Session:
    session = requests.Session()
    session.get(f"{server['url']}/accounts/login/", timeout=30)
    response = session.post(
        f"{server['url']}/accounts/login/",
        timeout=30,
        allow_redirects=False,
        data={"username": user[0], "password": user[1], "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        headers={"Referer": f"{server['url']}/accounts/login/"},
    )
    assert response.status_code == 302, response.text[:2000]
    return session


def submit(server, session, code: str) -> dict:
    response = session.post(
        f"{server['url']}/api/v1/submissions/",
        timeout=120,
        json={"problem": "two-sum", "language": "python", "mode": "submit", "code": code},
    )
    assert response.status_code == 201, response.text
    return finished(server, session, response.json()["id"])


def finished(server, session, sub_id: int, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        body = session.get(f"{server['url']}/api/v1/submissions/{sub_id}/", timeout=30).json()
        if body["status"] == "finished":
            return body
        assert time.monotonic() < deadline, (body, server["log"].read_text()[-4000:])
        time.sleep(0.1)


def ledger(server, sub_id: int) -> list[list[str]]:
    return shell_json(
        server["env"],
        (
            "import json; from costs.models import ApiCall; "
            f"print(json.dumps([[c.provider, c.cache_layer, c.status] for c in "
            f"ApiCall.objects.filter(reference='submission:{sub_id}').order_by('id')]))"
        ),
    )


def test_the_server_runs_on_the_embedded_defaults(server):
    found = shell_json(
        server["env"],
        (
            "import json; from django.conf import settings; from django.db import connection; "
            "from submissions.executors import get_executor; from mentor.services import get_provider; "
            "print(json.dumps({'db': connection.vendor, 'cache': settings.CACHES['default']['BACKEND'], "
            "'eager': settings.CELERY_TASK_ALWAYS_EAGER, 'broker': settings.CELERY_BROKER_URL, "
            "'executor': get_executor().name, 'mentor': get_provider().name, 'debug': settings.DEBUG}))"
        ),
    )
    assert found == {
        "db": "sqlite",
        "cache": "django.core.cache.backends.locmem.LocMemCache",
        "eager": True,
        "broker": "memory://",
        "executor": "local",
        "mentor": "offline",
        "debug": True,
    }


def test_submit_verdict_cache_hit_mentor_and_dashboards(server):
    student = api(server)
    first = submit(server, student, TWO_SUM)
    assert first["verdict"] == "accepted" and first["cache_hit"] is False
    again = submit(server, student, TWO_SUM)
    assert again["verdict"] == "accepted" and again["cache_hit"] is True
    assert ledger(server, first["id"]) == [["local_sandbox", "none", "ok"]]
    assert ledger(server, again["id"]) == [["local_sandbox", "result", "ok"]]

    conversation = student.post(
        f"{server['url']}/api/v1/mentor/conversations/", json={"problem": "two-sum"}, timeout=30
    )
    assert conversation.status_code == 201, conversation.text
    reply = student.post(
        f"{server['url']}/api/v1/mentor/conversations/{conversation.json()['id']}/messages/",
        json={"text": "How should I approach this problem?", "code": TWO_SUM, "language": "python"},
        timeout=60,
    )
    assert reply.status_code == 201, reply.text
    answer = reply.json()
    assert answer["role"] == "mentor" and answer["text"].strip()
    assert answer["layer"] in ("pattern", "response_cache", "offline")  # no key: never the model

    page = logged_in_browser(server).get(f"{server['url']}/", timeout=30)
    assert page.status_code == 200 and "Two Sum" in page.text  # the recent submissions on the dashboard

    costs = logged_in_browser(server, ADMIN).get(f"{server['url']}/admin/costs/dashboard/", timeout=30)
    assert costs.status_code == 200, costs.text[:2000]
    assert "local_sandbox" in costs.text or "Local sandbox" in costs.text


def test_identical_submissions_at_once_share_one_execution(server):
    """The local-memory branch of single-flight and the SQLite branch of the judging claim:
    the second of two identical submissions waits for the first's execution instead of
    running its own. The code sleeps 1.5 s while loading, so the second is sent while the
    first is provably running (its status says so), with a wide margin."""
    code = "import time\ntime.sleep(1.5)\n" + TWO_SUM
    student = api(server)
    results = {}

    def post_first():
        results["first"] = submit(server, student, code)

    thread = threading.Thread(target=post_first)
    thread.start()
    deadline = time.monotonic() + 60
    while True:  # wait until the first is being judged
        page = student.get(f"{server['url']}/api/v1/submissions/", timeout=30).json()
        running = [s for s in page["results"] if s["status"] == "running"]
        if running:
            break
        assert time.monotonic() < deadline and thread.is_alive(), server["log"].read_text()[-4000:]
        time.sleep(0.02)
    second = submit(server, api(server), code)
    thread.join(timeout=120)
    first = results["first"]
    assert first["verdict"] == second["verdict"] == "accepted"
    assert (first["cache_hit"], second["cache_hit"]) == (False, True)
    assert ledger(server, first["id"]) == [["local_sandbox", "none", "ok"]]
    assert ledger(server, second["id"]) == [["local_sandbox", "single_flight", "ok"]]

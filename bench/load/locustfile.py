"""Students on the platform: browse, open workspaces, run/submit, ask the mentor.

Driven by bench/load/run.py, which writes the users and solutions file named in
LOAD_FIXTURE (JSON: {"tokens": [...], "solutions": {slug: python_code}}).
Submissions mix popular duplicates (the reference solution, byte-identical across users:
result-cache / single-flight path) and unique ones (a distinct constant per submission:
a real execution). Each submission is polled until finished; the submit->verdict time is
reported to locust as the pseudo-request "verdict cached" / "verdict uncached".
"""

import itertools
import json
import os
import random
import time

from locust import HttpUser, between, events, task

FIXTURE = json.loads(open(os.environ["LOAD_FIXTURE"]).read())  # noqa: SIM115
TOKENS = itertools.cycle(FIXTURE["tokens"])
SLUGS = sorted(FIXTURE["solutions"])
POPULAR = SLUGS[:5]  # most students work on the same few problems
UNIQUE = itertools.count(1)
UNIQUE_SHARE = float(os.environ.get("LOAD_UNIQUE_SHARE", "0.5"))


class Student(HttpUser):
    wait_time = between(0.5, 2.0)

    def on_start(self):
        self.client.headers["Authorization"] = f"Token {next(TOKENS)}"

    @task(6)
    def browse_list(self):
        self.client.get("/api/v1/problems/", name="/api/v1/problems/")

    @task(2)
    def browse_list_page(self):
        self.client.get("/problems/", name="/problems/ (page)")

    @task(6)
    def problem_detail(self):
        slug = random.choice(SLUGS)
        self.client.get(f"/api/v1/problems/{slug}/", name="/api/v1/problems/[slug]/")

    @task(2)
    def open_workspace(self):
        slug = random.choice(POPULAR)
        self.client.get(f"/problems/{slug}/", name="/problems/[slug]/ (workspace)")

    @task(1)
    def progress(self):
        self.client.get("/api/v1/me/progress/", name="/api/v1/me/progress/")

    @task(3)
    def submit(self):
        slug = random.choice(POPULAR)
        code = FIXTURE["solutions"][slug]
        unique = random.random() < UNIQUE_SHARE
        if unique:
            code = code + f"\n_load_marker = {next(UNIQUE)}\n"
        started = time.perf_counter()
        with self.client.post(
            "/api/v1/submissions/",
            json={"problem": slug, "language": "python", "code": code, "mode": "submit"},
            name="/api/v1/submissions/ (POST)",
            catch_response=True,
        ) as response:
            if response.status_code != 201:
                response.failure(f"{response.status_code}: {response.text[:200]}")
                return
            sub_id = response.json()["id"]
        self._await_verdict(sub_id, started)

    def _await_verdict(self, sub_id, started):
        deadline = started + 60
        while time.perf_counter() < deadline:
            response = self.client.get(f"/api/v1/submissions/{sub_id}/", name="/api/v1/submissions/[id]/ (poll)")
            body = response.json() if response.status_code == 200 else {}
            if body.get("status") == "finished":
                elapsed_ms = (time.perf_counter() - started) * 1000
                kind = "verdict cached" if body.get("cache_hit") else "verdict uncached"
                ok = body.get("verdict") == "accepted"
                events.request.fire(
                    request_type="JUDGE",
                    name=kind,
                    response_time=elapsed_ms,
                    response_length=0,
                    exception=None if ok else Exception(f"verdict {body.get('verdict')}"),
                    context={},
                )
                return
            time.sleep(0.25)
        events.request.fire(
            request_type="JUDGE",
            name="verdict timeout",
            response_time=60000,
            response_length=0,
            exception=Exception("no verdict in 60 s"),
            context={},
        )

    @task(1)
    def ask_mentor(self):
        slug = random.choice(POPULAR)
        response = self.client.post(
            "/api/v1/mentor/conversations/", json={"problem": slug}, name="/api/v1/mentor/conversations/ (POST)"
        )
        if response.status_code != 201:
            return
        conversation = response.json()["id"]
        text = random.choice(["hi", "Can you give me a hint for this problem?", "What is the time complexity?"])
        self.client.post(
            f"/api/v1/mentor/conversations/{conversation}/messages/",
            json={"text": text},
            name="/api/v1/mentor/.../messages/ (POST)",
        )


class CatalogReader(HttpUser):
    """Throughput probe for the catalog: no think time, anonymous list and detail reads."""

    wait_time = between(0, 0)

    @task(1)
    def browse_list(self):
        self.client.get("/api/v1/problems/", name="/api/v1/problems/")

    @task(1)
    def problem_detail(self):
        self.client.get(f"/api/v1/problems/{random.choice(SLUGS)}/", name="/api/v1/problems/[slug]/")

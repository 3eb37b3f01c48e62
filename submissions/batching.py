"""Cross-submission batching of Judge0 submissions.

Every job is one Judge0 execution (a language-89 submission running the supervised
harness), but alone it also costs one create request plus its polls. Here the
submissions of every job being judged at the same time (any worker process, any thread)
go into one Redis queue; whoever is waiting takes the "leader" role for one round: after
a short bounded wait (at most `max_wait` from the oldest item's arrival, or until
`batch_size` items are there) it creates up to 20 of them in one POST /submissions/batch,
then polls up to 20 outstanding tokens of all jobs in one GET /submissions/batch, and
writes each finished result under its item's key. Under load a create and a poll serve
many submissions, so HTTP requests per submission fall well below one; executions stay
exactly one per job.

Every HTTP request is attributed to exactly one item (the first of its batch), so the
ledger's per-submission counts add up to the true total.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import asdict

from django.core.cache import cache

from .executors.base import ExecutionReport, ExecutorError, Job, RetryableExecutorError

_PREFIX = "submissions:batch:"
_QUEUE = _PREFIX + "queue"  # item ids waiting to be created, oldest first
_OUTSTANDING = _PREFIX + "outstanding"  # hash: item id -> Judge0 token
_LEADER = _PREFIX + "leader"
_LAST_POLL = _PREFIX + "last_poll"
ITEM_TTL = 600


def _redis():
    from django_redis import get_redis_connection

    return get_redis_connection("default")


def _key(name: str) -> str:
    return cache.make_key(name)


class BatchingJudge0Executor:
    """`Executor` that shares Judge0 batch requests between concurrent jobs (function and
    stdio alike: each is one submission of the wrapped executor's making)."""

    name = "judge0"

    def __init__(self, inner, *, max_wait: float = 0.1, batch_size: int = 20, poll_interval: float = 0.25):
        self.inner = inner
        self.max_wait = max_wait
        self.batch_size = batch_size
        # One shared poll per interval serves every waiting submission.
        self.poll_interval = poll_interval

    def run(self, job: Job, *, on_test=None) -> ExecutionReport:
        started = time.monotonic()
        prepared = self.inner.prepare(job)
        if isinstance(prepared, ExecutionReport):  # the job could not become a program (ours)
            prepared.backend = self.name
            return prepared
        program, request, plan = prepared
        (result,), http_requests = self._execute_shared([request])
        report = self.inner.finish(job, program, result, plan=plan)
        report.executions = 1
        report.http_requests = http_requests
        report.latency_ms = int((time.monotonic() - started) * 1000)
        report.backend = self.name
        if on_test:
            for outcome in report.tests:
                on_test(outcome)
        return report

    # --- the shared queue ----------------------------------------------------------------
    def _execute_shared(self, requests_) -> tuple[list, int]:
        from .executors.judge0 import SubmissionResult

        client = _redis()
        ids = [uuid.uuid4().hex for _ in requests_]
        now = time.time()
        pipe = client.pipeline()
        for item_id, req in zip(ids, requests_):
            pipe.set(_key(_PREFIX + "item:" + item_id), json.dumps({"req": asdict(req), "at": now}), ex=ITEM_TTL)
        pipe.rpush(_key(_QUEUE), *ids)
        pipe.execute()

        deadline = time.monotonic() + self.inner.poll_deadline
        results: dict[str, dict] = {}
        while len(results) < len(ids):
            if time.monotonic() > deadline:
                raise RetryableExecutorError("Judge0 batches did not finish in time (queue saturated or workers down).")
            token = uuid.uuid4().hex
            if client.set(_key(_LEADER), token, nx=True, px=30_000):
                try:
                    self._lead_one_round(client)
                finally:
                    client.eval(
                        "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0",
                        1,
                        _key(_LEADER),
                        token,
                    )
            missing = [i for i in ids if i not in results]
            for item_id, raw in zip(missing, client.mget([_key(_PREFIX + "result:" + i) for i in missing])):
                if raw is not None:
                    results[item_id] = json.loads(raw)
            if len(results) < len(ids):
                time.sleep(0.01)
        client.delete(*[_key(_PREFIX + "result:" + i) for i in ids])

        http = sum(r.get("http", 0) for r in results.values())
        errors = [r for r in results.values() if "error" in r]
        if errors:
            exc_class = RetryableExecutorError if errors[0].get("retryable") else ExecutorError
            exc = exc_class(errors[0]["error"])
            exc.http_requests = http
            exc.executions = sum(1 for r in results.values() if "result" in r)
            raise exc
        return [SubmissionResult(**results[i]["result"]) for i in ids], http

    def _lead_one_round(self, client) -> None:
        from .executors.judge0 import SubmissionRequest

        # Bounded wait: collect twins until the batch is full or the oldest item has waited max_wait.
        head = client.lindex(_key(_QUEUE), 0)
        if head is not None and client.llen(_key(_QUEUE)) < self.batch_size:
            raw = client.get(_key(_PREFIX + "item:" + head.decode()))
            arrived = json.loads(raw)["at"] if raw else time.time()
            wait = arrived + self.max_wait - time.time()
            while wait > 0 and client.llen(_key(_QUEUE)) < self.batch_size:
                time.sleep(min(wait, 0.01))
                wait = arrived + self.max_wait - time.time()

        judge0 = self.inner.client_factory()
        try:
            popped = [i.decode() for i in (client.lpop(_key(_QUEUE), self.batch_size) or [])]
            if popped:
                raws = client.mget([_key(_PREFIX + "item:" + i) for i in popped])
                items = [(i, json.loads(r)) for i, r in zip(popped, raws) if r is not None]
                if items:
                    self._create(client, judge0, items, SubmissionRequest)
            if client.set(_key(_LAST_POLL), "1", nx=True, px=max(int(self.poll_interval * 1000), 1)):
                self._poll(client, judge0)
        finally:
            judge0.close()

    def _create(self, client, judge0, items, request_class) -> None:
        try:
            tokens = judge0.create_batch([request_class(**data["req"]) for _, data in items])
        except ExecutorError as exc:
            # The whole batch failed: every item's submission gets the error (and retries).
            retryable = isinstance(exc, RetryableExecutorError)
            pipe = client.pipeline()
            for n, (item_id, _) in enumerate(items):
                body = {"error": str(exc), "retryable": retryable, "http": 1 if n == 0 else 0}
                pipe.set(_key(_PREFIX + "result:" + item_id), json.dumps(body), ex=ITEM_TTL)
            pipe.execute()
            return
        pipe = client.pipeline()
        for n, ((item_id, _), tok) in enumerate(zip(items, tokens)):
            pipe.hset(_key(_OUTSTANDING), item_id, f"{tok}|{1 if n == 0 else 0}")
        pipe.execute()

    def _poll(self, client, judge0) -> None:
        outstanding = {k.decode(): v.decode() for k, v in client.hgetall(_key(_OUTSTANDING)).items()}
        if not outstanding:
            return
        chosen = list(outstanding.items())[: self.batch_size]
        tokens = [v.split("|")[0] for _, v in chosen]
        try:
            polled = judge0.get_batch(tokens)
        except RetryableExecutorError:
            return  # polled again next round; the submission's deadline bounds the wait
        pipe = client.pipeline()
        for n, ((item_id, value), result) in enumerate(zip(chosen, polled)):
            created_http = int(value.split("|")[1])
            poll_http = 1 if n == 0 else 0
            if result is None:
                body = {
                    "error": f"Judge0 does not know submission {value.split('|')[0]}",
                    "retryable": False,
                    "http": created_http + poll_http,
                }
            elif result.finished:
                body = {"result": asdict(result), "http": created_http + poll_http}
            else:
                if poll_http:  # keep this poll's request attributed to an item still waiting
                    pipe.hset(_key(_OUTSTANDING), item_id, f"{value.split('|')[0]}|{created_http + 1}")
                continue
            pipe.set(_key(_PREFIX + "result:" + item_id), json.dumps(body), ex=ITEM_TTL)
            pipe.hdel(_key(_OUTSTANDING), item_id)
        pipe.execute()

"""Judge0 CE backend: an HTTP client (`Judge0Client`) and the executor (`Judge0Executor`).

Facts this follows (docs/judge0.md, reference judge0-api.md):
- boolean query parameters must be the literal string "true" (Rails compares strings);
- source, stdin and expected_output go out Base64 and every text field comes back
  Base64 with a newline every 60 characters, so decoding is lenient;
- batch create/get take at most 20 items; batch create answers 201 even when some
  items failed, so every element is checked;
- decimal columns (`time`, `wall_time`) are JSON strings; empty outputs are null.

Function problems run as ONE submission (the harness carries every test in stdin);
stdio problems use the batch endpoint, one submission per test, and let Judge0
compare `expected_output` when the comparison mode is one Judge0 implements.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import math
import re
import secrets
import time
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation

import requests
from django.conf import settings

from ..harness import (
    HarnessError,
    HarnessProgram,
    build_harness,
    compile_error_in,
    parse_harness_output,
    strip_progress,
)
from .base import (
    ExecutionReport,
    ExecutorError,
    Job,
    OnTest,
    RetryableExecutorError,
    TestOutcome,
    TestSpec,
    Verdict,
    overall_verdict,
)

logger = logging.getLogger(__name__)

# Only what we read: every extra field is bytes over the wire on every poll.
RESULT_FIELDS = (
    "token", "status", "stdout", "stderr", "compile_output", "message",
    "time", "wall_time", "memory", "exit_code", "exit_signal",
)
FINAL_STATUSES = range(3, 15)
IN_QUEUE, PROCESSING = 1, 2
OUTPUT_KEEP_CHARS = 16 * 1024  # what a TestOutcome keeps of stdout/stderr
CALLBACK_CACHE_PREFIX = "judge0:callback:"
CALLBACK_CACHE_SECONDS = 600
NOT_RUN = "not run: the program stopped earlier"

# JVM start-up failures under a too-small cgroup: our configuration, not the student's code.
JVM_STARTUP_MEMORY_ERRORS = ("Could not reserve enough space", "insufficient memory for the Java Runtime")
OUT_OF_MEMORY_MARKERS = (
    "MemoryError", "heap out of memory", "std::bad_alloc", "java.lang.OutOfMemoryError", "Cannot allocate memory",
)


def b64encode_text(text: str | None) -> str | None:
    if text is None:
        return None
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def b64decode_text(value: str | None) -> str | None:
    """Judge0 (Ruby encode64) wraps Base64 lines at 60 chars; invalid UTF-8 is replaced."""
    if value is None:
        return None
    try:
        raw = base64.b64decode("".join(value.split()), validate=False)
    except (ValueError, TypeError):
        return value
    return raw.decode("utf-8", errors="replace")


def _seconds_to_ms(value) -> int | None:
    # Judge0 sends decimal columns as strings ("0.012"); be tolerant of numbers too.
    if value is None or value == "":
        return None
    try:
        return int((Decimal(str(value)) * 1000).to_integral_value())
    except InvalidOperation:
        return None


@dataclass(frozen=True)
class SubmissionRequest:
    """One Judge0 submission, in plain text; the client Base64-encodes it."""

    language_id: int
    source_code: str
    stdin: str | None = None
    expected_output: str | None = None  # None = no comparison by Judge0
    cpu_time_limit: float | None = None  # seconds
    wall_time_limit: float | None = None  # seconds
    memory_limit: int | None = None  # KB
    max_file_size: int | None = None  # KB; also caps stdout
    callback_url: str | None = None

    def payload(self) -> dict:
        body = {"language_id": int(self.language_id), "source_code": b64encode_text(self.source_code)}
        if self.stdin is not None:
            body["stdin"] = b64encode_text(self.stdin)
        # "" would compare against a null stdout and always fail: never send it.
        if self.expected_output:
            body["expected_output"] = b64encode_text(self.expected_output)
        for name in ("cpu_time_limit", "wall_time_limit", "memory_limit", "max_file_size", "callback_url"):
            value = getattr(self, name)
            if value is not None:
                body[name] = value
        return body


@dataclass
class SubmissionResult:
    """A decoded Judge0 submission as returned by GET (or a callback)."""

    token: str
    status_id: int
    status_description: str = ""
    stdout: str | None = None
    stderr: str | None = None
    compile_output: str | None = None
    message: str | None = None
    time_ms: int | None = None
    wall_time_ms: int | None = None
    memory_kb: int | None = None
    exit_code: int | None = None
    exit_signal: int | None = None

    @property
    def finished(self) -> bool:
        return self.status_id in FINAL_STATUSES

    @classmethod
    def from_json(cls, data: dict) -> SubmissionResult:
        """`data` as Judge0 sends it with base64_encoded=true."""
        status = data.get("status") or {}
        if isinstance(status, dict):
            status_id, description = status.get("id"), status.get("description", "")
        else:
            status_id, description = data.get("status_id"), ""
        try:
            status_id = int(status_id)
        except (TypeError, ValueError):
            raise RetryableExecutorError(f"Judge0 answered a submission without a status: {str(data)[:200]}")
        memory = data.get("memory")
        return cls(
            token=str(data.get("token") or ""),
            status_id=status_id,
            status_description=str(description or ""),
            stdout=b64decode_text(data.get("stdout")),
            stderr=b64decode_text(data.get("stderr")),
            compile_output=b64decode_text(data.get("compile_output")),
            message=b64decode_text(data.get("message")),
            time_ms=_seconds_to_ms(data.get("time")),
            wall_time_ms=_seconds_to_ms(data.get("wall_time")),
            memory_kb=int(memory) if memory not in (None, "") else None,
            exit_code=data.get("exit_code"),
            exit_signal=data.get("exit_signal"),
        )


def _error_detail(response: requests.Response) -> str:
    """The body of a Judge0/RapidAPI error, short; 401/403 bodies are empty in Judge0."""
    text = (response.text or "").strip()
    return text[:500] if text else "(empty body)"


class Judge0Client:
    """A thin, counted client of the Judge0 CE HTTP API (self-hosted or RapidAPI).

    `http_requests` counts every HTTP call made, failed ones included, so callers can
    ledger them. Errors: 401/403/400/404/422 -> ExecutorError (configuration; the
    message is admin-readable); 429/5xx/connection errors/timeouts/malformed JSON ->
    RetryableExecutorError. The auth token is sent as a header and never logged.
    """

    def __init__(
        self,
        *,
        base_url: str,
        auth_token: str = "",
        auth_header: str = "X-Auth-Token",
        rapidapi_key: str = "",
        rapidapi_host: str = "",
        timeout: float = 10.0,
        connect_timeout: float = 3.0,
        batch_size: int = 20,
        session: requests.Session | None = None,
    ):
        if not base_url:
            raise ExecutorError("Judge0 is not configured: set JUDGE0_URL.")
        self.base_url = base_url.rstrip("/")
        self.timeout = (connect_timeout, timeout)
        self.batch_size = max(1, min(int(batch_size), 20))
        self.session = session or requests.Session()
        self.session.headers["Content-Type"] = "application/json"
        self.session.headers["Accept"] = "application/json"
        if rapidapi_key:
            self.session.headers["X-RapidAPI-Key"] = rapidapi_key
            self.session.headers["X-RapidAPI-Host"] = rapidapi_host or "judge0-ce.p.rapidapi.com"
        elif auth_token:
            self.session.headers[auth_header or "X-Auth-Token"] = auth_token
        self.http_requests = 0

    @classmethod
    def from_settings(cls, **overrides) -> Judge0Client:
        options = {
            "base_url": settings.JUDGE0_URL,
            "auth_token": settings.JUDGE0_AUTH_TOKEN,
            "auth_header": settings.JUDGE0_AUTH_HEADER,
            "rapidapi_key": settings.JUDGE0_RAPIDAPI_KEY,
            "rapidapi_host": settings.JUDGE0_RAPIDAPI_HOST,
            "timeout": settings.JUDGE0_TIMEOUT,
            "connect_timeout": settings.JUDGE0_CONNECT_TIMEOUT,
            "batch_size": settings.JUDGE0_BATCH_SIZE,
        }
        options.update(overrides)
        return cls(**options)

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> Judge0Client:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- transport -------------------------------------------------------------
    def _request(self, method: str, path: str, *, params: dict | None = None, json_body=None):
        try:
            return self._send(method, path, params=params, json_body=json_body)
        except RetryableExecutorError as exc:
            logger.warning("judge0 %s %s failed (retryable): %s", method, path, exc)
            raise
        except ExecutorError as exc:
            logger.error("judge0 %s %s failed (configuration): %s", method, path, exc)
            raise

    def _send(self, method: str, path: str, *, params: dict | None, json_body):
        url = f"{self.base_url}{path}"
        self.http_requests += 1
        try:
            response = self.session.request(method, url, params=params, json=json_body, timeout=self.timeout)
        except requests.Timeout:
            raise RetryableExecutorError(f"Judge0 did not answer {method} {path} within {self.timeout[1]:g} s.")
        except requests.RequestException as exc:
            # The exception text holds the URL only; headers (the token) never reach it.
            raise RetryableExecutorError(f"Judge0 unreachable ({method} {path}): {type(exc).__name__}")
        status = response.status_code
        if status in (401, 403):
            which = "RapidAPI key/subscription" if "X-RapidAPI-Key" in self.session.headers else "X-Auth-Token"
            raise ExecutorError(
                f"Judge0 refused {method} {path} with HTTP {status}: check JUDGE0_URL and the {which} "
                f"(JUDGE0_AUTH_TOKEN / JUDGE0_RAPIDAPI_KEY) and the server's ALLOW_IP. Body: {_error_detail(response)}"
            )
        if status == 429:
            raise RetryableExecutorError(f"Judge0 rate limit or quota hit (HTTP 429): {_error_detail(response)}")
        if status >= 500:
            raise RetryableExecutorError(f"Judge0 unavailable (HTTP {status}): {_error_detail(response)}")
        if status == 422:
            raise ExecutorError(f"Judge0 rejected the submission (HTTP 422): {_error_detail(response)}")
        if status >= 400:
            raise ExecutorError(f"Judge0 answered HTTP {status} to {method} {path}: {_error_detail(response)}")
        try:
            return response.json()
        except ValueError:
            raise RetryableExecutorError(f"Judge0 answered {method} {path} with malformed JSON (HTTP {status}).")

    # --- submissions -----------------------------------------------------------
    def create_submission(self, request: SubmissionRequest) -> str:
        data = self._request(
            "POST", "/submissions", params={"base64_encoded": "true", "wait": "false"}, json_body=request.payload()
        )
        token = data.get("token") if isinstance(data, dict) else None
        if not token:
            raise RetryableExecutorError(f"Judge0 created no token: {str(data)[:200]}")
        return token

    def create_batch(self, requests_: list[SubmissionRequest]) -> list[str]:
        """Create submissions, at most `batch_size` per HTTP request; tokens in input order.

        Judge0 answers 201 when at least one item is valid, with the invalid items' error
        objects in place: any such item raises ExecutorError (our requests are built from
        settings, so an invalid one is a configuration problem).
        """
        tokens: list[str] = []
        for start in range(0, len(requests_), self.batch_size):
            chunk = requests_[start:start + self.batch_size]
            data = self._request(
                "POST", "/submissions/batch", params={"base64_encoded": "true"},
                json_body={"submissions": [r.payload() for r in chunk]},
            )
            if not isinstance(data, list) or len(data) != len(chunk):
                raise RetryableExecutorError(f"Judge0 batch create answered an unexpected body: {str(data)[:200]}")
            for offset, item in enumerate(data):
                token = item.get("token") if isinstance(item, dict) else None
                if not token:
                    raise ExecutorError(f"Judge0 rejected batch item {start + offset}: {str(item)[:300]}")
                tokens.append(token)
        return tokens

    def get_submission(self, token: str, *, fields: tuple[str, ...] = RESULT_FIELDS) -> SubmissionResult:
        data = self._request(
            "GET", f"/submissions/{token}", params={"base64_encoded": "true", "fields": ",".join(fields)}
        )
        if not isinstance(data, dict):
            raise RetryableExecutorError(f"Judge0 answered an unexpected body: {str(data)[:200]}")
        data.setdefault("token", token)
        return SubmissionResult.from_json(data)

    def get_batch(self, tokens: list[str], *, fields: tuple[str, ...] = RESULT_FIELDS) -> list[SubmissionResult | None]:
        """Results in token order, `batch_size` tokens per HTTP request; None for unknown tokens."""
        results: list[SubmissionResult | None] = []
        for start in range(0, len(tokens), self.batch_size):
            chunk = tokens[start:start + self.batch_size]
            data = self._request(
                "GET", "/submissions/batch",
                params={"tokens": ",".join(chunk), "base64_encoded": "true", "fields": ",".join(fields)},
            )
            items = data.get("submissions") if isinstance(data, dict) else None
            if not isinstance(items, list) or len(items) != len(chunk):
                raise RetryableExecutorError(f"Judge0 batch get answered an unexpected body: {str(data)[:200]}")
            for token, item in zip(chunk, items):
                if item is None:
                    results.append(None)
                else:
                    item.setdefault("token", token)
                    results.append(SubmissionResult.from_json(item))
        return results

    # --- information -----------------------------------------------------------
    def about(self) -> dict:
        return self._request("GET", "/about")

    def languages(self) -> list[dict]:
        return self._request("GET", "/languages")

    def config_info(self) -> dict:
        return self._request("GET", "/config_info")


# --- callbacks ----------------------------------------------------------------------
def callback_signature(nonce: str) -> str:
    return hmac.new(settings.JUDGE0_CALLBACK_SECRET.encode(), nonce.encode(), hashlib.sha256).hexdigest()


def callback_url(nonce: str) -> str | None:
    """The signed URL Judge0 PUTs results to, or None when callbacks are not configured."""
    if not (settings.JUDGE0_CALLBACK_SECRET and settings.JUDGE0_CALLBACK_BASE_URL):
        return None
    base = settings.JUDGE0_CALLBACK_BASE_URL.rstrip("/")
    return f"{base}/submissions/judge0/callback/{nonce}/{callback_signature(nonce)}/"


def callback_cache_key(token: str) -> str:
    return f"{CALLBACK_CACHE_PREFIX}{token}"


# --- verdicts -------------------------------------------------------------------------
def verdict_for(result: SubmissionResult, *, memory_limit_kb: int | None = None) -> tuple[str, str]:
    """Map a final Judge0 status (3-14) onto (our verdict, admin-readable note).

    Judge0 has no memory-limit status: running out of memory shows as a runtime error
    (NZEC exit 137 = SIGKILL through the bash wrapper, SIGSEGV/SIGABRT, a language's
    out-of-memory error), so it is inferred from the peak memory and stderr.
    """
    sid = result.status_id
    stderr = result.stderr or ""
    if sid == 3:
        return Verdict.ACCEPTED, ""
    if sid == 4:
        return Verdict.WRONG_ANSWER, ""
    if sid == 5:
        return Verdict.TIME_LIMIT_EXCEEDED, ""
    if sid == 6:
        return Verdict.COMPILE_ERROR, ""
    if sid == 8:  # SIGXFSZ: stdout is a file capped by max_file_size
        return Verdict.OUTPUT_LIMIT_EXCEEDED, ""
    if sid in (7, 9, 10, 11, 12):
        if any(marker in stderr for marker in JVM_STARTUP_MEMORY_ERRORS):
            return Verdict.SYSTEM_ERROR, "The JVM could not start within Judge0's memory_limit: raise it."
        near_limit = bool(memory_limit_kb and result.memory_kb and result.memory_kb >= 0.95 * memory_limit_kb)
        killed = result.exit_code == 137 or result.exit_signal == 9
        if any(marker in stderr for marker in OUT_OF_MEMORY_MARKERS) or (near_limit and (killed or sid != 11)):
            return Verdict.MEMORY_LIMIT_EXCEEDED, ""
        return Verdict.RUNTIME_ERROR, result.status_description
    if sid in (13, 14):
        return Verdict.SYSTEM_ERROR, f"Judge0 {result.status_description or 'internal error'}: {result.message or ''}"
    return Verdict.SYSTEM_ERROR, f"Judge0 answered unknown status {sid} ({result.status_description})"


def _keep(text: str | None) -> str:
    text = text or ""
    return text if len(text) <= OUTPUT_KEEP_CHARS else text[:OUTPUT_KEEP_CHARS] + "\n…[truncated]"


def _compile_message(text: str | None) -> str:
    return _keep(text).strip()


@dataclass
class _Plan:
    """Limits of one submission derived from a Job (seconds / KB, capped by Judge0's maxima)."""

    cpu_time_limit: float
    wall_time_limit: float
    memory_limit: int
    max_file_size: int


# CPU seconds a runtime spends before the first test runs (JVM, V8 start-up).
STARTUP_ALLOWANCE_S = {"java": 1.0, "javascript": 0.5, "python": 0.3, "cpp": 0.1}


class Judge0Executor:
    """`Executor` over Judge0 CE. One instance may serve many runs (a client per run)."""

    name = "judge0"

    def __init__(
        self,
        *,
        client_factory=None,
        poll_initial: float | None = None,
        poll_factor: float | None = None,
        poll_max_interval: float | None = None,
        poll_deadline: float | None = None,
        language_ids: dict | None = None,
        use_callbacks: bool = True,
    ):
        self.client_factory = client_factory or Judge0Client.from_settings
        self.poll_initial = settings.JUDGE0_POLL_INITIAL if poll_initial is None else poll_initial
        self.poll_factor = settings.JUDGE0_POLL_FACTOR if poll_factor is None else poll_factor
        self.poll_max_interval = settings.JUDGE0_POLL_MAX_INTERVAL if poll_max_interval is None else poll_max_interval
        self.poll_deadline = settings.JUDGE0_POLL_DEADLINE if poll_deadline is None else poll_deadline
        self.language_ids = language_ids or settings.JUDGE0_LANGUAGE_IDS
        self.use_callbacks = use_callbacks

    # --- entry point -------------------------------------------------------------
    def run(self, job: Job, *, on_test: OnTest | None = None) -> ExecutionReport:
        started = time.monotonic()
        client = self.client_factory()
        counters = {"executions": 0}
        try:
            if job.kind == "function":
                report = self._run_function(client, job, counters)
            else:
                report = self._run_stdio(client, job, counters, on_test=on_test)
        except ExecutorError as exc:
            # The pipeline ledgers failed attempts too: what they spent rides on the error.
            exc.http_requests = client.http_requests
            exc.executions = counters["executions"]
            exc.latency_ms = int((time.monotonic() - started) * 1000)
            raise
        finally:
            client.close()
        report.executions = counters["executions"]
        report.http_requests = client.http_requests
        report.latency_ms = int((time.monotonic() - started) * 1000)
        report.backend = self.name
        return report

    def language_id(self, language: str) -> int:
        try:
            return int(self.language_ids[language])
        except (KeyError, TypeError, ValueError):
            raise ExecutorError(f"No Judge0 language id configured for {language!r} (JUDGE0_LANGUAGE_IDS).")

    def plan(self, job: Job, *, tests_per_submission: int) -> _Plan:
        per_test = job.limits.time_limit_ms / 1000
        # Judge0 counts the runtime's start-up (JVM, V8) in the CPU limit of every submission.
        allowance = STARTUP_ALLOWANCE_S.get(job.language, 0.5)
        cpu = min(per_test * tests_per_submission + allowance, settings.JUDGE0_MAX_CPU_TIME_LIMIT)
        # Wall time covers sleeping and I/O; Judge0 requires at least 1 s.
        wall = min(max(cpu * 2 + 1, 1.0), settings.JUDGE0_MAX_WALL_TIME_LIMIT)
        memory = max(min(job.limits.memory_limit_mb * 1024, settings.JUDGE0_MAX_MEMORY_LIMIT_KB), 2048)
        max_file = max(min(math.ceil(job.limits.output_limit_bytes / 1024), settings.JUDGE0_MAX_FILE_SIZE_KB), 1)
        return _Plan(round(cpu, 3), round(wall, 3), memory, max_file)

    def _new_callback(self) -> tuple[str | None, str | None]:
        if not self.use_callbacks:
            return None, None
        nonce = secrets.token_urlsafe(16)
        url = callback_url(nonce)
        return (nonce, url) if url else (None, None)

    # --- function problems: one submission carrying every test ----------------------
    def _run_function(self, client: Judge0Client, job: Job, counters: dict) -> ExecutionReport:
        try:
            program = build_harness(job, sentinel=secrets.token_hex(16))
        except HarnessError as exc:
            return self._whole_run_failed(job, Verdict.SYSTEM_ERROR, message=str(exc))
        n = max(len(job.tests), 1)
        plan = self.plan(job, tests_per_submission=n)
        # The harness also prints each test's captured stdout (a few KiB per test).
        plan.max_file_size = min(max(plan.max_file_size, n * 64), settings.JUDGE0_MAX_FILE_SIZE_KB)
        nonce, cb_url = self._new_callback()
        request = SubmissionRequest(
            language_id=self.language_id(job.language),
            source_code=program.source,
            stdin=program.stdin,
            cpu_time_limit=plan.cpu_time_limit,
            wall_time_limit=plan.wall_time_limit,
            memory_limit=plan.memory_limit,
            max_file_size=plan.max_file_size,
            callback_url=cb_url,
        )
        token = client.create_submission(request)
        counters["executions"] += 1
        (result,) = self.wait_for(client, [token], nonce=nonce)
        return self.function_report(job, program, result, plan=plan)

    def function_report(self, job: Job, program: HarnessProgram, result: SubmissionResult, *,
                        plan: _Plan) -> ExecutionReport:
        """Judge the harness run from its final Judge0 result (comparison happens here)."""
        verdict, note = verdict_for(result, memory_limit_kb=plan.memory_limit)
        if verdict == Verdict.SYSTEM_ERROR:
            return self._whole_run_failed(job, verdict, message=note)
        if verdict == Verdict.COMPILE_ERROR:
            return self._whole_run_failed(job, verdict, compile_output=_compile_message(result.compile_output))
        stdout, raw_stderr = result.stdout or "", result.stderr or ""
        python_syntax = compile_error_in(stdout, program.sentinel)
        if python_syntax is not None:
            return self._whole_run_failed(job, Verdict.COMPILE_ERROR, compile_output=_compile_message(python_syntax))
        stderr = strip_progress(raw_stderr, program.sentinel)
        outcomes = parse_harness_output(job, program, stdout, stderr=raw_stderr)
        if len({o.index for o in outcomes}) < len(job.tests):
            if not outcomes and job.language == "javascript" and re.search(r"^SyntaxError:", stderr, re.M):
                # The file never parsed: the student's syntax error, shown as a compile error.
                return self._whole_run_failed(job, Verdict.COMPILE_ERROR, compile_output=_compile_message(stderr))
            # The run died as a whole (TLE/crash/OOM of the process), or ended early: the
            # tests the harness reported keep their result, the first unreported one takes
            # the blame and the rest could not run.
            if verdict == Verdict.ACCEPTED:
                verdict, note = Verdict.RUNTIME_ERROR, "the program ended without reporting every test"
            outcomes = self._fill_unreported(job, outcomes, verdict, note or result.status_description, stderr)
        return ExecutionReport(
            verdict=overall_verdict(outcomes),
            tests=outcomes,
            compile_output=_compile_message(result.compile_output),
        )

    @staticmethod
    def _fill_unreported(job: Job, outcomes: list[TestOutcome], verdict: str, message: str,
                         stderr: str) -> list[TestOutcome]:
        reported = {o.index for o in outcomes}
        filled = list(outcomes)
        blamed = False
        for test in job.tests:
            if test.index in reported:
                continue
            filled.append(TestOutcome(
                index=test.index,
                verdict=verdict,
                passed=False,
                stderr=_keep(stderr) if not blamed else "",
                message=(message or verdict) if not blamed else NOT_RUN,
            ))
            blamed = True
        return sorted(filled, key=lambda o: o.index)

    @staticmethod
    def _whole_run_failed(job: Job, verdict: str, *, message: str = "", compile_output: str = "") -> ExecutionReport:
        outcomes = [TestOutcome(index=t.index, verdict=verdict, passed=False, message=message) for t in job.tests]
        return ExecutionReport(verdict=verdict, tests=outcomes, compile_output=compile_output, message=message)

    # --- stdio problems: one batch submission per test -----------------------------
    @staticmethod
    def judge0_compares(test: TestSpec) -> bool:
        """Judge0 compares line-rstripped text exactly; other modes are compared here."""
        return bool(test.expected) and test.comparison in ("exact", "")

    def stdio_request(self, job: Job, test: TestSpec, *, plan: _Plan, callback: str | None = None) -> SubmissionRequest:
        """The Judge0 submission of one stdio test (public: cross-submission batching uses it)."""
        return SubmissionRequest(
            language_id=self.language_id(job.language),
            source_code=job.code,
            stdin=test.input,
            expected_output=test.expected if self.judge0_compares(test) else None,
            cpu_time_limit=plan.cpu_time_limit,
            wall_time_limit=plan.wall_time_limit,
            memory_limit=plan.memory_limit,
            max_file_size=plan.max_file_size,
            callback_url=callback,
        )

    def _run_stdio(self, client: Judge0Client, job: Job, counters: dict, *,
                   on_test: OnTest | None = None) -> ExecutionReport:
        if not job.tests:
            return ExecutionReport(verdict=Verdict.ACCEPTED, tests=[])
        plan = self.plan(job, tests_per_submission=1)
        nonce, cb_url = self._new_callback()
        requests_ = [self.stdio_request(job, t, plan=plan, callback=cb_url) for t in job.tests]
        tokens = client.create_batch(requests_)
        counters["executions"] += len(tokens)
        on_final = None
        if on_test:
            by_token = dict(zip(tokens, job.tests))

            def on_final(token: str, result: SubmissionResult) -> None:
                single = replace(job, tests=(by_token[token],))
                on_test(self.stdio_report(single, [result], plan=plan).tests[0])

        results = self.wait_for(client, tokens, nonce=nonce, on_final=on_final)
        return self.stdio_report(job, results, plan=plan)

    def stdio_report(self, job: Job, results: list[SubmissionResult], *, plan: _Plan) -> ExecutionReport:
        """Turn one final result per test (in test order) into the report."""
        from problems.comparison import text_matches

        outcomes: list[TestOutcome] = []
        compile_output = ""
        system_note = ""
        for test, result in zip(job.tests, results):
            verdict, note = verdict_for(result, memory_limit_kb=plan.memory_limit)
            compare_here = verdict == Verdict.ACCEPTED and test.expected is not None and not self.judge0_compares(test)
            if compare_here and not text_matches(test.expected, result.stdout or "", test.comparison or "exact"):
                verdict = Verdict.WRONG_ANSWER
            if verdict == Verdict.COMPILE_ERROR and not compile_output:
                compile_output = _compile_message(result.compile_output)
            if verdict == Verdict.SYSTEM_ERROR and not system_note:
                system_note = note
            outcomes.append(TestOutcome(
                index=test.index,
                verdict=verdict,
                passed=verdict == Verdict.ACCEPTED,
                actual=_keep(result.stdout),
                stderr=_keep(result.stderr),
                time_ms=result.time_ms,
                memory_kb=result.memory_kb,
                message=note if verdict != Verdict.ACCEPTED else "",
            ))
        return ExecutionReport(
            verdict=overall_verdict(outcomes), tests=outcomes, compile_output=compile_output, message=system_note
        )

    # --- polling ----------------------------------------------------------------------
    def wait_for(self, client: Judge0Client, tokens: list[str], *, nonce: str | None = None,
                 on_final=None) -> list[SubmissionResult]:
        """Final results for `tokens` (in order): callback results from the cache first, then
        batch polls with backoff until no status is 1/2. Past the deadline ->
        RetryableExecutorError (the run is re-queued; Judge0 may just be saturated).
        `on_final(token, result)` is told of each result as it becomes final."""
        from django.core.cache import cache

        final: dict[str, SubmissionResult] = {}

        def keep(found: dict[str, SubmissionResult]) -> None:
            for token, result in found.items():
                if token not in final:
                    final[token] = result
                    if on_final:
                        on_final(token, result)

        deadline = time.monotonic() + self.poll_deadline
        delay = self.poll_initial
        while True:
            remaining = [t for t in tokens if t not in final]
            if nonce and remaining:
                keep(self._callback_results(cache, remaining, nonce))
                remaining = [t for t in tokens if t not in final]
            if not remaining:
                return [final[t] for t in tokens]
            now = time.monotonic()
            if now >= deadline:
                raise RetryableExecutorError(
                    f"Judge0 had not finished {len(remaining)} of {len(tokens)} submissions after "
                    f"{self.poll_deadline:g} s (queue saturated or workers down)."
                )
            time.sleep(min(delay, max(deadline - now, 0)))
            delay = min(delay * self.poll_factor, self.poll_max_interval)
            if nonce:
                keep(self._callback_results(cache, remaining, nonce))
                remaining = [t for t in tokens if t not in final]
                if not remaining:
                    continue
            for token, result in zip(remaining, client.get_batch(remaining)):
                if result is None:
                    raise ExecutorError(f"Judge0 does not know submission {token} (database reset?).")
                if result.finished:
                    keep({token: result})

    @staticmethod
    def _callback_results(cache, tokens: list[str], nonce: str) -> dict[str, SubmissionResult]:
        found = {}
        stored = cache.get_many([callback_cache_key(t) for t in tokens])
        for token in tokens:
            entry = stored.get(callback_cache_key(token))
            # Only a callback delivered to the URL we handed out for this run counts.
            if entry and hmac.compare_digest(str(entry.get("nonce", "")), nonce):
                try:
                    result = SubmissionResult.from_json(entry["body"])
                except RetryableExecutorError:
                    continue
                if result.finished:
                    found[token] = result
        return found


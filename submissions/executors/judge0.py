"""Judge0 CE backend: an HTTP client (`Judge0Client`) and the executor (`Judge0Executor`).

Facts this follows (docs/judge0.md, reference judge0-api.md):
- boolean query parameters must be the literal string "true" (Rails compares strings);
- source, stdin and expected_output go out Base64 and every text field comes back
  Base64 with a newline every 60 characters, so decoding is lenient;
- batch create/get take at most 20 items; batch create answers 201 even when some
  items failed, so every element is checked;
- decimal columns (`time`, `wall_time`) are JSON strings; empty outputs are null.

Every job -- function or stdio problem, any language -- is ONE submission of language 89
"Multi-file program": `additional_files` is a zip of the supervised harness
(`submissions.harness.build_program`: supervisor.py, the runner, the student's file) plus a
`run` script that execs the supervisor on the CE's Python; stdin is the supervisor's config
(every test's input, never an expected output). The supervisor compiles (C++/Java) inside
the run, drives the student's code test by test and writes one nonce-framed results block;
`parse_supervisor_output` + `build_report` (the same as the local sandbox) judge it here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import logging
import re
import secrets
import shlex
import time
import zipfile
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation

import requests
from django.conf import settings

from .base import (
    ExecutionReport,
    ExecutorError,
    Job,
    OnTest,
    RetryableExecutorError,
    TestOutcome,
    TestSpec,
    Verdict,
    stops_on_failure,
)

logger = logging.getLogger(__name__)

# Only what we read: every extra field is bytes over the wire on every poll.
RESULT_FIELDS = (
    "token",
    "status",
    "stdout",
    "stderr",
    "compile_output",
    "message",
    "time",
    "wall_time",
    "memory",
    "exit_code",
    "exit_signal",
)
FINAL_STATUSES = range(3, 15)
IN_QUEUE, PROCESSING = 1, 2
OUTPUT_KEEP_CHARS = 16 * 1024  # what a TestOutcome keeps of stdout/stderr
CALLBACK_CACHE_PREFIX = "judge0:callback:"
CALLBACK_CACHE_SECONDS = 600
LEGACY_NOT_RUN = "not run: the program stopped earlier"

# JVM start-up failures under a too-small cgroup: our configuration, not the student's code.
JVM_STARTUP_MEMORY_ERRORS = ("Could not reserve enough space", "insufficient memory for the Java Runtime")
OUT_OF_MEMORY_MARKERS = (
    "MemoryError",
    "heap out of memory",
    "std::bad_alloc",
    "java.lang.OutOfMemoryError",
    "Cannot allocate memory",
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
    source_code: str | None = None  # None for language 89 (Judge0 requires it absent there)
    stdin: str | None = None
    expected_output: str | None = None  # None = no comparison by Judge0
    cpu_time_limit: float | None = None  # seconds
    wall_time_limit: float | None = None  # seconds
    memory_limit: int | None = None  # KB
    max_file_size: int | None = None  # KB; also caps stdout
    max_processes_and_or_threads: int | None = None
    stack_limit: int | None = None  # KB; isolate -k: RLIMIT_STACK of every process in the box
    callback_url: str | None = None
    additional_files: str | None = None  # Base64 of a zip (always Base64 in Judge0, whatever the flag)

    def payload(self) -> dict:
        body = {"language_id": int(self.language_id)}
        if self.source_code is not None:
            body["source_code"] = b64encode_text(self.source_code)
        if self.stdin is not None:
            body["stdin"] = b64encode_text(self.stdin)
        # "" would compare against a null stdout and always fail: never send it.
        if self.expected_output:
            body["expected_output"] = b64encode_text(self.expected_output)
        for name in (
            "cpu_time_limit",
            "wall_time_limit",
            "memory_limit",
            "max_file_size",
            "max_processes_and_or_threads",
            "stack_limit",
            "callback_url",
            "additional_files",
        ):
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
            chunk = requests_[start : start + self.batch_size]
            data = self._request(
                "POST",
                "/submissions/batch",
                params={"base64_encoded": "true"},
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
            chunk = tokens[start : start + self.batch_size]
            data = self._request(
                "GET",
                "/submissions/batch",
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


_EXIT_STATUS = re.compile(r"Exited with error status (\d+)")
_FATAL_SIGNAL = re.compile(r"Caught fatal signal (\d+)")


def host_facts(result: SubmissionResult, *, plan: _Plan):
    """What Judge0 itself saw of the run, for the report builder when the supervisor wrote
    no valid block. Judge0 has no OOM flag: a kill (SIGKILL, or 137 through bash) at >= 95 %
    of memory_limit counts as the cgroup's OOM killer. Callbacks carry only the 8 default
    fields (no exit_code/exit_signal): isolate's message holds them too."""
    from ..harness import HostFacts

    message = result.message or ""
    stderr = result.stderr or ""
    exit_code, signal = result.exit_code, result.exit_signal
    if exit_code is None and (found := _EXIT_STATUS.search(message)):
        exit_code = int(found[1])
    if signal is None and (found := _FATAL_SIGNAL.search(message)):
        signal = int(found[1])
    if result.status_id == 11 and signal is None and exit_code is not None and exit_code > 128:
        signal = exit_code - 128  # a bash between isolate and the program reports 128 + n
    if result.status_id == 5 or (signal is not None and not exit_code):
        exit_code = None  # isolate writes no exit code for a timeout or a fatal signal (Judge0: 0)
    near_limit = bool(result.memory_kb and result.memory_kb >= 0.95 * plan.memory_limit)
    return HostFacts(
        exit_code=exit_code,
        signal=signal,
        timed_out=result.status_id == 5,
        output_exceeded=result.status_id == 8 or signal == 25 or "File too large" in stderr,
        oom_killed=near_limit and signal == 9,
        compile_output=_compile_message(result.compile_output),
        stderr=stderr,
    )


def _outcome(test: TestSpec, verdict: str, message: str) -> TestOutcome:
    return TestOutcome(index=test.index, verdict=verdict, passed=False, message=message, hidden=not test.is_sample)


def _keep(text: str | None) -> str:
    text = text or ""
    return text if len(text) <= OUTPUT_KEEP_CHARS else text[:OUTPUT_KEEP_CHARS] + "\n…[truncated]"


def _compile_message(text: str | None) -> str:
    return _keep(text).strip()


# --- Judge0 CE 1.13.1 runtimes ---------------------------------------------------------------
# From db/languages/active.rb at tag v1.13.1 (commit ffd7a48c) of github.com/judge0/judge0, the
# image's runtimes (judge0/compilers:1.4.0) as its single-file languages call them:
#   71 "Python (3.8.1)"               run     /usr/local/python-3.8.1/bin/python3 script.py
#   54 "C++ (GCC 9.2.0)"              compile /usr/local/gcc-9.2.0/bin/g++ %s main.cpp
#                                     run     LD_LIBRARY_PATH=/usr/local/gcc-9.2.0/lib64 ./a.out
#   62 "Java (OpenJDK 13.0.1)"        compile /usr/local/openjdk13/bin/javac %s Main.java
#                                     run     /usr/local/openjdk13/bin/java Main
#   63 "JavaScript (Node.js 12.14.0)" run     /usr/local/node-12.14.0/bin/node script.js
#   89 "Multi-file program"           no commands: the archive's `compile` (optional) and `run`
# A language-89 program names these paths itself (the box's PATH is /usr/local/bin:/usr/bin:...,
# where none of them is).
MULTI_FILE_LANGUAGE_ID = 89
CE_1_13_1_RUNTIMES = {
    "python": "/usr/local/python-3.8.1/bin/python3",
    "node": "/usr/local/node-12.14.0/bin/node",
    "g++": "/usr/local/gcc-9.2.0/bin/g++",
    "gcc_lib64": "/usr/local/gcc-9.2.0/lib64",  # libstdc++ of GCC 9.2, not the system's
    "javac": "/usr/local/openjdk13/bin/javac",
    "java": "/usr/local/openjdk13/bin/java",
}
RUN_SCRIPT, COMPILE_SCRIPT = "run", "compile"  # v1.13.1 accepts only these names (master adds *.sh)
SUPERVISOR_FILE = "supervisor.py"


def ce_1_13_1_profile(runtimes: dict | None = None):
    """The harness RuntimeProfile of a self-hosted Judge0 CE 1.13.1 (paths above): the
    supervisor on the CE's Python 3.8, compiles inside the run (the config's compile
    section) within the run's CPU budget, C++ linked to find GCC 9.2's own libstdc++."""
    from ..harness import RuntimeProfile

    r = runtimes or CE_1_13_1_RUNTIMES
    return RuntimeProfile(
        name="judge0-ce-1.13.1",
        supervisor_python=r["python"],
        python=r["python"],
        node=r["node"],
        gxx=r["g++"],
        javac=r["javac"],
        java=r["java"],
        # GCC 9.2 defaults to gnu++14 and needs -pthread for std::thread; the binary needs
        # the libstdc++ of /usr/local/gcc-9.2.0/lib64 (CE's run_cmd sets LD_LIBRARY_PATH).
        cxx_flags=("-O2", "-std=c++17", "-pipe", "-pthread", f"-Wl,-rpath,{r['gcc_lib64']}"),
        compile_inside=True,
        compile_cpu_ms=COMPILE_CPU_MS,
        compile_wall_ms=COMPILE_WALL_MS,
    )


# A compile inside the run shares the run's cpu_time_limit (<= 15 s) and wall (<= 20 s).
COMPILE_CPU_MS, COMPILE_WALL_MS = 8000, 12000


# --- the language-89 request ---------------------------------------------------------------
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed: the same program is the same archive, byte for byte


def build_archive(files: dict[str, str]) -> bytes:
    """A deterministic zip of `files` (relative path -> text), built in memory: sorted names,
    fixed timestamps and modes, deflated."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name in sorted(files):
            if name.startswith("/") or ".." in name.split("/") or not name:
                raise ExecutorError(f"refusing to ship file {name!r} to Judge0")
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # unix, so the mode below is honoured by unzip
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[name].encode("utf-8"))
    return buffer.getvalue()


def program_files(program, *, python: str) -> dict[str, str]:
    """What goes into the archive: the program's files plus the `run` script that execs the
    supervisor, so no bash stays behind holding stdin (the supervisor reads it to EOF and
    is isolate's direct child). `-I -S`: no PYTHON* variables, no site, no script directory
    on sys.path, so nothing the student ships next to supervisor.py can shadow its imports.
    No `compile` script: compiles run inside the supervisor (its config's compile section),
    unless the program asks for a separate step (`compile_argv`)."""
    files = dict(program.files)
    for reserved in (RUN_SCRIPT, COMPILE_SCRIPT):
        if reserved in files:
            raise ExecutorError(f"the program ships a file named {reserved!r}, which Judge0 would run")
    if SUPERVISOR_FILE not in files:
        raise ExecutorError("the supervised program has no supervisor.py")
    files[RUN_SCRIPT] = f"exec {shlex.quote(python)} -I -S {SUPERVISOR_FILE}\n"
    compile_argv = getattr(program, "compile_argv", None)
    if compile_argv:
        files[COMPILE_SCRIPT] = f"exec {shlex.join(compile_argv)}\n"
    return files


@dataclass
class _Plan:
    """Limits of one submission derived from a Job (seconds / KB, capped by Judge0's maxima)."""

    cpu_time_limit: float
    wall_time_limit: float
    memory_limit: int
    max_file_size: int
    max_processes_and_or_threads: int = 60


# CPU seconds a runtime spends before the first test runs (JVM, V8 start-up), when the
# supervisor config does not say (its startup_ms).
STARTUP_ALLOWANCE_S = {"java": 1.0, "javascript": 0.5, "python": 0.3, "cpp": 0.1}
SUPERVISOR_CPU_S = 0.3  # the supervisor's own start-up and polling, on Python 3.8
# Memory of the box beyond the student's limit: supervisor (~10 MB), runner runtime (JVM
# non-heap, V8), and what a compile inside the run needs at its peak (cc1plus, javac).
MEMORY_OVERHEAD_KB = {"python": 48 * 1024, "javascript": 96 * 1024, "cpp": 48 * 1024, "java": 160 * 1024}
COMPILE_PEAK_KB = {"cpp": 384 * 1024, "java": 448 * 1024}
# isolate -p counts processes AND threads of the box: the JVM (javac, then the runner) has
# ~20-30 threads; Judge0's own default is 60.
MAX_PROCESSES = {"java": 120}
# The runners recurse deep (interview DFS; the Python runner sets recursionlimit 100000):
# CE's MAX_STACK_LIMIT (128000 KB) rather than its default 64000 for the main threads.
STACK_LIMIT_KB = 128000


def _config_of(program) -> dict:
    try:
        config = json.loads(program.stdin)
    except (TypeError, ValueError):
        return {}
    return config if isinstance(config, dict) else {}


class Judge0Executor:
    """`Executor` over Judge0 CE: every job, function or stdio, is ONE language-89 submission
    running the supervised harness (one instance may serve many runs; a client per run)."""

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
        profile=None,
        runtimes: dict | None = None,
    ):
        self.client_factory = client_factory or Judge0Client.from_settings
        self.poll_initial = settings.JUDGE0_POLL_INITIAL if poll_initial is None else poll_initial
        self.poll_factor = settings.JUDGE0_POLL_FACTOR if poll_factor is None else poll_factor
        self.poll_max_interval = settings.JUDGE0_POLL_MAX_INTERVAL if poll_max_interval is None else poll_max_interval
        self.poll_deadline = settings.JUDGE0_POLL_DEADLINE if poll_deadline is None else poll_deadline
        self.language_ids = language_ids or settings.JUDGE0_LANGUAGE_IDS
        self.use_callbacks = use_callbacks
        self.runtimes = runtimes or CE_1_13_1_RUNTIMES
        self._profile = profile

    @property
    def profile(self):
        if self._profile is None:
            self._profile = ce_1_13_1_profile()
        return self._profile

    # --- entry point -------------------------------------------------------------
    def run(self, job: Job, *, on_test: OnTest | None = None) -> ExecutionReport:
        started = time.monotonic()
        counters = {"executions": 0}
        try:
            prepared = self.prepare(job)
        except ExecutorError as exc:
            exc.http_requests, exc.executions, exc.latency_ms = 0, 0, int((time.monotonic() - started) * 1000)
            raise
        if isinstance(prepared, ExecutionReport):  # the job could not become a program (ours)
            prepared.backend = self.name
            return prepared
        program, request, plan = prepared
        client = self.client_factory()
        try:
            nonce, cb_url = self._new_callback()
            if cb_url:
                request = replace(request, callback_url=cb_url)
            token = client.create_submission(request)
            counters["executions"] += 1
            (result,) = self.wait_for(client, [token], nonce=nonce)
            report = self.finish(job, program, result, plan=plan)
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
        if on_test:
            # One execution judges every test: they are all known at once.
            for outcome in report.tests:
                on_test(outcome)
        return report

    def multi_file_language_id(self) -> int:
        try:
            return int(self.language_ids.get("multi", MULTI_FILE_LANGUAGE_ID))
        except (TypeError, ValueError):
            raise ExecutorError("JUDGE0_LANGUAGE_IDS: 'multi' must be a language id (89 on Judge0 CE).")

    def prepare(self, job: Job):
        """(program, request, plan) for `job`, or a system_error report when the job cannot be
        turned into a program (a bad signature: ours). Public so cross-submission batching
        can put several jobs' requests into one batch create."""
        from ..harness import HarnessError, build_program

        try:
            program = build_program(
                job, nonce=secrets.token_hex(16), profile=self.profile, stop_on_failure=stops_on_failure(job)
            )
        except HarnessError as exc:
            return self._whole_run_failed(job, Verdict.SYSTEM_ERROR, message=str(exc))
        plan = self.plan(job, program)
        request = self.request_for(program, plan)
        return program, request, plan

    def request_for(self, program, plan: _Plan) -> SubmissionRequest:
        """The language-89 submission of a supervised program: the zip of its files and the
        `run` script as additional_files, the supervisor config as stdin."""
        archive = build_archive(program_files(program, python=self.runtimes["python"]))
        return SubmissionRequest(
            language_id=self.multi_file_language_id(),
            source_code=None,
            stdin=program.stdin,
            additional_files=base64.b64encode(archive).decode("ascii"),
            cpu_time_limit=plan.cpu_time_limit,
            wall_time_limit=plan.wall_time_limit,
            memory_limit=plan.memory_limit,
            max_file_size=plan.max_file_size,
            max_processes_and_or_threads=plan.max_processes_and_or_threads,
            stack_limit=STACK_LIMIT_KB,
        )

    def plan(self, job: Job, program=None) -> _Plan:
        """Whole-run limits of the one submission: every test's CPU limit, the runtime's
        start-up (once for function problems, per test for stdio, whose program starts
        again for each test), a compile inside the run and the supervisor's own CPU --
        capped by our maxima (<= the server's max_*: 15 s CPU, 20 s wall, 512000 KB). The
        per-test limits are the supervisor's; these only bound the run as a whole."""
        config = _config_of(program) if program is not None else {}
        tests = config.get("tests")
        n = len(tests) if isinstance(tests, list) else len(job.tests)
        per_test = float(config.get("time_limit_ms") or job.limits.time_limit_ms) / 1000
        startup_ms = config.get("startup_ms")
        startup = (
            startup_ms / 1000 if isinstance(startup_ms, (int, float)) else STARTUP_ALLOWANCE_S.get(job.language, 0.5)
        )
        compile_section = config.get("compile") if isinstance(config.get("compile"), dict) else None
        compile_cpu = float(compile_section.get("cpu_ms", 0)) / 1000 if compile_section else 0.0
        starts = n if job.kind == "stdio" else 1
        cpu = compile_cpu + startup * starts + per_test * n + SUPERVISOR_CPU_S
        cpu = min(cpu, settings.JUDGE0_MAX_CPU_TIME_LIMIT)
        # Wall time covers sleeping and I/O; Judge0 requires at least 1 s.
        wall = min(max(cpu * 2 + 1, 1.0), settings.JUDGE0_MAX_WALL_TIME_LIMIT)
        student_kb = int(config.get("memory_limit_kb") or job.limits.memory_limit_mb * 1024)
        memory = student_kb + MEMORY_OVERHEAD_KB.get(job.language, 64 * 1024)
        if compile_section:
            memory = max(memory, COMPILE_PEAK_KB.get(job.language, 0))
        memory = max(min(memory, settings.JUDGE0_MAX_MEMORY_LIMIT_KB), 2048)
        # Judge0 writes stdout to a file capped by max_file_size: the results block holds
        # every test's output; the box's files (a compiled binary) are capped by it too.
        max_file = settings.JUDGE0_MAX_FILE_SIZE_KB
        return _Plan(round(cpu, 3), round(wall, 3), memory, max_file, MAX_PROCESSES.get(job.language, 60))

    def _new_callback(self) -> tuple[str | None, str | None]:
        if not self.use_callbacks:
            return None, None
        nonce = secrets.token_urlsafe(16)
        url = callback_url(nonce)
        return (nonce, url) if url else (None, None)

    # --- the result -------------------------------------------------------------------
    def finish(self, job: Job, program, result: SubmissionResult, *, plan: _Plan) -> ExecutionReport:
        """The report of a final Judge0 result: the supervisor's block when there is a valid
        one, else what Judge0 itself saw (HostFacts); the same report builder as the local
        sandbox. Expected outputs never left this server: comparisons happen here."""
        from ..harness import build_report, parse_supervisor_output

        if result.status_id in (13, 14) or result.status_id not in FINAL_STATUSES:
            _, note = verdict_for(result, memory_limit_kb=plan.memory_limit)
            return self._whole_run_failed(job, Verdict.SYSTEM_ERROR, message=note)
        if result.status_id == 6:  # only with a separate `compile` script: nothing ran
            return self._whole_run_failed(
                job, Verdict.COMPILE_ERROR, compile_output=_compile_message(result.compile_output)
            )
        if any(marker in (result.stderr or "") for marker in JVM_STARTUP_MEMORY_ERRORS) and not result.stdout:
            return self._whole_run_failed(
                job, Verdict.SYSTEM_ERROR, message="The JVM could not start within Judge0's memory_limit: raise it."
            )
        supervisor = parse_supervisor_output(program, result.stdout or "")
        return build_report(job, program, supervisor, host=host_facts(result, plan=plan))

    @staticmethod
    def _whole_run_failed(job: Job, verdict: str, *, message: str = "", compile_output: str = "") -> ExecutionReport:
        outcomes = [_outcome(t, verdict, message) for t in job.tests]
        return ExecutionReport(
            verdict=verdict,
            tests=outcomes,
            compile_output=compile_output,
            message=message,
            cacheable=verdict == Verdict.COMPILE_ERROR,
        )

    # --- polling ----------------------------------------------------------------------
    def wait_for(
        self, client: Judge0Client, tokens: list[str], *, nonce: str | None = None, on_final=None
    ) -> list[SubmissionResult]:
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

"""The trusted supervisor of one judged run (stdlib only; Python 3.8 and 3.11).

Shipped into the sandbox next to the student's files and started as
`python3 -I -S supervisor.py` with the run's configuration as JSON on stdin (built by
submissions.harness.build_program, whose module docstring describes the protocol). It
reads all of stdin,
makes itself non-dumpable (same-uid code can neither ptrace it nor open its
/proc/<pid>/{mem,fd,environ}) and a child subreaper (every orphan of the run becomes its
child), then drives the untrusted student process:

- function problems: ONE runner child that loads the student's code, answers one
  request line per test with one reply frame, and holds no secret and no timer;
- stdio problems: one program process per test, fed that test's stdin.

Per-test CPU is the CPU of the whole student process tree (RUSAGE_CHILDREN of the
supervisor for reaped processes + utime/stime/cutime/cstime of every live descendant),
polled every few milliseconds together with the tree's resident memory and the test's
output; a test over a limit has every student process killed. After each test every
student process except the runner is killed. At the very end, with no student process
left, the results go to fd 1 as `\\n<nonce>\\n<JSON>\\n<nonce>-end\\n`; the nonce and the
tests exist only in this process's memory. fd 2 carries `CMPROGRESS {...}` lines (id,
status, time) for live display only.
"""

import contextlib
import os
import resource
import select
import signal
import sys
import time


# --- JSON through the C accelerator directly ----------------------------------------------
# `import json` costs ~9 ms (it compiles regular expressions); every submission pays the
# supervisor's start-up, so the same C scanner/encoder json uses are built here directly.
def _constant(name):
    return {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}[name]


def _no_default(obj):
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


class _Context:
    strict = True
    object_hook = None
    object_pairs_hook = None
    memo = None

    def __init__(self, parse_float=float, parse_constant=_constant):
        self.parse_float = parse_float
        self.parse_int = int
        self.parse_constant = parse_constant


try:
    import _json

    def _scanner(**kwargs):
        scan = _json.make_scanner(_Context(**kwargs))

        def loads(text):
            text = text.strip(" \t\n\r")
            try:
                value, end = scan(text, 0)
            except StopIteration:
                raise ValueError("not JSON") from None
            if end != len(text):
                raise ValueError("extra data after JSON")
            return value

        return loads

    def _encoder(separators=(", ", ": "), sort_keys=False, allow_nan=True):
        encode = _json.make_encoder(
            {},
            _no_default,
            _json.encode_basestring_ascii,
            None,
            separators[1],
            separators[0],
            sort_keys,
            False,
            allow_nan,
        )
        return lambda value: "".join(encode(value, 0))

except (ImportError, AttributeError):  # pragma: no cover - every CPython has _json
    import json

    def _scanner(parse_float=float, parse_constant=_constant):
        return lambda text: json.loads(text, parse_float=parse_float, parse_constant=parse_constant)

    def _encoder(separators=(", ", ": "), sort_keys=False, allow_nan=True):
        return lambda value: dumps(value, separators=separators, sort_keys=sort_keys, allow_nan=allow_nan)


def _finite(text):
    value = float(text)
    return value if value - value == 0.0 else text  # inf/nan stay text: never a result field


loads = _scanner()
loads_reply = _scanner(parse_float=_finite, parse_constant=str)
dumps = _encoder()
dumps_strict = _encoder(allow_nan=False)
dumps_canonical = _encoder(separators=(",", ":"), sort_keys=True)


FRAME = b"\n\x1e\x1fCMR:"
POLL_SECONDS = 0.005
PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36
TICK = 1.0 / os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
FRAME_LIMIT = 64 * 1024 * 1024  # one reply frame (the returned value) at most
STDERR_KEPT = 8192
COMPILE_KEPT = 64 * 1024
MEMORY_MARKERS = ("MemoryError", "heap out of memory", "OutOfMemoryError", "std::bad_alloc", "Cannot allocate memory")


class SetupError(Exception):
    pass


# --- process-tree facts from /proc ------------------------------------------------------
def _read(path):
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:
        return b""


def _children_of(pid):
    """Children of every thread of `pid` (a fork from any thread counts)."""
    found = []
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for tid in tids:
        found.extend(int(x) for x in _read(f"/proc/{pid}/task/{tid}/children").split())
    return found


def descendants(me):
    """Every live process below the supervisor. As a child subreaper, every orphan of the
    run is re-parented to us, so inside the run's PID namespace this is every process but
    us and our ancestors; it also keeps a supervisor started outside a namespace (tests)
    away from anything that is not its own."""
    seen = []
    todo = _children_of(me)
    known = set()
    while todo:
        pid = todo.pop()
        if pid in known or pid == me:
            continue
        known.add(pid)
        seen.append(pid)
        todo.extend(_children_of(pid))
    return seen


def _stat_fields(pid):
    data = _read(f"/proc/{pid}/stat")
    close = data.rfind(b")")
    if close < 0:
        return None
    return data[close + 2 :].split()


def _state(pid):
    fields = _stat_fields(pid)
    return fields[0] if fields else None


def _threads_ns(pid):
    total = 0
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return 0
    for tid in tids:
        parts = _read(f"/proc/{pid}/task/{tid}/schedstat").split()
        if parts:
            with contextlib.suppress(ValueError):
                total += int(parts[0])
    return total


def tree_usage(me, pids=None):
    """(cpu seconds of the whole tree so far, resident KiB of the live tree, live pids)."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = ru.ru_utime + ru.ru_stime
    rss = 0
    if pids is None:
        pids = descendants(me)
    for pid in pids:
        fields = _stat_fields(pid)
        if not fields or len(fields) < 22:
            continue
        try:
            own = (int(fields[11]) + int(fields[12])) * TICK
            waited = (int(fields[13]) + int(fields[14])) * TICK
            rss += int(fields[21]) * PAGE_KB
        except ValueError:
            continue
        # Clock ticks include threads that already ended; schedstat is ns-precise for the
        # live ones. The larger of the two loses neither.
        cpu += max(own, _threads_ns(pid) / 1e9) + waited
    return cpu, rss, pids


# --- children ---------------------------------------------------------------------------
class Child:
    def __init__(self, argv, cwd, env, stdin_data=None):
        self.status = None  # raw wait status once reaped
        r0, w0 = os.pipe()
        r1, w1 = os.pipe()
        r2, w2 = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child execs at once
            try:
                os.setsid()
                os.dup2(r0, 0)
                os.dup2(w1, 1)
                os.dup2(w2, 2)
                for name in os.listdir("/proc/self/fd"):
                    if int(name) > 2:
                        with contextlib.suppress(OSError):
                            os.close(int(name))
                for sig in range(1, signal.NSIG):
                    with contextlib.suppress(OSError, ValueError, RuntimeError):
                        signal.signal(sig, signal.SIG_DFL)
                signal.pthread_sigmask(signal.SIG_SETMASK, [])
                try:
                    with open("/proc/self/oom_score_adj", "w") as handle:
                        handle.write("1000")
                except OSError:
                    pass
                os.chdir(cwd)
                os.execvpe(argv[0], argv, env)  # noqa: S606 - the student program, by design
            except BaseException as exc:  # noqa: B036 - nothing may run past this point
                try:
                    os.write(2, (f"cannot start {argv[0]}: {exc}\n").encode())
                finally:
                    os._exit(127)
        self.pid = pid
        for fd in (r0, w1, w2):
            os.close(fd)
        self.stdin = w0
        self.stdout = r1
        self.stderr = r2
        for fd in (w0, r1, r2):
            os.set_blocking(fd, False)

    def close_stdin(self):
        if self.stdin is not None:
            with contextlib.suppress(OSError):
                os.close(self.stdin)
            self.stdin = None

    def close_all(self):
        self.close_stdin()
        for name in ("stdout", "stderr"):
            fd = getattr(self, name)
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
                setattr(self, name, None)

    @property
    def exited(self):
        return self.status is not None

    def exit_code(self):
        if self.status is not None and os.WIFEXITED(self.status):
            return os.WEXITSTATUS(self.status)
        return None

    def signal(self):
        if self.status is not None and os.WIFSIGNALED(self.status):
            return os.WTERMSIG(self.status)
        return None


class Supervisor:
    def __init__(self, config):
        self.config = config
        self.me = os.getpid()
        self.children = {}  # pid -> Child we started (to record their exit status)
        self.cwd = config.get("cwd") or os.getcwd()
        self.env = config.get("env") or {"PATH": "/usr/bin:/bin", "HOME": self.cwd, "LANG": "C.UTF-8"}
        self.limit = max(int(config["time_limit_ms"]), 1) / 1000.0
        self.memory_kb = max(int(config["memory_limit_kb"]), 1024)
        self.startup = max(int(config.get("startup_ms", 0)), 0) / 1000.0
        self.kept = max(int(config.get("stdout_limit", 4096)), 0)
        self.output_limit = max(int(config.get("output_limit", 1024 * 1024)), self.kept)
        self.stop_on_failure = bool(config.get("stop_on_failure", True))
        wall = config.get("wall_ms")
        self.deadline = time.monotonic() + wall / 1000.0 if wall else None
        self.cpu_mark = 0.0
        controls = config.get("unsafe_controls") or {}
        self.cpu_scope = controls.get("cpu_scope", "tree")
        self.scope_pid = None
        self.scoped_total = 0.0
        self.scoped_last = 0.0

    # --- bookkeeping ------------------------------------------------------------------
    def usage(self):
        """(CPU seconds charged so far, resident KiB of the tree, live pids)."""
        cpu, rss, pids = tree_usage(self.me)
        if self.cpu_scope == "tree":
            return cpu, rss, pids
        # Test-only controls (never set by the host in production): what a judge that
        # reads only the student's own process or main thread would charge.
        pid = self.scope_pid
        if pid is not None and pid in pids:
            fields = _stat_fields(pid)
            if self.cpu_scope == "main_thread":
                parts = _read(f"/proc/{pid}/task/{pid}/schedstat").split()
                value = int(parts[0]) / 1e9 if parts else 0.0
            elif fields and len(fields) > 12:
                value = max((int(fields[11]) + int(fields[12])) * TICK, _threads_ns(pid) / 1e9)
            else:
                value = 0.0
            self.scoped_total += max(value - self.scoped_last, 0.0)
            self.scoped_last = value
        return self.scoped_total, rss, pids

    def out_of_time(self):
        """The whole run's deadline has passed: the remaining tests are not run."""
        return self.deadline is not None and time.monotonic() >= self.deadline

    def reap(self):
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            child = self.children.pop(pid, None)
            if child is not None:
                child.status = status

    def kill_students(self, keep=None, timeout=3.0):
        """SIGKILL every descendant except `keep`, until none is left; reap them all."""
        end = time.monotonic() + timeout
        while True:
            # A zombie is dead already (its parent, a live student process or we, reaps it).
            victims = [p for p in descendants(self.me) if p != keep and _state(p) not in (b"Z", b"X", None)]
            if not victims:
                break
            for pid in victims:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            self.reap()
            if time.monotonic() > end:
                break
            time.sleep(0.001)
        self.reap()

    def wait_reaped(self, child, timeout=2.0):
        end = time.monotonic() + timeout
        while child.status is None and time.monotonic() < end:
            self.reap()
            if child.status is None:
                time.sleep(0.001)

    def spawn(self, argv):
        child = Child(argv, self.cwd, self.env)
        self.children[child.pid] = child
        self.scope_pid = child.pid
        self.scoped_last = 0.0
        return child

    # --- one supervised phase (a test, start-up, a compile) ---------------------------
    def watch(
        self, child, *, send=b"", token=None, ready=False, cpu_limit, wall_limit, keep, output_limit, stdin_close=False
    ):
        """Run until the reply frame (function), the process's end (stdio/compile) or a
        limit. Returns a dict: status, reply, out, err, cpu, memory_kb."""
        started = time.monotonic()
        wall_end = started + wall_limit
        if self.deadline is not None:
            wall_end = min(wall_end, self.deadline)
        base = self.cpu_mark
        out = Capture(keep)
        err = Capture(STDERR_KEPT, tail=2048)
        work = bytearray()
        pending = memoryview(send)
        if not send and stdin_close:
            child.close_stdin()
        reply = None
        status = None
        peak = 0
        poller = select.poll()
        registered = {}
        for fd, which in ((child.stdout, "out"), (child.stderr, "err")):
            if fd is not None:
                poller.register(fd, select.POLLIN | select.POLLHUP | select.POLLERR)
                registered[fd] = which
        if pending and child.stdin is not None:
            poller.register(child.stdin, select.POLLOUT | select.POLLERR)
        last_measure = 0.0
        wall_hit = False
        eof = set()
        while True:
            try:
                events = poller.poll(POLL_SECONDS * 1000)
            except InterruptedError:
                events = []
            for fd, event in events:
                if fd == child.stdin:
                    if event & select.POLLERR:
                        poller.unregister(fd)
                        child.close_stdin()
                        pending = memoryview(b"")
                        continue
                    try:
                        written = os.write(fd, pending[:65536])
                    except BlockingIOError:
                        continue
                    except OSError:
                        written = len(pending)
                    pending = pending[written:]
                    if not pending:
                        poller.unregister(fd)
                        if stdin_close:
                            child.close_stdin()
                    continue
                which = registered.get(fd)
                if which is None:
                    continue
                try:
                    chunk = os.read(fd, 65536)
                except BlockingIOError:
                    continue
                except OSError:
                    chunk = b""
                if not chunk:
                    poller.unregister(fd)
                    del registered[fd]
                    eof.add(which)
                    continue
                if which == "err":
                    err.add(chunk)
                elif token is None and not ready:
                    out.add(chunk)
                else:
                    work += chunk
                    reply = self._scan(work, out, token, ready)
                    if reply is None and len(work) > FRAME_LIMIT:
                        status = "output"
                if status is None and out.total + err.total > output_limit:
                    status = "output"
                if reply is not None or status is not None:
                    break
            self.reap()
            now = time.monotonic()
            finished = reply is not None or status is not None
            runner = token is not None or ready
            ended = not finished and child.exited and (runner or len(eof) == 2)
            if not finished and not ended and (not events or now - last_measure >= POLL_SECONDS):
                cpu, rss, _ = self.usage()
                last_measure = now
                peak = max(peak, rss)
                if cpu - base > cpu_limit:
                    status = "timeout"
                elif now > wall_end:
                    status = "timeout"
                    wall_hit = True
                elif rss > self.memory_kb:
                    status = "memory"
            if reply is not None or status is not None or ended:
                break
            if not runner and child.exited:
                # The program ended; whatever it left running must not keep its pipes open.
                self.kill_students(keep=None)
        if reply is None and work:
            out.add(bytes(work))  # no frame came: every byte left was the student's
            del work[:]
        # Nothing but the runner outlives the test (a function runner only when it answered).
        if status is not None or reply is None:
            self.kill_students(keep=None)
            self.wait_reaped(child, 1.0)
            self._drain(child, out, err, token is None and not ready)
            cpu, rss, _ = self.usage()
        else:
            cpu, rss, pids = self.usage()
            if any(pid != child.pid for pid in pids):
                self.kill_students(keep=child.pid)
                cpu, rss, _ = self.usage()
        peak = max(peak, rss)
        self.cpu_mark = cpu
        if status is None and reply is None and (token is not None or ready):
            status = "crash"
        return {
            "status": status,
            "reply": reply,
            "out": out,
            "err": err,
            "cpu": max(cpu - base, 0.0),
            "memory_kb": peak,
            "wall": wall_hit,
        }

    def _drain(self, child, out, err, stdio):
        """After every student process is gone, read what is left in the pipes."""
        for fd, capture in ((child.stdout, out if stdio else None), (child.stderr, err)):
            if fd is None:
                continue
            for _ in range(1024):
                try:
                    chunk = os.read(fd, 65536)
                except (BlockingIOError, OSError):
                    break
                if not chunk:
                    break
                if capture is not None:
                    capture.add(chunk)

    @staticmethod
    def _scan(work, out, token, ready):
        """Find the reply frame for `token` (or the ready frame) in `work`; every other byte
        is the student's. Consumed bytes move to `out`."""
        while True:
            at = work.find(FRAME)
            if at < 0:
                keep = len(FRAME) - 1
                if len(work) > keep:
                    out.add(bytes(work[:-keep]))
                    del work[:-keep]
                return None
            end = work.find(b"\n", at + len(FRAME))
            if end < 0:
                if at:
                    out.add(bytes(work[:at]))
                    del work[:at]
                return None
            payload = bytes(work[at + len(FRAME) : end])
            try:
                message = loads_reply(payload.decode("utf-8"))
            except (ValueError, RecursionError):
                message = None
            if isinstance(message, dict) and (
                (token is not None and message.get("k") == token) or (ready and "ready" in message)
            ):
                out.add(bytes(work[:at]))
                del work[:]
                return message
            out.add(bytes(work[:end]))
            del work[:end]

    # --- the run ----------------------------------------------------------------------
    def run(self):
        tests = self.config["tests"]
        result = {"v": 1, "compile": None, "ready": {"ok": True, "compile_error": None, "error": None}, "tests": []}
        results = {t["id"]: None for t in tests}
        compile_step = self.config.get("compile")
        if compile_step:
            ok, output = self.compile(compile_step)
            result["compile"] = {"ok": ok, "output": output}
            if not ok:
                result["ready"] = {"ok": False, "compile_error": None, "error": None}
                result["tests"] = [not_run(t["id"]) for t in tests]
                return result
        if self.config["kind"] == "function":
            self.run_function(tests, results, result)
        else:
            self.run_stdio(tests, results)
        result["tests"] = [results[t["id"]] or not_run(t["id"]) for t in tests]
        return result

    def compile(self, step):
        self.cpu_mark = self.usage()[0]
        try:
            child = self.spawn(list(step["argv"]))
        except OSError as exc:
            return False, f"cannot start the compiler: {exc}"
        limit_kb = self.memory_kb
        self.memory_kb = int(step.get("memory_kb") or max(self.memory_kb, 1024 * 1024))
        watched = self.watch(
            child,
            cpu_limit=step["cpu_ms"] / 1000.0,
            wall_limit=step["wall_ms"] / 1000.0,
            keep=COMPILE_KEPT,
            output_limit=COMPILE_KEPT * 16,
            stdin_close=True,
        )
        self.memory_kb = limit_kb
        child.close_all()
        text = (watched["err"].text() + watched["out"].text()).strip("\n")
        if watched["status"] == "timeout":
            return False, (text + "\n" if text else "") + "compilation took too long"
        if watched["status"] == "memory":
            return False, (text + "\n" if text else "") + "compilation used too much memory"
        return child.exit_code() == 0, text

    def start_runner(self):
        """(child, ready message, load-time prints, stderr) — child None if it failed."""
        try:
            child = self.spawn(list(self.config["run"]["argv"]))
        except OSError as exc:
            return None, {"ready": False, "error": f"cannot start the program: {exc}"}, "", ""
        self.cpu_mark = self.usage()[0]
        allowance = self.startup + self.limit
        watched = self.watch(
            child,
            ready=True,
            cpu_limit=allowance,
            wall_limit=allowance * 5 + 1,
            keep=self.kept,
            output_limit=self.output_limit,
        )
        message = watched["reply"]
        if watched["status"] is not None or not isinstance(message, dict):
            self.kill_students()
            child.close_all()
            stderr = watched["err"].text()
            status = watched["status"]
            if status == "timeout":
                error = "time limit exceeded while loading the solution"
            elif status == "memory" or any(m in stderr for m in MEMORY_MARKERS):
                error = "memory limit exceeded while loading the solution"
            else:
                error = _crash_text(child, stderr) or "the program ended before it was ready"
            return None, {"ready": False, "error": error, "status": status}, watched["out"].text(), stderr
        return child, message, watched["out"].text(), watched["err"].text()

    def run_function(self, tests, results, result):
        child = None
        preamble = ""
        preamble_err = ""
        for position, test in enumerate(tests):
            if self.out_of_time():
                break
            if child is None:
                child, message, preamble, preamble_err = self.start_runner()
                if message.get("ready") is not True:
                    ready = {
                        "ok": False,
                        "compile_error": _text_or_none(message.get("compile_error")),
                        "error": _text_or_none(message.get("error")),
                    }
                    if ready["compile_error"] is None and ready["error"] is None:
                        ready["error"] = "the program was not ready"
                    if position == 0:
                        result["ready"] = ready
                        if child is not None:
                            self.kill_students()
                            child.close_all()
                        first = not_run(test["id"])
                        first.update(
                            status=_ready_status(message),
                            error=ready["compile_error"] or ready["error"],
                            output=preamble,
                            stderr=preamble_err,
                        )
                        results[test["id"]] = first
                        self.progress(first)
                        return
                    entry = not_run(test["id"])
                    entry.update(
                        status=_ready_status(message) if message.get("status") else "error",
                        error=ready["compile_error"] or ready["error"],
                        output=preamble,
                        stderr=preamble_err,
                    )
                    results[test["id"]] = entry
                    self.progress(entry)
                    child = None
                    if self.stop_on_failure:
                        return
                    continue
            token = os.urandom(12).hex()
            line = dumps({"k": token, "args": test["args"]}).encode() + b"\n"
            watched = self.watch(
                child,
                send=line,
                token=token,
                cpu_limit=self.limit,
                wall_limit=self.limit * 5 + 1,
                keep=self.kept,
                output_limit=self.output_limit,
            )
            entry = self.function_entry(test, child, watched, preamble, preamble_err)
            preamble = preamble_err = ""
            results[test["id"]] = entry
            if watched["reply"] is None or watched["status"] is not None:
                child.close_all()
                child = None
            match = _matches(test, entry.get("value"), test.get("canon")) if entry["status"] == "ok" else None
            failed = entry["status"] != "ok" or match is False
            last = position == len(tests) - 1 or (failed and self.stop_on_failure)
            if last and child is not None:
                # The runner's CPU after its last reply is charged to the last test.
                child.close_stdin()
                self.kill_students()
                child.close_all()
                child = None
                cpu = self.usage()[0]
                extra = max(cpu - self.cpu_mark, 0.0)
                self.cpu_mark = cpu
                entry["time_ms"] = round(entry["time_ms"] + extra * 1000.0, 3)
                if entry["status"] == "ok" and entry["time_ms"] > self.limit * 1000.0:
                    entry.update(status="timeout", error="time limit exceeded", value=None)
                    entry.pop("value", None)
                    match = None
            self.progress(entry, match)
            if failed and self.stop_on_failure:
                break
        if child is not None:
            self.kill_students()
            child.close_all()

    def function_entry(self, test, child, watched, preamble, preamble_err):
        entry = base_entry(test["id"])
        entry["output"] = preamble + watched["out"].text()
        entry["stderr"] = preamble_err + watched["err"].text()
        entry["time_ms"] = round(watched["cpu"] * 1000.0, 3)
        entry["memory_kb"] = int(watched["memory_kb"])
        reply = watched["reply"]
        status = watched["status"]
        if status is None and reply is not None and watched["cpu"] > self.limit:
            status = "timeout"
        if status == "timeout":
            entry.update(status="timeout", error=_timeout_text(watched))
        elif status == "memory":
            entry.update(status="memory", error="memory limit exceeded")
        elif status == "output":
            entry.update(status="output", error="output limit exceeded")
        elif status == "crash" or reply is None:
            stderr = entry["stderr"]
            if any(m in stderr for m in MEMORY_MARKERS):
                entry.update(status="memory", error="memory limit exceeded")
            elif child.signal() == signal.SIGXFSZ or "File too large" in stderr:
                entry.update(status="output", error="file size limit exceeded")
            else:
                entry.update(status="crash", error=_crash_text(child, stderr))
            entry["exit_code"] = child.exit_code()
            entry["signal"] = child.signal()
        elif reply.get("status") == "ok" and "value" in reply:
            entry["status"] = "ok"
            entry["value"] = reply["value"]
        else:
            error = _text_or_none(reply.get("error")) or "error"
            entry.update(status="memory" if error.startswith("MemoryError") else "error", error=error)
        return entry

    def run_stdio(self, tests, results):
        argv = list(self.config["run"]["argv"])
        allowance = self.limit + self.startup
        for test in tests:
            if self.out_of_time():
                break
            entry = base_entry(test["id"])
            self.cpu_mark = self.usage()[0]
            try:
                child = self.spawn(argv)
            except OSError as exc:
                entry.update(status="error", error=f"cannot start the program: {exc}")
                results[test["id"]] = entry
                self.progress(entry)
                if self.stop_on_failure:
                    break
                continue
            data = test.get("stdin") or ""
            watched = self.watch(
                child,
                send=data.encode("utf-8", "surrogatepass"),
                cpu_limit=allowance,
                wall_limit=allowance * 5 + 1,
                keep=self.kept,
                output_limit=self.output_limit,
                stdin_close=True,
            )
            child.close_all()
            entry["output"] = watched["out"].text()
            entry["stderr"] = watched["err"].text()
            entry["time_ms"] = round(watched["cpu"] * 1000.0, 3)
            entry["memory_kb"] = int(watched["memory_kb"])
            entry["exit_code"] = child.exit_code()
            entry["signal"] = child.signal()
            status = watched["status"]
            stderr = entry["stderr"]
            if status is None and watched["cpu"] > allowance:
                status = "timeout"
            if status == "timeout":
                entry.update(status="timeout", error=_timeout_text(watched))
            elif status == "memory" or (child.exit_code() != 0 and any(m in stderr for m in MEMORY_MARKERS)):
                entry.update(status="memory", error="memory limit exceeded")
            elif (
                status == "output"
                or child.signal() == signal.SIGXFSZ
                or (child.exit_code() != 0 and "File too large" in stderr)
            ):
                entry.update(status="output", error="output limit exceeded")
            elif child.signal() is not None:
                entry.update(status="crash", error=_crash_text(child, stderr))
            elif child.exit_code() != 0:
                entry.update(status="error", error=_crash_text(child, stderr))
            else:
                entry["status"] = "ok"
            results[test["id"]] = entry
            match = _matches(test, entry["output"], test.get("canon") or "text") if entry["status"] == "ok" else None
            self.progress(entry, match)
            failed = entry["status"] != "ok" or match is False
            if failed and self.stop_on_failure:
                break

    def progress(self, entry, match=None):
        """For live display only: no output, and `match` is the digest check (None: none)."""
        line = (
            "CMPROGRESS "
            + dumps({"id": entry["id"], "status": entry["status"], "time_ms": entry["time_ms"], "match": match})
            + "\n"
        )
        write_all(2, line.encode())


class Capture:
    """Keeps the first `limit` bytes of a stream (and, if asked, its last `tail` bytes)
    and counts the rest."""

    def __init__(self, limit, tail=0):
        self.limit = limit
        self.keep_tail = tail
        self.parts = []
        self.size = 0
        self.total = 0
        self.tail = b""

    def add(self, chunk):
        if not chunk:
            return
        self.total += len(chunk)
        piece = b""
        if self.size < self.limit:
            piece = chunk[: self.limit - self.size]
            self.parts.append(piece)
            self.size += len(piece)
        if self.keep_tail and len(piece) < len(chunk):
            self.tail = (self.tail + chunk[len(piece) :])[-self.keep_tail :]

    def text(self):
        data = b"".join(self.parts)
        if self.total > self.size:
            data += b"\n...[truncated]"
            if self.tail:
                data += b"\n" + self.tail
        return data.decode("utf-8", "replace")


def _matches(test, value, canon):
    """True/False: the answer's digest equals/differs from `expect`; None: no digest."""
    expect = test.get("expect")
    if not expect:
        return None
    return digest(value, canon) == expect


def base_entry(test_id):
    return {
        "id": test_id,
        "status": "not_run",
        "output": "",
        "stderr": "",
        "error": "",
        "time_ms": 0.0,
        "memory_kb": 0,
        "exit_code": None,
        "signal": None,
    }


def not_run(test_id):
    return base_entry(test_id)


def _timeout_text(watched):
    return "time limit exceeded (wall clock)" if watched.get("wall") else "time limit exceeded"


def _ready_status(message):
    status = message.get("status")
    if status in ("timeout", "memory"):
        return status
    return "error"


def _text_or_none(value):
    if value is None:
        return None
    return value if isinstance(value, str) else dumps(value)


def _crash_text(child, stderr):
    sig = child.signal()
    if sig is not None:
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = "?"
        return f"killed by signal {sig} ({name})"
    code = child.exit_code()
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    if lines:
        return lines[-1][:500]
    if code is not None:
        return f"exit code {code}"
    return "the program ended without an answer"


# --- digests: must match submissions.harness.expect_digest -------------------------------
def _normal(value):
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return (
            int(value)
            if value == value and value not in (float("inf"), float("-inf")) and value.is_integer()
            else value
        )
    if isinstance(value, list):
        return [_normal(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _normal(v) for k, v in value.items()}
    return value


def _canonical(value):
    return dumps_canonical(value)


def _deep_sorted(value):
    if isinstance(value, list):
        return sorted((_deep_sorted(v) for v in value), key=_canonical)
    return value


def _normalize_text(text):
    lines = text.replace("\r\n", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip("\n")


def _sha256(data):
    # Imported on first use: the builtin module, not OpenSSL's (a few ms off every start-up).
    try:
        from _sha256 import sha256
    except ImportError:  # Python 3.12+
        from hashlib import sha256
    return sha256(data).hexdigest()


def digest(value, canon):
    canon = canon or "exact"
    if canon in ("text", "text_unordered"):
        text = _normalize_text(value if isinstance(value, str) else "")
        if canon == "text_unordered":
            text = "\n".join(sorted(text.split("\n")))
        return _sha256(text.encode("utf-8", "surrogatepass"))
    value = _normal(value)
    if canon == "unordered" and isinstance(value, list):
        value = sorted(value, key=_canonical)
    elif canon == "unordered_deep":
        value = _deep_sorted(value)
    return _sha256(_canonical(value).encode())


# --- set-up and output ------------------------------------------------------------------
def write_all(fd, data):
    view = memoryview(data)
    while view:
        try:
            view = view[os.write(fd, view) :]
        except InterruptedError:
            continue
        except BlockingIOError:
            time.sleep(0.001)


def read_all(fd):
    parts = []
    while True:
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(parts)
        parts.append(chunk)


def harden(controls):
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    # `unsafe_controls` exists for the tests' controls only; the host never sets it.
    if not controls.get("dumpable") and libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        raise SetupError(f"prctl(PR_SET_DUMPABLE) failed: errno {ctypes.get_errno()}")
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise SetupError(f"prctl(PR_SET_CHILD_SUBREAPER) failed: errno {ctypes.get_errno()}")
    # Same-uid code can still send us signals: every catchable one is ignored.
    for sig in range(1, signal.NSIG):
        if sig in (
            signal.SIGKILL,
            signal.SIGSTOP,
            signal.SIGCHLD,
            signal.SIGSEGV,
            signal.SIGBUS,
            signal.SIGFPE,
            signal.SIGILL,
            signal.SIGABRT,
            signal.SIGTRAP,
        ):
            continue
        with contextlib.suppress(OSError, ValueError, RuntimeError):
            signal.signal(sig, signal.SIG_IGN)


def main():
    raw = read_all(0)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    config = loads(raw.decode("utf-8"))
    del raw
    harden(config.get("unsafe_controls") or {})
    nonce = config["nonce"]
    supervisor = Supervisor(config)
    try:
        result = supervisor.run()
    finally:
        supervisor.kill_students()
    # Nobody is left who could read or write our pipes: the block goes out now.
    block = f"\n{nonce}\n{dumps_strict(result)}\n{nonce}-end\n"
    write_all(1, block.encode("ascii"))
    return 0


if __name__ == "__main__":
    sys.exit(main())

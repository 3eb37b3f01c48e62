"""LEGACY (see legacy.py). Python harness: the student's module is compiled from a string with the filename
solution.py, so line numbers in tracebacks and compile errors match what they wrote,
`from __future__` works, and stdin (with the sentinel) is read before their code runs."""

from __future__ import annotations

from problems.signatures import Signature, function_name

TEMPLATE = r"""import sys as _cm_sys
_cm_raw = _cm_sys.stdin.buffer.read()
_CM_SOURCE = __STUDENT_SOURCE__
_CM_FUNCTION = __FUNCTION__


def _cm_main(raw):
    import io
    import json
    import os
    import resource
    import signal
    import time
    import traceback

    data = json.loads(raw)
    sentinel = data["sentinel"]
    limit = data["time_limit_ms"] / 1000.0
    cap = data["stdout_limit"]
    real_stdout = _cm_sys.stdout

    def emit(fd, text):
        payload = text.encode("utf-8", "replace")
        while payload:
            payload = payload[os.write(fd, payload):]

    class _Capture(io.TextIOBase):
        # Keeps only the first `cap` characters so a chatty solution cannot eat memory.
        def __init__(self):
            self.parts, self.size = [], 0

        def writable(self):
            return True

        def write(self, s):
            s = str(s)
            if self.size < cap:
                self.parts.append(s[: cap - self.size])
            self.size += len(s)
            return len(s)

        def text(self):
            out = "".join(self.parts)
            return out + "\n...[truncated]" if self.size > cap else out

    class _Timeout(BaseException):
        pass

    def on_alarm(signum, frame):
        raise _Timeout()

    signal.signal(signal.SIGALRM, on_alarm)
    signal.signal(signal.SIGPROF, on_alarm)
    # Interview solutions recurse (DFS); 3.11 pure-Python calls barely use the C stack,
    # and the sandbox gives the main thread a large stack rlimit.
    _cm_sys.setrecursionlimit(100000)
    namespace = {"__name__": "solution", "__builtins__": __builtins__}
    try:
        code = compile(_CM_SOURCE, "solution.py", "exec")
    except (SyntaxError, ValueError) as exc:
        detail = "".join(traceback.format_exception_only(type(exc), exc))
        emit(1, "\n" + sentinel + "\n" + json.dumps({"compile_error": detail}) + "\n")
        return
    capture = _Capture()
    _cm_sys.stdout = capture
    load_error = None
    try:
        exec(code, namespace)
    except BaseException as exc:  # noqa: B036 - the student's module may raise anything
        load_error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    finally:
        _cm_sys.stdout = real_stdout
    fn = namespace.get(_CM_FUNCTION)
    if not callable(fn) and isinstance(namespace.get("Solution"), type):
        # Code pasted from LeetCode: a method of class Solution, snake_case or camelCase.
        head, *rest = _CM_FUNCTION.split("_")
        camel = head + "".join(part[:1].upper() + part[1:] for part in rest)
        for name in (_CM_FUNCTION, camel):
            method = getattr(namespace["Solution"], name, None)
            if callable(method):
                fn = lambda *args, _name=name: getattr(namespace["Solution"](), _name)(*args)
                break
    if load_error is None and not callable(fn):
        load_error = "function " + _CM_FUNCTION + " is not defined"
    results = []
    for index, args in enumerate(data["tests"]):
        entry = {"i": index, "status": "ok", "value": None, "error": "", "time_ms": 0.0, "stdout": ""}
        if load_error is not None:
            entry.update(status="error", error=load_error, stdout=capture.text() if index == 0 else "")
            results.append(entry)
            continue
        buf = _Capture()
        _cm_sys.stdout = buf
        cpu_started = time.process_time()
        try:
            # CPU time decides (a busy machine must not fail a correct solution); the
            # wall-clock timer (5x + 1 s) only catches code that sleeps or blocks.
            signal.setitimer(signal.ITIMER_PROF, limit)
            signal.setitimer(signal.ITIMER_REAL, limit * 5 + 1)
            value = fn(*args)
            _cm_stop_timers()
            entry["value"] = json.loads(json.dumps(value))
        except _Timeout:
            entry.update(status="timeout", error="time limit exceeded")
        except MemoryError:
            _cm_stop_timers()
            entry.update(status="memory", error="MemoryError")
        except BaseException as exc:  # noqa: B036 - SystemExit/KeyboardInterrupt are the student's too
            _cm_stop_timers()
            if isinstance(exc, _Timeout):
                entry.update(status="timeout", error="time limit exceeded")
            else:
                entry.update(status="error", error=_cm_describe(exc))
        finally:
            _cm_stop_timers()
            _cm_sys.stdout = real_stdout
        entry["time_ms"] = round((time.process_time() - cpu_started) * 1000.0, 3)
        entry["stdout"] = buf.text()
        # Peak resident set of the process so far (KiB on Linux): memory shown per test.
        entry["memory_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        results.append(entry)
        # Progress on stderr: if the whole run is killed, finished tests keep their results.
        emit(2, "\n" + sentinel + ":" + json.dumps(entry) + "\n")
    emit(1, "\n" + sentinel + "\n" + json.dumps(results) + "\n")


def _cm_stop_timers():
    import signal

    signal.setitimer(signal.ITIMER_PROF, 0)
    signal.setitimer(signal.ITIMER_REAL, 0)


def _cm_describe(exc):
    import traceback

    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == "solution.py"]
    where = " (line %d)" % frames[-1].lineno if frames else ""
    return "%s: %s%s" % (type(exc).__name__, exc, where)


_cm_main(_cm_raw)
"""


def render(signature: Signature, code: str) -> str:
    # The student's code goes in last so nothing in it is mistaken for a placeholder.
    return TEMPLATE.replace("__FUNCTION__", repr(function_name(signature, "python"))).replace(
        "__STUDENT_SOURCE__", repr(code)
    )

# The Python runner of the supervised harness (untrusted side: it holds no secret and no
# timer). It loads solution.py, writes one ready frame, then answers one request line
# from the supervisor per test with one reply frame. The student's prints go straight to
# fd 1; the supervisor tells them apart from the frames. Python 3.8+.
import os
import sys

try:  # json's C accelerator directly: `import json` costs ~9 ms of every start-up
    import _json

    def _no_default(obj):
        raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")

    class _Context:
        strict = True
        object_hook = object_pairs_hook = memo = None
        parse_float, parse_int = float, int

        @staticmethod
        def parse_constant(name):
            return {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}[name]

    _scan = _json.make_scanner(_Context())
    _encode = _json.make_encoder({}, _no_default, _json.encode_basestring_ascii, None, ": ", ", ", False, False, True)

    def dumps(value):
        return "".join(_encode(value, 0))

    def loads(text):
        text = text.strip(" \t\n\r")
        try:
            value, end = _scan(text, 0)
        except StopIteration:
            raise ValueError("not JSON") from None
        if end != len(text):
            raise ValueError("extra data after JSON")
        return value

except (ImportError, AttributeError):  # pragma: no cover - every CPython has _json
    from json import dumps, loads

FUNCTION = "__FUNCTION__"  # replaced by submissions.harness.python.render
FRAME = b"\n\x1e\x1fCMR:"


def main():
    requests = os.fdopen(os.dup(0), "rb", buffering=0)
    replies = os.dup(1)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)  # the student's input() sees end of file, not the requests
    os.close(null)

    def frame(message):
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except Exception:  # noqa: BLE001, S110 - the student may have replaced them
            pass
        data = FRAME + dumps(message).encode() + b"\n"
        while data:
            data = data[os.write(replies, data) :]

    # Interview solutions recurse (DFS); the sandbox gives the main thread a big stack.
    sys.setrecursionlimit(100000)
    with open("solution.py", "rb") as handle:
        source = handle.read()
    import __future__

    try:
        code = compile(source, "solution.py", "exec", __future__.annotations.compiler_flag, True)
    except (SyntaxError, ValueError) as exc:
        frame({"ready": False, "compile_error": exception_only(exc)})
        return
    namespace = {"__name__": "solution", "__builtins__": __builtins__}
    try:
        exec(code, namespace)  # noqa: S102 - the student's module, in the sandbox
    except BaseException as exc:  # noqa: BLE001 - the student's module may raise anything
        frame({"ready": False, "error": exception_only(exc).strip()})
        return
    fn = namespace.get(FUNCTION)
    if not callable(fn) and isinstance(namespace.get("Solution"), type):
        # Code pasted from LeetCode: a method of class Solution, snake_case or camelCase.
        head, *rest = FUNCTION.split("_")
        camel = head + "".join(part[:1].upper() + part[1:] for part in rest)
        for name in (FUNCTION, camel):
            if callable(getattr(namespace["Solution"], name, None)):
                fn = (lambda _name: lambda *args: getattr(namespace["Solution"](), _name)(*args))(name)
                break
    if not callable(fn):
        frame({"ready": False, "error": "function " + FUNCTION + " is not defined"})
        return
    frame({"ready": True})
    while True:
        line = requests.readline()
        if not line:
            return
        request = loads(line.decode("utf-8"))
        reply = {"k": request["k"], "status": "ok"}
        try:
            value = fn(*request["args"])
            reply["value"] = loads(dumps(value))
        except BaseException as exc:  # noqa: BLE001 - SystemExit/KeyboardInterrupt are the student's too
            reply = {"k": request["k"], "status": "error", "error": describe(exc)}
        frame(reply)


def exception_only(exc):
    import traceback  # only on an error: it costs start-up time (tokenize, re)

    return "".join(traceback.format_exception_only(type(exc), exc))


def describe(exc):
    import traceback

    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == "solution.py"]
    where = f" (line {frames[-1].lineno})" if frames else ""
    return f"{type(exc).__name__}: {exc}{where}"


main()

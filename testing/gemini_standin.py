"""A Gemini-API-compatible stand-in HTTP server for tests, the bench and the UI.

Speaks the REST wire format the google-genai SDK uses (see
shared docs gemini-api.md §6): `/v1beta/` and `/v1/` paths, camelCase or snake_case
keys, `models/{m}:generateContent`, `:countTokens`, `cachedContents` CRUD. It checks
what the real API checks that matters to us (cachedContent together with
systemInstruction/tools/toolConfig → 400; cache below the minimum size → 400; unknown
or expired cache → 404; cache used with another model → 400) and reports realistic
usageMetadata (tokens ≈ characters / 4; cachedContentTokenCount when a cache is used).

Scripted answers: `script(model_or_"*", [step, ...])` queues steps; a step is
{"text": "..."} or {"calls": [{"name": ..., "args": {...}}]}. Without a script a
generate request answers by the "auto" policy: if tools are available (in the request
or its cache) and the last turn is the user's question, it calls a tool picked from the
question's words; after a functionResponse it answers with text that quotes the tool
results. Controls: `fail_next(n, codes=[429, 503])`, `hang(seconds, count)`,
`requests` (the log), `reset()`.

Standalone: `python -m testing.gemini_standin --port 8765` (for the bench and the UI:
GEMINI_BASE_URL=http://127.0.0.1:8765 GEMINI_API_KEY=standin).
"""

from __future__ import annotations

import argparse
import json
import re
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DEFAULT_MIN_CACHE_TOKENS = 400
_PATH = re.compile(r"^/(?:v1beta|v1)/(?P<rest>.+)$")


def count_text_tokens(text: str) -> int:
    # Roughly what Gemini tokenizers give for English and code: ~4 characters a token.
    return max(1, (len(text) + 3) // 4) if text else 0


def _get(d: dict, camel: str, snake: str, default=None):
    if not isinstance(d, dict):
        return default
    if camel in d:
        return d[camel]
    return d.get(snake, default)


def _part_tokens(part: dict) -> int:
    if not isinstance(part, dict):
        return 0
    total = 0
    if "text" in part:
        total += count_text_tokens(part.get("text") or "")
    fc = _get(part, "functionCall", "function_call")
    if fc:
        total += 4 + count_text_tokens(json.dumps(fc.get("args") or {}))
    fr = _get(part, "functionResponse", "function_response")
    if fr:
        total += 4 + count_text_tokens(json.dumps(fr.get("response") or {}))
    return total


def content_tokens(contents) -> int:
    total = 0
    for content in contents or []:
        for part in (content or {}).get("parts") or []:
            total += _part_tokens(part)
    return total


def tools_tokens(tools) -> int:
    return count_text_tokens(json.dumps(tools)) if tools else 0


class GeminiStandIn:
    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        min_cache_tokens: int = DEFAULT_MIN_CACHE_TOKENS,
        output_tokens: int | None = None,
        thinking_tokens: int = 0,
        latency: float = 0.0,
    ):
        self.host, self.port = host, port
        self.min_cache_tokens = min_cache_tokens
        self.output_tokens = output_tokens  # fixed candidatesTokenCount for text answers (bench realism)
        self.thinking_tokens = thinking_tokens  # per generate with a thinking budget > 0
        self.latency = latency  # seconds added to each generate (bench realism)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.reset()

    # --- lifecycle --------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> GeminiStandIn:
        self._server = ThreadingHTTPServer((self.host, self.port), self._handler_class())
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def reset(self) -> None:
        with self._lock:
            self.requests: list[dict] = []
            self.caches: dict[str, dict] = {}
            self._scripts: dict[str, list[dict]] = {}
            self._failures: list[int] = []
            self._hang = (0.0, 0)
            self._seq = 0

    # --- controls ---------------------------------------------------------------------
    def script(self, model: str, steps: list[dict]) -> None:
        """Queue answers for generate calls on `model` ("*" = any model)."""
        with self._lock:
            self._scripts.setdefault(model, []).extend(steps)

    def fail_next(self, n: int = 1, codes: list[int] | tuple[int, ...] = (503,)) -> None:
        """The next n generate calls fail; status codes cycle through `codes`."""
        with self._lock:
            self._failures.extend(codes[i % len(codes)] for i in range(n))

    def hang(self, seconds: float, count: int = 1) -> None:
        """The next `count` generate calls sleep `seconds` before answering."""
        with self._lock:
            self._hang = (seconds, count)

    def expire_cache(self, name: str) -> None:
        with self._lock:
            if name in self.caches:
                self.caches[name]["expire"] = datetime.now(UTC) - timedelta(seconds=1)

    def drop_caches(self) -> None:
        with self._lock:
            self.caches.clear()

    def calls(self, op: str | None = None) -> list[dict]:
        with self._lock:
            return [r for r in self.requests if op is None or r["op"] == op]

    # --- request handling -------------------------------------------------------------
    def _next_id(self, prefix: str) -> str:
        self._seq += 1
        return f"{prefix}-{self._seq}"

    def _live_cache(self, name: str) -> dict | None:
        cache = self.caches.get(name)
        if cache is None or cache["expire"] <= datetime.now(UTC):
            return None
        return cache

    def _cache_json(self, cache: dict) -> dict:
        return {
            "name": cache["name"],
            "model": cache["model"],
            "displayName": cache.get("displayName", ""),
            "createTime": cache["create"].isoformat().replace("+00:00", "Z"),
            "updateTime": cache["update"].isoformat().replace("+00:00", "Z"),
            "expireTime": cache["expire"].isoformat().replace("+00:00", "Z"),
            "usageMetadata": {"totalTokenCount": cache["tokens"]},
        }

    @staticmethod
    def _ttl(body: dict) -> timedelta | None:
        ttl = body.get("ttl")
        if ttl:
            return timedelta(seconds=float(str(ttl).rstrip("s")))
        expire = _get(body, "expireTime", "expire_time")
        if expire:
            return datetime.fromisoformat(expire.replace("Z", "+00:00")) - datetime.now(UTC)
        return None

    def handle(self, method: str, path: str, body: dict) -> tuple[int, dict]:
        match = _PATH.match(path.split("?")[0])
        if not match:
            return 404, _error(404, "NOT_FOUND", f"unknown path {path}")
        rest = match.group("rest")
        if rest.startswith("models/") and ":" in rest:
            model, op = rest[len("models/") :].split(":", 1)
            if op == "generateContent":
                return self._generate(model, body)
            if op == "countTokens":
                with self._lock:
                    self.requests.append({"op": "countTokens", "model": model, "body": body})
                total = content_tokens(body.get("contents"))
                return 200, {"totalTokens": total}
            return 404, _error(404, "NOT_FOUND", f"unknown method {op}")
        if rest == "cachedContents" and method == "POST":
            return self._create_cache(body)
        if rest.startswith("cachedContents/"):
            name = rest
            with self._lock:
                self.requests.append({"op": f"cache.{method}", "name": name, "body": body})
                cache = self._live_cache(name)
                if cache is None:
                    self.caches.pop(name, None)
                    return 404, _error(404, "NOT_FOUND", f"CachedContent not found (or expired): {name}")
                if method == "GET":
                    return 200, self._cache_json(cache)
                if method == "PATCH":
                    ttl = self._ttl(body)
                    if ttl is None:
                        return 400, _error(400, "INVALID_ARGUMENT", "ttl or expireTime required")
                    now = datetime.now(UTC)
                    cache["expire"], cache["update"] = now + ttl, now
                    return 200, self._cache_json(cache)
                if method == "DELETE":
                    self.caches.pop(name, None)
                    return 200, {}
        if rest == "cachedContents" and method == "GET":
            with self._lock:
                live = [self._cache_json(c) for n, c in list(self.caches.items()) if self._live_cache(n)]
            return 200, {"cachedContents": live}
        return 404, _error(404, "NOT_FOUND", f"unknown path {path}")

    def _create_cache(self, body: dict) -> tuple[int, dict]:
        model = (body.get("model") or "").removeprefix("models/")
        system = _get(body, "systemInstruction", "system_instruction")
        tools = body.get("tools")
        tokens = content_tokens(body.get("contents")) + content_tokens([system] if system else []) + tools_tokens(tools)
        with self._lock:
            self.requests.append({"op": "cache.create", "model": model, "body": body, "tokens": tokens})
            if tokens < self.min_cache_tokens:
                return 400, _error(
                    400,
                    "INVALID_ARGUMENT",
                    f"The cached content is of {tokens} tokens. The minimum "
                    f"token count to start caching is {self.min_cache_tokens}.",
                )
            now = datetime.now(UTC)
            name = f"cachedContents/{uuid.uuid4().hex[:12]}"
            self.caches[name] = {
                "name": name,
                "model": f"models/{model}",
                "displayName": _get(body, "displayName", "display_name", ""),
                "create": now,
                "update": now,
                "expire": now + (self._ttl(body) or timedelta(hours=1)),
                "tokens": tokens,
                "system": system,
                "tools": tools,
                "toolConfig": _get(body, "toolConfig", "tool_config"),
            }
            return 200, self._cache_json(self.caches[name])

    def _generate(self, model: str, body: dict) -> tuple[int, dict]:
        cached_name = _get(body, "cachedContent", "cached_content")
        system = _get(body, "systemInstruction", "system_instruction")
        tools = body.get("tools")
        tool_config = _get(body, "toolConfig", "tool_config")
        with self._lock:
            entry = {"op": "generateContent", "model": model, "body": body}
            self.requests.append(entry)
            hang_s, hang_n = self._hang
            if hang_n:
                self._hang = (hang_s, hang_n - 1)
            failure = self._failures.pop(0) if self._failures else None
        if hang_n:
            time.sleep(hang_s)
        if self.latency:
            time.sleep(self.latency)
        if failure:
            entry["status"] = failure
            status = {429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}.get(failure, "UNKNOWN")
            return failure, _error(failure, status, "stand-in: injected failure")
        cache = None
        if cached_name:
            if system or tools or tool_config:
                return 400, _error(
                    400,
                    "INVALID_ARGUMENT",
                    "Tool config, tools and system instruction should not "
                    "be set in the request when using cached content.",
                )
            with self._lock:
                cache = self._live_cache(cached_name)
            if cache is None:
                return 404, _error(404, "NOT_FOUND", f"CachedContent not found (or expired): {cached_name}")
            if cache["model"] != f"models/{model}":
                return 400, _error(400, "INVALID_ARGUMENT", "cached content was created for another model")
            system, tools = cache["system"], cache["tools"]
        contents = body.get("contents") or []
        prompt = content_tokens(contents) + content_tokens([system] if system else []) + tools_tokens(tools)
        cached = cache["tokens"] if cache else 0
        if cache:
            prompt = content_tokens(contents) + cached
        with self._lock:
            steps = self._scripts.get(model) or self._scripts.get("*")
            step = steps.pop(0) if steps else None
        if step is None:
            step = self._auto_step(contents, tools)
        gen = _get(body, "generationConfig", "generation_config") or {}
        thinking = _get(gen, "thinkingConfig", "thinking_config") or {}
        budget = _get(thinking, "thinkingBudget", "thinking_budget", 0) or 0
        thoughts = min(self.thinking_tokens, budget) if budget and budget > 0 else 0
        with self._lock:
            response_id = self._next_id("resp")
        if "calls" in step:
            parts = []
            for call in step["calls"]:
                with self._lock:
                    call_id = self._next_id("call")
                parts.append(
                    {
                        "functionCall": {"id": call_id, "name": call["name"], "args": call.get("args", {})},
                        "thoughtSignature": "c2lnbmF0dXJl",
                    }
                )
            out = sum(_part_tokens(p) for p in parts)
        else:
            text = step.get("text", "")
            parts = [{"text": text}]
            out = self.output_tokens or count_text_tokens(text)
        usage = {"promptTokenCount": prompt, "candidatesTokenCount": out, "totalTokenCount": prompt + out + thoughts}
        if cached:
            usage["cachedContentTokenCount"] = cached
        if thoughts:
            usage["thoughtsTokenCount"] = thoughts
        entry["status"], entry["usage"], entry["parts"] = 200, usage, parts
        return 200, {
            "candidates": [{"index": 0, "finishReason": "STOP", "content": {"role": "model", "parts": parts}}],
            "usageMetadata": usage,
            "modelVersion": model,
            "responseId": response_id,
        }

    @staticmethod
    def _auto_step(contents: list, tools) -> dict:
        last = contents[-1] if contents else {}
        responses = [_get(p, "functionResponse", "function_response") for p in last.get("parts") or []]
        responses = [r for r in responses if r]
        if responses:
            summary = "; ".join(f"{r.get('name')}: {json.dumps(r.get('response'))[:300]}" for r in responses)
            return {"text": f"Here is a hint based on what I found ({summary}). Try the next step yourself."}
        names = [
            _get(d, "name", "name")
            for tool in tools or []
            for d in _get(tool, "functionDeclarations", "function_declarations", []) or []
        ]
        # The question is the last text part (earlier parts carry problem context and summary).
        texts = [p.get("text", "") for p in last.get("parts") or [] if isinstance(p, dict) and p.get("text")]
        question = (texts[-1] if texts else "").lower()
        wanted = None
        if "analyze_code_submission" in names and (
            "```" in question or "my code" in question or "review" in question or "def " in question
        ):
            wanted = "analyze_code_submission"
        elif "get_recommended_problem" in names and ("next" in question or "recommend" in question):
            wanted = "get_recommended_problem"
        elif "track_user_progress" in names and ("progress" in question or "streak" in question):
            wanted = "track_user_progress"
        if wanted:
            return {"calls": [{"name": wanted, "args": {}}]}
        return {"text": "Think about which data structure gives you fast lookups, then try a small example by hand."}

    def _handler_class(self):
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format, *args):  # noqa: A002 - quiet test output
                pass

            def _answer(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else {}
                except ValueError:
                    status, payload = 400, _error(400, "INVALID_ARGUMENT", "invalid JSON")
                else:
                    if not self.headers.get("x-goog-api-key"):
                        status, payload = 403, _error(403, "PERMISSION_DENIED", "API key missing")
                    else:
                        status, payload = standin.handle(method, self.path, body)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):  # noqa: N802
                self._answer("POST")

            def do_GET(self):  # noqa: N802
                self._answer("GET")

            def do_PATCH(self):  # noqa: N802
                self._answer("PATCH")

            def do_DELETE(self):  # noqa: N802
                self._answer("DELETE")

        return Handler


def _error(code: int, status: str, message: str) -> dict:
    return {"error": {"code": code, "status": status, "message": message}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--min-cache-tokens", type=int, default=DEFAULT_MIN_CACHE_TOKENS)
    args = parser.parse_args()
    server = GeminiStandIn(port=args.port, min_cache_tokens=args.min_cache_tokens).start()
    print(f"Gemini stand-in on {server.url} (GEMINI_BASE_URL={server.url} GEMINI_API_KEY=standin)", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()

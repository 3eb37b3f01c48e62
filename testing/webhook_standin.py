"""A webhook receiver on 127.0.0.1 for alert-delivery tests: records every POST and
answers with scripted statuses (e.g. 500, 500, then 200)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class WebhookStandin:
    def __init__(self):
        self.received: list[dict] = []
        self.statuses: list[int] = []  # answered in order; 200 once exhausted
        self._lock = threading.Lock()
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with standin._lock:
                    standin.received.append(
                        {"path": self.path, "body": json.loads(body or b"null"), "headers": dict(self.headers)}
                    )
                    status = standin.statuses.pop(0) if standin.statuses else 200
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def start(self) -> "WebhookStandin":
        self.thread.start()
        return self

    def reset(self, statuses: list[int] | None = None) -> None:
        with self._lock:
            self.received.clear()
            self.statuses = list(statuses or [])

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

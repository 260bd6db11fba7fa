"""A local webhook receiver for tests: records every request, answers as it is told."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]


@dataclass
class Script:
    """Answers to give, in order, then ``default`` for ever; an answer is (status, headers)."""

    answers: deque = field(default_factory=deque)
    default: tuple[int, dict[str, str]] = (200, {})
    delay: float = 0.0


class Receiver:
    """``receiver.url(path)`` for an endpoint; ``receiver.script(path, ...)`` to steer it."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.scripts: dict[str, Script] = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                status, headers = receiver._answer(self.path, self.headers, body)
                payload = b'{"ok": true}'
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_port}{path}"

    def script(self, path: str, *answers, default=(200, {}), delay: float = 0.0) -> None:
        self.scripts[path] = Script(deque(answers), default, delay)

    def _answer(self, path: str, headers, body: bytes) -> tuple[int, dict[str, str]]:
        script = self.scripts.get(path, Script())
        if script.delay:
            time.sleep(script.delay)
        with self.lock:
            self.received.append(Received(path, {k.lower(): v for k, v in headers.items()}, body))
            answer = script.answers.popleft() if script.answers else script.default
        status, extra = answer if isinstance(answer, tuple) else (answer, {})
        return status, extra

    def at(self, path: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.path == path]

    def ids(self) -> set[str]:
        with self.lock:
            return {r.webhook_id for r in self.received}

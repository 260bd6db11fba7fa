"""A local webhook receiver for tests: records every request, answers as it is told."""

from __future__ import annotations

import json
import ssl
import sys
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
    """Answers to give, in order, then ``default`` for ever; an answer is a status, or
    (status, headers), or (status, headers, body). ``close``: close the connection after
    each answer without saying so (as a server dropping idle keep-alive connections does)."""

    answers: deque = field(default_factory=deque)
    default: tuple = (200, {})
    delay: float = 0.0
    close: bool = False


OK_BODY = b'{"ok": true}'


class QuietServer(ThreadingHTTPServer):
    """A client that gave up (a timeout under test) is not an error of the receiver."""

    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError | ssl.SSLError):
            super().handle_error(request, client_address)


def parts_of(answer) -> tuple[int, dict[str, str], bytes]:
    """An answer as (status, headers, body), whichever of its three forms it has."""
    if not isinstance(answer, tuple):
        return answer, {}, OK_BODY
    status, headers, *body = answer
    return status, headers, body[0] if body else OK_BODY


class Receiver:
    """``receiver.url(path)`` for an endpoint; ``receiver.script(path, ...)`` to steer it.

    With ``tls`` (a server-side context) it answers HTTPS instead of HTTP.
    """

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.scheme = "https" if tls else "http"
        self.received: list[Received] = []
        self.connections: set[tuple[str, int]] = set()  # the clients' addresses
        self.scripts: dict[str, Script] = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                receiver.connections.add(self.client_address)
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                status, headers, payload, close = receiver._answer(self.path, self.headers, body)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                self.close_connection = close

            def log_message(self, *args) -> None:
                pass

        self.server = QuietServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if tls:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def port(self) -> int:
        return self.server.server_port

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"{self.scheme}://{host}:{self.port}{path}"

    def script(
        self, path: str, *answers, default=(200, {}), delay: float = 0.0, close: bool = False
    ) -> None:
        self.scripts[path] = Script(deque(answers), default, delay, close)

    def _answer(self, path: str, headers, body: bytes) -> tuple[int, dict, bytes, bool]:
        script = self.scripts.get(path, Script())
        if script.delay:
            time.sleep(script.delay)
        with self.lock:
            self.received.append(Received(path, {k.lower(): v for k, v in headers.items()}, body))
            answer = script.answers.popleft() if script.answers else script.default
        return (*parts_of(answer), script.close)

    def at(self, path: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.path == path]

    def ids(self) -> set[str]:
        with self.lock:
            return {r.webhook_id for r in self.received}

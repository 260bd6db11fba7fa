"""The dispatch benchmark's webhook receiver: a small asyncio HTTP/1.1 server, in its own process.

It answers every POST with ``200`` at once (keep-alive, no body) and notes when each
request arrived (``time.monotonic()``, the same clock in every process of the machine),
with its path and its raw head and body. It does nothing else while the benchmark runs,
so that its CPU, accounted separately, stays small. Control requests, made by the
benchmark between runs:

- ``GET /__count``: ``{"count": n}``, the requests received since the last reset;
- ``GET /__records``: every request as ``[time, path, head, body]`` (head and body as
  latin-1 text);
- ``POST /__reset``: forget every request.

Run: ``python -m bench.dispatch_receiver --port 8765``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

OK = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"
HEAD_END = b"\r\n\r\n"


class Recorder:
    """What arrived: ``(time, path, head, body)`` per request, in order."""

    def __init__(self) -> None:
        self.requests: list[tuple[float, bytes, bytes, bytes]] = []

    def control(self, method: bytes, path: bytes) -> bytes:
        """Answer a control request (they never count as deliveries)."""
        if path == b"/__reset" and method == b"POST":
            self.requests.clear()
            return json_response({"reset": True})
        if path == b"/__count":
            return json_response({"count": len(self.requests)})
        if path == b"/__records":
            return json_response(
                [
                    [at, path.decode("latin-1"), head.decode("latin-1"), body.decode("latin-1")]
                    for at, path, head, body in self.requests
                ]
            )
        return b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n"


def json_response(document) -> bytes:
    body = json.dumps(document).encode()
    return (
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
        + f"content-length: {len(body)}\r\n\r\n".encode()
        + body
    )


def content_length(head: bytes) -> int:
    """The Content-Length of a request head (0 when absent)."""
    lowered = head.lower()
    start = lowered.find(b"\r\ncontent-length:")
    if start < 0:
        return 0
    start += len(b"\r\ncontent-length:")
    end = lowered.find(b"\r\n", start)
    return int(lowered[start : end if end >= 0 else None].strip())


class ReceiverProtocol(asyncio.Protocol):
    """One connection: parse each request as its bytes complete, answer at once."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (request := self._next_request()) is not None:
            head, body = request
            method, path = head.split(b" ", 2)[:2]
            if path.startswith(b"/__"):
                self.transport.write(self.recorder.control(method, path))
            else:
                self.recorder.requests.append((time.monotonic(), path, head, body))
                self.transport.write(OK)

    def _next_request(self) -> tuple[bytes, bytes] | None:
        end = self.buffer.find(HEAD_END)
        if end < 0:
            return None
        head = bytes(self.buffer[:end])
        total = end + len(HEAD_END) + content_length(head)
        if len(self.buffer) < total:
            return None
        body = bytes(self.buffer[end + len(HEAD_END) : total])
        del self.buffer[:total]
        return head, body


async def serve(port: int) -> None:
    recorder = Recorder()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: ReceiverProtocol(recorder), "127.0.0.1", port, backlog=1024
    )
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    asyncio.run(serve(parser.parse_args().port))


if __name__ == "__main__":
    main()

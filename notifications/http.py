"""The one function through which the registry speaks HTTP to the outside world.

Redirects are never followed; the response is read up to 8 KB; any transport error is
returned as a result, never raised, so a delivery always gets its attempt logged.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import httpx
from django.conf import settings

RESPONSE_EXCERPT_BYTES = 8 * 1024


@dataclass(frozen=True)
class HttpResult:
    status_code: int | None
    duration_ms: int
    body: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    error: str = ""


_clients: dict[int, httpx.Client] = {}
_clients_lock = threading.Lock()


def _client() -> httpx.Client:
    """One keep-alive client per process (a client must not cross a fork)."""
    pid = os.getpid()
    with _clients_lock:
        if pid not in _clients:
            _clients[pid] = httpx.Client(
                follow_redirects=False,
                timeout=settings.DELIVERY_HTTP_TIMEOUT_SECONDS,
                limits=httpx.Limits(max_connections=64, max_keepalive_connections=64),
                headers={"user-agent": "cbm-registry/1"},
            )
        return _clients[pid]


def post(url: str, body: bytes, headers: Mapping[str, str]) -> HttpResult:
    started = time.monotonic()
    try:
        with _client().stream("POST", url, content=body, headers=dict(headers)) as response:
            excerpt = _read_excerpt(response)
            return HttpResult(
                status_code=response.status_code,
                duration_ms=_elapsed_ms(started),
                body=excerpt,
                headers=dict(response.headers),
            )
    except httpx.HTTPError as exc:
        return HttpResult(None, _elapsed_ms(started), error=f"{type(exc).__name__}: {exc}"[:500])


def _read_excerpt(response: httpx.Response) -> str:
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size >= RESPONSE_EXCERPT_BYTES:
            break
    return b"".join(chunks)[:RESPONSE_EXCERPT_BYTES].decode("utf-8", errors="replace")


def _elapsed_ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)

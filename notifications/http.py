"""The one function through which the registry speaks HTTP to the outside world: ``post``.

- **Safety.** The URL's scheme and every address its host resolves to are checked
  (``notifications.destinations``) before each new connection, and the connection goes
  to a checked address only; TLS still verifies the certificate against the URL's host
  name, which is also sent as SNI. A refused destination is returned as a failed result
  with a clear error, like any transport failure: never raised.
- **Etiquette.** Redirects are never followed; the response is read up to 8 KB; every
  socket operation times out after ``DELIVERY_HTTP_TIMEOUT_SECONDS``.
- **Speed.** ``http.client`` on keep-alive connections, pooled per process and per
  (scheme, host, port); a pooled connection is connected to an address that was checked
  when it was opened. An idle connection the server has closed is replaced, and a
  request that fails on a reused connection before any answer is sent once more on a
  new one (receivers deduplicate on ``webhook-id``).
"""

from __future__ import annotations

import http.client
import os
import select
import socket
import ssl
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.conf import settings

from notifications.destinations import Destination, DestinationRefused, checked_addresses
from notifications.destinations import destination_of as parse_destination

RESPONSE_EXCERPT_BYTES = 8 * 1024
USER_AGENT = "cbm-registry/1"
#: A pooled connection idle for longer is closed rather than reused (and its host resolved
#: and checked again).
MAX_IDLE_SECONDS = 30.0
#: Idle connections kept per (scheme, host, port).
MAX_IDLE_PER_HOST = 32
STALE_CONNECTION_ERRORS = (
    http.client.RemoteDisconnected,
    ConnectionResetError,
    BrokenPipeError,
    http.client.BadStatusLine,
)


@dataclass(frozen=True)
class HttpResult:
    status_code: int | None
    duration_ms: int
    body: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    error: str = ""


def post(url: str, body: bytes, headers: Mapping[str, str]) -> HttpResult:
    """POST ``body`` to ``url`` once; whatever happens comes back as an ``HttpResult``."""
    started = time.monotonic()
    try:
        destination = parse_destination(url)
        return _exchange(destination, body, headers, started)
    except DestinationRefused as exc:
        return HttpResult(None, _elapsed_ms(started), error=f"Refused: {exc}"[:500])
    except (OSError, http.client.HTTPException, ssl.SSLError) as exc:
        return HttpResult(None, _elapsed_ms(started), error=_describe(exc))


def _exchange(
    destination: Destination, body: bytes, headers: Mapping[str, str], started: float
) -> HttpResult:
    connection, reused = _pool().take(destination)
    try:
        response = _send(connection, destination, body, headers)
    except STALE_CONNECTION_ERRORS:
        connection.close()
        if not reused:
            raise
        connection = _pool().new(destination)
        response = _send(connection, destination, body, headers)
    except BaseException:
        connection.close()
        raise
    try:
        excerpt = response.read(RESPONSE_EXCERPT_BYTES)
        result = HttpResult(
            status_code=response.status,
            duration_ms=_elapsed_ms(started),
            body=excerpt.decode("utf-8", errors="replace"),
            headers=dict(response.getheaders()),
        )
    except BaseException:
        connection.close()
        raise
    _pool().give_back(destination, connection, response)
    return result


def _send(connection, destination: Destination, body: bytes, headers: Mapping[str, str]):
    connection.request(
        "POST",
        destination.target,
        body=body,
        headers={"user-agent": USER_AGENT, **headers},
    )
    return connection.getresponse()


def _describe(exc: BaseException) -> str:
    text = str(exc) or exc.__class__.__doc__ or ""
    return f"{type(exc).__name__}: {text}"[:500]


def _elapsed_ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


# --- connections ----------------------------------------------------------------------------


def _connect_checked(destination: Destination, timeout: float) -> socket.socket:
    """A TCP connection to one of the host's checked addresses (the first that answers)."""
    error: OSError | None = None
    for address in checked_addresses(destination.host, destination.port):
        try:
            sock = socket.create_connection((address, destination.port), timeout)
        except OSError as exc:
            error = exc
            continue
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock
    raise error or OSError(f"No address to connect to for {destination.host}.")


class CheckedHTTPConnection(http.client.HTTPConnection):
    """Plain HTTP to a checked address of the host."""

    def __init__(self, destination: Destination, timeout: float) -> None:
        super().__init__(destination.host, destination.port, timeout=timeout)
        self.destination = destination

    def connect(self) -> None:
        self.sock = _connect_checked(self.destination, self.timeout)


class CheckedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to a checked address, verifying the certificate for the URL's host name."""

    def __init__(self, destination: Destination, timeout: float, context: ssl.SSLContext):
        super().__init__(destination.host, destination.port, timeout=timeout, context=context)
        self.destination = destination

    def connect(self) -> None:
        sock = _connect_checked(self.destination, self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.destination.host)


class ConnectionPool:
    """Idle keep-alive connections of one process, per (scheme, host, port)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.idle: dict[tuple[str, str, int], list[tuple[float, http.client.HTTPConnection]]] = {}
        self.tls: ssl.SSLContext | None = None

    def take(self, destination: Destination) -> tuple[http.client.HTTPConnection, bool]:
        """A live idle connection (reused: ``True``), or a new one, not yet connected."""
        key = (destination.scheme, destination.host, destination.port)
        now = time.monotonic()
        while True:
            with self.lock:
                idle = self.idle.get(key)
                if not idle:
                    break
                since, connection = idle.pop()
            if now - since < MAX_IDLE_SECONDS and _still_open(connection):
                connection.timeout = settings.DELIVERY_HTTP_TIMEOUT_SECONDS
                connection.sock.settimeout(connection.timeout)
                return connection, True
            connection.close()
        return self.new(destination), False

    def new(self, destination: Destination) -> http.client.HTTPConnection:
        timeout = settings.DELIVERY_HTTP_TIMEOUT_SECONDS
        if destination.scheme == "https":
            return CheckedHTTPSConnection(destination, timeout, self._tls())
        return CheckedHTTPConnection(destination, timeout)

    def give_back(self, destination: Destination, connection, response) -> None:
        """Keep the connection for the next request if its answer was read to the end."""
        if response.will_close or not response.isclosed() or connection.sock is None:
            connection.close()
            return
        key = (destination.scheme, destination.host, destination.port)
        with self.lock:
            idle = self.idle.setdefault(key, [])
            if len(idle) < MAX_IDLE_PER_HOST:
                idle.append((time.monotonic(), connection))
                return
        connection.close()

    def _tls(self) -> ssl.SSLContext:
        if self.tls is None:
            self.tls = ssl.create_default_context()  # verifies certificates and host names
        return self.tls


def _still_open(connection: http.client.HTTPConnection) -> bool:
    """An idle connection is usable if the server has neither closed it nor sent anything."""
    sock = connection.sock
    if sock is None:
        return False
    poller = select.poll()
    try:
        poller.register(sock, select.POLLIN)
        return not poller.poll(0)
    except (OSError, ValueError):
        return False


_pools: dict[int, ConnectionPool] = {}
_pools_lock = threading.Lock()


def _pool() -> ConnectionPool:
    """The pool of this process (connections must not cross a fork)."""
    pid = os.getpid()
    with _pools_lock:
        if pid not in _pools:
            _pools[pid] = ConnectionPool()
        return _pools[pid]

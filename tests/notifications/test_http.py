"""The one outbound function, ``notifications.http.post``, against a real local server:
what it reads, when it gives up, and how it reuses connections."""

from __future__ import annotations

import pytest

from notifications import http
from tests.notifications.receiver import Receiver

HEADERS = {"content-type": "application/json", "webhook-id": "msg_test"}


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


def test_the_answer_is_read_up_to_8_kb(receiver):
    receiver.script("/big", (500, {}, b"x" * 20_000))
    result = http.post(receiver.url("/big"), b"{}", HEADERS)
    assert result.status_code == 500 and result.body == "x" * 8192
    assert http.post(receiver.url("/big"), b"{}", HEADERS).status_code == 200  # next one


def test_redirects_are_returned_not_followed(receiver):
    receiver.script("/moved", (301, {"Location": receiver.url("/elsewhere")}))
    result = http.post(receiver.url("/moved"), b"{}", HEADERS)
    assert result.status_code == 301 and result.headers["Location"].endswith("/elsewhere")
    assert [r.path for r in receiver.received] == ["/moved"]


def test_a_slow_endpoint_times_out(settings, receiver):
    settings.DELIVERY_HTTP_TIMEOUT_SECONDS = 0.3
    receiver.script("/slow", delay=1.0)
    result = http.post(receiver.url("/slow"), b"{}", HEADERS)
    assert result.status_code is None and "timed out" in result.error
    assert 250 <= result.duration_ms < 1000


def test_keep_alive_connections_are_reused(receiver):
    for _ in range(3):
        assert http.post(receiver.url("/a"), b"{}", HEADERS).status_code == 200
    assert len(receiver.received) == 3 and len(receiver.connections) == 1


def test_a_connection_the_server_dropped_is_replaced(receiver):
    receiver.script("/drops", close=True)
    results = [http.post(receiver.url("/drops"), b"{}", HEADERS) for _ in range(3)]
    assert [r.status_code for r in results] == [200, 200, 200]
    assert len(receiver.received) == 3 and len(receiver.connections) == 3


def test_an_unreachable_endpoint_is_a_result_not_an_exception():
    result = http.post("http://127.0.0.1:9/closed", b"{}", HEADERS)
    assert result.status_code is None and "ConnectionRefused" in result.error


def test_a_request_on_a_connection_closed_meanwhile_is_sent_once_more(receiver, monkeypatch):
    """The server closes an idle connection just after the pool found it open: the request
    fails before any answer, so it is sent again on a new connection, and only then."""
    receiver.script("/drops", close=True)
    assert http.post(receiver.url("/drops"), b"{}", HEADERS).status_code == 200
    monkeypatch.setattr(http, "_still_open", lambda connection: True)  # the race, made certain
    result = http.post(receiver.url("/drops"), b"{}", HEADERS)
    assert result.status_code == 200 and result.error == ""
    assert len(receiver.received) == 2 and len(receiver.connections) == 2


def test_a_connection_idle_too_long_is_not_reused(receiver, monkeypatch):
    assert http.post(receiver.url("/a"), b"{}", HEADERS).status_code == 200
    monkeypatch.setattr(http, "MAX_IDLE_SECONDS", 0.0)
    assert http.post(receiver.url("/a"), b"{}", HEADERS).status_code == 200
    assert len(receiver.received) == 2 and len(receiver.connections) == 2

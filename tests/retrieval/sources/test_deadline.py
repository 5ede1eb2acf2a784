"""Every request ends within ``total_timeout``: a real socket server on 127.0.0.1 trickling one byte a second
(headers, robots.txt, body, or a TLS handshake) is cut off, each by the same deadline."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from retrieval.sources import FetchError, HttpClient
from tests.retrieval.sources.conftest import fast_settings

TOTAL = 2.5  # total_timeout for these tests; read_timeout (5 s) is longer than it and than the gap between two bytes
HEADERS = b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\nX-Padding: " + b"x" * 200 + b"\r\n\r\n"
ROBOTS = b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 25\r\n\r\nUser-agent: *\nAllow: /\n\n\n"
TLS_RECORD = b"\x16\x03\x03\x40\x00"  # a handshake record announcing 16 kB that never come


def _trickle(conn: socket.socket, data: bytes, stop: threading.Event) -> None:
    for byte in data:
        if stop.wait(1.0):
            return
        conn.sendall(bytes([byte]))


@contextmanager
def trickling_server(mode: str) -> Iterator[str]:
    """Serve on a free port of 127.0.0.1; ``mode`` says what is trickled one byte a second: ``headers``,
    ``robots`` (robots.txt's headers), ``body``, ``tls`` (a TLS record)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    stop = threading.Event()

    def handle(conn: socket.socket) -> None:
        with conn:
            try:
                if mode == "tls":
                    conn.recv(4096)  # the ClientHello
                    conn.sendall(TLS_RECORD)
                    return _trickle(conn, b"\x00" * 600, stop)
                request = b""
                while b"\r\n\r\n" not in request:
                    chunk = conn.recv(4096)
                    if not chunk:
                        return None
                    request += chunk
                robots = request.startswith(b"GET /robots.txt")
                if robots and mode != "robots":
                    return conn.sendall(ROBOTS)
                if mode == "body":
                    conn.sendall(HEADERS + b"<html><body><p>")
                    return _trickle(conn, b"a" * 600, stop)
                return _trickle(conn, ROBOTS if robots else HEADERS, stop)
            except OSError:
                return None

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        listener.close()


@pytest.mark.parametrize("mode", ["headers", "robots", "body", "tls"])
def test_a_trickling_server_is_cut_off_at_total_timeout(mode):
    client = HttpClient(fast_settings(total_timeout=TOTAL, read_timeout=5.0, retries=2, backoff=0.1))
    with trickling_server(mode) as address:
        scheme = "https" if mode == "tls" else "http"
        started = time.monotonic()
        with pytest.raises(FetchError) as failure:
            client.get(f"{scheme}://{address}/story")
        took = time.monotonic() - started
    assert took < TOTAL + 1.0, f"{mode}: {took:.1f} s"
    assert f"took longer than {TOTAL:g} s" in failure.value.reason


SLOW_HOST = "slow-dns.test"


@pytest.fixture
def slow_resolver(monkeypatch):
    """Looking up SLOW_HOST takes ``delay[0]`` seconds, then gives 127.0.0.1 (the OS resolver is the boundary
    patched: a real slow DNS server cannot be set up in a test); other names resolve as usual."""
    real = socket.getaddrinfo
    delay = [10.0]

    def getaddrinfo(host, port, *args, **kwargs):
        if host == SLOW_HOST:
            time.sleep(delay[0])
            return real("127.0.0.1", port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return delay


def test_a_slow_host_lookup_ends_at_total_timeout(slow_resolver):
    client = HttpClient(fast_settings(total_timeout=TOTAL))
    started = time.monotonic()
    with pytest.raises(FetchError) as failure:
        client.get(f"http://{SLOW_HOST}:9/story")
    took = time.monotonic() - started
    assert took < TOTAL + 1.0, f"{took:.1f} s"
    assert f"took longer than {TOTAL:g} s" in failure.value.reason


def test_a_lookup_within_the_deadline_still_fetches(slow_resolver, site):
    slow_resolver[0] = 0.3
    client = HttpClient(fast_settings(total_timeout=TOTAL))
    port = site.base.rsplit(":", 1)[1]
    response = client.get(f"http://{SLOW_HOST}:{port}/robots.txt")
    assert response.status == 200 and "Disallow: /private/" in response.text

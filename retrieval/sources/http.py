"""The one HTTP client citebot fetches with: polite (robots.txt, one request per second per host, a User-Agent
naming citebot and a contact), bounded (timeouts, size cap, redirect limit) and safe (only http(s); private,
loopback, link-local, multicast and reserved addresses refused after DNS resolution, on every redirect).

Blocking by design: call it from worker threads (``asyncio.to_thread``), never on an event loop. One client can be
shared by many threads.
"""

from __future__ import annotations

import email.utils
import http.client
import ipaddress
import socket
import ssl
import threading
import time
import zlib
from dataclasses import dataclass, field
from importlib import metadata
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

from retrieval.errors import CitebotError
from retrieval.sources.charset import decode_body
from retrieval.sources.spec import FetchSettings

REDIRECTS = {301, 302, 303, 307, 308}
ROBOTS_TTL = 24 * 3600.0
ROBOTS_AGENT = "citebot"
MAX_CRAWL_DELAY = 30.0


class FetchError(CitebotError):
    """A URL could not be fetched; ``reason`` is short and human, ``status`` the HTTP status when there was one."""

    def __init__(self, url: str, reason: str, status: int | None = None) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason
        self.status = status

    @property
    def gone(self) -> bool:
        """The server says the page no longer exists (404 or 410): an indexed copy should be removed."""
        return self.status in (404, 410)


@dataclass
class Response:
    """A successful (2xx or 304) response; ``url`` is the URL after redirects."""

    url: str
    status: int
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    body: bytes = b""

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def text(self) -> str:
        return decode_body(self.body, self.headers.get("content-type"))


def citebot_version() -> str:
    try:
        return metadata.version("citebot")
    except metadata.PackageNotFoundError:
        return "0"


def is_public_address(ip: str) -> bool:
    """Whether ``ip`` is a public unicast address (not private, loopback, link-local, multicast, reserved…)."""
    addr = ipaddress.ip_address(ip.split("%", 1)[0])
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped:
        addr = addr.ipv4_mapped
    return addr.is_global and not (addr.is_multicast or addr.is_reserved or addr.is_link_local)


def make_client(settings=None) -> HttpClient:
    """An ``HttpClient`` from ``FetchSettings``, or from any object with a ``fetch`` attribute (the bot's Config)."""
    settings = getattr(settings, "fetch", settings)
    return HttpClient(settings if isinstance(settings, FetchSettings) else None)


class _PinnedHTTP(http.client.HTTPConnection):
    """Connects to an address already resolved and checked (no second DNS look-up to race against).
    ``abort()`` (from another thread: the deadline's watchdog) ends whatever the connection is waiting for."""

    def __init__(self, host: str, port: int, ip: str, connect_timeout: float, read_timeout: float) -> None:
        super().__init__(host, port, timeout=connect_timeout)
        self._ip, self._read_timeout = ip, read_timeout
        self.aborted = False

    def _open(self) -> socket.socket:
        sock = socket.create_connection((self._ip, self.port), self.timeout)
        sock.settimeout(self._read_timeout)
        self.sock = sock  # abort() reaches it from here on, during a TLS handshake too
        return sock

    def connect(self) -> None:
        self.sock = self._open()

    def abort(self) -> None:
        """Shut the socket down: a blocked connect, handshake or read returns at once."""
        self.aborted = True
        sock = self.sock
        if sock is not None:
            try:
                socket.socket.shutdown(sock, socket.SHUT_RDWR)  # the plain socket's, also under TLS
            except OSError:
                pass


class _PinnedHTTPS(_PinnedHTTP):
    default_port = 443

    def __init__(self, *args, context: ssl.SSLContext, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._context = context

    def connect(self) -> None:
        sock = self._context.wrap_socket(self._open(), server_hostname=self.host, do_handshake_on_connect=False)
        self.sock = sock
        if self.aborted:
            raise TimeoutError("aborted")
        sock.do_handshake()


class _Retry(Exception):
    def __init__(self, reason: str, status: int | None = None, wait: float | None = None) -> None:
        super().__init__(reason)
        self.reason, self.status, self.wait = reason, status, wait


class HttpClient:
    """GET with politeness and safety rules (module doc); raises ``FetchError`` with a short reason."""

    def __init__(
        self,
        settings: FetchSettings | None = None,
        sleep=time.sleep,
        clock=time.monotonic,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.settings = settings or FetchSettings()
        self.user_agent = f"citebot/{citebot_version()} (+{self.settings.contact})"
        self._sleep, self._clock = sleep, clock
        self._lock = threading.Lock()
        self._next_slot: dict[str, float] = {}
        self._robots: dict[str, tuple[float, RobotFileParser | None, str]] = {}
        self._robots_locks: dict[str, threading.Lock] = {}
        self._crawl_delay: dict[str, float] = {}
        self._ssl = ssl_context or ssl.create_default_context()  # certificates and host names verified

    # -- public -------------------------------------------------------------------------------------------
    def get(
        self, url: str, *, etag: str | None = None, modified: str | None = None, accept: str | None = None
    ) -> Response:
        """Fetch ``url`` following redirects; conditional when ``etag``/``modified`` are given (304 comes back
        as a ``Response`` with ``not_modified``). Raises ``FetchError``."""
        headers = {"Accept": accept or "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
        if etag:
            headers["If-None-Match"] = etag
        if modified:
            headers["If-Modified-Since"] = modified
        seen: list[str] = []
        current = url
        deadline = self._clock() + self.settings.total_timeout  # the whole request: robots.txt, redirects, retries
        while True:
            self._check_url(current, url)
            parts = urlsplit(current)
            self._resolve(parts.hostname or "", parts.port or 80, url, deadline)  # refuse a private address first
            self._check_robots(current, url, deadline)
            response = self._with_retries(current, headers, deadline=deadline)
            if response.status in REDIRECTS:
                location = response.headers.get("location")
                if not location:
                    raise FetchError(url, f"redirect ({response.status}) without a Location", response.status)
                seen.append(current)
                current = urljoin(current, location.strip())
                if current in seen:
                    raise FetchError(url, "redirect loop")
                if len(seen) > self.settings.max_redirects:
                    raise FetchError(url, f"more than {self.settings.max_redirects} redirects")
                continue
            if response.status == 304 or 200 <= response.status < 300:
                response.url = current
                return response
            raise FetchError(url, _status_reason(response.status), response.status)

    # -- checks -------------------------------------------------------------------------------------------
    def _check_url(self, url: str, original: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise FetchError(original, f"only http and https URLs are fetched, not {parts.scheme or 'a bare path'}")
        if not parts.hostname:
            raise FetchError(original, "the URL has no host")
        try:
            parts.port  # noqa: B018 - raises on a malformed port
        except ValueError as exc:
            raise FetchError(original, "the URL has an invalid port") from exc

    def _resolve(self, host: str, port: int, original: str, deadline: float) -> str:
        """The address to connect to (a public one unless private addresses are allowed), looked up within what is
        left of ``deadline``."""
        left = deadline - self._clock()
        if left <= 0:
            raise self._too_slow(original)
        try:
            infos = lookup_within(host, port, left)
        except TimeoutError:
            raise self._too_slow(original) from None
        except (socket.gaierror, UnicodeError) as exc:
            raise FetchError(original, f"cannot resolve host {host}") from exc
        ips = [info[4][0] for info in infos]
        if not ips:
            raise FetchError(original, f"cannot resolve host {host}")
        if not self.settings.allow_private_addresses:
            for ip in ips:
                if not is_public_address(ip):
                    raise FetchError(original, f"refused: {host} is a private or local address ({ip})")
        return ips[0]

    def _check_robots(self, url: str, original: str, deadline: float) -> None:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc.lower()}"
        with self._lock:
            lock = self._robots_locks.setdefault(origin, threading.Lock())
        with lock:
            cached = self._robots.get(origin)
            if cached is None or cached[0] < self._clock():
                cached = self._robots[origin] = self._load_robots(origin, deadline)
        _, parser, failure = cached
        if parser is None:
            raise FetchError(original, failure)
        if not parser.can_fetch(ROBOTS_AGENT, url):
            raise FetchError(original, "robots.txt disallows fetching this page")

    def _load_robots(self, origin: str, deadline: float) -> tuple[float, RobotFileParser | None, str]:
        """RFC 9309: a 4xx robots.txt allows everything; 5xx or no answer disallows (retried in 10 minutes)."""
        url = origin + "/robots.txt"
        parser = RobotFileParser(url)
        try:
            self._check_url(url, url)
            response = self._with_retries(url, {"Accept": "text/plain"}, retries=0, deadline=deadline)
            for _ in range(self.settings.max_redirects):
                if response.status not in REDIRECTS or not response.headers.get("location"):
                    break
                target = urljoin(url, response.headers["location"])
                self._check_url(target, url)
                response = self._with_retries(target, {"Accept": "text/plain"}, retries=0, deadline=deadline)
        except FetchError as exc:
            return self._clock() + 600, None, f"robots.txt of {origin} cannot be read ({exc.reason})"
        if 400 <= response.status < 500:
            parser.allow_all = True
        elif 200 <= response.status < 300:
            parser.parse(response.text.splitlines())
        else:
            reason = f"robots.txt of {origin} answers {response.status}"
            return self._clock() + 600, None, reason
        delay = parser.crawl_delay(ROBOTS_AGENT)
        if delay:
            with self._lock:
                self._crawl_delay[origin.split("://", 1)[1]] = min(float(delay), MAX_CRAWL_DELAY)
        return self._clock() + ROBOTS_TTL, parser, ""

    # -- transport ------------------------------------------------------------------------------------------
    def _wait_turn(self, host: str, url: str, deadline: float) -> None:
        """At most one request per ``host_delay`` seconds (or the robots.txt Crawl-delay) to one host."""
        delay = max(self.settings.host_delay, self._crawl_delay.get(host, 0.0))
        with self._lock:
            now = self._clock()
            slot = max(now, self._next_slot.get(host, 0.0))
            self._next_slot[host] = slot + delay
        if slot > deadline:
            raise self._too_slow(url)
        if slot > now:
            self._sleep(slot - now)

    def _too_slow(self, url: str) -> FetchError:
        return FetchError(url, f"took longer than {self.settings.total_timeout:g} s")

    def _with_retries(self, url: str, headers: dict[str, str], retries: int | None = None, *,
                      deadline: float) -> Response:
        retries = self.settings.retries if retries is None else retries
        backoff = self.settings.backoff
        for attempt in range(retries + 1):
            try:
                return self._once(url, headers, deadline)
            except _Retry as exc:
                wait = exc.wait if exc.wait is not None else backoff * (2**attempt)
                if attempt == retries or wait > self.settings.max_retry_after or self._clock() + wait >= deadline:
                    raise FetchError(url, exc.reason, exc.status) from None
                self._sleep(wait)
        raise AssertionError("unreachable")

    def _once(self, url: str, headers: dict[str, str], deadline: float) -> Response:
        """One GET, ended by ``deadline`` whatever the server does (a watchdog shuts the socket down: a server
        trickling its headers or TLS handshake a byte at a time is cut off too)."""
        s = self.settings
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        ip = self._resolve(host, port, url, deadline)
        self._wait_turn(parts.netloc.lower(), url, deadline)
        left = deadline - self._clock()
        if left <= 0:
            raise self._too_slow(url)
        connect_timeout = min(s.connect_timeout, left)
        if parts.scheme == "https":
            conn: _PinnedHTTP = _PinnedHTTPS(host, port, ip, connect_timeout, s.read_timeout, context=self._ssl)
        else:
            conn = _PinnedHTTP(host, port, ip, connect_timeout, s.read_timeout)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        request_headers = {"User-Agent": self.user_agent, "Accept-Encoding": "gzip, deflate", **headers}
        watchdog = threading.Timer(left, conn.abort)
        watchdog.daemon = True
        watchdog.start()
        try:
            conn.request("GET", path, headers=request_headers)
            resp = conn.getresponse()
            status = resp.status
            response_headers = {k.lower(): v for k, v in resp.getheaders()}
            if status == 429 or status >= 500:
                resp.close()
                wait = _retry_after(response_headers.get("retry-after"))
                raise _Retry(_status_reason(status), status, wait)
            body = b"" if status in REDIRECTS or status == 304 or status >= 400 else self._read(resp, url, deadline)
            if conn.aborted:  # the body ended because the watchdog shut the socket: cut short, not complete
                raise self._too_slow(url)
        except (FetchError, _Retry):
            if conn.aborted:
                raise self._too_slow(url) from None
            raise
        except TimeoutError as exc:
            if conn.aborted:
                raise self._too_slow(url) from None
            raise _Retry("timed out") from exc
        except ssl.SSLError as exc:
            if conn.aborted:
                raise self._too_slow(url) from None
            raise FetchError(url, f"TLS error ({exc.reason or exc})") from exc
        except (ConnectionError, http.client.HTTPException, OSError) as exc:
            if conn.aborted:
                raise self._too_slow(url) from None
            raise _Retry(f"connection failed ({type(exc).__name__})") from exc
        finally:
            watchdog.cancel()
            conn.close()
        return Response(url=url, status=status, headers=response_headers, body=body)

    def _read(self, resp: http.client.HTTPResponse, url: str, deadline: float) -> bytes:
        limit = self.settings.max_bytes
        too_big = f"larger than {_size(limit)}"
        length = resp.getheader("content-length")
        if length and length.isdigit() and int(length) > limit:
            raise FetchError(url, too_big)
        encoding = (resp.getheader("content-encoding") or "").strip().lower()
        decoder = zlib.decompressobj(16 + zlib.MAX_WBITS) if encoding in ("gzip", "x-gzip") else (
            zlib.decompressobj() if encoding == "deflate" else None
        )
        chunks, size = [], 0
        while True:
            if self._clock() > deadline:
                raise self._too_slow(url)
            chunk = resp.read1(65536) if hasattr(resp, "read1") else resp.read(65536)
            if not chunk:
                break
            if decoder is not None:
                try:
                    chunk = decoder.decompress(chunk, limit + 1 - size)
                except zlib.error as exc:
                    raise FetchError(url, "the compressed body is corrupt") from exc
            size += len(chunk)
            if size > limit:
                raise FetchError(url, too_big)
            chunks.append(chunk)
        return b"".join(chunks)


def lookup_within(host: str, port: int, seconds: float) -> list:
    """``socket.getaddrinfo`` ended after ``seconds`` (TimeoutError): it has no timeout of its own and a slow
    resolver can hold it for tens of seconds, so it runs in a daemon thread that is left to finish on its own."""
    result: list = []
    done = threading.Event()

    def look() -> None:
        try:
            result.append(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller below
            result.append(exc)
        finally:
            done.set()

    threading.Thread(target=look, name=f"resolve {host}", daemon=True).start()
    if not done.wait(seconds):
        raise TimeoutError(f"looking up {host} took longer than {seconds:g} s")
    if isinstance(result[0], BaseException):
        raise result[0]
    return result[0]


def _size(n: int) -> str:
    return f"{n / 1_000_000:g} MB" if n >= 1_000_000 else f"{n / 1000:g} kB"


def _status_reason(status: int) -> str:
    phrases = {404: "not found (404)", 410: "gone (410)", 401: "needs a login (401)", 403: "forbidden (403)",
               429: "rate limited (429)"}
    if status in phrases:
        return phrases[status]
    try:
        return f"HTTP {status} {http.HTTPStatus(status).phrase}"
    except ValueError:
        return f"HTTP {status}"


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())

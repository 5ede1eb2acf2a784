"""A local web server on 127.0.0.1 serving real article pages and real feeds, plus every way fetching goes wrong."""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from retrieval.sources import FetchSettings, HttpClient

SHARED = Path(__file__).resolve().parents[3].parent / "shared"
PAGES = SHARED / "eval" / "extraction" / "pages"
GOLD = SHARED / "eval" / "extraction" / "gold.jsonl"
FEEDS = SHARED / "eval" / "feeds"
PAGE_IDS = [json.loads(line)["id"] for line in GOLD.read_text(encoding="utf-8").splitlines()]
TEASER = b"<html><head><title>Subscribe</title></head><body><p>Subscribe to read this story.</p></body></html>"


class Site:
    """What the server serves; tests read ``requests`` (path, headers, time) to check manners."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict, float]] = []
        self.busy_hits = 0
        self.base = ""

    def feed_with_links(self, name: str, links: list[str]) -> bytes:
        """A real feed whose item links point at ``links`` (absolute, on this server)."""
        raw = (FEEDS / name).read_bytes()
        items = iter(links)

        def swap(match: re.Match) -> bytes:
            link = next(items, None)
            return match.group(1) + (link or "http://127.0.0.1:9/none").encode() + match.group(3)

        return re.sub(rb"(<item[^>]*>(?:(?!</item>).)*?<link>)(.*?)(</link>)", swap, raw, flags=re.S)


def make_handler(site: Site):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def log_message(self, *args) -> None:  # quiet
            pass

        def send(self, status: int, body: bytes = b"", ctype: str = "text/html; charset=utf-8", **headers) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for key, value in headers.items():
                self.send_header(key.replace("_", "-"), value)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: C901 - one route per case
            site.requests.append((self.path, dict(self.headers), time.monotonic()))
            path = self.path.split("?", 1)[0]
            if path == "/robots.txt":
                return self.send(200, b"User-agent: *\nDisallow: /private/\n", "text/plain")
            if path.startswith("/pages/"):
                page = PAGES / path.removeprefix("/pages/")
                return self.send(200, page.read_bytes()) if page.exists() else self.send(404, b"not found")
            if path.startswith("/private/"):
                return self.send(200, (PAGES / f"{PAGE_IDS[0]}.html").read_bytes())
            if path == "/feeds/guardian.xml":
                links = [f"{site.base}/pages/{PAGE_IDS[i]}.html" for i in (0, 1, 2)]
                links += [f"{site.base}/missing", f"{site.base}/file.pdf", f"{site.base}/teaser"]
                return self.send(200, site.feed_with_links("guardian-rss2.xml", links), "application/rss+xml")
            if path == "/feeds/uol.xml":  # ISO-8859-1 with no declaration, served without a charset
                return self.send(200, (FEEDS / "uol-noticias-rss-latin1.xml").read_bytes(), "application/rss+xml")
            if path == "/feeds/etag.xml":
                if self.headers.get("If-None-Match") == '"v1"':
                    return self.send(304)
                feed = site.feed_with_links("debian-news-rss1.xml", [f"{site.base}/pages/{PAGE_IDS[5]}.html"])
                return self.send(200, feed, "application/rdf+xml", ETag='"v1"')
            if path.startswith("/feeds/"):
                return self.send(200, (FEEDS / path.removeprefix("/feeds/")).read_bytes(), "application/xml")
            if path == "/missing":
                return self.send(404, b"<html><body>Not found</body></html>")
            if path == "/gone":
                return self.send(410, b"gone")
            if path == "/forbidden":
                return self.send(403, b"no")
            if path == "/file.pdf":
                return self.send(200, b"%PDF-1.4 " + b"x" * 5000, "application/pdf")
            if path == "/teaser":
                return self.send(200, TEASER)
            if path == "/slow":
                time.sleep(3)
                return self.send(200, b"late")
            if path == "/huge":  # 20 MB, no Content-Length: the cap must hold while streaming
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                chunk = b"<p>" + b"a" * 65530 + b"</p>"
                try:
                    for _ in range(20_000_000 // len(chunk) + 1):
                        self.wfile.write(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                return None
            if path == "/loop-a":
                return self.send(302, Location="/loop-b")
            if path == "/loop-b":
                return self.send(302, Location="/loop-a")
            if path == "/old-address":
                return self.send(301, Location=f"/pages/{PAGE_IDS[3]}.html?utm_source=feed")
            if path == "/busy":
                site.busy_hits += 1
                if site.busy_hits == 1:
                    return self.send(429, b"slow down", Retry_After="1")
                return self.send(200, (PAGES / f"{PAGE_IDS[4]}.html").read_bytes())
            if path == "/server-error":
                return self.send(503, b"down")
            return self.send(404, b"no route")

    return Handler


@pytest.fixture(scope="session")
def site():
    """The server, running for the whole session on a free port of 127.0.0.1."""
    state = Site()
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(state))
    server.daemon_threads = True
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def fast_settings(**overrides) -> FetchSettings:
    """Fast settings for the local server (private addresses allowed, short timeouts, no per-host wait)."""
    values = dict(allow_private_addresses=True, host_delay=0.0, read_timeout=0.5, connect_timeout=1.0,
                  retries=1, backoff=0.05, total_timeout=10.0)
    return FetchSettings(**{**values, **overrides})


@pytest.fixture
def client() -> HttpClient:
    return HttpClient(fast_settings())

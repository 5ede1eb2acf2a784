"""A local news site on 127.0.0.1 for the subscription and polling tests: routes the test changes as it goes,
a home page linking to its feed, a feed with an ETag that answers 304 while unchanged, and a request log."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HTML = "text/html; charset=utf-8"
RSS = "application/rss+xml"


class NewsSite:
    """``routes``: path -> (status, body, content type); ``feeds``: paths answered 304 when the client sends
    the ETag of the body it has (the ETag changes with the body). ``hits``: paths requested, in order."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, bytes, str]] = {"/robots.txt": (200, b"User-agent: *\nAllow: /\n",
                                                                          "text/plain")}
        self.hits: list[str] = []
        self.answered: list[tuple[str, int]] = []  # (path, status) in order, 304s included
        self.base = ""

    def etag(self, body: bytes) -> str:
        return f'"{abs(hash(body)) % 10**12}"'


def home_page(title: str, feed_href: str) -> bytes:
    """A site's home page whose head links to its feed (relative href)."""
    return (f'<html><head><title>{title}</title><link rel="stylesheet" href="/s.css">'
            f'<link rel="alternate" type="application/rss+xml" title="{title} RSS" href="{feed_href}"></head>'
            f"<body><h1>{title}</h1><p>Welcome.</p></body></html>").encode()


def rss(title: str, base: str, items: list[tuple[str, str, str]]) -> bytes:
    """An RSS 2.0 feed: items (path, title, content HTML or "") with a pubDate and content:encoded."""
    body = "".join(
        f"<item><title>{t}</title><link>{base}{p}</link><pubDate>Fri, 20 Nov 2026 09:00:00 GMT</pubDate>"
        + (f"<content:encoded><![CDATA[{c}]]></content:encoded>" if c else "") + "</item>"
        for p, t, c in items)
    return ('<?xml version="1.0"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
            f"<channel><title>{title}</title><link>{base}/</link><description>News</description>{body}"
            "</channel></rss>").encode()


@contextmanager
def news_site() -> Iterator[NewsSite]:
    site = NewsSite()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            site.hits.append(path)
            status, body, ctype = site.routes.get(path, (404, b"<html><body>not found</body></html>", HTML))
            headers = {}
            if ctype == RSS and status == 200:
                tag = site.etag(body)
                headers["ETag"] = tag
                if self.headers.get("If-None-Match") == tag:
                    status, body = 304, b""
            site.answered.append((path, status))
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    site.base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()

"""HTTPS through the pinned connection: the certificate is verified against the host name, not the address."""

from __future__ import annotations

import shutil
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from retrieval.sources import FetchError, HttpClient, fetch_article
from tests.retrieval.sources.conftest import PAGE_IDS, PAGES, fast_settings

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")


@pytest.fixture(scope="module")
def https_site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    page = (PAGES / f"{PAGE_IDS[6]}.html").read_bytes()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            body = b"" if self.path == "/robots.txt" else page
            self.send_response(404 if self.path == "/robots.txt" else 200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"https://localhost:{server.server_address[1]}", cert
    server.shutdown()


def test_https_page_with_a_trusted_certificate(https_site) -> None:
    base, cert = https_site
    client = HttpClient(fast_settings(), ssl_context=ssl.create_default_context(cafile=str(cert)))
    article = fetch_article(client, f"{base}/news/story")
    assert article.meta.title and article.meta.url == f"{base}/news/story"


def test_an_untrusted_certificate_is_refused(https_site) -> None:
    base, _ = https_site
    with pytest.raises(FetchError, match="TLS error"):
        HttpClient(fast_settings()).get(f"{base}/news/story")

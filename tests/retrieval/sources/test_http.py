"""The HTTP client against a local server: manners, limits, safety, and the reason given for every failure."""

from __future__ import annotations

import time

import pytest

from retrieval.sources import FetchError, HttpClient
from retrieval.sources.http import is_public_address
from tests.retrieval.sources.conftest import PAGE_IDS, fast_settings


def test_user_agent_names_citebot_and_the_contact(site, client) -> None:
    client.get(f"{site.base}/pages/{PAGE_IDS[0]}.html")
    headers = next(h for p, h, _ in reversed(site.requests) if p.startswith("/pages/"))
    assert headers["User-Agent"].startswith("citebot/") and "(+https://" in headers["User-Agent"]


@pytest.mark.parametrize(
    ("path", "reason", "status"),
    [
        ("/missing", "not found (404)", 404),
        ("/gone", "gone (410)", 410),
        ("/forbidden", "forbidden (403)", 403),
        ("/slow", "timed out", None),
        ("/huge", "larger than 5 MB", None),
        ("/loop-a", "redirect loop", None),
        ("/private/page", "robots.txt disallows", None),
        ("/server-error", "Service Unavailable", 503),
    ],
)
def test_each_failure_has_a_short_reason(site, client, path, reason, status) -> None:
    with pytest.raises(FetchError) as caught:
        client.get(site.base + path)
    assert reason in caught.value.reason and caught.value.status == status
    assert caught.value.gone == (status in (404, 410))


def test_a_4xx_is_never_retried_but_a_5xx_is(site, client) -> None:
    for path in ("/forbidden", "/server-error"):
        before = sum(1 for p, _, _ in site.requests if p == path)
        with pytest.raises(FetchError):
            client.get(site.base + path)
        tries = sum(1 for p, _, _ in site.requests if p == path) - before
        assert tries == (1 if path == "/forbidden" else 2)  # retries=1 in the test settings


def test_429_waits_for_retry_after_then_succeeds(site, client) -> None:
    start = time.monotonic()
    response = client.get(f"{site.base}/busy")
    assert response.status == 200 and b"<html" in response.body[:5000].lower()
    assert time.monotonic() - start >= 1.0 and site.busy_hits == 2


def test_retry_after_longer_than_the_cap_fails_at_once(site) -> None:
    site.busy_hits = 0
    client = HttpClient(fast_settings(max_retry_after=0.5))
    with pytest.raises(FetchError, match="rate limited"):
        client.get(f"{site.base}/busy")


def test_redirect_is_followed_and_every_hop_checked(site, client) -> None:
    response = client.get(f"{site.base}/old-address")
    assert response.url == f"{site.base}/pages/{PAGE_IDS[3]}.html?utm_source=feed"
    with pytest.raises(FetchError, match="more than 0 redirects"):
        HttpClient(fast_settings(max_redirects=0)).get(f"{site.base}/old-address")


def test_private_addresses_are_refused_unless_allowed(site) -> None:
    guarded = HttpClient(fast_settings(allow_private_addresses=False))
    with pytest.raises(FetchError, match="private or local address"):
        guarded.get(f"{site.base}/pages/{PAGE_IDS[0]}.html")
    for url in ("http://localhost/", "http://[::1]/", "http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/"):
        with pytest.raises(FetchError, match="private or local"):
            guarded.get(url)
    assert is_public_address("93.184.216.34") and not is_public_address("::ffff:127.0.0.1")
    assert not is_public_address("224.0.0.1") and not is_public_address("192.168.1.1")


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/x", "gopher://example.org/"])
def test_only_http_and_https(url) -> None:
    with pytest.raises(FetchError, match="only http and https"):
        HttpClient(fast_settings()).get(url)


def test_one_request_per_interval_per_host(site) -> None:
    client = HttpClient(fast_settings(host_delay=0.4))
    start = len(site.requests)
    for _ in range(3):
        client.get(f"{site.base}/pages/{PAGE_IDS[0]}.html")
    times = [t for _, _, t in site.requests[start:]]
    assert len(times) >= 3 and all(b - a >= 0.35 for a, b in zip(times, times[1:], strict=False))


def test_conditional_get_returns_not_modified(site, client) -> None:
    first = client.get(f"{site.base}/feeds/etag.xml")
    assert first.headers["etag"] == '"v1"' and not first.not_modified
    again = client.get(f"{site.base}/feeds/etag.xml", etag='"v1"')
    assert again.not_modified and again.body == b""

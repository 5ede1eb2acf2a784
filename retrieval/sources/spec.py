"""What to follow (``SourceSpec``) and how politely to fetch it (``FetchSettings``); filled from config."""

from __future__ import annotations

from dataclasses import dataclass

SOURCE_KINDS = ("folder", "feed", "url")
DEFAULT_CONTACT = "https://github.com/citebot/citebot"
DEFAULT_MAX_ITEMS = 500  # a feed item cap no real feed reaches (they list 10-100) but a hostile one does


@dataclass(frozen=True)
class SourceSpec:
    """One configured source: a folder of article files, a feed (RSS/Atom) or a single article URL."""

    kind: str  # folder | feed | url
    location: str  # folder path, feed URL or article URL
    name: str = ""  # shown in /sources; defaults to the location
    poll_minutes: int = 30  # feeds: how often to poll
    max_items: int = DEFAULT_MAX_ITEMS  # feeds: first entries read per poll (0 = all; a real feed lists far fewer)
    keep_days: int = 0  # articles older than this are removed (0 = kept for ever)

    @property
    def label(self) -> str:
        return self.name or self.location


@dataclass
class FetchSettings:
    """The HTTP client's limits and manners ([fetch] in config)."""

    contact: str = DEFAULT_CONTACT  # in the User-Agent, so site owners can reach whoever runs the bot
    connect_timeout: float = 10.0  # seconds
    read_timeout: float = 20.0  # seconds without a byte from the server
    max_bytes: int = 5_000_000  # larger bodies are refused
    max_redirects: int = 5
    allow_private_addresses: bool = False  # allow loopback/private/link-local targets (tests, intranets)
    host_delay: float = 1.0  # seconds between two requests to the same host
    retries: int = 2  # extra tries on timeouts, 5xx and 429
    backoff: float = 2.0  # seconds before the first retry, doubled for each further one
    max_retry_after: float = 60.0  # a longer Retry-After (or back-off) fails instead of waiting
    total_timeout: float = 60.0  # seconds for one whole request: connect, TLS, headers, body, robots.txt, retries

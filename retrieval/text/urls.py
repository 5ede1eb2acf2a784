"""URLs as identities: one key for every way the same article is reached, and links to a quoted sentence.

``url_key`` maps ``http``/``https``, ``www.``-less or not, default ports, a trailing slash, a fragment, tracking
parameters (``utm_*``, ``fbclid``, ``gclid`` …) and AMP variants (``/amp`` suffix, ``amp.`` host, ``?amp``,
``outputType=amp``) of one page to the same string. ``clean_url`` only removes what a reader never needs (tracking
parameters and the fragment) and keeps the URL working; it is what quotes link to.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

TRACKING_PARAMS = {
    "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "igshid", "mc_cid", "mc_eid",
    "_ga", "_gl", "_hsenc", "_hsmi", "mkt_tok", "oly_anon_id", "oly_enc_id", "vero_id", "rb_clickid", "s_cid",
    "cmpid", "ocid", "ncid", "sr_share", "smid", "srcref", "ref_src", "spm", "at_medium", "at_campaign",
}
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_", "itm_")
AMP_PARAMS = {"amp", "outputtype", "output"}  # ?amp, ?amp=1, ?outputType=amp, ?output=amp
DEFAULT_PORTS = {"http": 80, "https": 443}


def _is_tracking(name: str) -> bool:
    lower = name.lower()
    return lower in TRACKING_PARAMS or lower.startswith(TRACKING_PREFIXES)


def _is_amp_param(name: str, value: str) -> bool:
    lower = name.lower()
    return lower == "amp" or (lower in AMP_PARAMS and value.lower() == "amp")


def clean_url(url: str) -> str:
    """``url`` without tracking parameters and fragment (scheme, host case and path kept as given)."""
    parts = urlsplit(url.strip())
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query, doseq=True), ""))


def url_key(url: str) -> str:
    """The identity of the page at ``url``: equal for every variant of one article's address (see module doc)."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    for prefix in ("www.", "amp.", "m."):
        if host.startswith(prefix) and host.count(".") >= 2:
            host = host[len(prefix) :]
    port = parts.port
    netloc = host if port is None or port == DEFAULT_PORTS.get(scheme) else f"{host}:{port}"
    path = re.sub(r"/{2,}", "/", parts.path or "/")
    path = re.sub(r"(?:/amp|\.amp|/amp\.html)$", "", path.rstrip("/"), flags=re.IGNORECASE) or "/"
    path = path.rstrip("/") or "/"
    query = sorted(
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not _is_tracking(k) and not _is_amp_param(k, v)
    )
    return urlunsplit(("http" if scheme in ("http", "https") else scheme, netloc, path, urlencode(query), ""))


def text_fragment_link(url: str, sentence: str, edge_words: int = 4) -> str:
    """``url#:~:text=…``: a link that opens the page at the quoted sentence, highlighted.

    A short sentence is given whole; a longer one as its first and last ``edge_words`` words (``text=start,end``),
    which survives small markup differences. Every character other than letters, digits and ``-._~`` is
    percent-encoded (``-``, ``,`` and ``&`` have a meaning in text directives).
    """
    words = sentence.strip(" \"'“”‘’«»()[]").split()
    if not url or not words:
        return url
    base = url.split("#", 1)[0]
    enc = lambda ws: quote(" ".join(ws), safe="").replace("-", "%2D")  # noqa: E731
    if len(words) <= 2 * edge_words:
        return f"{base}#:~:text={enc(words)}"
    return f"{base}#:~:text={enc(words[:edge_words])},{enc(words[-edge_words:])}"

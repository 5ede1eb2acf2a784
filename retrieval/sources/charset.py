"""Bytes from the web to text: the charset from a byte-order mark, the Content-Type header, or the document's
own ``<meta charset>`` / XML declaration, else UTF-8 when the bytes are valid UTF-8, else Windows-1252."""

from __future__ import annotations

import codecs
import re

_BOMS = [(codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")]
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._:-]+)", re.IGNORECASE)
_XML_DECL = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)[\"']", re.IGNORECASE)
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9._:-]+)", re.IGNORECASE)
# As browsers do (WHATWG Encoding): these labels mean windows-1252, a superset of their printable characters.
_ALIASES = {"iso-8859-1": "cp1252", "iso8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252",
            "us-ascii": "cp1252", "ascii": "cp1252", "l1": "cp1252"}


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    label = _ALIASES.get(label.strip().lower(), label.strip().lower())
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def header_charset(content_type: str | None) -> str | None:
    """The charset named in a Content-Type header, if it names a known one."""
    match = _HEADER_CHARSET.search(content_type or "")
    return _codec(match.group(1)) if match else None


def declared_charset(body: bytes) -> str | None:
    """The charset the document declares in its first bytes (XML declaration or HTML meta)."""
    head = body[:4096]
    match = _XML_DECL.search(head) or _META_CHARSET.search(head)
    return _codec(match.group(1).decode("ascii", "replace")) if match else None


def sniff_charset(body: bytes, content_type: str | None = None) -> str:
    """The codec to decode ``body`` with (see module doc for the order)."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            return name
    for candidate in (header_charset(content_type), declared_charset(body)):
        if candidate:
            try:
                body.decode(candidate)
                return candidate
            except UnicodeDecodeError:
                continue  # a wrong declaration: fall through to what the bytes say
    try:
        body.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        return "cp1252"


def decode_body(body: bytes, content_type: str | None = None) -> str:
    """``body`` as text, never raising; a leading byte-order mark is removed."""
    codec = sniff_charset(body, content_type)
    text = body.decode(codec, errors="replace")
    return text[1:] if text.startswith("\ufeff") else text

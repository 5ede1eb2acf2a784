"""Text that is safe to print at a terminal: untrusted article text never carries escape sequences or control
characters to the screen (no cleared screens, recoloured prompts, rewritten window titles or hidden lines); and an
evaluation's figures as the commands print them."""

from __future__ import annotations

import json
import re

from retrieval.text.articles import strip_controls

#: Carriage returns (overwrite the line) and bidirectional overrides (reorder what is shown).
_TERMINAL_TRICKS = re.compile("[\r\u202a-\u202e\u2066-\u2069]")
_C1 = re.compile("[\u007f-\u009f]")


def printable(text: str) -> str:
    """``text`` without escape sequences, control characters (line breaks and tabs kept) or bidi overrides."""
    return _TERMINAL_TRICKS.sub("", strip_controls(text))


def json_safe(text: str) -> str:
    """A JSON document with C1 control characters escaped (``json.dumps(ensure_ascii=False)`` leaves them raw;
    U+009B starts an escape sequence on some terminals). C0 controls are already escaped by ``json.dumps``."""
    return _C1.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def emit_metrics(as_json: bool, result: dict) -> int:
    """An evaluation's figures: one JSON line, or one aligned line per figure."""
    if as_json:
        print(json.dumps(result))
    else:
        width = max(map(len, result))
        print("\n".join(f"{key:>{width}}: {value}" for key, value in result.items()))
    return 0

"""Page furniture in article text: bylines, datelines, "PUBLISHED:/UPDATED:" stamps, photo credits, prompts.

Scraped news pages carry these inline (a Daily Mail story may open "By . John Smith . PUBLISHED: . 12:00 EST,
1 May 2014 . | . UPDATED: ..."); they are never a key sentence. ``key_sentence_text`` returns the part of a
sentence worth quoting (a leading byline or stamp cut off; still a verbatim substring) or ``""`` when nothing is.

Two kinds of rules: patterns for the furniture publishers print, and a structural rule for the rest: a statement
has at least two lowercase words, and they are not swamped by names, numbers and dates (a name-and-date line
such as "Daily Mail Reporter ." or "10:34 EST, 3 January 2014 ." has none or almost none).
"""

from __future__ import annotations

import re

_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|"
    r"Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_CLOCK = r"\d{1,2}[:.]\d{2}\s*(?:[AaPp]\.?[Mm]\.?)?\s*(?:[A-Z]{2,4}T|EST|EDT|GMT|BST|UTC|ET|PT|CET)?"
_NAME = r"[A-Z][\w'’.-]*"

# Anywhere in a sentence, these mark it as furniture.
_FURNITURE = re.compile(
    r"|".join(
        [
            r"\b(?:PUBLISHED|UPDATED|CREATED|MODIFIED)\s*:",
            r"\b(?:Published|Updated|Created|Modified|Posted)\s*:",
            r"\bLast\s+(?:updated|modified)\s+(?:at|on)\b",
            r"\b(?:Published|Updated|Posted)\s+(?:at|on)\s+" + _CLOCK,
            r"^\W*(?:Scroll\s+down|Click\s+here|READ\s+MORE|SEE\s+ALSO|RELATED\s*:|Follow\s+(?:us|@)|Share\s+this"
            r"|Sign\s+up|SIGN\s+UP|Subscribe|SUBSCRIBE|Advertisement|Watch\s+the\s+video|Video\s*:|Also\s+read\s*:)",
            r"^\W*(?:Photos?|Pictures?|Images?|Credits?|Photograph(?:s|er)?|Video|Source)\s*(?::|by\b)",
            r"\((?:Photo|Picture|Image)s?\s*(?::|by\b|credit)",
            r"(?:Getty|AFP|Reuters|AP|EPA|PA|Rex|Shutterstock|Alamy|Corbis)\s*(?:Images|Photo|Features)?\s*/\s*"
            r"(?:Getty|AFP|Reuters|AP|EPA|PA|Rex|Shutterstock|Alamy|Corbis)\b",
            r"\b(?:All|Some)\s+rights\s+reserved\b|^\W*(?:Copyright\b|©)",
            r"\bcontributed\s+(?:to\s+this\s+(?:report|story)|reporting)\b",
            r"^\W*(?:Contributing|Contributors?)\s*:|^\W*(?i:from\s+)?(?i:staff|wire)(?i:\s+and\s+wire)?\s+(?i:reports?)\W*$"
            r"|^\W*With\s+(?:[A-Z][\w.]*\s+)?wires?\W*$",
            r"^\W*" + _CLOCK + r"\s*,?\s*\d{1,2}(?:st|nd|rd|th)?\s+" + _MONTH + r"\b",
        ]
    )
)

# A byline or stamp at the start of a sentence that goes on into the story: cut it off.
_LEADING = re.compile(
    r"^\s*(?:"
    r"By\s+(?:\.\s*)?" + _NAME + r"(?:\s+(?:" + _NAME + r"|and|&|de|van|von))*?\s+"
    r"(?:for\s+(?:the\s+)?(?:MailOnline|Mail\s+Online|Daily\s+Mail|Mail\s+on\s+Sunday|Associated\s+Press|"
    r"Reuters|" + _NAME + r")|In\s+" + _NAME + r")\s*[.|,:-]*\s+"
    r"|(?:PUBLISHED|UPDATED)\s*:\s*\.?\s*" + _CLOCK + r"\s*,?\s*\d{1,2}\s+" + _MONTH + r"\s+\d{4}\s*[.|]*\s+"
    r"|Last\s+updated\s+at\s+" + _CLOCK + r"\s+on\s+\d{1,2}(?:st|nd|rd|th)?\s+" + _MONTH + r"\s+\d{4}\s*[.|]*\s+"
    r")+(?=[\"“‘'(]?[A-Z0-9])"
)

# An author's contact line: "Email Jane Doe at jdoe@example.com or follow her @jdoe.", "Follow him on Twitter @x."
_CONTACT = re.compile(
    r"^\W*(?:(?:E-?mail|Contact|Reach)\s+[^.\n]{0,60}?\bat\s+\S+@\S+|Follow\s+(?:him|her|them|me)\s+(?:on|at|@))",
    re.IGNORECASE,
)

# A short "By ..." line is a byline: after "By", only capitalised names, handles, joining words and a role
# ("By John Smith and Jane Doe, Reuters", "By JOHN SMITH | Staff writer"); any other lowercase word makes it a
# sentence that starts with "By" ("By Monday the river had burst its banks").
_BY = re.compile(r"^\W*(?:By|BY)\b")
BYLINE_MAX_WORDS = 16
_BYLINE_WORDS = frozenset(
    "and & for the of in at from with de van von der da del la le al bin staff writer writers reporter reporters "
    "correspondent correspondents editor editors columnist contributor journalist photographer critic producer "
    "analyst senior chief special political foreign business science health sports news wire wires service "
    "services".split()
)
_BYLINE_PUNCTUATION = ".,;:|/-–—()[]•·"
_HANDLE = re.compile(r"@\w+")


def is_byline(text: str) -> bool:
    """``text`` is a byline: "By" then, in at most BYLINE_MAX_WORDS words, only capitalised names, @handles,
    joining words ("and", "for the", "in") and role words ("Staff writer") between punctuation."""
    text = text.strip()
    start = _BY.match(text)
    if start is None:
        return False
    words = text[start.end() :].split()
    if len(words) > BYLINE_MAX_WORDS:
        return False
    for word in words:
        word = word.strip(_BYLINE_PUNCTUATION)
        if word and not (word[0].isupper() or _HANDLE.fullmatch(word) or word.casefold() in _BYLINE_WORDS):
            return False
    return True


_WORD = re.compile(r"[^\W\d_][\w'’-]*")


def is_statement(text: str) -> bool:
    """Structural rule: a sentence with at least two lowercase words, and lowercase words at least a quarter
    of its words (names, numbers and dates alone do not make a sentence)."""
    words = text.split()
    lower = [w for w in _WORD.findall(text) if w[0].islower()]
    return len(lower) >= 2 and len(lower) >= 0.25 * len(words)


def is_furniture(text: str) -> bool:
    """``text`` (a sentence or a short line) is a byline, stamp, credit or prompt by the patterns above."""
    text = text.strip()
    return is_byline(text) or bool(_FURNITURE.search(text) or _CONTACT.match(text))


def key_sentence_text(sentence: str) -> str:
    """The part of ``sentence`` that may be a key sentence: a leading byline or time stamp cut off
    (the rest is still a substring of ``sentence``), or ``""`` when the sentence is furniture."""
    text = sentence.strip()
    match = _LEADING.match(text)
    if match:
        text = text[match.end() :]
    if not text or is_furniture(text) or not is_statement(text):
        return ""
    return text

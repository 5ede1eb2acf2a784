"""Blocks inside an article body that are not the article: teasers, pull quotes and embedded posts.

Publishers drop these between the paragraphs of a story; extractors keep them because they sit inside the body.
General rules, no per-site lists:

- a **teaser** is a short one-line block that points at another story: a "Read more:", "Related:", "ALSO READ"
  … prefix, "Story continues below …", or a short label and a colon before a headline that does not end like a
  sentence ("Epstein's inner circle eyed: Jeffrey Epstein is dead. Prosecutors could …"); a label alone ("More
  Great WIRED Stories") takes the list of links under it along;
- a **pull quote** is a short block whose words are repeated, nearly all in one run, by a clearly longer block of
  the same body (exact repeats of a whole paragraph are left alone: a listing may repeat a line);
- **furniture**: a short block made only of bylines, stamps, credits and contact lines;
- an **embedded post** is a tweet's signature line ("— Name (@handle) November 18, 2019"), an Instagram
  "A post shared by …" line, and the post's text just before it.

Headings, lists and tables are left alone (sections and listings may repeat words legitimately).
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

from retrieval.text.blocks import Block
from retrieval.text.furniture import is_furniture

_PROSE = {"p", "quote"}
TEASER_MAX_WORDS = 40  # a teaser is a headline with a label, not a paragraph
PULL_QUOTE_MAX_WORDS = 60
PULL_QUOTE_MIN_WORDS = 6
PULL_QUOTE_MIN_LOWER = 3  # a quoted phrase has some lowercase words; a line of names and figures is no pull quote
PULL_QUOTE_RATIO = 1.5  # the repeating block is clearly longer (a paragraph, not a sibling line)
PULL_QUOTE_SHARE = 0.8  # share of the short block's words found in one run of a longer block
POST_MAX_CHARS = 500  # a tweet (280 characters) with its links and line breaks
LABELLED_LINKS_SHARE = 0.3  # a list under a "More great stories" label, this much link text, is the label's links

_MONTH = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|"
          r"Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?")
_DATE = rf"(?:{_MONTH}\s+\d{{1,2}},?\s+\d{{4}}|\d{{1,2}}\s+{_MONTH}\s+\d{{4}})"
# "— Robert Maguire (@RobertMaguire_) November 18, 2019", at the end of a block
_TWEET_SIGNATURE = re.compile(rf"[—–-]{{1,2}}\s*[^\n—–]{{0,80}}\(@\w{{1,15}}\)\s*(?:on\s+)?{_DATE}\s*$")
# "A post shared by Jane Doe (@janedoe) on Nov 18, 2019 at 10:04am PST"
_INSTAGRAM_SIGNATURE = re.compile(r"A post shared by [^\n]{0,80}\(@[\w.]{1,30}\)[^\n]{0,60}$")
_TEASER_PREFIX = re.compile(
    r"^\W*(?:read\s+more|read\s+also|also\s+read|see\s+also|more|related(?:\s+(?:story|stories|articles?|"
    r"coverage|content|links?|reading|video))?|recommended(?:\s+reading)?|don['’]t\s+miss|must\s+read|"
    r"watch|listen|trending|editor['’]s\s+picks?|more\s+(?:from|on)\s+[^:|»\n]{1,40}|also\s+on\s+[^:|»\n]{1,40})"
    r"\s*(?:[:|»>]|\s[–—-]\s)",
    re.IGNORECASE,
)
_TEASER_CAPS = re.compile(r"^\W*(?:ALSO READ|READ MORE|READ ALSO|SEE ALSO|RELATED)\b(?![’'])")  # "ALSO READ | …"
# a label alone on its line, announcing links that follow ("You may also like...", "DON'T MISS")
_LABEL_ALONE = re.compile(
    r"^\W*(?:you\s+(?:may|might)\s+(?:also\s+)?(?:like|enjoy)|see\s+more\s+(?:photos|videos|stories)|"
    r"more\s+(?:[\w'’-]+\s+){0,3}(?:stories|news|headlines|reads|coverage)|related\s+(?:stories|articles|news|links)|don['’]t\s+miss|read\s+(?:more|next)|"
    r"up\s+next|recommended(?:\s+for\s+you)?|trending(?:\s+now)?)\W*$",
    re.IGNORECASE,
)
_CONTINUES = re.compile(
    r"^\W*(?:the\s+)?(?:story|article|text|report)\s+continues\s+(?:below|after|under|beneath)\b", re.IGNORECASE
)
# "Label of a few words: Headline that goes on" (the label is often bold, the headline a link)
_LABELLED = re.compile(r"^([^\n:.!?]{2,50}):\s+([A-Z0-9\"“‘'][^\n]*)$")
_SENTENCE_END = re.compile(r"[.!?…][\"'”’»)\]]*\s*$")
_WORD = re.compile(r"\w+")
_PHRASE_WORD = re.compile(r"[^\W\d_][\w'’-]*")
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“‘'(])|\n")
FURNITURE_MAX_WORDS = 60
_ATTRIBUTION = re.compile(r"\s[—–-]{1,2}\s*[^—–\n]{1,60}$")  # "… — Neil Gaiman" after a pull quote


def post_signature(text: str) -> str:
    """Where an embedded tweet's or Instagram post's signature ends ``text``: "line" when the block is the
    signature alone, "end" when it closes the post's text, "" when there is none."""
    text = text.strip()
    for pattern in (_TWEET_SIGNATURE, _INSTAGRAM_SIGNATURE):
        match = pattern.search(text)
        if match:
            return "line" if match.start() == 0 else "end"
    return ""


def points_elsewhere(text: str) -> bool:
    """A one-line block (a paragraph or a heading) that sends the reader elsewhere: "Read more: …", "RELATED",
    "Story continues below gallery"."""
    text = text.strip()
    if "\n" in text or len(text.split()) > TEASER_MAX_WORDS:
        return False
    return bool(_TEASER_PREFIX.match(text) or _TEASER_CAPS.match(text) or _CONTINUES.match(text)
                or _LABEL_ALONE.match(text))


def is_teaser(text: str) -> bool:
    """A one-line block pointing at another story (see module doc)."""
    text = text.strip()
    if "\n" in text or len(text.split()) > TEASER_MAX_WORDS:
        return False
    if points_elsewhere(text):
        return True
    labelled = _LABELLED.match(text)
    if not labelled or _SENTENCE_END.search(text):
        return False
    label, headline = labelled.groups()
    lower = sum(w[0].islower() for w in _PHRASE_WORD.findall(headline))  # a headline, not "Size: 1 Green, 1 Red"
    return len(label.split()) <= 5 and len(headline.split()) >= 6 and lower >= 3


def is_furniture_block(text: str) -> bool:
    """A short block made only of bylines, time stamps, credits, prompts and contact lines
    (``retrieval.text.furniture``): "Updated at 1:23 p.m.", "Email Jane Doe at jd@example.com. Follow us …"."""
    if len(text.split()) > FURNITURE_MAX_WORDS:
        return False
    parts = [p for p in _SENTENCE_BREAK.split(text.strip()) if p.strip()]
    return bool(parts) and all(is_furniture(p) for p in parts)


def _tokens(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def pull_quotes(blocks: list[Block]) -> set[int]:
    """Indexes of short prose blocks whose words a clearly longer block repeats, nearly all in one run."""
    tokens = [_tokens(b.text) for b in blocks]
    out: set[int] = set()
    for i, block in enumerate(blocks):
        if block.kind not in _PROSE:
            continue
        text = _ATTRIBUTION.sub("", block.text)
        short = _tokens(text)
        lower = sum(w[0].islower() for w in _PHRASE_WORD.findall(text))
        if not PULL_QUOTE_MIN_WORDS <= len(short) <= PULL_QUOTE_MAX_WORDS or lower < PULL_QUOTE_MIN_LOWER:
            continue  # too short, too long, or a line of names and numbers rather than a quoted phrase
        words = set(short)
        for j, other in enumerate(tokens):
            if j == i or len(other) < PULL_QUOTE_RATIO * len(short) or blocks[j].kind not in _PROSE | {"list"}:
                continue
            if len(words.intersection(other)) < PULL_QUOTE_SHARE * len(words):
                continue  # cheap test first: most of its words are not even there
            run = SequenceMatcher(None, short, other, autojunk=False).find_longest_match(0, len(short), 0, len(other))
            if run.size >= PULL_QUOTE_SHARE * len(short):
                out.add(i)
                break
    return out


def drop_inserts(blocks: list[Block]) -> list[Block]:
    """``blocks`` without teasers, pull quotes and embedded posts (see module doc)."""
    drop = pull_quotes(blocks)
    for i, block in enumerate(blocks):
        if block.kind in ("head", *_PROSE) and points_elsewhere(block.text):
            following = blocks[i + 1] if i + 1 < len(blocks) else None
            if following is not None and following.kind == "list" and following.link_share >= LABELLED_LINKS_SHARE:
                drop.add(i + 1)  # "More Great WIRED Stories" and the headlines under it
            if block.kind == "head":
                drop.add(i)
        if block.kind not in _PROSE:
            continue
        if is_teaser(block.text) or is_furniture_block(block.text):
            drop.add(i)
        elif (where := post_signature(block.text)) == "end" and len(block.text) <= 2 * POST_MAX_CHARS:
            drop.add(i)  # the whole post in one block
        elif where == "line":
            drop.add(i)
            previous = blocks[i - 1] if i else None
            if previous and previous.kind in _PROSE and len(previous.text) <= POST_MAX_CHARS:
                drop.add(i - 1)  # the post's text, just above its signature line
    return [b for i, b in enumerate(blocks) if i not in drop]

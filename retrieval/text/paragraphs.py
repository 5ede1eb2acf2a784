"""Cut article text into quotable paragraphs, the way scraped news needs.

Blank lines separate paragraphs. A short line that is not a sentence (a sub-heading) becomes context of the
paragraph after it and is never quoted on its own. A line ending in a photo credit is a caption and is dropped
whole; editor boilerplate and bylines ("By John Smith, Reuters") are dropped. Over-long paragraphs are split at
sentence boundaries. Every paragraph keeps its character offsets, so ``text[start:end]`` of the article is the
paragraph, verbatim.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from retrieval.models import Paragraph
from retrieval.settings import SplitterSettings
from retrieval.text.furniture import is_byline
from retrieval.text.sentences import sentence_spans

CAPTION_PATTERNS = [
    r"\((?:photo|photograph|image|picture|pic|credit|illustration)s?(?:\s+credit)?\s*:[^()]*\)\s*$",
    r"^(?:photo|image|picture)\s*(?:credit)?\s*:",
    r"\((?:getty images|pa|afp|reuters|ap)(?: photo)?\)\s*$",
]
BOILERPLATE_PATTERNS = [
    r"^a message from the editor",
    r"^additional reporting (?:by|from)\b",
    r"^(?:reporting|writing|editing) by\b",
    r"^(?:sign up|subscribe) (?:to|for) our\b",
    r"^(?:read more|related|advertisement)\s*:?\s*$",
]
_SENTENCE_END = re.compile(r"[.?!…:;。！？｡؟۔।][\"'”’»)\]」』）]*\s*$")  # Latin, CJK, Arabic, Devanagari ends
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
MAX_CONTEXT_LINES = 3  # consecutive sub-headings kept as one paragraph's context
_HEADING_MARK = re.compile(r"^\s*#{1,6}\s+")
SPLIT_WINDOW = 4  # an over-long paragraph is split into sentences this many max_paragraph_chars at a time
_PROBABLE_END = re.compile(r"[.?!…。！？][\"'”’»)\]]*\s+")


@dataclass(frozen=True)
class _Line:
    start: int
    end: int
    text: str


class ParagraphSplitter:
    """Splits an article body into ``Paragraph`` objects; patterns from config extend the defaults."""

    def __init__(self, settings: SplitterSettings | None = None) -> None:
        self.settings = settings or SplitterSettings()
        flags = re.IGNORECASE
        self._captions = [re.compile(p, flags) for p in CAPTION_PATTERNS + self.settings.caption_patterns]
        self._boilerplate = [re.compile(p, flags) for p in BOILERPLATE_PATTERNS + self.settings.boilerplate_patterns]

    def is_caption(self, line: str) -> bool:
        return any(p.search(line.strip()) for p in self._captions)

    def is_boilerplate(self, text: str) -> bool:
        return any(p.search(text.strip()) for p in self._boilerplate)

    def is_subheading(self, text: str) -> bool:
        """A short single line that is not a sentence (closing quotes and brackets aside)."""
        stripped = text.strip()
        if "\n" in stripped or not stripped:
            return False
        if _HEADING_MARK.match(stripped):
            return True
        cjk = len(_CJK.findall(stripped))  # unspaced scripts: two characters count as a word
        words = len(_CJK.sub(" ", stripped).split()) + cjk // 2
        return words <= self.settings.subheading_max_words and not _SENTENCE_END.search(stripped)

    def _blocks(self, text: str) -> list[list[_Line]]:
        """Runs of non-blank, non-caption lines."""
        blocks: list[list[_Line]] = []
        current: list[_Line] = []
        pos = 0
        for raw in text.split("\n"):
            start, end = pos, pos + len(raw)
            pos = end + 1
            if not raw.strip() or self.is_caption(raw):
                if current:
                    blocks.append(current)
                current = []
                continue
            lead = len(raw) - len(raw.lstrip())
            current.append(_Line(start + lead, start + len(raw.rstrip()), raw.strip()))
        if current:
            blocks.append(current)
        return blocks

    def _sentences(self, text: str, start: int, end: int) -> list[tuple[int, int]]:
        """Sentence spans of [start, end), found a window at a time (the sentence splitter slows down more than
        linearly), a sentence longer than max_paragraph_chars cut between words (or anywhere, with no space)."""
        limit = self.settings.max_paragraph_chars
        window = SPLIT_WINDOW * limit
        spans: list[tuple[int, int]] = []
        pos = start
        while pos < end:
            stop = end if end - pos <= window else _window_end(text, pos, pos + window)
            for s, e in sentence_spans(text[pos:stop]):
                spans.extend(_cut_long(text, s + pos, e + pos, limit))
            pos = stop
        return spans

    def _pieces(self, text: str, start: int, end: int) -> list[tuple[int, int]]:
        """Split [start, end) at sentence boundaries into pieces of at most max_paragraph_chars."""
        limit = self.settings.max_paragraph_chars
        if end - start <= limit:
            return [(start, end)]
        pieces: list[tuple[int, int]] = []
        piece_start = piece_end = None
        for s, e in self._sentences(text, start, end):
            if piece_start is None:
                piece_start, piece_end = s, e
            elif e - piece_start > limit:
                pieces.append((piece_start, piece_end))
                piece_start, piece_end = s, e
            else:
                piece_end = e
        if piece_start is not None:
            pieces.append((piece_start, piece_end))
        return pieces

    def split(self, article_id: str, text: str) -> list[Paragraph]:
        """The quotable paragraphs of ``text``, numbered from 1."""
        paragraphs: list[Paragraph] = []
        heading = ""
        for block in self._blocks(text):
            start, end = block[0].start, block[-1].end
            body = text[start:end]
            if is_byline(body):
                continue  # never quoted, nor the next paragraph's context
            if len(block) == 1 and self.is_subheading(body):
                # consecutive sub-headings (a section title, then a short standfirst) all become context
                lines = [*heading.split("\n"), _HEADING_MARK.sub("", body).strip()] if heading else [
                    _HEADING_MARK.sub("", body).strip()
                ]
                heading = "\n".join(lines[-MAX_CONTEXT_LINES:])
                continue
            if self.is_boilerplate(body):
                heading = ""
                continue
            for s, e in self._pieces(text, start, end):
                paragraphs.append(make_paragraph(article_id, len(paragraphs) + 1, text[s:e], s, e, heading))
            heading = ""
        return paragraphs


def _window_end(text: str, lo: int, hi: int) -> int:
    """Where to end a window of ``text[lo:hi]``: after its last probable sentence end in the second half, else at
    its last space there, else at ``hi``."""
    middle = lo + (hi - lo) // 2
    ends = [m.end() for m in _PROBABLE_END.finditer(text, middle, hi)]
    if ends:
        return ends[-1]
    space = max(text.rfind(" ", middle, hi), text.rfind("\n", middle, hi))
    return space + 1 if space > lo else hi


def _cut_long(text: str, start: int, end: int, limit: int) -> list[tuple[int, int]]:
    """[start, end) as pieces of at most ``limit`` characters, cut after a space where there is one."""
    pieces = []
    while end - start > limit:
        cut = text.rfind(" ", start + 1, start + limit)
        cut = cut if cut > start else start + limit
        piece_end = len(text[start:cut].rstrip()) + start
        pieces.append((start, piece_end))
        start = cut
        while start < end and text[start].isspace():
            start += 1
    if start < end:
        pieces.append((start, end))
    return pieces


def paragraph_id(article_id: str, text: str) -> str:
    """Stable while the paragraph's text is unchanged."""
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]
    return f"{article_id}:{digest}"


def make_paragraph(article_id: str, number: int, text: str, start: int, end: int, context: str = "") -> Paragraph:
    return Paragraph(
        pid=paragraph_id(article_id, text),
        article_id=article_id,
        number=number,
        text=text,
        start=start,
        end=end,
        context=context,
    )

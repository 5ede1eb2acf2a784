"""The objects every surface renders from: articles, paragraphs, quotes, answers, summaries."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ArticleMeta:
    """Attribution for one article. ``article_id`` is stable across re-indexing."""

    article_id: str
    title: str
    source: str | None = None
    author: str | None = None
    published: str | None = None  # YYYY-MM-DD
    url: str | None = None
    path: str | None = None


def newest_first(articles) -> list[ArticleMeta]:
    """Articles newest first (by published date; undated ones last), then by title: how every list orders them."""
    return sorted(articles, key=lambda m: (m.published or "", m.title), reverse=True)


@dataclass(frozen=True)
class Paragraph:
    """One indexed paragraph: ``text`` is the exact slice ``article_text[start:end]`` of its article."""

    pid: str
    article_id: str
    number: int  # 1-based, over the article's indexed paragraphs
    text: str
    start: int
    end: int
    context: str = ""  # sub-heading that precedes it (indexed, never quoted)
    id: int = -1  # stable int64 id in the store (-1 until stored); never reused


@dataclass(frozen=True)
class Quote:
    """A verbatim paragraph with the sentence that best answers highlighted."""

    text: str
    highlight: str
    highlight_start: int  # offset of ``highlight`` inside ``text``
    article: ArticleMeta
    paragraph: int
    score: float
    pid: str = ""
    relevant: bool = True  # the score passes the "not found" threshold

    def to_json(self) -> dict:
        return {
            "article_id": self.article.article_id,
            "text": self.text,
            "highlight": self.highlight,
            "title": self.article.title,
            "source": self.article.source,
            "url": self.article.url,
            "published": self.article.published,
            "paragraph": self.paragraph,
            "score": round(float(self.score), 4),
            "relevant": self.relevant,
        }


@dataclass(frozen=True)
class Answer:
    """The reply to a question. With ``found`` false, ``quotes`` are the nearest misses."""

    question: str
    found: bool
    quotes: list[Quote] = field(default_factory=list)
    follows_up: str | None = None  # the earlier question this one was read as a follow-up to
    newest_age: str | None = None  # for questions about the latest news: how old the newest quoted article is
    content_free: bool = False  # a greeting, "help" or the like: nothing to search for, show the help text
    # not found, but this article is about the question's subject (nothing in it answers): said honestly
    on_subject: ArticleMeta | None = None
    message: str = ""  # set when nothing could be searched (no indexed article was published in the period)

    @property
    def shown_quotes(self) -> list[Quote]:
        """What a reply quotes: the first quote and every other one that passes the threshold."""
        return [q for i, q in enumerate(self.quotes) if i == 0 or q.relevant]

    def to_json(self) -> dict:
        data = {"question": self.question, "found": self.found, "quotes": [q.to_json() for q in self.quotes]}
        if self.follows_up is not None:
            data["follows_up"] = self.follows_up
        if self.newest_age is not None:
            data["newest_age"] = self.newest_age
        if self.content_free:
            data["content_free"] = True
        if self.on_subject is not None:
            meta = self.on_subject
            data["on_subject"] = {"article_id": meta.article_id, "title": meta.title, "url": meta.url,
                                  "source": meta.source, "published": meta.published}
        if self.message:
            data["message"] = self.message
        return data


@dataclass(frozen=True)
class SummarySentence:
    """A key sentence, verbatim, with its article and paragraph number."""

    text: str
    article: ArticleMeta
    paragraph: int

    def to_json(self) -> dict:
        return {
            "text": self.text,
            "title": self.article.title,
            "url": self.article.url,
            "source": self.article.source,
            "published": self.article.published,
            "paragraph": self.paragraph,
            "article_id": self.article.article_id,
        }


@dataclass(frozen=True)
class Summary:
    """An extractive summary of one article or of a topic across articles."""

    article: str | None
    topic: str | None
    sentences: list[SummarySentence]
    message: str = ""  # set when nothing could be summarised (e.g. nothing relevant indexed)
    period: str | None = None  # a digest of this period ("since 2024-03-01"): one key sentence per main story

    def to_json(self) -> dict:
        return {
            "article": self.article,
            "topic": self.topic,
            "sentences": [s.to_json() for s in self.sentences],
            "message": self.message or None,
            **({"period": self.period} if self.period else {}),
        }


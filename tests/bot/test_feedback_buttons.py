"""The buttons under an answer: which ones, their persistent custom_ids, and the answer as shown (first k quotes)."""

from __future__ import annotations

from datetime import date

from bot.feedback_buttons import answer_view, first_quotes, more_page
from retrieval.feedback import quote_record
from retrieval.models import Answer, ArticleMeta, Quote


def quote(n: int, url: str | None = "https://news.test/harbour", published: str = "2024-03-02") -> Quote:
    article = ArticleMeta(f"a{n}", "Harbour reopens after storm repairs " * 3, source="Coast News",
                          published=published, url=url)
    return Quote(text=f"Paragraph {n}. It says something.", highlight=f"Paragraph {n}.", highlight_start=0,
                 article=article, paragraph=n, score=0.9 - n / 100, pid=f"a{n}-p{n}")


def components(view) -> list[dict]:
    return [c for row in view.to_components() for c in row["components"]]


async def test_answer_buttons() -> None:
    full = Answer(question="When did the harbour reopen?", found=True, quotes=[quote(n) for n in range(1, 11)])
    buttons = components(answer_view(123, full, shown=3))
    assert [b.get("custom_id") for b in buttons] == ["citebot:vote:up:123", "citebot:vote:down:123",
                                                   "citebot:more:123:0", None]
    link = buttons[-1]
    assert link["style"] == 5 and link["url"] == "https://news.test/harbour" and len(link["label"]) <= 80
    few = Answer(question="q", found=True, quotes=[quote(1, url="file:///tmp/x")])
    assert [b.get("custom_id") for b in components(answer_view(5, few, shown=3))] == [
        "citebot:vote:up:5", "citebot:vote:down:5"]  # nothing more to page, no web address to link
    missed = Answer(question="q", found=False, quotes=[quote(1)] * 10)
    assert len(components(answer_view(6, missed, shown=3))) == 2


async def test_more_pages() -> None:
    record = {"question": "q", "quotes": [quote_record(quote(n)) for n in range(1, 11)]}
    titles = []
    for page in range(3):
        embed, view = more_page("9", record, 3, page)
        titles.append(embed.title)
        assert [b["label"] for b in components(view)] == [
            ["Next ▶"], ["◀ Previous", "Next ▶"], ["◀ Previous"]][page]
    assert titles == ["More sources: quotes 4–6 of 10", "More sources: quotes 7–9 of 10",
                      "More sources: quotes 10 of 10"]
    assert "Paragraph 4" in more_page("9", record, 3, 0)[0].description


def test_first_quotes_recounts_the_newest_age() -> None:
    quotes = [quote(1, published="2024-03-01"), quote(2, published="2024-03-01"), quote(3, published="2024-03-10")]
    full = Answer(question="latest?", found=True, quotes=quotes, newest_age="today")
    shown = first_quotes(full, 2, date(2024, 3, 10))
    assert [q.pid for q in shown.quotes] == ["a1-p1", "a2-p2"] and shown.newest_age == "published 9 days ago"
    assert first_quotes(full, 3, date(2024, 3, 10)) is full

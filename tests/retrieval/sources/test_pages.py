"""Page HTML to article text: one indexed paragraph per page paragraph, in any script."""

from __future__ import annotations

from retrieval.sources import NotAnArticle, article_from_html
from retrieval.text.paragraphs import ParagraphSplitter

JA = [
    "東京都は月曜日、湾岸地域の再開発計画を正式に発表した。計画では、老朽化した倉庫群を取り壊し、公園と住宅を整備する。",
    "都の担当者によると、工事は来年春に始まり、完成までにおよそ十年かかる見通しだ。総事業費は約三千億円と見込まれている！",
    "地元の住民からは歓迎の声が上がる一方で、交通渋滞の悪化を心配する意見も出ている。説明会は来月開かれる予定だ。",
]


def page(paragraphs: list[str], title: str = "Harbour plan") -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<html><head><title>{title}</title><meta property='og:site_name' content='Coast News'></head>"
            f"<body><article><h1>{title}</h1>{body}</article></body></html>")


def test_each_page_paragraph_is_one_indexed_paragraph() -> None:
    english = [f"Paragraph {n} says the harbour reopened after months of repairs, and ferries are back on the "
               f"island route. Traders welcomed the news on day {n}." for n in range(1, 7)]
    article = article_from_html(page(english), "https://example.org/news/harbour")
    paragraphs = ParagraphSplitter().split(article.meta.article_id, article.text)
    assert [p.text for p in paragraphs] == english
    assert article.meta.title == "Harbour plan" and article.meta.source == "Coast News"


def test_cjk_paragraphs_are_kept_and_long_ones_split_at_cjk_sentence_ends() -> None:
    long = "".join(JA) * 8  # over max_paragraph_chars
    article = article_from_html(page([*JA, long], "湾岸再開発"), "https://example.jp/news/1")
    paragraphs = ParagraphSplitter().split(article.meta.article_id, article.text)
    assert [p.text for p in paragraphs[:3]] == JA  # never taken for sub-headings, never dropped
    pieces = paragraphs[3:]
    assert len(pieces) > 1 and "".join(p.text for p in pieces) == long
    assert all(p.text.endswith(("。", "！", "？")) for p in pieces)


def test_short_pages_are_not_articles() -> None:
    try:
        article_from_html(page(["Please subscribe to continue reading this story."]), "https://example.org/x")
    except NotAnArticle as exc:
        assert "too short to be an article" in exc.reason
    else:
        raise AssertionError("a teaser was accepted")


def test_a_paywalled_teaser_is_refused_but_a_full_paywalled_page_is_not() -> None:
    sentence = "The council approved the harbour budget after a long debate about ferry routes and repairs. "
    marker = '<script type="application/ld+json">{"@type": "NewsArticle", "isAccessibleForFree": "False"}</script>'
    teaser = page([sentence * 5]).replace("</head>", marker + "</head>")
    try:
        article_from_html(teaser, "https://example.org/paywalled")
    except NotAnArticle as exc:
        assert exc.reason.startswith("behind a paywall")
    else:
        raise AssertionError("a paywalled teaser was accepted")
    full = page([f"Part {n}. " + sentence * 5 for n in range(1, 5)]).replace("</head>", marker + "</head>")
    assert article_from_html(full, "https://example.org/paywalled").meta.title == "Harbour plan"

"""Topic alerts' relevance: a topic matches a new article when the answers' threshold is reached over that article's
paragraphs alone (real model, the bundled samples)."""

from __future__ import annotations

from retrieval.query.alerts import topic_matches


def test_topic_matches_only_articles_about_it(sample_library) -> None:
    collection = sample_library.collection()
    by_title = {meta.title.split(":")[0]: key for key, meta in collection.articles.items()}
    russia = next(key for title, key in by_title.items() if title.startswith("Russia-Ukraine crisis"))
    geology = by_title["Geology"]
    topics = ["Russian troops at the Ukrainian border", "banana bread recipes"]
    found = topic_matches(sample_library.answerer(), topics, [russia, geology])
    assert set(found) == {("Russian troops at the Ukrainian border", russia)}
    quote = found[("Russian troops at the Ukrainian border", russia)]
    assert quote.article.article_id == russia and quote.highlight in quote.text and quote.relevant
    assert topic_matches(sample_library.answerer(), topics, ["no-such-article"]) == {}

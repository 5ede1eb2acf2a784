"""The objects every surface renders from: how lists are ordered, which quotes a reply shows, the JSON contract."""

import json

from retrieval.models import Answer, ArticleMeta, Quote, Summary, SummarySentence, newest_first

OLD = ArticleMeta("a", "Alpha", published="2022-01-01")
NEW = ArticleMeta("b", "Beta", published="2024-05-01", url="https://x.test/b", source="Wire")
UNDATED = ArticleMeta("c", "Gamma")


def quote(article: ArticleMeta, relevant: bool, score: float = 0.5) -> Quote:
    return Quote(text="Troops gathered. Talks failed.", highlight="Talks failed.", highlight_start=17,
                 article=article, paragraph=2, score=score, relevant=relevant)


def test_articles_come_newest_first_then_by_title_undated_last():
    same_day = ArticleMeta("d", "Zeta", published="2024-05-01")
    assert newest_first([UNDATED, OLD, NEW, same_day]) == [same_day, NEW, OLD, UNDATED]


def test_a_reply_shows_the_first_quote_and_every_relevant_one():
    answer = Answer("q", True, [quote(NEW, False), quote(OLD, True), quote(UNDATED, False)])
    assert [q.article for q in answer.shown_quotes] == [NEW, OLD]


def test_answer_json_has_only_the_keys_that_apply():
    bare = Answer("Who?", False, [quote(NEW, False, 0.123456)]).to_json()
    assert set(bare) == {"question", "found", "quotes"}
    assert bare["quotes"][0] == {"article_id": "b", "text": "Troops gathered. Talks failed.",
                                 "highlight": "Talks failed.", "title": "Beta", "source": "Wire",
                                 "url": "https://x.test/b", "published": "2024-05-01", "paragraph": 2,
                                 "score": 0.1235, "relevant": False}
    full = Answer("And then?", False, follows_up="Who?", newest_age="2 days old", content_free=True,
                  on_subject=NEW, message="nothing in the period").to_json()
    assert full["follows_up"] == "Who?" and full["newest_age"] == "2 days old" and full["content_free"] is True
    assert full["on_subject"] == {"article_id": "b", "title": "Beta", "url": "https://x.test/b", "source": "Wire",
                                  "published": "2024-05-01"}
    assert full["message"] == "nothing in the period"
    assert json.loads(json.dumps(full)) == full


def test_summary_json_names_the_period_only_for_a_digest():
    sentence = SummarySentence("Talks failed.", NEW, 3)
    topic = Summary(article=None, topic="talks", sentences=[sentence]).to_json()
    assert "period" not in topic and topic["message"] is None
    assert topic["sentences"] == [{"text": "Talks failed.", "title": "Beta", "url": "https://x.test/b",
                                   "source": "Wire", "published": "2024-05-01", "paragraph": 3, "article_id": "b"}]
    assert Summary(None, None, [], period="since 2024-03-01").to_json()["period"] == "since 2024-03-01"

"""What a daily digest says (real model, the bundled samples): the period's main stories, about a topic when it has
one, never an article the previous digest had, nothing on a day without news."""

from __future__ import annotations

from datetime import date

from bot.cogs.digest import digest_summary
from bot.digest_store import Digest

DAY = date(2022, 2, 11)  # the samples' one dated article was published that day


def test_digest_of_the_day(sample_library) -> None:
    summary = digest_summary(sample_library, Digest(1, "", None, "08:00", "UTC"), DAY, 5)
    (sentence,) = summary.sentences  # one story that day: one key sentence
    paragraphs = sample_library.collection().paragraphs_of(sentence.article.article_id)
    assert sentence.article.source == "NationalWorld" and any(sentence.text in p.text for p in paragraphs)
    assert digest_summary(sample_library, Digest(1, "", None, "08:00", "UTC"), date(2022, 2, 14), 5).sentences == []
    after = Digest(1, "", None, "08:00", "UTC", "2022-02-11", (sentence.article.article_id,))
    assert digest_summary(sample_library, after, date(2022, 2, 12), 5).sentences == []  # already in the last one


def test_digest_on_a_topic(sample_library) -> None:
    about = digest_summary(sample_library, Digest(1, "Russian troops near Ukraine", None, "08:00", "UTC"), DAY, 3)
    assert len(about.sentences) == 1 and about.sentences[0].article.source == "NationalWorld"
    assert digest_summary(sample_library, Digest(1, "banana bread", None, "08:00", "UTC"), DAY, 3).sentences == []

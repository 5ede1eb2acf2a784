"""Answer and Summary -> Discord embed: block quotes, bold highlights, attribution, markdown escaping, trimming."""

from __future__ import annotations

import re

import pytest

from bot.embeds import (
    DESCRIPTION_LIMIT,
    EMBED_TOTAL_LIMIT,
    TITLE_LIMIT,
    answer_embed,
    sources_embed,
    status_embed,
    summary_embed,
)
from bot.formats import render_quote, report_text
from retrieval.models import Answer, ArticleMeta, Quote, Summary, SummarySentence
from tests.bot.markdown_text import prose, unescape
from tests.e2e.fake_discord import FakeDiscord

NATIONALWORLD = ArticleMeta(
    "russia-ukraine-2022-02-11",
    "Russia-Ukraine crisis: Joe Biden and Vladimir Putin to speak",
    source="NationalWorld",
    published="2022-02-11",
)
TROOPS = (
    "Armed forces minister James Heappey said with the Kremlin having amassed weaponry and an estimated "
    "130,000 troops on Ukraine’s border, Russia could attack “very, very quickly”."
)
def quote(text: str, highlight: str | None = None, article: ArticleMeta = NATIONALWORLD, paragraph: int = 7) -> Quote:
    highlight = text if highlight is None else highlight
    return Quote(text, highlight, text.index(highlight), article, paragraph, 0.5)


def accepted_by_discord(embed) -> None:
    """The fake Discord's validator (Discord's documented limits) must accept the embed."""
    FakeDiscord()._validate_message({"embeds": [embed.to_dict()]})
    assert len(embed) <= EMBED_TOTAL_LIMIT


def test_quote_block_highlight_and_attribution_line() -> None:
    text = "Nato allies were ordering citizens to leave. " + TROOPS + " Talks continue."
    embed = answer_embed(Answer("How many troops?", True, [quote(text, TROOPS)]))
    block, credit = embed.description.split("\n— ")
    assert block == f"> Nato allies were ordering citizens to leave. **{TROOPS}** Talks continue."
    assert credit == "Russia-Ukraine crisis: Joe Biden and Vladimir Putin to speak · NationalWorld · 11 Feb 2022 · ¶7"
    assert embed.title == "How many troops?"
    accepted_by_discord(embed)


def test_credit_links_the_title_when_there_is_a_url() -> None:
    article = ArticleMeta(
        "a", "Amazon rainforest", source="Wikipedia", url="https://en.wikipedia.org/wiki/Amazon_rainforest"
    )
    rendered = render_quote(quote("It is big.", article=article, paragraph=2))
    assert rendered.endswith(
        "\n— [Amazon rainforest](<https://en.wikipedia.org/wiki/Amazon_rainforest#:~:text=It%20is%20big.>)"
        " · Wikipedia · ¶2"
    )  # the link opens the article at the quoted sentence (a text fragment)


@pytest.mark.parametrize("url", ["javascript:alert(1)", "https://x.org/a b", "https://x.org/" + "a" * 600])
def test_unusable_urls_are_not_linked(url: str) -> None:
    article = ArticleMeta("a", "Title", url=url)
    assert render_quote(quote("Text.", article=article)).endswith("\n— Title · ¶7")


def test_markdown_in_article_text_is_escaped() -> None:
    nasty = "Use *stars*, __under__, ~~strike~~, ||spoiler||, `code`, [a](http://b.c) and <@123> or @everyone."
    rendered = render_quote(quote(nasty))
    body = rendered.split("\n— ")[0]
    assert body.startswith("> **") and body.endswith("**")
    inner = body[len("> **") : -len("**")]
    assert "*stars*" not in inner and "<@123>" not in inner and "[a](" not in inner
    assert unescape(inner) == nasty


def test_title_in_the_credit_is_escaped() -> None:
    article = ArticleMeta("a", "Stars *and* [brackets]", url="https://example.com/x")
    assert "[Stars \\*and\\* \\[brackets\\]](<https://example.com/x#:~:text=Text.>)" in render_quote(
        quote("Text.", article=article)
    )


def test_long_paragraph_is_trimmed_around_the_highlight_at_word_boundaries() -> None:
    text = prose(600, 1) + " " + TROOPS + " " + prose(600, 2)
    embed = answer_embed(Answer("q", True, [quote(text, TROOPS)]))
    assert len(embed.description) <= DESCRIPTION_LIMIT
    body = embed.description.split("\n— ")[0]
    assert f"**{TROOPS}**" in body
    assert body.startswith("> …") and body.endswith("…")
    before, after = body[len("> …") :].split(f"**{TROOPS}**")
    shown_before, shown_after = before.strip(), after.strip().removesuffix("…")
    assert text.startswith(text.split(shown_before)[0]) and shown_before in text
    # Whole words only: the kept context starts and ends at word boundaries of the original.
    start = text.index(shown_before)
    assert text[start - 1] == " "
    end = text.index(shown_after) + len(shown_after)
    assert text[end] in " ."
    accepted_by_discord(embed)


def test_highlight_longer_than_the_room_is_cut_at_a_word() -> None:
    text = prose(2000, 3)
    embed = answer_embed(Answer("q", True, [quote(text)]))
    body = embed.description.split("\n— ")[0]
    assert len(embed.description) <= DESCRIPTION_LIMIT
    assert body.startswith("> **") and body.endswith("**…")
    kept = body[len("> **") : -len("**…")]
    assert text.startswith(kept) and text[len(kept)] == " "


def test_many_long_quotes_fit_the_6000_total_and_keep_every_highlight() -> None:
    quotes = []
    for i in range(10):
        highlight = f"Sentence number {i} is the one that answers."
        quotes.append(quote(prose(150, i) + " " + highlight + " " + prose(150, 100 + i), highlight, paragraph=i + 1))
    embed = answer_embed(Answer("A question " * 40, True, quotes))
    assert len(embed.title) <= TITLE_LIMIT and embed.title.endswith("…")
    for i in range(10):
        assert f"**Sentence number {i} is the one that answers.**" in embed.description
        assert f"¶{i + 1}" in embed.description
    accepted_by_discord(embed)


def test_not_covered_names_the_nearest_article() -> None:
    embed = answer_embed(Answer("What is a good recipe for banana bread?", False, [quote(TROOPS)]))
    assert embed.description.startswith(
        "The indexed articles don't cover this. The nearest article is "
        "Russia-Ukraine crisis: Joe Biden and Vladimir Putin to speak (NationalWorld, 11 Feb 2022)."
    )
    assert "**" not in embed.description


def test_not_covered_with_an_empty_index() -> None:
    assert answer_embed(Answer("anything?", False, [])).description.startswith("The indexed articles don't cover")


def test_sources_fit_and_count_the_rest() -> None:
    rows = [
        {
            "article_id": f"a{i}",
            "title": f"Article {i} " + "word " * 30,
            "source": "Pub",
            "published": "2022-02-11",
            "url": f"https://example.com/{i}",
            "paragraphs": 12,
        }
        for i in range(300)
    ]
    embed = sources_embed(rows)
    assert embed.title == "Indexed articles (300)" and re.search(r"…and \d+ more$", embed.description)
    assert "Pub · 11 Feb 2022 · 12 ¶" in embed.description
    accepted_by_discord(embed)


def test_sources_first_page_counts_the_whole_collection() -> None:
    rows = [{"article_id": f"a{i}", "title": f"Article {i}", "source": "Pub", "published": "2022-02-11",
             "url": None, "paragraphs": 3} for i in range(5)]
    embed = sources_embed(rows, total=100_000)
    assert embed.title == "Indexed articles (100000)"
    assert embed.description.endswith("…and 99995 more") and "Article 4" in embed.description
    accepted_by_discord(embed)


def test_status_and_report() -> None:
    report = {
        "articles": 5,
        "paragraphs": 120,
        "embedded": 40,
        "seconds": 3.2,
        "ok": True,
        "finished_at": 0,
        "skipped": [(f"bad{i}.txt", "not UTF-8") for i in range(40)],
    }
    info = {
        "articles": 5,
        "paragraphs": 120,
        "age_seconds": 7200,
        "model": "all-MiniLM-L6-v2",
        "indexing": False,
        "last_index": report,
    }
    embed = status_embed(info, [("Up for", "3 h")])
    fields = {f.name: f.value for f in embed.fields}
    assert fields["Articles"] == "5" and fields["Index age"] == "2 h" and fields["Up for"] == "3 h"
    assert fields["Last re-index"].startswith("Indexed 5 articles, 120 paragraphs in 3.2 s")
    accepted_by_discord(embed)
    failed = report_text({"ok": False, "error": "disk full"})
    assert failed == "Failed: disk full. The previous index is still answering."


# ---------------------------------------------------------------------------------------------- summaries

AMAZON = ArticleMeta(
    "amazon-rainforest", "Amazon rainforest", source="Wikipedia", url="https://en.wikipedia.org/wiki/Amazon_rainforest"
)
GEOLOGY = ArticleMeta("geology", "Geology", source="Wikipedia", url="https://en.wikipedia.org/wiki/Geology")


def sentence(text: str, article: ArticleMeta = NATIONALWORLD, paragraph: int = 1) -> SummarySentence:
    return SummarySentence(text, article, paragraph)


def test_article_summary_quotes_each_sentence_under_one_attribution_line() -> None:
    picked = [sentence("Britons are urged to leave.", paragraph=1), sentence(TROOPS, paragraph=4)]
    picked.append(sentence("Talks continue.", paragraph=7))
    embed = summary_embed(Summary(NATIONALWORLD.title, None, picked))
    assert embed.title == f"Summary of “{NATIONALWORLD.title}”"
    assert embed.description == (
        "> Britons are urged to leave.\n"
        f"> {TROOPS}\n"
        "> Talks continue.\n"
        f"— {NATIONALWORLD.title} · NationalWorld · 11 Feb 2022 · ¶1, ¶4, ¶7"
    )
    assert "**" not in embed.description and embed.url is None  # no highlight, no URL to link
    assert embed.footer.text == "3 key sentences, quoted word for word in article order"
    accepted_by_discord(embed)


def test_latest_article_summary_says_so_and_links_the_title() -> None:
    embed = summary_embed(Summary("Geology", None, [sentence("Rocks form.", GEOLOGY, 3)]), latest=True)
    assert embed.title == "Summary of the latest article, “Geology”"
    assert embed.url == GEOLOGY.url
    assert embed.description.endswith("\n— [Geology](<https://en.wikipedia.org/wiki/Geology>) · Wikipedia · ¶3")


def test_topic_summary_attributes_each_run_of_sentences_to_its_own_article() -> None:
    picked = [
        sentence("Soil is poor.", AMAZON, 8),
        sentence("Soil is cleared.", AMAZON, 12),
        sentence("Soil forms from rock.", GEOLOGY, 17),
        sentence("Farms spread.", AMAZON, 12),
    ]
    embed = summary_embed(Summary(None, "soil", picked))
    assert embed.title == "What the articles say about “soil”" and embed.url is None
    blocks = embed.description.split("\n\n")
    assert blocks == [
        "> Soil is poor.\n> Soil is cleared.\n— [Amazon rainforest](<https://en.wikipedia.org/wiki/Amazon_rainforest>)"
        " · Wikipedia · ¶8, ¶12",
        "> Soil forms from rock.\n— [Geology](<https://en.wikipedia.org/wiki/Geology>) · Wikipedia · ¶17",
        "> Farms spread.\n— [Amazon rainforest](<https://en.wikipedia.org/wiki/Amazon_rainforest>) · Wikipedia · ¶12",
    ]
    assert embed.footer.text == "4 key sentences from 2 articles, quoted word for word"
    accepted_by_discord(embed)


def test_summary_sentences_are_escaped_not_bold() -> None:
    nasty = "1. Use *stars*, <@123> and [a](http://b.c) @everyone."
    embed = summary_embed(Summary("Amazon rainforest", None, [sentence(nasty, AMAZON, 2)]))
    line = embed.description.split("\n")[0]
    assert line.startswith("> ") and "*stars*" not in line and "<@123>" not in line and "**" not in line
    assert unescape(line[2:]) == nasty


def test_long_topic_summary_fits_discords_limits_and_keeps_every_sentence_and_article() -> None:
    picked = []
    for i in range(10):
        article = ArticleMeta(
            f"a{i}",
            f"Article {i} " + "long title " * 40,
            source="Publisher " * 5,
            published="2022-02-11",
            url=f"https://example.com/{i}/" + "x" * 400,
        )
        picked.append(sentence(f"Sentence {i} starts here. " + prose(200, i), article, i + 1))
    embed = summary_embed(Summary(None, "a topic " * 60, picked))
    accepted_by_discord(embed)
    assert len(embed.title) <= TITLE_LIMIT and len(embed.description) <= DESCRIPTION_LIMIT
    blocks = embed.description.split("\n\n")
    assert len(blocks) == 10
    for i, block in enumerate(blocks):
        quote_line, credit = block.split("\n")
        assert quote_line.startswith(f"> Sentence {i} starts here.") and quote_line.endswith("…")
        assert credit.startswith(f"— [Article {i}") or credit.startswith(f"— Article {i}")
        assert f"¶{i + 1}" in credit


def test_long_sentences_of_one_article_are_shortened_at_word_boundaries() -> None:
    texts = [prose(400, i) for i in range(10)]
    embed = summary_embed(Summary("Amazon rainforest", None, [sentence(t, AMAZON, i) for i, t in enumerate(texts)]))
    accepted_by_discord(embed)
    *lines, credit = embed.description.split("\n")
    assert len(lines) == 10 and credit.startswith("— [Amazon rainforest](<https://en.wikipedia.org/wiki/Amazon")
    for text, line in zip(texts, lines, strict=True):
        kept = line.removeprefix("> ").removesuffix("…")
        assert text.startswith(kept) and text[len(kept)] == " "


def test_empty_summary_shows_the_message() -> None:
    embed = summary_embed(
        Summary(None, "banana *bread*", [], message="The indexed articles don't cover “banana *bread*”.")
    )
    assert embed.description.startswith("The indexed articles don't cover “banana \\*bread\\*”.")
    assert "/sources" in embed.description and "> " not in embed.description
    accepted_by_discord(embed)

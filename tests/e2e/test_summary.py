"""/summary end to end: article autocomplete, article and topic summaries, the latest article, errors."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

import pytest

from tests.e2e.fake_discord import FLAG_EPHEMERAL

if TYPE_CHECKING:
    from tests.e2e.conftest import BotProcess, World

pytestmark = pytest.mark.e2e

TIMEOUT = 60.0
NATIONALWORLD = (
    "Russia-Ukraine crisis: Joe Biden and Vladimir Putin to speak as US warns Russian invasion could be ‘any day’"
)
GEOLOGY_URL = "https://en.wikipedia.org/wiki/Geology"


def unescape(markdown: str) -> str:
    """What Discord shows for escaped text: a backslash before punctuation disappears."""
    return re.sub(r"\\([^A-Za-z0-9\s])", r"\1", markdown)


def article_texts(citebot: BotProcess) -> dict[str, str]:
    """Title -> full text of every article file the bot indexes (the title as each format states it)."""
    texts = {}
    for path in sorted(citebot.articles.iterdir()):
        raw = path.read_text(encoding="utf-8")
        if path.suffix == ".json":
            data = json.loads(raw)
            texts[data["title"]] = data["text"]
        elif raw.startswith("---\n"):
            texts[re.search(r"^title: (.+)$", raw, re.MULTILINE).group(1).strip()] = raw
        else:
            texts[raw.split("\n", 1)[0].strip()] = raw
    return texts


def summary_groups(embed: dict) -> list[tuple[str, list[str]]]:
    """(attribution line, [sentences as shown]) for each run of quotes in a summary embed."""
    groups = []
    for block in embed["description"].split("\n\n"):
        *quotes, credit = block.split("\n")
        assert credit.startswith("— ") and quotes and all(q.startswith("> ") for q in quotes), block
        groups.append((credit, [unescape(q[2:]) for q in quotes]))
    return groups


def credited_title(credit: str) -> str:
    """The article title of an attribution line, linked (``[Title](<url>)``) or not."""
    title = credit[2:].split(" · ")[0]
    linked = re.fullmatch(r"\[(.*)\]\(<[^>]+>\)", title)
    return unescape(linked.group(1) if linked else title)


def assert_verbatim(embed: dict, citebot: BotProcess) -> list[str]:
    """Every quoted sentence occurs word for word in the file of the article it is attributed to; the titles."""
    texts = article_texts(citebot)
    titles = []
    for credit, sentences in summary_groups(embed):
        title = credited_title(credit)
        assert title in texts, (title, list(texts))
        for sentence in sentences:
            assert sentence in texts[title], (sentence, title)
        titles.append(title)
    return titles


async def summarise(world: World, options: dict) -> tuple[dict, dict]:
    """Run /summary with ``options``: (the embed it answers with, the final edit's body)."""
    interaction = await world.fake.invoke("summary", options, user=world.alice)
    ack = await interaction.wait_ack(timeout=10)
    assert ack.payload["type"] == 5  # deferred first
    answer = await interaction.wait_answer(timeout=TIMEOUT)
    assert answer["content"] == "" and len(answer["embeds"]) == 1 and not answer["flags"] & FLAG_EPHEMERAL
    assert interaction.edits[-1]["allowed_mentions"] == {"parse": []}
    return answer["embeds"][0], interaction.edits[-1]


async def test_article_autocomplete_offers_matching_titles(world: World, citebot: BotProcess) -> None:
    fake = world.fake
    synced = {o["name"]: o for o in fake.guild_commands[fake.guild_id]["summary"]["options"]}
    assert synced["article"].get("autocomplete") and not synced["topic"].get("autocomplete")
    assert (synced["sentences"]["min_value"], synced["sentences"]["max_value"]) == (1, 10)

    everything = await (await fake.autocomplete("summary", "article", "")).wait_choices()
    newest = everything[0]  # newest first; its 111-character title is cut to Discord's 100 at a word
    assert newest["value"] == "russia-ukraine-2022-02-11" and len(newest["name"]) <= 100
    assert newest["name"].endswith("…") and NATIONALWORLD.startswith(newest["name"][:-1])
    assert 4 <= len(everything) <= 25
    typed = await (await fake.autocomplete("summary", "article", "GEOL")).wait_choices()
    assert {"name": "Geology", "value": "geology"} in typed  # (test_admin's re-index adds an archive edition)
    assert all("geology" in c["name"].casefold() for c in typed)
    words = await (await fake.autocomplete("summary", "article", "putin biden", {"sentences": 2})).wait_choices()
    assert [c["value"] for c in words] == ["russia-ukraine-2022-02-11"]
    assert await (await fake.autocomplete("summary", "article", "banana bread")).wait_choices() == []


async def test_article_summary_by_autocomplete_value_and_by_title(world: World, citebot: BotProcess) -> None:
    embed, _ = await summarise(world, {"article": "geology", "sentences": 2})
    assert embed["title"] == "Summary of “Geology”" and embed["url"] == GEOLOGY_URL
    [(credit, sentences)] = summary_groups(embed)
    assert len(sentences) == 2 and credit.startswith(f"— [Geology](<{GEOLOGY_URL}>) · Wikipedia · ¶")
    assert assert_verbatim(embed, citebot) == ["Geology"]

    by_title, _ = await summarise(world, {"article": "amazon RAINFOREST"})
    assert by_title["title"] == "Summary of “Amazon rainforest”"
    [(_, sentences)] = summary_groups(by_title)
    assert len(sentences) == 3  # the configured default
    assert assert_verbatim(by_title, citebot) == ["Amazon rainforest"]


async def test_topic_summary_attributes_each_sentence_to_its_article(world: World, citebot: BotProcess) -> None:
    embed, _ = await summarise(world, {"topic": "soil", "sentences": 6})
    assert embed["title"] == "What the articles say about “soil”"
    titles = assert_verbatim(embed, citebot)
    assert len(set(titles)) >= 2 and "Amazon rainforest" in titles
    assert sum(len(s) for _, s in summary_groups(embed)) == 6


async def test_summary_alone_is_of_the_latest_article(world: World, citebot: BotProcess) -> None:
    embed, _ = await summarise(world, {})
    assert embed["title"] == f"Summary of the latest article, “{NATIONALWORLD}”"
    [(credit, sentences)] = summary_groups(embed)
    assert credit.startswith(f"— {NATIONALWORLD} · NationalWorld · 11 Feb 2022 · ¶") and len(sentences) == 3
    assert_verbatim(embed, citebot)


async def test_unknown_article_and_conflicting_options(world: World, citebot: BotProcess) -> None:
    embed, _ = await summarise(world, {"article": "Geolgy of Mars"})
    assert "no indexed article matches “Geolgy of Mars”" in embed["description"]
    assert "Closest titles: Geology" in embed["description"] and "Traceback" not in embed["description"]

    both = await world.fake.invoke("summary", {"article": "geology", "topic": "soil"}, user=world.alice)
    ack = await both.wait_ack(timeout=10)
    assert ack.payload["type"] == 4 and ack.payload["data"]["flags"] == FLAG_EPHEMERAL
    assert "not both" in ack.payload["data"]["content"]
    assert ack.payload["data"]["allowed_mentions"] == {"parse": []}

    nothing, _ = await summarise(world, {"topic": "banana bread recipe"})
    assert nothing["description"].startswith("The indexed articles don't cover “banana bread recipe”.")
    assert "> " not in nothing["description"]

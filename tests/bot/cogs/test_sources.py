"""The sources cog's own decisions: /add and /remove are refused to members without admin rights (checked at run
time, before anything is fetched or removed), and how an added or removed article is listed."""

from __future__ import annotations

from bot.checks import REFUSAL
from bot.cogs.sources import Sources, article_line
from retrieval.models import ArticleMeta
from tests.bot.cogs.interactions import manager, member


async def test_a_member_without_admin_rights_cannot_add_or_remove(bot) -> None:
    cog = Sources(bot)
    adding, removing = member(), member()
    await cog.add.callback(cog, adding, url="https://news.test/harbour")
    await cog.remove.callback(cog, removing, article="harbour-2024")
    for interaction in (adding, removing):
        assert interaction.only_reply()["content"] == REFUSAL
        assert not interaction.response.deferred and interaction.edits == []


def test_an_article_line_links_without_a_preview_and_escapes_the_title() -> None:
    meta = ArticleMeta("harbour-2024", "Harbour *reopens*", source="Coast News", published="2024-03-02",
                       url="https://news.test/harbour")
    assert article_line(meta, 12) == ("[Harbour \\*reopens\\*](<https://news.test/harbour>) · Coast News · "
                                      "2 Mar 2024 · 12 ¶")
    assert article_line(ArticleMeta("notes", "")) == "notes"  # no title, link, publisher or date: the id


async def test_an_admin_adding_a_bad_address_gets_one_line_naming_it(bot) -> None:
    cog, interaction = Sources(bot), manager()
    interaction.response.deferred = True  # acknowledged (the emulator tests the real acknowledgement)
    await cog.add.callback(cog, interaction, url="ftp://news.test/harbour")
    (edit,) = interaction.edits
    assert edit["embed"].description == ("Could not add ftp://news.test/harbour: only http and https URLs are "
                                         "fetched, not ftp")

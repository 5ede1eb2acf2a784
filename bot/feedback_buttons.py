"""The buttons under every answer: 👍 / 👎 (one vote per person, changeable), "More sources" (quotes 4–10 of the
same answer, privately, for the asker only) and a link to the first quoted article.

The buttons are persistent: their custom_ids carry the answer's key (the question's message or interaction id), and
the answer itself (question, quotes, asker) is recorded in the feedback store at answer time, so they keep working
after a restart (``bot.add_dynamic_items(*BUTTONS)`` at start-up).
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from datetime import date

import discord

from bot.discord_app import in_thread
from bot.embeds import COLOUR
from bot.formats import render_quotes, shorten
from retrieval.feedback import DOWN, UP, FeedbackStore, UnknownAnswerError, quote_from_record
from retrieval.models import Answer
from retrieval.query.timefilter import age_phrase

log = logging.getLogger("citebot.feedback")

NONE = discord.AllowedMentions.none()
#: Quotes retrieved for every answer: the first ``retrieval.top_k`` are shown, the rest behind "More sources".
MORE_QUOTES = 10
PAGE = 3  # quotes per "More sources" page
LINK_LABEL = 80  # Discord's button label limit
VOTED = {UP: "👍", DOWN: "👎"}
NOT_ASKER = "Only the person who asked can page through more sources: ask the question yourself to see them."
GONE = "This answer is no longer on record, so its buttons do nothing (it was given before feedback was kept)."


def store_of(client: discord.Client) -> FeedbackStore:
    """The bot's feedback store (opened on first use, in the data folder)."""
    store = getattr(client, "feedback_store", None)
    if store is None:
        store = FeedbackStore.in_folder(client.config.data_dir)  # type: ignore[attr-defined]
        client.feedback_store = store  # type: ignore[attr-defined]
    return store


def first_quotes(answer: Answer, k: int, today: date) -> Answer:
    """``answer`` as shown: its first ``k`` quotes (the newest quoted article's age counted again over them)."""
    if len(answer.quotes) <= k:
        return answer
    shown = replace(answer, quotes=answer.quotes[:k])
    if answer.newest_age is not None:
        newest = max((q.article.published or "" for q in shown.shown_quotes), default="")
        shown = replace(shown, newest_age=age_phrase(newest, today))
    return shown


def link_target(url: str | None) -> str | None:
    """A URL a link button may open (http or https), else None."""
    return url if url and re.match(r"^https?://\S+$", url) else None


class VoteButton(discord.ui.DynamicItem[discord.ui.Button], template=r"citebot:vote:(?P<vote>up|down):(?P<key>\d+)"):
    """👍 or 👎 on an answer: stored per person (a second click changes the vote), acknowledged privately."""

    def __init__(self, key: str, vote: int) -> None:
        name = "up" if vote == UP else "down"
        super().__init__(discord.ui.Button(emoji=VOTED[vote], style=discord.ButtonStyle.secondary,
                                           custom_id=f"citebot:vote:{name}:{key}"))
        self.key, self.vote = key, vote

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button,
                             match: re.Match[str], /) -> VoteButton:
        return cls(match["key"], UP if match["vote"] == "up" else DOWN)

    async def callback(self, interaction: discord.Interaction) -> None:
        store = store_of(interaction.client)
        try:
            up, down = await in_thread(store.vote, self.key, interaction.user.id, self.vote)
        except UnknownAnswerError:
            await interaction.response.send_message(GONE, ephemeral=True, allowed_mentions=NONE)
            return
        log.info("vote %s on answer %s (now %d up, %d down)", VOTED[self.vote], self.key, up, down)
        await interaction.response.send_message(
            f"Thanks: your {VOTED[self.vote]} is recorded (click the other one to change it). "
            f"This answer has {up} 👍 and {down} 👎.", ephemeral=True, allowed_mentions=NONE)


class MoreButton(discord.ui.DynamicItem[discord.ui.Button], template=r"citebot:more:(?P<key>\d+):(?P<page>\d)"):
    """A page of the answer's further quotes (4–6, 7–9, 10), shown privately to the asker: from the answer a new
    private message, from that message's ◀ / ▶ the same message updated."""

    def __init__(self, key: str, page: int, label: str = "More sources") -> None:
        super().__init__(discord.ui.Button(label=label, style=discord.ButtonStyle.primary,
                                           custom_id=f"citebot:more:{key}:{page}"))
        self.key, self.page = key, page

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button,
                             match: re.Match[str], /) -> MoreButton:
        return cls(match["key"], int(match["page"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        store = store_of(interaction.client)
        record = await in_thread(store.answer, self.key)
        if record is None:
            await interaction.response.send_message(GONE, ephemeral=True, allowed_mentions=NONE)
            return
        if record["asker"] != store.user_hash(interaction.user.id):
            await interaction.response.send_message(NOT_ASKER, ephemeral=True, allowed_mentions=NONE)
            return
        shown = interaction.client.config.retrieval.top_k  # type: ignore[attr-defined]
        embed, view = more_page(self.key, record, shown, self.page)
        message = interaction.message
        if message is not None and message.flags.ephemeral:  # ◀ / ▶ on the private page: turn it
            await interaction.response.edit_message(embed=embed, view=view, allowed_mentions=NONE)
        else:
            await interaction.response.send_message(embed=embed, view=view, ephemeral=True, allowed_mentions=NONE)


def more_page(key: str, record: dict, shown: int, page: int) -> tuple[discord.Embed, discord.ui.View]:
    """The embed of page ``page`` of an answer's further quotes (after the ``shown`` first), and its ◀ / ▶."""
    quotes = [quote_from_record(q) for q in record["quotes"]]
    pages = max(1, -(-(len(quotes) - shown) // PAGE))
    page = min(max(0, page), pages - 1)
    start = shown + page * PAGE
    chunk = quotes[start:start + PAGE]
    if chunk:
        span = f"{start + 1}–{start + len(chunk)}" if len(chunk) > 1 else f"{start + 1}"
        title = shorten(f"More sources: quotes {span} of {len(quotes)}", 256)
        text = render_quotes(chunk, 4000)
    else:
        title, text = "More sources", "No further quotes for this answer."
    embed = discord.Embed(title=title, description=text, colour=COLOUR)
    embed.set_footer(text=shorten(f"Lower-ranked quotes for: {record['question']}", 2048))
    view = discord.ui.View(timeout=None)
    if page > 0:
        view.add_item(MoreButton(key, page - 1, label="◀ Previous"))
    if page < pages - 1:
        view.add_item(MoreButton(key, page + 1, label="Next ▶"))
    return embed, view


def answer_view(key: str | int, answer: Answer, shown: int) -> discord.ui.View:
    """The buttons for an answer recorded under ``key``: 👍 👎, "More sources" when it has more quotes than the
    ``shown`` ones, and a link to the first quoted article when it has a web address."""
    key = str(key)
    view = discord.ui.View(timeout=None)
    view.add_item(VoteButton(key, UP))
    view.add_item(VoteButton(key, DOWN))
    if answer.found and len(answer.quotes) > shown:
        view.add_item(MoreButton(key, 0))
    first = answer.quotes[0].article if answer.found and answer.quotes else None
    url = link_target(first.url) if first is not None else None
    if first is not None and url is not None:
        view.add_item(discord.ui.Button(label=shorten(f"Read: {first.title}", LINK_LABEL), url=url))
    return view


async def record_answer(client: discord.Client, key: int, answer: Answer | None, asker_id: int, *,
                        guild_id: int | None, channel_id: int | None, via: str) -> discord.ui.View | None:
    """Record an answered question (for /report and the buttons) and return its buttons; None for no answer (an
    error), a greeting or help, or when recording failed (logged: the answer is still sent, without buttons)."""
    if answer is None or answer.content_free:
        return None
    try:
        await in_thread(store_of(client).record, key, answer, asker_id, guild_id=guild_id, channel_id=channel_id,
                        via=via)
    except Exception:  # noqa: BLE001 - feedback is a bonus: never lose the answer over it
        log.exception("could not record answer %s", key)
        return None
    return answer_view(key, answer, client.config.retrieval.top_k)  # type: ignore[attr-defined]


BUTTONS = (VoteButton, MoreButton)

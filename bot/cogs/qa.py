"""Questions and answers: @mentions, replies to the bot's answers, questions in answer channels, and /ask."""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import AsyncIterator

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_app import CitebotBot
from bot.embeds import answer_embed, error_embed
from retrieval.errors import CitebotError

log = logging.getLogger("citebot.qa")

NONE = discord.AllowedMentions.none()
HELP = (
    "Ask me about the indexed news articles and I will quote them word for word, e.g. "
    "`@{name} Who is the British ambassador to Ukraine?` or `/ask`. `/sources` lists the articles."
)
FAILED = "Sorry, something went wrong while answering; the error has been logged."
ANSWERABLE = (discord.MessageType.default, discord.MessageType.reply)


def looks_like_question(text: str) -> bool:
    """In answer channels only questions are answered; chatter (no question mark) is left alone."""
    text = text.strip()
    return text.endswith("?") and len(text.split()) >= 2


def strip_mentions(text: str, ids: set[int]) -> str:
    """``text`` without mentions of the given user or role ids."""
    for mention_id in ids:
        text = re.sub(rf"<@[!&]?{mention_id}>", " ", text)
    return " ".join(text.split())


@contextlib.asynccontextmanager
async def typing(channel: discord.abc.Messageable) -> AsyncIterator[None]:
    """Show 'citebot is typing…' while working; a failure to show it never stops the answer."""
    indicator = channel.typing()
    try:
        await indicator.__aenter__()
    except discord.HTTPException as exc:
        log.debug("no typing indicator: %s", exc)
        yield
        return
    try:
        yield
    finally:
        await indicator.__aexit__(None, None, None)


class QA(commands.Cog):
    """Answers questions with verbatim, attributed quotes."""

    def __init__(self, bot: CitebotBot) -> None:
        self.bot = bot

    # -- messages -------------------------------------------------------------------------------------------

    def question_in(self, message: discord.Message) -> str | None:
        """The question a message asks the bot, or None when the message is not for the bot."""
        me = self.bot.user
        if me is None or message.author.bot or message.webhook_id is not None or message.type not in ANSWERABLE:
            return None
        own_ids = {me.id}
        role = message.guild.self_role if message.guild else None
        if role is not None:
            own_ids.add(role.id)
        mentioned = any(u.id == me.id for u in message.mentions) or any(r.id in own_ids for r in message.role_mentions)
        replied = message.reference.resolved if message.reference else None
        reply_to_me = isinstance(replied, discord.Message) and replied.author.id == me.id
        question = strip_mentions(message.content, own_ids)
        if mentioned or reply_to_me or message.guild is None:
            return question
        channel = message.channel
        channel_ids = {channel.id, getattr(channel, "parent_id", None)}
        if channel_ids.isdisjoint(self.bot.config.discord.answer_channel_ids):
            return None
        talking_to_someone = bool(message.mentions) or isinstance(replied, discord.Message)
        return question if looks_like_question(question) and not talking_to_someone else None

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        question = self.question_in(message)
        if question is None:
            return
        if not question:
            embed = discord.Embed(description=HELP.format(name=self.bot.user.name if self.bot.user else "citebot"))
        else:
            async with typing(message.channel):
                embed = await self.embed_for(question)
        reference = message.to_reference(fail_if_not_exists=False)
        try:
            try:
                await message.channel.send(
                    embed=embed, reference=reference, mention_author=False, allowed_mentions=NONE
                )
            except discord.Forbidden:  # replying needs Read Message History: answer without the reply link
                await message.channel.send(embed=embed, allowed_mentions=NONE)
        except discord.HTTPException as exc:
            log.warning("could not answer in #%s: %s", getattr(message.channel, "name", message.channel.id), exc)

    async def embed_for(self, question: str) -> discord.Embed:
        """The answer embed, or an error embed the asker can act on."""
        try:
            return answer_embed(await self.bot.answer(question))
        except CitebotError as exc:
            return error_embed(str(exc))
        except Exception:  # noqa: BLE001 - never leave a question unanswered
            log.exception("answering %r failed", question)
            return error_embed(FAILED)

    # -- /ask -----------------------------------------------------------------------------------------------

    @app_commands.command(name="ask", description="Answer a question with word-for-word quotes from the articles")
    @app_commands.describe(question="What you want to know", private="Only you see the answer (default: no)")
    async def ask(self, interaction: discord.Interaction, question: str, private: bool = False) -> None:
        await interaction.response.defer(ephemeral=private, thinking=True)  # first: Discord allows 3 s
        embed = await self.embed_for(question)
        try:
            await interaction.edit_original_response(embed=embed, allowed_mentions=NONE)
        except discord.HTTPException as exc:
            log.warning("could not deliver the /ask answer: %s", exc)


async def setup(bot: CitebotBot) -> None:
    await bot.add_cog(QA(bot))

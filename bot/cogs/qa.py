"""Questions and answers: @mentions, replies to the bot's answers, questions in answer channels, and /ask."""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import AsyncIterator

import discord
from discord import app_commands
from discord.ext import commands

from bot.conversations import FILE_NAME, ConversationStore
from bot.discord_app import CitebotBot, in_thread
from bot.embeds import answer_embed, error_embed, shorten
from retrieval.conversation import turn_from_answer
from retrieval.errors import CitebotError
from retrieval.models import Answer
from retrieval.timefilter import TimeWindow

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
        self.memory = ConversationStore(bot.config.data_dir / FILE_NAME,
                                        max_age_s=bot.config.discord.conversation_hours * 3600)

    async def cog_unload(self) -> None:
        self.memory.close()

    def in_bot_thread(self, message: discord.Message) -> bool:
        """Whether the message was posted in a thread the bot started (its messages continue that conversation)."""
        me = self.bot.user
        return me is not None and isinstance(message.channel, discord.Thread) and message.channel.owner_id == me.id

    def continues(self, message: discord.Message) -> int | None:
        """The bot answer this message follows up on: the answer it replies to, else (in a thread the bot started)
        the thread's latest answer; None for a new conversation. No Discord call: replies carry the message."""
        me = self.bot.user
        replied = message.reference.resolved if message.reference else None
        if isinstance(replied, discord.Message):
            return replied.id if me is not None and replied.author.id == me.id else None
        if self.in_bot_thread(message):
            return self.memory.thread_answer(message.channel.id) or None
        return None

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
        if mentioned or reply_to_me or message.guild is None or self.in_bot_thread(message):
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
        answer: Answer | None = None
        previous = self.continues(message)
        if not question:
            embed = discord.Embed(description=HELP.format(name=self.bot.user.name if self.bot.user else "citebot"))
        else:
            async with typing(message.channel):
                embed, answer = await self.answer_for(question, previous)
        channel = await self.answer_channel(message, question) if answer is not None else message.channel
        reference = message.to_reference(fail_if_not_exists=False)
        sent = None
        try:
            try:
                if channel is not message.channel:
                    sent = await channel.send(embed=embed, allowed_mentions=NONE)
                else:
                    sent = await channel.send(embed=embed, reference=reference, mention_author=False,
                                              allowed_mentions=NONE)
            except discord.Forbidden:  # replying needs Read Message History: answer without the reply link
                sent = await channel.send(embed=embed, allowed_mentions=NONE)
        except discord.HTTPException as exc:
            log.warning("could not answer in #%s: %s", getattr(message.channel, "name", message.channel.id), exc)
        if sent is not None and answer is not None:
            thread = channel.id if isinstance(channel, discord.Thread) else None
            await self.remember(sent.id, answer, previous, thread)

    async def answer_channel(self, message: discord.Message, question: str) -> discord.abc.Messageable:
        """Where the answer goes: the question's channel, or with ``answer_in_threads`` a new thread from it."""
        if not self.bot.config.discord.answer_in_threads or message.guild is None:
            return message.channel
        if isinstance(message.channel, discord.Thread):
            return message.channel
        try:
            return await message.create_thread(name=shorten(question, 100) or "Question", auto_archive_duration=1440)
        except discord.HTTPException as exc:
            log.warning("could not start a thread for the answer: %s", exc)
            return message.channel

    async def remember(self, message_id: int, answer: Answer, previous: int | None, thread: int | None) -> None:
        """Store the answer's question and quotes, linked to the answer it followed up on (if it did)."""
        link = previous if answer.follows_up is not None else None
        try:
            await in_thread(self.memory.remember, message_id, turn_from_answer(answer), link, thread)
        except Exception:  # noqa: BLE001 - a lost memory only loses the context of a later follow-up
            log.exception("could not remember answer %s", message_id)

    async def answer_for(self, question: str, previous: int | None = None,
                         window: TimeWindow | None = None) -> tuple[discord.Embed, Answer | None]:
        """The answer embed (with the answer), or an error embed the asker can act on (and None)."""
        try:
            history = await in_thread(self.memory.history, previous) if previous is not None else []
            answer = await self.bot.answer(question, history=history, window=window, today=self.bot.config.today())
            return answer_embed(answer), answer
        except CitebotError as exc:
            return error_embed(str(exc)), None
        except Exception:  # noqa: BLE001 - never leave a question unanswered
            log.exception("answering %r failed", question)
            return error_embed(FAILED), None

    async def embed_for(self, question: str) -> discord.Embed:
        """The answer embed, or an error embed the asker can act on."""
        return (await self.answer_for(question))[0]

    # -- /ask -----------------------------------------------------------------------------------------------

    @app_commands.command(name="ask", description="Answer a question with word-for-word quotes from the articles")
    @app_commands.describe(
        question="What you want to know",
        private="Only you see the answer (default: no)",
        since="Only articles published on or after this day: YYYY-MM-DD, or days/weeks back (7d, 2w)",
        until="Only articles published on or before this day: YYYY-MM-DD, or days/weeks back (7d, 2w)",
    )
    async def ask(self, interaction: discord.Interaction, question: str, private: bool = False,
                  since: str | None = None, until: str | None = None) -> None:
        try:
            window = TimeWindow.parse(since, until, self.bot.config.today())
        except CitebotError as exc:  # a bad date: say so at once, privately
            await interaction.response.send_message(str(exc), ephemeral=True, allowed_mentions=NONE)
            return
        await interaction.response.defer(ephemeral=private, thinking=True)  # first: Discord allows 3 s
        embed, answer = await self.answer_for(question, window=window)
        try:
            sent = await interaction.edit_original_response(embed=embed, allowed_mentions=NONE)
        except discord.HTTPException as exc:
            log.warning("could not deliver the /ask answer: %s", exc)
            return
        if answer is not None and not private:
            await self.remember(sent.id, answer, None, None)


async def setup(bot: CitebotBot) -> None:
    await bot.add_cog(QA(bot))

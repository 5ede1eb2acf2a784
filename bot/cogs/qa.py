"""Questions and answers: @mentions, replies to the bot's answers, questions in answer channels, and /ask."""

from __future__ import annotations

import asyncio
import logging
import re
import time

import discord
from discord import app_commands
from discord.ext import commands

from bot import catchup, delivery
from bot.batching import Batcher
from bot.conversations import FILE_NAME, ConversationStore
from bot.discord_app import QUEUE_WAIT, CitebotBot, in_thread
from bot.embeds import answer_embed, error_embed
from bot.feedback_buttons import MORE_QUOTES, first_quotes, record_answer
from bot.observability import log_answered
from retrieval.errors import CitebotError
from retrieval.models import Answer
from retrieval.query.conversation import turn_from_answer
from retrieval.query.timefilter import TimeWindow

log = logging.getLogger("citebot.qa")

NONE = discord.AllowedMentions.none()
HELP = (
    "Ask me about the indexed news articles and I will quote them word for word, e.g. "
    "`@{name} Who is the British ambassador to Ukraine?` or `/ask`. `/sources` lists the articles."
)
FAILED = "Sorry, something went wrong while answering; the error has been logged."
REFUSED_COLOUR = discord.Colour(0xF59E0B)
THREAD_NAME_CHARS = 100  # Discord's limit for a thread name
THREAD_ARCHIVE_MINUTES = 1440  # an answer thread archives itself after a day without messages
SETTLE_TIMEOUT_S = 10.0  # how long a follow-up waits for earlier answers in its channel to be sent and remembered
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


class QA(commands.Cog):
    """Answers questions with verbatim, attributed quotes."""

    def __init__(self, bot: CitebotBot) -> None:
        self.bot = bot
        self.memory = ConversationStore(bot.config.data_dir / FILE_NAME,
                                        max_age_s=bot.config.discord.conversation_hours * 3600)
        self.unsettled: dict[int, set[asyncio.Event]] = {}  # per channel: answers not yet sent and remembered
        self.handled = catchup.Handled()  # questions taken on by this process (live or caught up)
        self.last_seen: dict[int, int] = {}  # per channel: the newest message id seen
        self.catching_up = asyncio.Lock()
        # every reply to a question message: alone as before, or with others waiting for the same channel's send
        self.batcher = Batcher(bot.pacer, bot.stats, bot.config.limits.delivery_deadline_s)

    async def earlier_answers_settled(self, channel_id: int) -> None:
        """Wait (bounded) until every answer already under way in the channel is sent and remembered, so a quick
        reply to one of them finds its conversation."""
        events = list(self.unsettled.get(channel_id, ()))
        if events:
            await asyncio.wait([asyncio.create_task(e.wait()) for e in events], timeout=SETTLE_TIMEOUT_S)

    async def cog_unload(self) -> None:
        self.memory.close()

    def in_bot_thread(self, message: discord.Message) -> bool:
        """Whether the message was posted in a thread the bot started (its messages continue that conversation)."""
        me = self.bot.user
        return me is not None and isinstance(message.channel, discord.Thread) and message.channel.owner_id == me.id

    async def continues(self, message: discord.Message) -> int | None:
        """The bot answer this message follows up on: the answer it replies to, else (in a thread the bot started)
        the thread's latest answer; None for a new conversation. No Discord call: replies carry the message."""
        me = self.bot.user
        replied = message.reference.resolved if message.reference else None
        if isinstance(replied, discord.Message):
            return replied.id if me is not None and replied.author.id == me.id else None
        if self.in_bot_thread(message):
            return await in_thread(self.memory.thread_answer, message.channel.id) or None  # SQLite: off the loop
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
        server = getattr(self.bot, "server_settings", None)  # a server's own /settings, else the config's
        answer_channels = self.bot.config.discord.answer_channel_ids
        if channel_ids.isdisjoint(server.answer_channels(message.guild.id, answer_channels) if server else
                                  answer_channels):
            return None
        talking_to_someone = bool(message.mentions) or isinstance(replied, discord.Message)
        return question if looks_like_question(question) and not talking_to_someone else None

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        channel_id = message.channel.id
        self.last_seen[channel_id] = max(self.last_seen.get(channel_id, 0), message.id)
        question = self.question_in(message)
        if question is None or not self.handled.claim(message.id):
            return
        await self.answer_message(message, question)

    # -- questions asked while the bot was away ---------------------------------------------------------

    @commands.Cog.listener()
    async def on_shard_ready(self, shard_id: int) -> None:
        """A new gateway session on a shard (start-up, or after an invalidated one; not a resume, which replays
        what was missed): answer the questions asked while the bot was away in that shard's channels."""
        try:
            late = await self.unanswered_questions(shard_id)
        except Exception:  # noqa: BLE001 - a failed catch-up must not stop live answering
            log.exception("reading the questions asked while away failed")
            return
        await asyncio.gather(*(self.answer_message(message, question) for message, question in late))

    async def watched_channels(self, shard_id: int | None = None) -> list[discord.abc.Messageable]:
        """The answer channels and the recent conversation threads the bot can see (those whose events come on
        shard ``shard_id`` when given: a DM's on shard 0)."""
        ids = list(self.bot.config.discord.answer_channel_ids)
        ids += await in_thread(self.memory.recent_threads, catchup.THREAD_HOURS * 3600, catchup.MAX_THREADS)
        channels = [self.bot.get_channel(cid) for cid in dict.fromkeys(ids)]
        return [c for c in channels if isinstance(c, discord.abc.Messageable)
                and (shard_id is None or getattr(getattr(c, "guild", None), "shard_id", 0) == shard_id)]

    async def unanswered_questions(self, shard_id: int | None = None) -> list[tuple[discord.Message, str]]:
        """Questions in the watched channels (of shard ``shard_id`` when given) since the last message seen
        (bounded: catchup.WINDOW_S and MAX_MESSAGES a channel) that no bot message answered and this process has
        not taken on, claimed."""
        me = self.bot.user
        if me is None:
            return []
        late: list[tuple[discord.Message, str]] = []
        read = 0
        async with self.catching_up:
            for channel in await self.watched_channels(shard_id):
                after = catchup.since_id(self.last_seen.get(channel.id))
                try:
                    messages = await catchup.recent_messages(channel, after)
                except discord.HTTPException as exc:  # no Read Message History, Discord down: live answering goes on
                    log.warning("cannot read the recent messages of channel %s: %s", channel.id, exc)
                    continue
                read += 1
                if messages:
                    self.last_seen[channel.id] = max(self.last_seen.get(channel.id, 0), messages[-1].id)
                done = catchup.replied_to(messages, me.id)
                for message in messages:
                    question = None if message.id in done else self.question_in(message)
                    if question is not None and self.handled.claim(message.id):
                        late.append((message, question))
        log.info("new session: read %d channel(s), %d question(s) asked while away to answer (shard %s)",
                 read, len(late), "all" if shard_id is None else shard_id)
        return late

    def help_embed(self) -> discord.Embed:
        return discord.Embed(description=HELP.format(name=self.bot.user.name if self.bot.user else "citebot"))

    async def answer_message(self, message: discord.Message, question: str) -> None:
        """Exactly one reply to ``message``: the answer, the help text, or a short refusal (flood control)."""
        bot, received = self.bot, time.monotonic()
        server = message.guild.id if message.guild is not None else None
        refusal = bot.flood.admit(message.author.id, message.channel.id, question, message.id, server)
        if refusal is not None:
            await self.refuse(refusal, lambda embed: self.batcher.reply(message, embed))
            return
        if not question:  # a bare mention: the help text (greetings and "help" get it from the answer)
            bot.flood.done(server=server)
            await self.batcher.reply(message, self.help_embed())
            return
        if self.in_bot_thread(message):  # the thread's first answer may still be on its way to the memory
            await self.earlier_answers_settled(message.channel.id)
        previous = await self.continues(message)
        if previous is not None:
            await self.earlier_answers_settled(message.channel.id)
        settled = asyncio.Event()
        channels = [message.channel.id]  # deliver_answer adds the thread it starts
        self.unsettled.setdefault(message.channel.id, set()).add(settled)
        try:
            await self.deliver_answer(message, question, previous, received, settled, channels)
        finally:
            settled.set()
            for channel_id in channels:
                pending = self.unsettled.get(channel_id, set())
                pending.discard(settled)
                if not pending:
                    self.unsettled.pop(channel_id, None)

    async def deliver_answer(self, message: discord.Message, question: str, previous: int | None,
                             received: float, settled: asyncio.Event, channels: list[int]) -> None:
        """Answer ``message`` (a follow-up of ``previous`` when set), send the reply and remember it. A thread
        started for the answer is marked as having ``settled`` under way (its id added to ``channels``)."""
        bot, limits = self.bot, self.bot.config.limits
        bot.typing_indicators.start(message.channel)  # one per channel, until its last answer is sent
        try:
            guild_id = message.guild.id if message.guild is not None else None
            began, took = time.monotonic(), None
            try:
                embed, answer, wait, full = await self.embed_for(question, previous, guild_id=guild_id)
                took = max(0.0, time.monotonic() - began - wait)  # the answer's own time, for the flood gate's estimate
            finally:
                bot.flood.done(took, guild_id)
            view = await record_answer(bot, message.id, full, message.author.id, guild_id=guild_id,
                                       channel_id=message.channel.id, via="message")
            started = None
            if self.wants_thread(message, previous, answer):
                started = await self.open_thread(message, question)
                if started is not None:
                    self.unsettled.setdefault(started.id, set()).add(settled)
                    channels.append(started.id)
            together = False  # sent in one message with other replies: no conversation continues from it
            if started is not None:
                sent = await delivery.reply(message, embed=embed, stats=bot.stats, pacer=bot.pacer,
                                            deadline_s=limits.delivery_deadline_s, channel=started, view=view)
            else:
                sent, together = await self.batcher.reply(message, embed, view)
        finally:
            bot.typing_indicators.stop(message.channel)
        if sent is not None:
            bot.flood.delivered(message.author.id, question, sent.jump_url)
            if answer is not None and not answer.content_free and not together:  # a greeting or help: none either
                thread = started.id if started is not None else (
                    message.channel.id if self.in_bot_thread(message) else None)
                await self.remember(sent.id, answer, previous, thread)
        self.answered(message.id, "message", message.author.id, received, wait, answer, sent is not None)

    def wants_thread(self, message: discord.Message, previous: int | None, answer: Answer | None) -> bool:
        """Whether to answer in a new thread on ``message``: ``answer_in_threads`` is on, the question starts a
        conversation (not a reply to an answer), it was answered (not a greeting, help or error) and it was asked
        in a server text channel (not already in a thread, not in a DM)."""
        return (self.bot.config.discord.answer_in_threads and previous is None and answer is not None
                and not answer.content_free and isinstance(message.channel, discord.TextChannel))

    async def open_thread(self, message: discord.Message, question: str) -> discord.Thread | None:
        """A public thread started on the question message and named after it, marked as the bot's (its messages
        continue the conversation); None, logged, when Discord refuses (the answer then goes to the channel)."""
        name = question if len(question) <= THREAD_NAME_CHARS else question[: THREAD_NAME_CHARS - 1] + "…"
        try:
            thread = await message.create_thread(name=name, auto_archive_duration=THREAD_ARCHIVE_MINUTES)
        except discord.HTTPException as exc:  # no permission, a thread already there, Discord down
            log.warning("could not start a thread on question %s: %s", message.id, exc)
            return None
        try:
            await in_thread(self.memory.start_thread, thread.id)
        except Exception:  # noqa: BLE001 - the thread still gets its answer, which marks it too
            log.exception("could not remember thread %s", thread.id)
        return thread

    async def remember(self, message_id: int, answer: Answer, previous: int | None, thread: int | None) -> None:
        """Store the answer's question and quotes, linked to the answer it replied to: a change of subject stays in
        the conversation, newest (the same rule as ``retrieval.query.conversation.extend``)."""
        try:
            await in_thread(self.memory.remember, message_id, turn_from_answer(answer), previous, thread)
        except Exception:  # noqa: BLE001 - a lost memory only loses the context of a later follow-up
            log.exception("could not remember answer %s", message_id)

    async def refuse(self, refusal, send) -> None:
        """Send a refusal (rate limit, busy, a repeated question) as the question's one reply."""
        self.bot.stats.refused[refusal.kind] += 1
        log.info("refused a question (%s): %s", refusal.kind, refusal.text)
        await send(discord.Embed(description=refusal.text, colour=REFUSED_COLOUR))

    def answered(self, qid: int, via: str, user_id: int, received: float, wait: float, answer, delivered: bool) -> None:
        """Count and log one answered question."""
        latency = time.monotonic() - received
        self.bot.stats.answered += 1
        if delivered:
            self.bot.stats.latencies.append(latency)
        top = max((q.score for q in answer.quotes), default=None) if answer is not None else None
        log_answered(
            question_id=qid,
            via=via,
            user_id=user_id,
            latency_s=latency,
            queue_wait_s=wait,
            found=answer.found if answer is not None else None,
            top_score=top,
            delivered=delivered,
        )

    async def embed_for(self, question: str, previous: int | None = None, window: TimeWindow | None = None,
                        guild_id: int | None = None) -> tuple[discord.Embed, Answer | None, float, Answer | None]:
        """The answer embed (or an error embed the asker can act on), the answer as shown, the seconds it waited
        for an answer slot, and the answer with the further quotes "More sources" pages through. ``previous``: the
        bot answer it follows up on; ``window``: since/until; ``guild_id``: the server asked in (None: a DM)."""
        answer = full = None
        try:
            history = await in_thread(self.memory.history, previous) if previous is not None else []
            today = self.bot.config.today()
            full = await self.bot.answer(question, MORE_QUOTES, history=history, window=window, today=today,
                                         guild_id=guild_id)
            answer = first_quotes(full, self.bot.config.retrieval.top_k, today)
            embed = self.help_embed() if answer.content_free else answer_embed(answer)
        except CitebotError as exc:
            embed = error_embed(str(exc))
        except Exception:  # noqa: BLE001 - never leave a question unanswered
            log.exception("answering %r failed", question)
            self.bot.stats.error(f"answering failed: {question[:80]!r}")
            embed = error_embed(FAILED)
        return embed, answer, QUEUE_WAIT.get(), full

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
        bot, received = self.bot, time.monotonic()
        try:
            window = TimeWindow.parse(since, until, bot.config.today())
        except CitebotError as exc:  # a bad date: say so at once, privately (the one acknowledgement)
            await interaction.response.send_message(str(exc), ephemeral=True, allowed_mentions=NONE)
            return
        # First: Discord allows 3 s. Retried quickly on 5xx/429; never acknowledged late.
        if not await delivery.acknowledge(interaction, stats=bot.stats, ephemeral=private):
            return
        limits = bot.config.limits

        async def edit(embed: discord.Embed, view: discord.ui.View | None = None) -> discord.Message | None:
            buttons = {"view": view} if view is not None else {}
            return await delivery.edit_original(
                interaction, embed=embed, stats=bot.stats, pacer=bot.pacer, deadline_s=limits.delivery_deadline_s,
                **buttons,
            )

        channel_id = interaction.channel_id or 0
        refusal = bot.flood.admit(interaction.user.id, channel_id, question, interaction.id, interaction.guild_id)
        if refusal is not None:
            await self.refuse(refusal, edit)
            return
        began, took = time.monotonic(), None
        try:
            embed, answer, wait, full = await self.embed_for(question, window=window, guild_id=interaction.guild_id)
            took = max(0.0, time.monotonic() - began - wait)  # the answer's own time, not its wait for a slot
        finally:
            bot.flood.done(took, interaction.guild_id)
        view = await record_answer(bot, interaction.id, full, interaction.user.id, guild_id=interaction.guild_id,
                                   channel_id=interaction.channel_id, via="/ask")
        sent = await edit(embed, view)
        if sent is not None and not private:
            bot.flood.delivered(interaction.user.id, question, sent.jump_url)
            if answer is not None and not answer.content_free:  # a greeting or help starts no conversation
                await self.remember(sent.id, answer, None, None)
        self.answered(interaction.id, "/ask", interaction.user.id, received, wait, answer, sent is not None)


async def setup(bot: CitebotBot) -> None:
    await bot.add_cog(QA(bot))

"""Questions asked while the bot was away: what to read after a new gateway session, and which got no reply.

Discord does not replay messages sent while a client was disconnected (or after its session was invalidated), so
on every new session the Q&A cog reads each watched channel's recent messages (bounded by :data:`WINDOW_S` and
:data:`MAX_MESSAGES`) and answers the questions among them that nobody answered. The bot's own messages are the
record: a question that a bot message replies to (or links from an embed's author line, as replies sent together
in one message do: bot.batching), or that has a thread the bot started on it, is skipped, which
makes the catch-up exactly-once across reconnects and restarts without any state of its own.
"""

from __future__ import annotations

import re
import time
from collections import OrderedDict
from collections.abc import Iterable
from datetime import UTC, datetime

import discord

WINDOW_S = 15 * 60.0  # questions older than this are not answered late
MAX_MESSAGES = 100  # messages read per channel (the newest; one request)
MAX_THREADS = 20  # recent conversation threads read, newest first
THREAD_HOURS = 24.0  # a conversation thread answered within this is still watched
REMEMBERED = 2000  # ids of questions handled by this process, kept to ignore a late second copy
QUESTION_LINK = re.compile(r"/channels/(?:\d+|@me)/\d+/(\d+)$")  # a message's jump URL


def since_id(last_seen: int | None, now: float | None = None) -> int:
    """The snowflake to read after: the last message seen in the channel, but no older than WINDOW_S."""
    oldest = discord.utils.time_snowflake(datetime.fromtimestamp((now or time.time()) - WINDOW_S, tz=UTC))
    return max(oldest, last_seen or 0)


def replied_to(messages: Iterable[discord.Message], me_id: int) -> set[int]:
    """Ids of messages the bot already answered: referenced by a bot message or linked from its embeds' author
    lines (replies sent together), or with a thread the bot started."""
    done: set[int] = set()
    for message in messages:
        if message.author.id == me_id and message.reference is not None and message.reference.message_id:
            done.add(message.reference.message_id)
        if message.author.id == me_id:
            for embed in message.embeds:
                link = QUESTION_LINK.search(embed.author.url or "") if embed.author else None
                if link:
                    done.add(int(link.group(1)))
        thread = message.thread
        if thread is not None and thread.owner_id == me_id:
            done.add(message.id)
    return done


async def recent_messages(channel: discord.abc.Messageable, after: int) -> list[discord.Message]:
    """The channel's newest MAX_MESSAGES messages after snowflake ``after``, oldest first (one request)."""
    found = [m async for m in channel.history(limit=MAX_MESSAGES, after=discord.Object(after), oldest_first=False)]
    return found[::-1]


class Handled:
    """Ids of questions this process has taken on (answered or under way), bounded, oldest forgotten first."""

    def __init__(self, size: int = REMEMBERED) -> None:
        self.size = size
        self.ids: OrderedDict[int, None] = OrderedDict()

    def claim(self, message_id: int) -> bool:
        """True the first time ``message_id`` is claimed, False after (it is being, or was, answered)."""
        if message_id in self.ids:
            return False
        self.ids[message_id] = None
        while len(self.ids) > self.size:
            self.ids.popitem(last=False)
        return True

"""A light stand-in for ``discord.Interaction`` in the cogs' unit tests: who runs the command (user, roles,
permissions, guild) and what the cog replied. Only for the cog's own decisions (refusals, bad options); the full
path of a command through Discord is tested against the emulator in tests/e2e."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import discord

from bot.config import Config, DataSettings, DiscordSettings
from bot.discord_app import CitebotBot
from retrieval.library import Library

GUILD = 4242
ADMIN_ROLE = 77
OPERATOR = 9001


@dataclass
class Member:
    """A server member: an id and role ids (``discord.Object``s, as ``is_admin`` reads ``role.id``)."""

    id: int = 1001
    role_ids: tuple[int, ...] = ()
    name: str = "alice"

    @property
    def roles(self) -> list[discord.Object]:
        return [discord.Object(r) for r in self.role_ids]

    @property
    def mention(self) -> str:
        return f"<@{self.id}>"

    def __str__(self) -> str:
        return self.name


@dataclass
class Channel:
    """A text channel option (``channel:#name``)."""

    id: int = 555
    name: str = "news"

    @property
    def mention(self) -> str:
        return f"<#{self.id}>"


@dataclass
class Response:
    """``interaction.response``: records what the cog sent."""

    sent: list[dict[str, Any]] = field(default_factory=list)
    deferred: bool = False

    async def send_message(self, content: str | None = None, **options: Any) -> None:
        self.sent.append({"content": content, **options})

    async def defer(self, **options: Any) -> None:
        self.deferred = True

    def is_done(self) -> bool:
        return self.deferred or bool(self.sent)


@dataclass
class Interaction:
    """Who ran the command, where, and with which permissions; ``response`` records the replies."""

    user: Member = field(default_factory=Member)
    guild_id: int | None = GUILD
    channel_id: int | None = 555
    id: int = 31337
    command: Any = None
    permissions: discord.Permissions = field(default_factory=discord.Permissions.none)
    response: Response = field(default_factory=Response)
    edits: list[dict[str, Any]] = field(default_factory=list)

    async def edit_original_response(self, **changes: Any) -> None:
        self.edits.append(changes)

    @property
    def replies(self) -> list[str]:
        """The text of every message sent (not edits)."""
        return [m["content"] for m in self.response.sent]

    def only_reply(self) -> dict[str, Any]:
        """The one message the cog sent; it must be private and mention no one."""
        (message,) = self.response.sent
        assert message.get("ephemeral") is True
        mentions = message.get("allowed_mentions")
        assert mentions is not None and mentions.to_dict() == discord.AllowedMentions.none().to_dict()
        return message


def member() -> Interaction:
    """A member without admin rights."""
    return Interaction()


def manager() -> Interaction:
    """A member with the Manage Server permission."""
    return Interaction(user=Member(1002, name="manager"), permissions=discord.Permissions(manage_guild=True))


def moderator() -> Interaction:
    """A member with the configured admin role."""
    return Interaction(user=Member(1003, (ADMIN_ROLE,), name="mod"))


def settings() -> DiscordSettings:
    return DiscordSettings(admin_role_ids=[ADMIN_ROLE], admin_user_ids=[OPERATOR], guild_ids=[GUILD])


def make_bot(library: Library, data_dir: Path | None = None) -> CitebotBot:
    """A real, unconnected bot over ``library`` (the admin role and operator id configured, no cogs loaded); its
    cogs keep their own files (conversations, digests, follows) in ``data_dir`` (default: the library's folder)."""
    data_dir = data_dir or library.data_dir
    config = Config(data=DataSettings(dir=str(data_dir)), discord=settings(), base_dir=data_dir.parent)
    return CitebotBot(config, library, extensions=())

"""/settings (a server's admins): that server's answer channels, admin roles and announce channel, kept in the data
folder (bot/server_settings.py); the config's ``[discord]`` values are the defaults. Also the servers' comings and
goings: a server the bot is removed from keeps its articles ``[servers] keep_days``, then they are deleted; with
``[discord] allowed_guild_ids`` the bot says once why it leaves any other server, and leaves."""

from __future__ import annotations

import asyncio
import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.background import every
from bot.checks import REFUSAL, is_admin
from bot.clock import clock_from_env
from bot.discord_app import CitebotBot, in_thread
from bot.embeds import COLOUR, error_embed
from bot.server_settings import ServerSettings, ServerSettingsStore, parse_ids
from bot.servers import purge_departed
from retrieval.errors import CitebotError

NONE = discord.AllowedMentions.none()
log = logging.getLogger("citebot.servers")
PURGE_CHECK_SECONDS = 15.0  # how often servers left more than keep_days ago are looked for
NOT_ALLOWED = ("This bot only serves the servers its operator chose, so it is leaving this one. (Its operator can "
               "add this server to `[discord] allowed_guild_ids`.)")


def channel_list(ids, default: list[int]) -> str:
    shown = " ".join(f"<#{i}>" for i in (default if ids is None else ids)) or "none"
    return f"{shown} (the bot's default)" if ids is None else shown


def settings_embed(current: ServerSettings, config) -> discord.Embed:
    """What a server's settings are now, defaults marked."""
    embed = discord.Embed(title="Settings of this server", colour=COLOUR)
    embed.add_field(name="Answer channels", value=channel_list(current.answer_channel_ids,
                                                               config.discord.answer_channel_ids), inline=False)
    roles = " ".join(f"<@&{r}>" for r in current.admin_role_ids) or "none (Manage Server only)"
    embed.add_field(name="Admin roles", value=roles, inline=False)
    announce = current.announce_channel_id
    default = config.discord.announce_channel_id
    text = (f"<#{default}> (the bot's default)" if default else "none (the bot's default)") if announce is None else (
        f"<#{announce}>" if announce else "none")
    embed.add_field(name="Announce channel", value=text, inline=False)
    return embed


class Settings(commands.Cog):
    """/settings."""

    def __init__(self, bot: CitebotBot) -> None:
        self.bot = bot
        self.store: ServerSettingsStore | None = None
        self.clock = getattr(bot, "clock", None) or clock_from_env()
        self.purger: asyncio.Task | None = None

    async def cog_load(self) -> None:
        folder = self.bot.config.data_dir
        try:
            self.store = await in_thread(ServerSettingsStore.in_folder, folder)
        except Exception as exc:  # noqa: BLE001 - say which file, in one line
            raise CitebotError(f"cannot open the servers' settings in {folder}: {exc}") from exc
        self.bot.server_settings = self.store  # read by bot/checks.py (admin roles) and the Q&A cog (answer channels)
        self.purger = asyncio.ensure_future(self.purge_forever())

    async def cog_unload(self) -> None:
        if self.purger is not None:
            self.purger.cancel()
        if self.store is not None:
            self.store.close()

    # -- joining and leaving -----------------------------------------------------------------------------------
    def allowed(self, guild_id: int) -> bool:
        allowed = self.bot.config.discord.allowed_guild_ids
        return not allowed or guild_id in allowed

    async def leave_if_not_allowed(self, guild: discord.Guild) -> bool:
        """Say once why, then leave a server that ``allowed_guild_ids`` does not list; True when it left."""
        if self.allowed(guild.id):
            return False
        channel = guild.system_channel or next((c for c in guild.text_channels
                                                if c.permissions_for(guild.me).send_messages), None)
        try:
            if channel is not None:
                await channel.send(NOT_ALLOWED, allowed_mentions=NONE)
            await guild.leave()
            log.info("left server %s (%s): not in discord.allowed_guild_ids", guild.id, guild.name)
        except discord.HTTPException as exc:
            log.warning("could not leave server %s: %s", guild.id, exc)
        return True

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        for guild in list(self.bot.guilds):
            if not await self.leave_if_not_allowed(guild):
                await in_thread(self.store.returned, guild.id)

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        if not await self.leave_if_not_allowed(guild):
            await in_thread(self.store.returned, guild.id)
            log.info("joined server %s (%s)", guild.id, guild.name)

    @commands.Cog.listener()
    async def on_guild_remove(self, guild: discord.Guild) -> None:
        await in_thread(self.store.left, guild.id, self.clock.now().timestamp())
        log.info("removed from server %s: its articles are kept %d day(s)", guild.id,
                 self.bot.config.servers.keep_days)

    async def purge_forever(self) -> None:
        """Delete the articles of servers left more than keep_days ago (checked every PURGE_CHECK_SECONDS)."""
        await every(self.bot, PURGE_CHECK_SECONDS, self.purge_now, log, "purging departed servers")

    async def purge_now(self) -> None:
        """Delete the articles of servers left more than keep_days ago, now."""
        library = await self.bot.library_ready()
        done = await in_thread(purge_departed, self.bot.config, library, self.store, self.clock.now().timestamp())
        for guild_id, deleted in done.items():
            log.info("server %s left over %d day(s) ago: its collection is gone (%d article(s) deleted)",
                     guild_id, self.bot.config.servers.keep_days, deleted)

    @app_commands.command(name="settings", description="This server's answer channels, admin roles and announce "
                                                       "channel (admins)")
    @app_commands.describe(
        answer_channels="Channels answered without a mention: #channels or ids; none; default (the bot's)",
        admin_roles="Roles allowed to /add, /remove, /reindex, /settings here: @roles or ids; none",
        announce_channel="Where new articles are announced: a #channel or id; none; default (the bot's)",
    )
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.guild_only()
    async def settings(self, interaction: discord.Interaction, answer_channels: str | None = None,
                       admin_roles: str | None = None, announce_channel: str | None = None) -> None:
        if interaction.guild_id is None or not is_admin(interaction, self.bot.config.discord):
            await interaction.response.send_message(REFUSAL, ephemeral=True, allowed_mentions=NONE)
            return
        try:
            changes = self.changes(interaction.guild, answer_channels, admin_roles, announce_channel)
        except CitebotError as exc:
            await interaction.response.send_message(embed=error_embed(str(exc)), ephemeral=True,
                                                    allowed_mentions=NONE)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        if changes:
            current = await in_thread(self.store.update, interaction.guild_id, **changes)
        else:
            current = self.store.get(interaction.guild_id)
        await interaction.edit_original_response(embed=settings_embed(current, self.bot.config), allowed_mentions=NONE)

    @staticmethod
    def changes(guild: discord.Guild | None, answer_channels: str | None, admin_roles: str | None,
                announce_channel: str | None) -> dict:
        """The settings to change, each checked against the server (a channel or role of another server, or
        unknown, is refused by name)."""

        def channels(ids) -> None:
            for cid in ids or ():
                if guild is not None and guild.get_channel(cid) is None:
                    raise CitebotError(f"<#{cid}> ({cid}) is not a channel of this server")

        changes: dict = {}
        if answer_channels is not None:
            ids = parse_ids(answer_channels, "channel")
            channels(ids)
            changes["answer_channel_ids"] = ids
        if admin_roles is not None:
            ids = parse_ids(admin_roles, "role") or ()
            for rid in ids:
                if guild is not None and guild.get_role(rid) is None:
                    raise CitebotError(f"role {rid} is not a role of this server")
            changes["admin_role_ids"] = ids
        if announce_channel is not None:
            ids = parse_ids(announce_channel, "channel")
            if ids is not None and len(ids) > 1:
                raise CitebotError("give one announce channel (or none)")
            channels(ids)
            changes["announce_channel_id"] = None if ids is None else (ids[0] if ids else 0)
        return changes


async def setup(bot: CitebotBot) -> None:
    await bot.add_cog(Settings(bot))

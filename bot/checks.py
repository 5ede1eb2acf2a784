"""Who may run admin commands: Manage Server permission, or a role or user id listed in config."""

from __future__ import annotations

import discord

from bot.config import DiscordSettings

REFUSAL = (
    "Only admins can do this: you need the Manage Server permission, or a role or user listed in "
    "`discord.admin_role_ids` / `discord.admin_user_ids` of the bot's config, or an admin role set with /settings."
)


def is_admin(interaction: discord.Interaction, settings: DiscordSettings) -> bool:
    """Checked at run time on every admin command: Discord's ``default_permissions`` are only a default
    that server admins can override, so the bot cannot rely on them."""
    user = interaction.user
    if user.id in settings.admin_user_ids:
        return True
    permissions = interaction.permissions
    if interaction.guild_id is not None and (permissions.manage_guild or permissions.administrator):
        return True
    role_ids = {role.id for role in getattr(user, "roles", [])}
    server = getattr(getattr(interaction, "client", None), "server_settings", None)  # roles its /settings named
    own = server.admin_roles(interaction.guild_id) if server is not None and interaction.guild_id else set()
    return not role_ids.isdisjoint(set(settings.admin_role_ids) | own)

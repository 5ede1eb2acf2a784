"""Who may run admin commands: the Manage Server (or Administrator) permission in a server, a configured admin
role, or a configured operator id; nobody else."""

from __future__ import annotations

import discord

from bot.checks import REFUSAL, is_admin
from tests.bot.cogs.interactions import ADMIN_ROLE, OPERATOR, Interaction, Member, settings


def test_manage_server_or_administrator_in_a_server_is_enough() -> None:
    assert is_admin(Interaction(permissions=discord.Permissions(manage_guild=True)), settings())
    assert is_admin(Interaction(permissions=discord.Permissions(administrator=True)), settings())
    # a DM's permissions are not a server's
    assert not is_admin(Interaction(guild_id=None, permissions=discord.Permissions(manage_guild=True)), settings())


def test_a_configured_role_or_operator_id_is_enough() -> None:
    assert is_admin(Interaction(user=Member(5, (3, ADMIN_ROLE))), settings())
    assert is_admin(Interaction(user=Member(OPERATOR), guild_id=None), settings())  # operators: anywhere


def test_everyone_else_is_refused_with_what_would_let_them() -> None:
    assert not is_admin(Interaction(user=Member(5, (3, 4))), settings())
    assert not is_admin(Interaction(permissions=discord.Permissions(manage_messages=True, kick_members=True)),
                        settings())
    assert "Manage Server" in REFUSAL and "discord.admin_role_ids" in REFUSAL and "discord.admin_user_ids" in REFUSAL

"""Which collection a Discord request reads and writes: the server it came from decides.

- A *home* server (``[servers] home_guild_ids``, default ``[discord] guild_ids``) works on the operator's config
  collection exactly as a single-server bot always did: its admins' /add, /remove and /reindex change it.
- Every other server has its own articles (memberships in the shared store, retrieval/tenants.py) and sees the
  config collection's articles too, read-only, when ``[servers] share_config_articles`` (the default). Its admins
  change only its own articles.
- Direct messages read the collection ``[servers] dm_guild_id`` names (0: the config collection), or are refused
  with one line when ``answer_dms = false``.
"""

from __future__ import annotations

from dataclasses import replace

from bot.config import Config
from retrieval.errors import CitebotError
from retrieval.server_view import ServerView
from retrieval.tenants import Tenant, drop_server, own_count

DM_REFUSED = "I don't answer direct messages here: ask in a server channel where I am."


def home_guild_ids(config: Config) -> set[int]:
    """The servers that manage the operator's config collection."""
    return set(config.servers.home_guild_ids or config.discord.guild_ids)


def tenant_for(config: Config, guild_id: int | None) -> Tenant:
    """The collection a request from ``guild_id`` (None: a direct message) uses; ``CitebotError`` for a refused DM."""
    share = config.servers.share_config_articles
    if guild_id is None:
        if not config.servers.answer_dms:
            raise CitebotError(DM_REFUSED)
        dm = config.servers.dm_guild_id
        return Tenant(None) if not dm or dm in home_guild_ids(config) else Tenant(dm, share)
    if guild_id in home_guild_ids(config):
        return Tenant(None)
    return Tenant(int(guild_id), share)


def server_view(config: Config, library, guild_id: int | None) -> ServerView:
    """``library`` as the server ``guild_id`` sees it (limits from ``[servers]``)."""
    return ServerView(library, tenant_for(config, guild_id), config.servers.max_articles)


def is_home(config: Config, guild_id: int | None) -> bool:
    """Whether requests from ``guild_id`` work on the config collection (a home server or, for DMs, config)."""
    try:
        return tenant_for(config, guild_id).server is None
    except CitebotError:
        return False


def visible_to(config: Config, library, guild_ids: set[int | None]) -> dict[int | None, frozenset[str]]:
    """(Worker thread.) The articles each of ``guild_ids`` sees (a refused DM sees none): alerts go only to the
    servers that hold the new article."""
    out: dict[int | None, frozenset[str]] = {}
    for guild_id in guild_ids:
        try:
            out[guild_id] = server_view(config, library, guild_id).keys()
        except CitebotError:
            out[guild_id] = frozenset()
    return out


def purge_departed(config: Config, library, store, now: float) -> dict[int, int]:
    """(Worker thread.) The servers the bot left more than ``[servers] keep_days`` before ``now``: their articles
    (those no other server nor the config holds), feeds and settings deleted. Returns server -> articles deleted."""
    done = {}
    from retrieval.sources.subscriptions import forget_server

    for guild_id in store.departed_before(now - config.servers.keep_days * 86_400):
        forget_server(library.data_dir, guild_id)  # its feeds first: no poll brings its articles back
        done[guild_id] = drop_server(library.indexer, guild_id)
        store.forget(guild_id)
    return done


def within_limit(config: Config, store, server: int | None, spec):
    """(Worker thread.) A server's feed ``spec`` reading no more entries than the server has room for under
    ``[servers] max_articles`` (None when it has none left); the operator's feeds (``server`` None) unchanged."""
    limit = config.servers.max_articles
    if server is None or limit <= 0:
        return spec
    room = limit - own_count(store, Tenant(server))
    if room <= 0:
        return None
    return replace(spec, max_items=min(spec.max_items or room, room))

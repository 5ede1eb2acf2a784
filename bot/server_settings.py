"""Each server's own settings, set by its admins with /settings: answer channels, admin roles, announce channel.

Stored in ``servers.sqlite3`` in the data folder (one row per server; ``SqliteFile``: WAL, full fsync, so a setting
acknowledged is a setting kept across a crash); config (``[discord]``) gives the defaults. Reads come from a copy in
memory (the event loop asks for them without waiting on the disk); writes go to the file first, then to the copy.
The servers the bot was removed from, and when, are kept there too.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace

from retrieval.errors import CitebotError
from retrieval.sqlite_file import SqliteFile

SETTINGS_FILE = "servers.sqlite3"
SCHEMA = """
CREATE TABLE IF NOT EXISTS settings (
    guild_id INTEGER PRIMARY KEY,
    answer_channel_ids TEXT,          -- JSON list; NULL: config's discord.answer_channel_ids
    admin_role_ids TEXT NOT NULL DEFAULT '[]',  -- JSON list, besides Manage Server and config's roles
    announce_channel_id INTEGER       -- NULL: config's discord.announce_channel_id; 0: none
);
CREATE TABLE IF NOT EXISTS departures (
    guild_id INTEGER PRIMARY KEY,
    left_at REAL NOT NULL             -- when the bot was removed from the server (its articles go keep_days later)
);
"""
_ID = re.compile(r"^<?[#@]?&?(\d{5,20})>?$")
CLEAR = ("none", "off", "-")
DEFAULT = ("default", "reset")


@dataclass(frozen=True)
class ServerSettings:
    """One server's settings; None: the config's default."""

    answer_channel_ids: tuple[int, ...] | None = None
    admin_role_ids: tuple[int, ...] = field(default_factory=tuple)
    announce_channel_id: int | None = None


def parse_ids(text: str, what: str) -> tuple[int, ...] | None:
    """'<#1> <#2>', '1, 2', 'none' -> ids ('none': empty; 'default': None); ``CitebotError`` naming a bad item."""
    words = [w for w in re.split(r"[\s,]+", (text or "").strip()) if w]
    if len(words) == 1 and words[0].lower() in DEFAULT:
        return None
    if len(words) == 1 and words[0].lower() in CLEAR:
        return ()
    ids = []
    for word in words:
        match = _ID.match(word)
        if not match:
            raise CitebotError(f"“{word}” is not a {what}: mention it (#channel, @role) or give its id; "
                               "“none” clears the list, “default” goes back to the bot's config")
        ids.append(int(match.group(1)))
    return tuple(dict.fromkeys(ids))


class ServerSettingsStore(SqliteFile):
    """The settings of every server, in ``data_dir/servers.sqlite3`` (``ServerSettingsStore.in_folder``); read into
    memory when opened."""

    FILE = SETTINGS_FILE
    SCHEMA = SCHEMA

    def opened(self) -> None:
        rows = self.conn.execute("SELECT guild_id, answer_channel_ids, admin_role_ids, announce_channel_id "
                                 "FROM settings").fetchall()
        self._cache: dict[int, ServerSettings] = {
            int(g): ServerSettings(None if a is None else tuple(json.loads(a)), tuple(json.loads(r or "[]")), n)
            for g, a, r, n in rows}

    def get(self, guild_id: int | None) -> ServerSettings:
        """A server's settings from memory (defaults when never set)."""
        return self._cache.get(int(guild_id), ServerSettings()) if guild_id is not None else ServerSettings()

    def update(self, guild_id: int, **changes) -> ServerSettings:
        """(Worker thread.) Change some of a server's settings; written and synced before it is returned."""
        with self.lock, self.conn:
            current = replace(self.get(guild_id), **changes)
            answer = None if current.answer_channel_ids is None else json.dumps(list(current.answer_channel_ids))
            self.conn.execute(
                "INSERT INTO settings VALUES (?, ?, ?, ?) ON CONFLICT(guild_id) DO UPDATE SET "
                "answer_channel_ids = excluded.answer_channel_ids, admin_role_ids = excluded.admin_role_ids, "
                "announce_channel_id = excluded.announce_channel_id",
                (int(guild_id), answer, json.dumps(list(current.admin_role_ids)), current.announce_channel_id))
            self._cache = {**self._cache, int(guild_id): current}
            return current

    def answer_channels(self, guild_id: int | None, default: list[int]) -> set[int]:
        """The channels where a server's questions are answered without a mention."""
        own = self.get(guild_id).answer_channel_ids
        return set(default if own is None else own)

    def admin_roles(self, guild_id: int | None) -> set[int]:
        """The roles a server's admins named as admins too."""
        return set(self.get(guild_id).admin_role_ids)

    def announce_channel(self, guild_id: int | None, default: int) -> int:
        """Where a server's announcements go (0: nowhere)."""
        own = self.get(guild_id).announce_channel_id
        return default if own is None else own

    # -- servers the bot left ------------------------------------------------------------------------------------
    def left(self, guild_id: int, at: float) -> None:
        """(Worker thread.) The bot was removed from ``guild_id`` at ``at`` (the first removal counts)."""
        with self.lock, self.conn:
            self.conn.execute("INSERT OR IGNORE INTO departures VALUES (?, ?)", (int(guild_id), at))

    def returned(self, guild_id: int) -> None:
        """(Worker thread.) The bot is in ``guild_id`` again: its articles are kept."""
        with self.lock, self.conn:
            self.conn.execute("DELETE FROM departures WHERE guild_id = ?", (int(guild_id),))

    def departed_before(self, cutoff: float) -> list[int]:
        """(Worker thread.) Servers the bot left before ``cutoff``."""
        with self.lock:
            rows = self.conn.execute("SELECT guild_id FROM departures WHERE left_at < ?", (cutoff,)).fetchall()
        return [int(r[0]) for r in rows]

    def forget(self, guild_id: int) -> None:
        """(Worker thread.) A departed server's settings and departure, once its articles are gone."""
        with self.lock, self.conn:
            self.conn.execute("DELETE FROM departures WHERE guild_id = ?", (int(guild_id),))
            self.conn.execute("DELETE FROM settings WHERE guild_id = ?", (int(guild_id),))
            self._cache = {g: v for g, v in self._cache.items() if g != int(guild_id)}

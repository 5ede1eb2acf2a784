"""One validated configuration object, loaded once from TOML (plus DISCORD_TOKEN from the environment)."""

from __future__ import annotations

import math
import os
import re
import tomllib
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from pathlib import Path
from types import UnionType
from typing import Any, Union, get_args, get_origin, get_type_hints
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from retrieval.errors import CitebotError
from retrieval.index.vectors.settings import KINDS as INDEX_KINDS
from retrieval.index.vectors.settings import IndexSettings
from retrieval.settings import RetrievalSettings, SplitterSettings, SummarySettings
from retrieval.sources.spec import SOURCE_KINDS, FetchSettings, SourceSpec

DEFAULT_CONFIG_FILE = "config.toml"


class ConfigError(CitebotError):
    """The configuration file is malformed; the message names the key at fault."""


@dataclass
class DataSettings:
    dir: str = "data"


@dataclass
class ArticleSettings:
    folders: list[str] = field(default_factory=lambda: ["samples/articles"])


@dataclass
class ModelSettings:
    name: str = "all-MiniLM-L6-v2"
    batch_size: int = 32
    query_runtime: str = "onnx"  # questions through ONNX Runtime ("onnx", exported once) or torch ("torch")


@dataclass
class PerformanceSettings:
    """Thread counts (see config.example.toml [performance])."""

    query_threads: int = 1  # threads one question uses (ONNX Runtime, FAISS search)
    index_threads: int = 0  # threads passage embedding uses while indexing (torch); 0 = automatic


@dataclass
class DiscordSettings:
    token: str = ""
    guild_ids: list[int] = field(default_factory=list)
    answer_channel_ids: list[int] = field(default_factory=list)
    admin_role_ids: list[int] = field(default_factory=list)
    admin_user_ids: list[int] = field(default_factory=list)
    announce_channel_id: int = 0  # where new feed articles are announced (0 = nowhere)
    timezone: str = "UTC"  # what "today" is for since:/until: and time questions
    conversation_hours: float = 168.0  # how long replies to an answer still continue its conversation
    answer_in_threads: bool = False  # answer each new question in a thread started on it (follow-ups go there)
    heartbeat_timeout_s: float = 15.0  # nothing from the gateway for this long (probed at a third): a zombie, resume
    allowed_guild_ids: list[int] = field(default_factory=list)  # non-empty: the bot leaves every other server


@dataclass
class ServersSettings:
    """One bot, several servers (see README "One bot for several communities" and bot/servers.py)."""

    home_guild_ids: list[int] = field(default_factory=list)  # servers that manage the config collection (default:
    # discord.guild_ids); every other server has its own articles
    share_config_articles: bool = True  # other servers also see (read-only) the config collection's articles
    max_articles: int = 0  # articles one (non-home) server may add; 0 = no limit
    max_sources: int = 0  # feeds one (non-home) server may follow (/subscribe); 0 = no limit
    answer_dms: bool = True  # answer direct messages (from the collection below); false: refuse them
    dm_guild_id: int = 0  # the server whose collection answers DMs; 0 = the config collection
    keep_days: int = 30  # a server the bot was removed from keeps its articles this long, then they are deleted


@dataclass
class LimitsSettings:
    """Flood control for Discord questions (see config.example.toml [limits])."""

    user_questions: int = 5  # questions one person may ask per user_window_s
    user_window_s: float = 60.0
    channel_questions: int = 20  # questions answered per channel per channel_window_s
    channel_window_s: float = 60.0
    queue_size: int = 0  # questions of one server waiting for or in an answer slot; 0: sized from delivery
    duplicate_window_s: float = 30.0  # the same question again from the same person within this: a pointer
    delivery_deadline_s: float = 300.0  # how long a reply is retried through Discord outages before it is lost


@dataclass
class DigestSettings:
    """Daily digests (/digest) and topic alerts (/follow); see config.example.toml [digest]."""

    timezone: str = ""  # the servers' time zone for digest times ("": discord.timezone)
    stories: int = 5  # main stories per digest
    check_seconds: float = 30.0  # how often the bot looks for digests that are due
    alerts_per_hour: int = 10  # topic alerts one follower gets per hour at most (the rest are dropped, logged)


@dataclass
class LoggingSettings:
    """Log levels."""

    level: str = "INFO"  # citebot's own loggers: DEBUG, INFO, WARNING or ERROR
    discord_level: str = "INFO"  # discord.py's loggers


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
LEVELS_TEXT = "one of " + ", ".join(LOG_LEVELS)


@dataclass
class Config:
    """Every setting of citebot; see config.example.toml for what each key does."""

    data: DataSettings = field(default_factory=DataSettings)
    articles: ArticleSettings = field(default_factory=ArticleSettings)
    model: ModelSettings = field(default_factory=ModelSettings)
    retrieval: RetrievalSettings = field(default_factory=RetrievalSettings)
    index: IndexSettings = field(default_factory=IndexSettings)
    splitter: SplitterSettings = field(default_factory=SplitterSettings)
    summary: SummarySettings = field(default_factory=SummarySettings)
    discord: DiscordSettings = field(default_factory=DiscordSettings)
    limits: LimitsSettings = field(default_factory=LimitsSettings)
    servers: ServersSettings = field(default_factory=ServersSettings)
    logging: LoggingSettings = field(default_factory=LoggingSettings)
    digest: DigestSettings = field(default_factory=DigestSettings)
    performance: PerformanceSettings = field(default_factory=PerformanceSettings)
    fetch: FetchSettings = field(default_factory=FetchSettings)
    source_list: list[SourceSpec] = field(default_factory=list)  # the [[sources]] tables, validated
    base_dir: Path = field(default_factory=Path.cwd)

    @property
    def sources(self) -> list[SourceSpec]:
        """Every source: the ``[articles] folders`` as folder sources, then the ``[[sources]]`` tables.
        Folder locations are absolute paths."""
        folders = [SourceSpec("folder", str(self.resolve(p)), name=p) for p in self.articles.folders]
        return folders + self.source_list

    @property
    def data_dir(self) -> Path:
        return self.resolve(self.data.dir)

    @property
    def article_folders(self) -> list[Path]:
        """The folders of every folder source."""
        return [Path(s.location) for s in self.sources if s.kind == "folder"]

    def today(self) -> date:
        """Today's date in ``discord.timezone`` (what "today", ``since: 1d`` and ages are counted from)."""
        return datetime.now(ZoneInfo(self.discord.timezone)).date()

    def resolve(self, path: str) -> Path:
        """A path from config, relative to the config file's folder."""
        p = Path(path).expanduser()
        return p if p.is_absolute() else self.base_dir / p


def _check_value(key: str, value: Any, kind: Any) -> Any:
    origin = get_origin(kind)
    if origin in (Union, UnionType) and type(None) in get_args(kind):  # optional: TOML has no null, so the type
        (kind,) = [k for k in get_args(kind) if k is not type(None)]
        origin = get_origin(kind)
    if origin is list:
        (item,) = get_args(kind)
        if not isinstance(value, list):
            raise ConfigError(f"config key {key!r} must be a list, got {type(value).__name__}")
        return [_check_value(f"{key}[{i}]", v, item) for i, v in enumerate(value)]
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if kind is float and isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"config key {key!r} must be a finite number, got {value!r}")
    if kind is int and isinstance(value, str) and value.isdigit():
        return int(value)  # Discord ids are often written as strings
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ConfigError(f"config key {key!r} must be {kind.__name__}, got {type(value).__name__} {value!r}")
    return value


def _build_section(name: str, cls: type, raw: Any) -> Any:
    if not isinstance(raw, dict):
        raise ConfigError(f"config key {name!r} must be a table ([{name}])")
    hints = get_type_hints(cls)
    known = {f.name for f in fields(cls)}
    for key in raw:
        if key not in known:
            raise ConfigError(f"unknown config key '{name}.{key}' (known: {', '.join(sorted(known))})")
    values = {key: _check_value(f"{name}.{key}", value, hints[key]) for key, value in raw.items()}
    return cls(**values)


SOURCE_KEYS = {"kind", "location", "name", "poll_minutes", "max_items", "keep_days"}


def _build_sources(raw: Any, config_dir: Path) -> list[SourceSpec]:
    """``[[sources]]`` tables to ``SourceSpec``s; errors name the source (numbered from 1) and the key."""
    if not isinstance(raw, list) or not all(isinstance(t, dict) for t in raw):
        raise ConfigError("config key 'sources' must be an array of tables ([[sources]])")
    specs: list[SourceSpec] = []
    seen: dict[str, int] = {}
    for n, table in enumerate(raw, 1):
        where = f"sources[{n}]"

        def fail(key: str, problem: str, table=table, where=where) -> ConfigError:
            label = table.get("name") or table.get("location")
            named = f" ({label})" if isinstance(label, str) and label else ""
            return ConfigError(f"config key '{where}.{key}'{named}: {problem}")

        for key in table:
            if key not in SOURCE_KEYS:
                raise fail(key, f"unknown key (known: {', '.join(sorted(SOURCE_KEYS))})")
        kind = table.get("kind")
        if kind not in SOURCE_KINDS:
            raise fail("kind", f"must be one of {', '.join(SOURCE_KINDS)}" + ("" if kind else " (missing)"))
        location = table.get("location")
        if not isinstance(location, str) or not location.strip():
            raise fail("location", "must be a non-empty string (a folder path or an http(s) URL)")
        location = location.strip()
        if kind == "folder":
            path = Path(location).expanduser()
            location = str(path if path.is_absolute() else config_dir / path)
        elif not re.match(r"^https?://[^/\s]+", location, re.IGNORECASE):
            raise fail("location", f"a {kind} source needs an http(s) URL, got {location!r}")
        values: dict[str, Any] = {}
        for key, minimum in (("poll_minutes", 1), ("max_items", 0), ("keep_days", 0)):
            if key in table:
                value = table[key]
                if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
                    raise fail(key, f"must be a whole number of at least {minimum}, got {value!r}")
                values[key] = value
        name = table.get("name", "")
        if not isinstance(name, str):
            raise fail("name", f"must be a string, got {type(name).__name__}")
        if location in seen:
            raise fail("location", f"the same as sources[{seen[location]}]")
        seen[location] = n
        specs.append(SourceSpec(kind, location, name.strip(), **values))
    return specs


def _validate(config: Config) -> None:
    r = config.retrieval
    checks = [
        ("retrieval.top_k", 1 <= r.top_k <= 10, "between 1 and 10"),
        ("retrieval.bm25_weight", r.bm25_weight is None or 0.0 <= r.bm25_weight <= 1.0, "between 0 and 1"),
        ("retrieval.sentence_weight", r.sentence_weight is None or 0.0 <= r.sentence_weight <= 1.0,
         "between 0 and 1"),
        ("retrieval.article_weight", 0.0 <= r.article_weight <= 1.0, "between 0 and 1"),
        ("retrieval.rerank_depth", r.rerank_depth >= r.top_k, "at least retrieval.top_k"),
        ("retrieval.max_question_chars", r.max_question_chars >= 10, "at least 10"),
        ("retrieval.candidates", r.candidates >= r.top_k, "at least retrieval.top_k"),
        ("retrieval.recency_weight", 0.0 <= r.recency_weight <= 1.0, "between 0 and 1"),
        ("discord.conversation_hours", config.discord.conversation_hours > 0, "more than 0"),
        ("retrieval.min_score", r.min_score is None or 0.0 <= r.min_score <= 1.0, "between 0 and 1"),
        ("retrieval.max_question_chars", r.max_question_chars <= 100_000, "at most 100000"),
        ("retrieval.candidates", r.candidates <= 10_000, "at most 10000"),
        ("retrieval.rerank_depth", r.rerank_depth <= r.candidates * 2, "at most twice retrieval.candidates"),
        ("summary.sentences", 1 <= config.summary.sentences <= 10, "between 1 and 10"),
        ("splitter.max_paragraph_chars", config.splitter.max_paragraph_chars >= 200, "at least 200"),
        ("splitter.subheading_max_words", 0 <= config.splitter.subheading_max_words <= 100, "between 0 and 100"),
        ("model.batch_size", 1 <= config.model.batch_size <= 4096, "between 1 and 4096"),
        ("model.name", bool(config.model.name.strip()), "a model name or folder, not empty"),
        ("model.query_runtime", config.model.query_runtime in ("onnx", "torch"), '"onnx" or "torch"'),
        ("performance.query_threads", 1 <= config.performance.query_threads <= 256, "between 1 and 256"),
        ("performance.index_threads", 0 <= config.performance.index_threads <= 256,
         "between 0 (automatic) and 256"),
        ("data.dir", bool(config.data.dir.strip()), "a folder, not empty"),
        ("logging.level", config.logging.level.upper() in LOG_LEVELS, LEVELS_TEXT),
        ("logging.discord_level", config.logging.discord_level.upper() in LOG_LEVELS, LEVELS_TEXT),
        ("fetch.contact", bool(config.fetch.contact.strip()), "a URL or e-mail address where site owners reach you"),
        ("fetch.connect_timeout", config.fetch.connect_timeout > 0, "more than 0 seconds"),
        ("fetch.read_timeout", config.fetch.read_timeout > 0, "more than 0 seconds"),
        ("fetch.total_timeout", config.fetch.total_timeout > 0, "more than 0 seconds"),
        ("fetch.max_bytes", config.fetch.max_bytes >= 10_000, "at least 10000"),
        ("fetch.max_redirects", 0 <= config.fetch.max_redirects <= 20, "between 0 and 20"),
        ("fetch.host_delay", config.fetch.host_delay >= 1.0, "at least 1 second (one request per second per host)"),
        ("fetch.retries", 0 <= config.fetch.retries <= 5, "between 0 and 5"),
        ("fetch.backoff", config.fetch.backoff >= 0, "at least 0"),
        ("fetch.max_retry_after", config.fetch.max_retry_after >= 0, "at least 0"),
    ]
    ix = config.index
    checks += [
        ("index.kind", ix.kind in INDEX_KINDS, "one of " + ", ".join(f'"{k}"' for k in INDEX_KINDS)),
        ("index.approximate_above", ix.approximate_above >= 0, "at least 0"),
        ("index.hnsw_m", 4 <= ix.hnsw_m <= 128, "between 4 and 128"),
        ("index.hnsw_ef_construction", ix.hnsw_m <= ix.hnsw_ef_construction <= 4096,
         "between index.hnsw_m and 4096"),
        ("index.hnsw_ef_search", 1 <= ix.hnsw_ef_search <= 4096, "between 1 and 4096"),
        ("index.exact_below", ix.exact_below >= 0, "at least 0"),
        ("index.milvus_uri", not ix.milvus_uri or bool(re.match(r"^(https?|tcp|grpc|unix)://\S+$", ix.milvus_uri)),
         'empty (a milvus-lite file in the data folder) or a server address such as "http://localhost:19530"'),
        ("index.milvus_collection", bool(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,254}", ix.milvus_collection)),
         "a Milvus collection name (letters, digits and underscores, not starting with a digit)"),
    ]
    lim = config.limits
    for key in ("user_questions", "channel_questions"):
        checks.append((f"limits.{key}", 1 <= getattr(lim, key) <= 100_000, "between 1 and 100000"))
    checks.append(("limits.queue_size", 0 <= lim.queue_size <= 100_000,
                   "0 (sized from what Discord lets a channel be sent in a minute) or between 1 and 100000"))
    for key in ("user_window_s", "channel_window_s", "duplicate_window_s"):
        checks.append((f"limits.{key}", 0.0 <= getattr(lim, key) <= 86_400, "between 0 and 86400 seconds"))
    checks.append(("discord.heartbeat_timeout_s", 2.0 <= config.discord.heartbeat_timeout_s <= 600,
                   "between 2 and 600 seconds"))
    dg = config.digest
    checks += [
        ("digest.stories", 1 <= dg.stories <= 10, "between 1 and 10"),
        ("digest.check_seconds", 0.1 <= dg.check_seconds <= 3600, "between 0.1 and 3600 seconds"),
        ("digest.alerts_per_hour", 1 <= dg.alerts_per_hour <= 3600, "between 1 and 3600"),
    ]
    checks.append(("limits.delivery_deadline_s", 5.0 <= lim.delivery_deadline_s <= 840, "between 5 and 840 seconds"))
    for name in ("guild_ids", "answer_channel_ids", "admin_role_ids", "admin_user_ids", "allowed_guild_ids"):
        for i, value in enumerate(getattr(config.discord, name)):
            checks.append((f"discord.{name}[{i}]", 0 < value < 2**64, "a Discord id (a positive 64-bit number)"))
    sv = config.servers
    checks += [(f"servers.home_guild_ids[{i}]", 0 < v < 2**64, "a Discord id (a positive 64-bit number)")
               for i, v in enumerate(sv.home_guild_ids)]
    checks += [("servers.max_articles", sv.max_articles >= 0, "at least 0 (0: no limit)"),
               ("servers.max_sources", sv.max_sources >= 0, "at least 0 (0: no limit)"),
               ("servers.dm_guild_id", 0 <= sv.dm_guild_id < 2**64, "0 (the config collection) or a Discord id"),
               ("servers.keep_days", sv.keep_days >= 0, "at least 0 (0: deleted at the next check)")]
    for i, folder in enumerate(config.articles.folders):
        checks.append((f"articles.folders[{i}]", bool(folder.strip()), "a file or folder, not empty"))
    for key, ok, what in checks:
        if not ok:
            raise ConfigError(f"config key {key!r} must be {what}")
    try:
        ZoneInfo(config.discord.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"config key 'discord.timezone' must be an IANA time zone such as \"UTC\" or \"Europe/Paris\", "
            f"got {config.discord.timezone!r}"
        ) from None
    if config.digest.timezone:
        try:
            ZoneInfo(config.digest.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"config key 'digest.timezone' must be an IANA time zone such as \"UTC\" or "
                              f"\"Europe/Paris\" (or empty: discord.timezone), got {config.digest.timezone!r}"
                              ) from None
    for name in ("caption_patterns", "boilerplate_patterns"):
        for i, pattern in enumerate(getattr(config.splitter, name)):
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ConfigError(
                    f"config key 'splitter.{name}[{i}]' is not a valid regular expression ({exc}): {pattern!r}"
                ) from None


def load_config(path: str | Path | None = None) -> Config:
    """Load and validate config from ``path`` (default ./config.toml if present, else defaults)."""
    explicit = path is not None
    path = Path(path or os.environ.get("CITEBOT_CONFIG") or DEFAULT_CONFIG_FILE)
    raw: dict[str, Any] = {}
    if path.exists() and not path.is_file():
        raise ConfigError(f"config file {path} is not a regular file: pass a .toml file with --config")
    if path.exists():
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except UnicodeDecodeError as exc:
            raise ConfigError(
                f"config file {path} is not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset {exc.start}): "
                "save it as UTF-8"
            ) from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc
        except OSError as exc:
            raise ConfigError(f"cannot read config file {path}: {exc}") from exc
    elif explicit or os.environ.get("CITEBOT_CONFIG"):
        raise ConfigError(f"config file {path} does not exist (copy config.example.toml to start)")
    sections = {f.name: f.type for f in fields(Config) if f.name not in ("base_dir", "source_list")}
    hints = get_type_hints(Config)
    values: dict[str, Any] = {}
    base_dir = path.resolve().parent if path.exists() else Path.cwd()
    for key, value in raw.items():
        if key == "sources":
            values["source_list"] = _build_sources(value, base_dir)
            continue
        if key not in sections:
            known = ", ".join(sorted([*sections, "sources"]))
            raise ConfigError(f"unknown config table [{key}] (known: {known})")
        values[key] = _build_section(key, hints[key], value)
    if "sources" in raw and "folders" not in raw.get("articles", {}):  # [[sources]] given: no default folder
        values.setdefault("articles", ArticleSettings()).folders = []
    config = Config(**values, base_dir=base_dir)
    token = os.environ.get("DISCORD_TOKEN", "").strip()
    if token:
        config.discord.token = token
    _validate(config)
    return config

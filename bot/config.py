"""One validated configuration object, loaded once from TOML (plus DISCORD_TOKEN from the environment)."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from pathlib import Path
from typing import Any, get_args, get_origin, get_type_hints
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from retrieval.errors import CitebotError
from retrieval.settings import RetrievalSettings, SplitterSettings, SummarySettings

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


@dataclass
class DiscordSettings:
    token: str = ""
    guild_ids: list[int] = field(default_factory=list)
    answer_channel_ids: list[int] = field(default_factory=list)
    admin_role_ids: list[int] = field(default_factory=list)
    admin_user_ids: list[int] = field(default_factory=list)
    timezone: str = "UTC"  # what "today" is for since:/until: and time questions
    answer_in_threads: bool = False  # answer each new question in a thread of its own
    conversation_hours: float = 168.0  # how long replies to an answer still continue its conversation


@dataclass
class Config:
    """Every setting of citebot; see config.example.toml for what each key does."""

    data: DataSettings = field(default_factory=DataSettings)
    articles: ArticleSettings = field(default_factory=ArticleSettings)
    model: ModelSettings = field(default_factory=ModelSettings)
    retrieval: RetrievalSettings = field(default_factory=RetrievalSettings)
    splitter: SplitterSettings = field(default_factory=SplitterSettings)
    summary: SummarySettings = field(default_factory=SummarySettings)
    discord: DiscordSettings = field(default_factory=DiscordSettings)
    base_dir: Path = field(default_factory=Path.cwd)

    @property
    def data_dir(self) -> Path:
        return self.resolve(self.data.dir)

    @property
    def article_folders(self) -> list[Path]:
        return [self.resolve(p) for p in self.articles.folders]

    def today(self) -> date:
        """Today's date in ``discord.timezone`` (what "today", ``since: 1d`` and ages are counted from)."""
        return datetime.now(ZoneInfo(self.discord.timezone)).date()

    def resolve(self, path: str) -> Path:
        """A path from config, relative to the config file's folder."""
        p = Path(path).expanduser()
        return p if p.is_absolute() else self.base_dir / p


def _check_value(key: str, value: Any, kind: Any) -> Any:
    origin = get_origin(kind)
    if origin is list:
        (item,) = get_args(kind)
        if not isinstance(value, list):
            raise ConfigError(f"config key {key!r} must be a list, got {type(value).__name__}")
        return [_check_value(f"{key}[{i}]", v, item) for i, v in enumerate(value)]
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
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


def _validate(config: Config) -> None:
    r = config.retrieval
    checks = [
        ("retrieval.top_k", 1 <= r.top_k <= 10, "between 1 and 10"),
        ("retrieval.bm25_weight", 0.0 <= r.bm25_weight <= 1.0, "between 0 and 1"),
        ("retrieval.sentence_weight", 0.0 <= r.sentence_weight <= 1.0, "between 0 and 1"),
        ("retrieval.article_weight", 0.0 <= r.article_weight <= 1.0, "between 0 and 1"),
        ("retrieval.rerank_depth", r.rerank_depth >= r.top_k, "at least retrieval.top_k"),
        ("retrieval.max_question_chars", r.max_question_chars >= 10, "at least 10"),
        ("retrieval.candidates", r.candidates >= r.top_k, "at least retrieval.top_k"),
        ("retrieval.recency_weight", 0.0 <= r.recency_weight <= 1.0, "between 0 and 1"),
        ("discord.conversation_hours", config.discord.conversation_hours > 0, "more than 0"),
        ("summary.sentences", 1 <= config.summary.sentences <= 10, "between 1 and 10"),
        ("splitter.max_paragraph_chars", config.splitter.max_paragraph_chars >= 200, "at least 200"),
        ("model.batch_size", config.model.batch_size >= 1, "at least 1"),
    ]
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


def load_config(path: str | Path | None = None) -> Config:
    """Load and validate config from ``path`` (default ./config.toml if present, else defaults)."""
    explicit = path is not None
    path = Path(path or os.environ.get("CITEBOT_CONFIG") or DEFAULT_CONFIG_FILE)
    raw: dict[str, Any] = {}
    if path.exists():
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc
        except OSError as exc:
            raise ConfigError(f"cannot read config file {path}: {exc}") from exc
    elif explicit or os.environ.get("CITEBOT_CONFIG"):
        raise ConfigError(f"config file {path} does not exist (copy config.example.toml to start)")
    sections = {f.name: f.type for f in fields(Config) if f.name != "base_dir"}
    hints = get_type_hints(Config)
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in sections:
            raise ConfigError(f"unknown config table [{key}] (known: {', '.join(sorted(sections))})")
        values[key] = _build_section(key, hints[key], value)
    config = Config(**values, base_dir=path.resolve().parent if path.exists() else Path.cwd())
    token = os.environ.get("DISCORD_TOKEN", "").strip()
    if token:
        config.discord.token = token
    _validate(config)
    return config

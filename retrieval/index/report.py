"""The report of one index, add or sync: counts, timings, failed items; saved as ``last_index.json``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class IndexReport:
    """What an index, add or sync did."""

    articles: int  # articles in the index afterwards
    paragraphs: int
    embedded: int  # paragraphs and sentences that needed the model (the rest came from the cache)
    seconds: float
    skipped: list[tuple[str, str]] = field(default_factory=list)  # failed items with the reason
    finished_at: float = 0.0
    ok: bool = True
    error: str = ""
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    titles: list[str] = field(default_factory=list)  # keys of the articles added or updated
    new: list[str] = field(default_factory=list)  # keys of the articles added
    source_errors: list[tuple[str, str]] = field(default_factory=list)  # (source, why) read nothing: articles kept

    @property
    def failed(self) -> list[tuple[str, str]]:
        return self.skipped

    def to_json(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        if not self.ok:
            return f"index failed: {self.error}"
        text = (
            f"added {self.added}, updated {self.updated}, unchanged {self.unchanged}, removed {self.removed} "
            f"article(s) in {self.seconds:.1f} s ({self.embedded} text(s) embedded, the rest from cache); "
            f"the index holds {self.articles} article(s), {self.paragraphs} paragraph(s)"
        )
        if self.skipped:
            text += f"; {len(self.skipped)} failed"
        if self.source_errors:
            text += f"; {len(self.source_errors)} source(s) could not be read (their articles are kept)"
        return text

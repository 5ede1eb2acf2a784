"""Errors with messages meant for the person at the keyboard or in the channel."""


class CitebotError(Exception):
    """Base class: the message is shown to the user as it is."""


class QuestionError(CitebotError):
    """The question cannot be asked (empty, too long)."""


class IndexMissingError(CitebotError):
    """No index has been built yet, or it cannot be read."""


class ModelChangedError(IndexMissingError):
    """The index was built with another embedding model than the configured one: re-index to re-embed."""

    def __init__(self, built: str, configured: str) -> None:
        self.built, self.configured = built, configured
        self.change = f"the index was built with the model {built!r} but {configured!r} is configured"
        super().__init__(f"{self.change}: run `citebot index` again to re-embed the articles with it")


class ArticleNotFoundError(CitebotError):
    """No indexed article matches the given id or title."""


class ArticleError(CitebotError):
    """An article file cannot be read or parsed."""


class ReindexBusyError(CitebotError):
    """A re-index is already running."""


class LargeRemovalError(CitebotError):
    """A re-index would remove more than half of the index: nothing was removed; it must be confirmed
    (``citebot index --prune``, the /reindex button)."""

    def __init__(self, removing: int, total: int, sources: list[str] | None = None) -> None:
        self.removing, self.total, self.sources = removing, total, list(sources or [])
        which = f" (from {', '.join(self.sources[:3])})" if self.sources else ""
        super().__init__(f"this re-index would remove {removing} of the {total} indexed articles{which}, more than "
                         "half: nothing was removed; if that is what you want, run `citebot index --prune` "
                         "(Discord: press Confirm)")


class ModelUnavailableError(CitebotError):
    """The embedding model cannot be loaded: nothing can be indexed (or asked) until the config names one that can."""

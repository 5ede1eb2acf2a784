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

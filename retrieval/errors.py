"""Errors with messages meant for the person at the keyboard or in the channel."""


class CitebotError(Exception):
    """Base class: the message is shown to the user as it is."""


class QuestionError(CitebotError):
    """The question cannot be asked (empty, too long)."""


class IndexMissingError(CitebotError):
    """No index has been built yet, or it cannot be read."""


class ArticleError(CitebotError):
    """An article file cannot be read or parsed."""


class ReindexBusyError(CitebotError):
    """A re-index is already running."""

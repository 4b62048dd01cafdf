"""Our exceptions carry the message a user sees; front ends turn them into replies."""


class DandongError(Exception):
    """Base class: str(exc) is safe and useful to show a user."""


class ConfigError(DandongError):
    """A setting is missing or invalid."""


class UsageError(DandongError):
    """A command was called with bad arguments (exit 2 on the command line)."""


class KnowledgeBaseError(DandongError):
    """The knowledge base is missing, unreadable or fails its integrity check."""


class DataError(DandongError):
    """A data file failed validation; the message names file, line and field."""

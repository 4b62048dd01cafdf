"""Our exceptions carry the message a user sees; front ends turn them into replies.

They live at the bottom layer so the knowledge base, the engine, the digest and every front
end can raise and catch the same classes without importing upward.
"""


class DandongError(Exception):
    """Base class: str(exc) is safe and useful to show a user."""


class UsageError(DandongError):
    """A command was called with bad arguments (exit 2 on the command line)."""


class KnowledgeBaseError(DandongError):
    """The knowledge base is missing, unreadable or fails its integrity check."""


class DataError(DandongError):
    """A data file or a proposed row failed validation; the message names where and why."""

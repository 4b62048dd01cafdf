"""The errors a user can see, for the bot's side: the knowledge base's own, plus settings."""

from knowledge.errors import DandongError, DataError, KnowledgeBaseError, UsageError

__all__ = ["ConfigError", "DandongError", "DataError", "KnowledgeBaseError", "UsageError"]


class ConfigError(DandongError):
    """A setting is missing or invalid."""

"""What storage raises, and which of its failures are the database's own (try again later)."""

from __future__ import annotations

from typing import Final

from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

__all__ = ["TRANSIENT_ERRORS", "ConversationNotFound", "StaleConversation", "is_transient"]


class ConversationNotFound(LookupError):
    """No conversation has that id."""


class StaleConversation(RuntimeError):
    """The conversation changed under a save (its version moved): nothing was saved."""


#: Failures of the database itself: unreachable, read-only, locked too long, no connection free
#: in the pool, a turn that raced another.
TRANSIENT_ERRORS: Final = (
    DBAPIError,
    OperationalError,
    PoolTimeout,
    StaleConversation,
    OSError,
    TimeoutError,
)


def is_transient(exc: BaseException) -> bool:
    """A failure of the database itself (see :data:`TRANSIENT_ERRORS`): the same request will
    succeed later, so the channel should ask for it again (Telegram: answer 503 and it
    redelivers; REST and web: 503 with ``Retry-After``)."""
    return isinstance(exc, TRANSIENT_ERRORS)

"""The PostgreSQL fixtures of the storage tests, for tests that run a server on PostgreSQL
(skipped without a server, failed under ``CI=true``)."""

from tests.conversations.conftest import postgres_server, postgres_url

__all__ = ["postgres_server", "postgres_url"]

"""The results suite uses the server suite's app fixture (SQLite and PostgreSQL)."""

from tests.server.conftest import app, database_url, sqlite_url  # noqa: F401

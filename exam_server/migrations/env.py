"""Alembic environment: runs on the app's own connection when given one (exam-server init)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from exam_server.db import Base
from exam_server.migrations import load_models

load_models()
config = context.config
target_metadata = Base.metadata


def run_with(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite", compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run_with(connection)
else:
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "sqlite://")
    with engine.connect() as conn:
        run_with(conn)

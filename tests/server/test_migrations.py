"""The Alembic revisions create exactly what the core models describe (a model change needs a revision)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from sqlalchemy import inspect

from exam_server.db import Base, db

CORE_TABLES = {"organisations", "users", "login_codes", "exams", "sittings", "rooms", "room_invigilators",
               "papers", "paper_keys", "registrations", "attempts", "responses", "events", "event_chains",
               "event_trees", "event_tree_heads",
               "bank_questions", "bank_question_tags", "bank_versions", "bank_imports"}


def _table_of(diff: object) -> str | None:
    item = diff[0] if isinstance(diff, list) else diff
    for part in item[1:] if isinstance(item, tuple) else ():
        name = getattr(part, "name", None) if not isinstance(part, str) else part
        table = getattr(part, "table", None)
        if table is not None and getattr(table, "name", None):
            return table.name
        if getattr(part, "__visit_name__", "") == "table":
            return name
        if isinstance(part, str) and part in CORE_TABLES:
            return part
    return None


def test_migrated_schema_matches_core_models(app: Flask) -> None:
    with db.engine(app).connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), Base.metadata)
    core = [d for d in diffs if _table_of(d) in CORE_TABLES]
    assert core == [], core
    tables = set(inspect(db.engine(app)).get_table_names())
    assert tables >= CORE_TABLES

"""Alembic migrations. `upgrade(app)` brings the app's database to the newest revision.

Every domain's models module is imported first (see `load_models`) so autogenerate sees them:
    .venv/bin/alembic -c exam_server/migrations/alembic.ini revision --autogenerate -m "..."
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from flask import Flask

HERE = Path(__file__).resolve().parent


def load_models() -> None:
    """Every domain's tables, named one by one: a renamed models module is an ImportError, never
    a table autogenerate silently proposes to drop."""
    from exam_server.accounts import models as _accounts  # noqa: F401
    from exam_server.attempts import models as _attempts  # noqa: F401
    from exam_server.bank import models as _bank  # noqa: F401
    from exam_server.checkin import models as _checkin  # noqa: F401
    from exam_server.events import models as _events  # noqa: F401
    from exam_server.exams import models as _exams  # noqa: F401
    from exam_server.results import models as _results  # noqa: F401


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(app: Flask, revision: str = "head") -> None:
    from exam_server.db import db

    cfg = alembic_config(app.config["DATABASE_URL"])
    with db.engine(app).connect() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)

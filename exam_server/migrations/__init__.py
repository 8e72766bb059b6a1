"""Alembic migrations. `upgrade(app)` brings the app's database to the newest revision.

Every domain's models module is imported first (see `load_models`) so autogenerate sees them:
    .venv/bin/alembic -c exam_server/migrations/alembic.ini revision --autogenerate -m "..."
"""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

from alembic import command
from alembic.config import Config
from flask import Flask

HERE = Path(__file__).resolve().parent


def load_models() -> None:
    from exam_server.app import DOMAINS

    for domain in DOMAINS:
        name = f"exam_server.{domain}.models"
        try:
            found = importlib.util.find_spec(name)
        except ModuleNotFoundError:
            found = None
        if found is not None:
            importlib.import_module(name)


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

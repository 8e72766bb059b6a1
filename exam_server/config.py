"""Configuration: config/default.toml, then the file named by EXAM_CONFIG, then environment.

TOML sections flatten into Flask config keys: `[server] database_url` -> `DATABASE_URL`
(the server section has no prefix), `[exam] grace_seconds` -> `EXAM_GRACE_SECONDS`.
Environment: DATABASE_URL, REDIS_URL, SECRET_KEY, and EXAM_<SECTION>_<KEY> (e.g.
EXAM_EXAM_GRACE_SECONDS=5, EXAM_SECURITY_LOGIN_RATE_LIMIT="5 per minute").
"""

from __future__ import annotations

import os
import secrets
import tomllib
from pathlib import Path
from typing import Any

DEFAULT_FILE = Path(__file__).resolve().parent.parent / "config" / "default.toml"
_DIRECT_ENV = ("DATABASE_URL", "REDIS_URL", "SECRET_KEY")


def flatten(data: dict[str, Any]) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for section, values in data.items():
        if not isinstance(values, dict):
            flat[section.upper()] = values
            continue
        for key, value in values.items():
            name = key.upper() if section == "server" else f"{section}_{key}".upper()
            flat[name] = value
    return flat


def _parse_env_value(text: str, like: Any) -> Any:
    """Environment values are text; give them the type of the default they replace."""
    if isinstance(like, bool):
        return text.strip().lower() in ("1", "true", "yes", "on")
    if isinstance(like, int):
        return int(text)
    if isinstance(like, float):
        return float(text)
    return text


def load_config(environ: dict[str, str] | None = None) -> dict[str, Any]:
    env = os.environ if environ is None else environ
    with DEFAULT_FILE.open("rb") as f:
        config = flatten(tomllib.load(f))
    extra = env.get("EXAM_CONFIG")
    if extra:
        with open(extra, "rb") as f:
            config.update(flatten(tomllib.load(f)))
    for key, text in env.items():
        if key in _DIRECT_ENV and text:
            config[key] = text
        elif key.startswith("EXAM_") and key != "EXAM_CONFIG":
            name = key[len("EXAM_"):]
            config[name] = _parse_env_value(text, config.get(name, ""))
    return config


MIN_SECRET_BYTES = 32
# Keys that appear in examples, tutorials and our own files: anyone could sign cookies with them.
KNOWN_PLACEHOLDERS = frozenset({
    "change-me-to-64-random-hex-characters",  # config/production/env.example
    "change-me", "changeme", "change_me", "changeit", "secret", "secret-key", "secret_key", "secretkey",
    "your-secret-key", "your_secret_key", "mysecretkey", "supersecret", "super-secret-key", "password",
    "dev", "development", "default", "test", "testing", "example", "xxx", "12345678", "0" * 64,
})
PLACEHOLDER_WORDS = ("change-me", "changeme", "change_me", "replace-me", "replace_me", "replaceme",
                     "placeholder", "your-secret", "your_secret", "insert-", "put-your")


class ConfigError(RuntimeError):
    """A setting the server refuses to start with; the message names the setting."""


def secret_key_problem(key: str) -> str | None:
    """Why `key` cannot sign sessions, or None."""
    text = key.strip()
    lowered = text.lower()
    if lowered in KNOWN_PLACEHOLDERS or any(word in lowered for word in PLACEHOLDER_WORDS):
        return "SECRET_KEY is a known placeholder (for example the one in config/production/env.example)"
    if len(text.encode()) < MIN_SECRET_BYTES:
        return f"SECRET_KEY is too short ({len(text.encode())} bytes; at least {MIN_SECRET_BYTES} are needed)"
    if len(set(text)) < 8:
        return "SECRET_KEY repeats a few characters; it must be random"
    return None


def check_secret_key(config: dict[str, Any], embedded: bool) -> None:
    """Refuse a missing, short or placeholder SECRET_KEY outside the embedded demo.

    The embedded demo (SQLite in the instance folder) generates its own random key when none
    is given; testing apps may use short keys. A placeholder is refused everywhere: cookies
    signed with a published key can be forged by anyone.
    """
    key = str(config.get("SECRET_KEY") or "")
    hint = ('generate one with: python3 -c "import secrets; print(secrets.token_hex(32))" and put it into '
            "/etc/exam-platform/env (SECRET_KEY=...)")
    if not key:
        if embedded:
            return
        raise ConfigError(f"SECRET_KEY is not set; the server does not start without it outside the demo ({hint})")
    problem = secret_key_problem(key)
    if problem is None or (config.get("TESTING") and "placeholder" not in problem):
        return
    raise ConfigError(f"{problem}; the server does not start with it ({hint})")


def is_embedded(config: dict[str, Any]) -> bool:
    """The demo/small-room default: SQLite, no production config file."""
    return bool(config.get("TESTING")) or (
        str(config.get("DATABASE_URL", "")).startswith("sqlite") and not os.environ.get("EXAM_CONFIG"))


def instance_secret(instance_path: str) -> str:
    """The session-signing key: generated once into the instance folder, never committed."""
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key)
    return key


def resolve_database_url(url: str, instance_path: str) -> str:
    """`sqlite:///instance/x.db` means the app's instance folder, wherever it is installed."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/"):
        rel = url[len(prefix):]
        if rel.startswith("instance/"):
            rel = rel[len("instance/"):]
            path = Path(instance_path) / rel
        else:
            path = Path(rel).resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        return prefix + str(path)
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://"):]
    return url

"""The application a domain's `exam-server` command works in.

A domain's `commands.py` sits inside its layer and so cannot import the app factory
(`exam_server.app` imports every domain). `exam_server.cli.main` puts Flask's `ScriptInfo`,
holding the factory, on the click context; a command asks for its app here.
"""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import ScriptInfo


def command_app() -> Flask:
    """The app of the running `exam-server` command, created once per command."""
    info = click.get_current_context().find_object(ScriptInfo)
    if info is None:
        raise click.UsageError("this command runs under `exam-server`, which provides its application")
    return info.load_app()

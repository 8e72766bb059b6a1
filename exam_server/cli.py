"""The `exam-server` command: init, create-user, demo, run, import-roster."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import click
from flask.cli import ScriptInfo

from exam_server.app import create_app
from exam_server.attempts.commands import COMMANDS as ATTEMPT_COMMANDS
from exam_server.exams.commands import import_papers
from exam_server.i18n import translate
from exam_server.results.commands import COMMANDS as RESULT_COMMANDS

GUNICORN_CONF = Path(__file__).resolve().parent.parent / "config" / "gunicorn.conf.py"


@click.group()
@click.pass_context
def main(ctx: click.Context) -> None:
    """Máy chủ thi trực tuyến — online exam server."""
    # The domains' commands get their app from here (exam_server.command_app): they cannot
    # import the factory, which imports every domain.
    ctx.obj = ScriptInfo(create_app=create_app, set_debug_flag=False)


@main.command()
def init() -> None:
    """Create or migrate the database (alembic upgrade head)."""
    from exam_server.migrations import upgrade

    app = create_app()
    upgrade(app)
    click.echo(f"database ready: {_safe_url(app.config['DATABASE_URL'])}")


@main.command("create-user")
@click.argument("username")
@click.option("--role", type=click.Choice(["admin", "examiner", "invigilator"]), required=True)
@click.option("--full-name", default="")
@click.password_option()
def create_user_cmd(username: str, role: str, full_name: str, password: str) -> None:
    """Create a staff account."""
    from exam_server.accounts.service import create_user
    from exam_server.errors import ServiceError

    app = create_app()
    with app.app_context():
        try:
            user = create_user(username, password, role, full_name=full_name)
        except ServiceError as exc:
            raise click.ClickException(exc.message()) from exc
        click.echo(f"created {user.role} {user.username} (id {user.id})")


@main.command()
@click.option("--host", default=None, help="address the links should use")
@click.option("--port", default=None, type=int)
@click.option("--force", is_flag=True, help="seed even a database that holds other data (test machines only)")
def demo(host: str | None, port: int | None, force: bool) -> None:
    """Seed the demo exam (idempotent) and print the URLs and logins."""
    from exam_server.demo import DemoRefused, seed_demo

    app = create_app()
    with app.app_context():
        try:
            info = seed_demo(Path(app.instance_path), force=force)
        except DemoRefused as exc:
            raise click.ClickException(exc.message()) from exc
    base = f"http://{host or app.config['HOST']}:{port or app.config['PORT']}"
    click.echo(info.describe(base))


@main.command()
@click.option("--host", default=None, help="bind address (default from config)")
@click.option("--port", default=None, type=int, help="port (default from config)")
@click.option("--workers", default=None, type=int, help="worker processes (more than one needs REDIS_URL)")
def run(host: str | None, port: int | None, workers: int | None) -> None:
    """Serve: gunicorn with gevent workers on Linux, Socket.IO's own server elsewhere."""
    from exam_server.config import ConfigError, check_secret_key, is_embedded, load_config

    config = load_config()  # the workers build the app; the launcher only needs the address
    try:  # say it here, once and clearly, rather than in every worker's boot failure
        check_secret_key(config, embedded=is_embedded(config))
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    host = host or config["HOST"]
    port = port or int(config["PORT"])
    workers = workers or int(config.get("WORKERS", 1))
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or shutil.which("gunicorn")
    if sys.platform != "win32" and gunicorn and GUNICORN_CONF.exists():
        env = dict(os.environ, EXAM_BIND=f"{host}:{port}", EXAM_WORKERS=str(workers))
        click.echo(f"serving on http://{host}:{port} (gunicorn, {workers} gevent worker(s))")
        os.execve(gunicorn, [gunicorn, "-c", str(GUNICORN_CONF)], env)  # noqa: S606 (a fixed argv, no shell)
    from exam_server.app import start_background_jobs
    from exam_server.extensions import socketio

    app = create_app()
    click.echo(f"serving on http://{host}:{port} (Socket.IO server, one process)")
    start_background_jobs(app)
    socketio.run(app, host=host, port=port)


@main.command("import-roster")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--sitting", "sitting_id", type=int, required=True)
def import_roster_cmd(file: Path, sitting_id: int) -> None:
    """Import candidates from CSV or XLSX; nothing is imported if any row is bad."""
    from exam_server.events.log import Actor
    from exam_server.exams.roster import RosterError, import_roster

    app = create_app()
    with app.app_context():
        try:
            result = import_roster(sitting_id, file.name, file.read_bytes(), Actor("cli:import-roster"))
        except RosterError as exc:
            click.echo(exc.message(), err=True)
            for e in exc.errors:
                click.echo("  " + translate("exams.roster.row_problem", row=e.row, column=e.column, message=e.message),
                           err=True)
            sys.exit(1)
        except Exception as exc:
            from exam_server.errors import ServiceError

            if isinstance(exc, ServiceError):
                raise click.ClickException(exc.message()) from exc
            raise
        click.echo(f"imported {result.imported} candidates into sitting {sitting_id}")


def _safe_url(url: str) -> str:
    """The URL without a password, for printing."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


for _command in (import_papers, *RESULT_COMMANDS, *ATTEMPT_COMMANDS):
    main.add_command(_command)

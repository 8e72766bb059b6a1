"""`exam-server import-papers`: paper codes from the question bank into a sitting."""

from __future__ import annotations

from pathlib import Path

import click

from exam_server.events.log import Actor


@click.command("import-papers")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--sitting", "sitting_id", type=int, required=True)
def import_papers(file: Path, sitting_id: int) -> None:
    """Load paper codes from `question-bank papers generate` (papers.json) into a sitting."""
    from exam_server.command_app import command_app
    from exam_server.errors import ServiceError
    from exam_server.exams import paper_import

    app = command_app()
    with app.app_context():
        try:
            codes = paper_import.import_papers(
                sitting_id, paper_import.parse_papers(file.read_bytes(), file.name), Actor("cli"))
        except ServiceError as exc:
            raise click.ClickException(exc.message()) from exc
    click.echo(f"imported papers {', '.join(codes)} into sitting {sitting_id}")

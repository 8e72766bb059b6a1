"""`exam-server` commands for results: export-results, verify-package, audit, purge."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import Flask, current_app
from sqlalchemy import select

from exam_server import dates
from exam_server.authority import signer_paths, trust_path
from exam_server.db import session as db
from exam_server.events.log import Actor
from exam_server.events.models import Event
from exam_server.exams.models import Registration
from exam_server.i18n import CATALOGUE, coded, translate
from exam_server.results import FORMATS, GROUPINGS

# exports and package pull in reportlab, openpyxl and cryptography: imported by the commands
# that need them, so every other `exam-server` command starts quickly.

CLI_ACTOR = Actor("cli")
CATALOGUE.register(
    coded("results.report.title", "Item analysis — sitting {sitting}"),
    coded("results.export_progress", "Exporting results"),
)


def _app() -> Flask:
    from exam_server.command_app import command_app

    return command_app()


@click.command("export-results")
@click.option("--sitting", "sitting_id", type=int, required=True)
@click.option("--by", type=click.Choice(GROUPINGS), default="room", show_default=True)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="xlsx", show_default=True)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True)
@click.option("--sign/--no-sign", default=True, show_default=True, help="Sign the folder as a result package.")
@click.option("--lang", type=click.Choice(("vi", "en")), default="vi", show_default=True)
def export_results(sitting_id: int, by: str, fmt: str, out: Path, sign: bool, lang: str) -> None:
    """Export a sitting's results (grouped by room, school or class) and sign the package."""
    from exam_server.results import exports, package, service

    app = _app()
    with app.app_context():
        from exam_server.exams.models import Sitting
        from exam_server.results.bundle import heading_for

        rows = service.result_rows(db, sitting_id)
        sitting = db.get(Sitting, sitting_id)
        assert sitting is not None  # result_rows refused an unknown sitting
        with click.progressbar(length=len(rows), label=translate("results.export_progress"), file=sys.stderr) as bar:
            files = exports.export(rows, by, fmt, out, lang=lang, title=f"{sitting.exam.name} — {sitting.name}",
                                   tick=lambda: bar.update(1), heading=heading_for(sitting))
        from exam_server.events.log import append_event

        append_event(db, "results.exported", CLI_ACTOR, sitting_id=sitting_id,
                     data={"by": by, "format": fmt, "files": [f.name for f in files], "rows": len(rows)})
        db.commit()
        from exam_server.events import audit as event_audit
        from exam_server.events import sequencer

        sequencer.run_once(current_app, db, sitting_id)  # the heads cover everything logged so far
        package.write_event_heads(out, event_audit.signed_heads(db, sitting_id))
        if sign:
            key, cert = signer_paths(current_app)
            package.sign_package(out, key.read_bytes(), cert.read_bytes(),
                                 {"sitting": sitting_id, "by": by, "format": fmt})
    click.echo(json.dumps({"files": [str(f) for f in files], "rows": len(rows), "signed": sign}, ensure_ascii=False))


@click.command("verify-package")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--trust", type=click.Path(exists=True, path_type=Path), help="Trusted certificate(s): file or folder.")
def verify_package(directory: Path, trust: Path | None) -> None:
    """Check a result package's signature and every file in it; exit 1 if anything is wrong."""
    from exam_server.results import package

    if trust is None:
        app = _app()
        trust = trust_path(app)
    result = package.verify_package(directory, package.load_certificates(trust))
    click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    sys.exit(0 if result.ok else 1)


@click.group("audit")
def audit() -> None:
    """The hash-chained audit log."""


@audit.command("verify")
@click.option("--sitting", "sitting_id", type=int, help="Only this sitting's log.")
@click.option("--heads", "heads_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Signed heads kept outside the database (a results package's event-log heads file).")
def audit_verify(sitting_id: int | None, heads_file: Path | None) -> None:
    """Detect edited, reordered, recomputed, truncated or deleted entries and forged heads;
    exit 1 and name them if any."""
    from exam_server.events import audit as event_audit
    from exam_server.events.signing import trusted_certificates

    app = _app()
    with app.app_context():
        certs = trusted_certificates(app)
        chains = [sitting_id] if sitting_id is not None else event_audit.all_logs(db)
        found = {chain: event_audit.audit_log(db, chain, certs) for chain in chains}
        if heads_file is not None:
            exported = json.loads(heads_file.read_text(encoding="utf-8"))
            chain = int(exported["log"])
            found[chain] = found.get(chain, []) + event_audit.check_exported_heads(db, exported, certs)
    bad = {str(k): [p.message for p in v] for k, v in found.items() if v}
    kinds = {str(k): sorted({p.kind for p in v}) for k, v in found.items() if v}
    click.echo(json.dumps({"chains": len(found), "problems": bad, "kinds": kinds}, ensure_ascii=False, indent=2))
    sys.exit(1 if bad else 0)


@audit.command("export")
@click.option("--sitting", "sitting_id", type=int, required=True)
@click.option("--sbd", required=True, help="The candidate number the appeal is about.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
def audit_export(sitting_id: int, sbd: str, out: Path) -> None:
    """Every entry about one candidate, with the chain's verification, for an appeal."""
    from exam_server.attempts.models import Attempt

    app = _app()
    with app.app_context():
        reg = db.scalar(select(Registration).where(Registration.sitting_id == sitting_id, Registration.sbd == sbd))
        if reg is None:
            raise click.ClickException(f"no candidate {sbd} in sitting {sitting_id}")
        attempt_id = db.scalar(select(Attempt.id).where(Attempt.registration_id == reg.id))
        events = db.scalars(select(Event).where(Event.chain == sitting_id).order_by(Event.seq)).all()
        mine = [e for e in events
                if (attempt_id is not None and e.attempt_id == attempt_id) or e.data.get("registration_id") == reg.id]
        from exam_server.events import audit as event_audit
        from exam_server.events.signing import trusted_certificates

        problems = [p.message for p in event_audit.audit_log(db, sitting_id, trusted_certificates(app))]
        entries = event_audit.entries_with_proofs(db, sitting_id, mine)
    out.write_text(json.dumps({"sitting": sitting_id, "sbd": sbd, "chain_intact": not problems,
                               "problems": problems, **entries}, ensure_ascii=False, indent=2),
                   encoding="utf-8")
    click.echo(f"{len(entries)} entries -> {out}")


def parse_day(text: str) -> datetime:
    """dd/mm/yyyy (or yyyy-mm-dd) as midnight UTC; an impossible date is named as such."""
    try:
        day = dates.parse_day(text, allow_iso=True)
    except dates.BadDate as bad:
        raise click.BadParameter(bad.message()) from None
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC)


@click.command("purge")
@click.option("--before", "before", help="dd/mm/yyyy: purge check-ins received before this day "
              "(default: older than [checkin] retention_days).")
def purge(before: str | None) -> None:
    """Remove face thumbnails and match scores older than the date, and log that it was done."""
    from datetime import timedelta

    from exam_server.results import service

    app = _app()
    days = int(app.config.get("CHECKIN_RETENTION_DAYS", 30))
    when = parse_day(before) if before else datetime.now(UTC) - timedelta(days=days)
    with app.app_context():
        summary = service.purge_biometrics(db, when, CLI_ACTOR)
    click.echo(json.dumps(summary, ensure_ascii=False))


@click.command("item-analysis")
@click.option("--sitting", "sitting_id", type=int, required=True)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True)
def item_analysis(sitting_id: int, out: Path) -> None:
    """Item analysis report (HTML, PDF, JSON) with the score histogram and p-vs-D chart."""
    from exam_server.results import item_report

    app = _app()
    with app.app_context():
        try:
            report = item_report.sitting_analysis(db, sitting_id)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
        labels = item_report.item_labels(db, sitting_id)
    out.mkdir(parents=True, exist_ok=True)
    title = translate("results.report.title", sitting=sitting_id)
    item_report.write_html(report, out / "phan-tich-cau-hoi.html", title, labels=labels)
    item_report.write_pdf(report, out / "phan-tich-cau-hoi.pdf", title, labels=labels)
    (out / "phan-tich-cau-hoi.json").write_text(json.dumps(report.to_dict(), ensure_ascii=False, indent=1),
                                                encoding="utf-8")
    flagged = [n for n, item in enumerate(report.items, start=1) if item.flags]
    click.echo(json.dumps({"items": len(report.items), "flagged": flagged}, ensure_ascii=False))


COMMANDS = (export_results, verify_package, audit, purge, item_analysis)

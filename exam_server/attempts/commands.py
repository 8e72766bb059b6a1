"""`exam-server verify-receipt CODE`: the board checks a candidate's submission receipt from a
shell, as `GET /api/v1/receipts/<code>` does for examiners in the browser."""

from __future__ import annotations

import json
import sys

import click


@click.command("verify-receipt")
@click.argument("code")
def verify_receipt(code: str) -> None:
    """Check a submission receipt code; exit 0 when it matches the stored attempt, 1 otherwise."""
    from exam_server.attempts import receipt
    from exam_server.command_app import command_app
    from exam_server.db import session as db
    from exam_server.i18n import translate

    app = command_app()
    with app.app_context():
        valid, attempt, found = receipt.verify(db, code)
        out: dict[str, object] = {"code": code, "valid": valid}
        if valid and attempt is not None and found is not None:
            reg = attempt.registration
            out.update(found.to_dict(), sbd=reg.sbd, full_name=reg.full_name, sitting_id=reg.sitting_id)
        out["message"] = translate("attempts.receipt_valid" if valid else "attempts.receipt_invalid")
        db.rollback()
    click.echo(json.dumps(out, ensure_ascii=False, indent=2))
    sys.exit(0 if valid else 1)


COMMANDS = (verify_receipt,)

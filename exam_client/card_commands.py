"""`exam-client read-card`: read and verify a CCCD in a PC/SC reader, print the report as JSON.

card_reader returns codes and parameters; this command adds each check's `text` (and an error's
`message`) in the user's language (--lang, else LANG, else Vietnamese).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from card_reader.errors import CardError
from card_reader.keys import credentials_from, qr_text_from_image
from card_reader.reader import ReadOptions, read_card
from card_reader.transport import PcscTransport
from card_reader.trust import load_trust_store
from exam_client.messages import error_text, language, with_texts
from exam_common.i18n import LANGUAGES


@click.command("read-card")
@click.option("--reader", "reader_name", help="PC/SC reader name (default: the first reader holding a card).")
@click.option("--mrz", help="The MRZ (3 lines, separated by newlines) or DOCNUMBER,BIRTH_YYMMDD,EXPIRY_YYMMDD.")
@click.option("--can", help="The 6-digit card access number (PACE).")
@click.option("--qr-text", help="The text of the QR code on the front of the card.")
@click.option("--qr-image", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A photo or scan of the card front; its QR code is decoded.")
@click.option("--trust", "trust_paths", multiple=True, type=click.Path(exists=True, path_type=Path),
              help="Extra CSCA certificate file, folder of them, master list or CRL (repeatable); "
                   "Vietnam's built-in CSCA is always trusted.")
@click.option("--ml-root", "ml_roots", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Master-list signer root to check --trust master lists against (e.g. DE_ROOT_CA_CSCA07.cer).")
@click.option("--expected-id", help="The 12-digit ID the check-in expects (cross-checked).")
@click.option("--photo-out", type=click.Path(dir_okay=False, path_type=Path), help="Write the DG2 photo here.")
@click.option("--no-photo", is_flag=True, help="Do not read DG2.")
@click.option("--include-sensitive", is_flag=True,
              help="Include ethnicity, religion, identifying marks, parents and spouse in the output.")
@click.option("--short-only", is_flag=True, help="Never send extended-length APDUs.")
@click.option("--wait", "reinsert_timeout", type=float, default=0.0, show_default=True,
              help="Seconds to wait for a card removed mid-read to come back.")
@click.option("--lang", type=click.Choice(LANGUAGES), default=None, help="vi or en (default: LANG, else vi).")
def read_card_command(reader_name: str | None, mrz: str | None, can: str | None, qr_text: str | None,
                      qr_image: Path | None, trust_paths: tuple[Path, ...], ml_roots: tuple[Path, ...],
                      expected_id: str | None,
                      photo_out: Path | None, no_photo: bool, include_sensitive: bool, short_only: bool,
                      reinsert_timeout: float, lang: str | None) -> None:
    """Read a CCCD chip and print what was read and verified (JSON)."""
    lang = language(lang)
    try:
        if qr_image is not None:
            qr_text = qr_text_from_image(qr_image)
        credentials = credentials_from(mrz=mrz, qr_text=qr_text, can=can)
        options = ReadOptions(
            read_photo=not no_photo or photo_out is not None,
            expected_id=expected_id,
            trust=load_trust_store(list(trust_paths), ml_roots, builtin=True),
            extended=False if short_only else None,
            reinsert_timeout=reinsert_timeout,
        )
        report = read_card(PcscTransport(reader_name), credentials, options)
    except CardError as exc:
        click.echo(json.dumps({"error": type(exc).__name__, "code": exc.code, "message": error_text(exc, lang),
                               "diagnostic": str(exc)}, ensure_ascii=False), err=True)
        sys.exit(2)
    if photo_out is not None and report.photo is not None:
        photo_out.write_bytes(report.photo.image)
    body = report.to_dict(include_sensitive=include_sensitive)
    body["checks"] = with_texts(body["checks"], lang)
    click.echo(json.dumps(body, ensure_ascii=False, indent=2))
    sys.exit(0 if report.verified else 1)

"""`exam-client virtual-card`: put a virtual CCCD chip in pcscd's vpcd reader (a test tool).

A new user can try check-in with no hardware:

    exam-client virtual-card --photo me.jpg --pki-dir /tmp/test-pki &
    exam-client read-card --can 012345 --trust /tmp/test-pki/test-csca.pem

The chip itself is `card_reader.virtual` (no UI text); this command prints through the
station's catalogue, in the user's language (--lang, else LANG, else Vietnamese).
"""

from __future__ import annotations

import signal
import tempfile
from pathlib import Path
from typing import Any

import click

from card_reader import testpki
from card_reader.virtual import lds
from card_reader.virtual.chip import ChipOptions, VirtualChip
from card_reader.virtual.contents import build
from card_reader.virtual.faults import FaultError, parse_faults
from card_reader.virtual.identity import IdentityError, load_identity
from card_reader.virtual.runner import VirtualCard, VpcdBusyError
from card_reader.virtual.vpcd import PORTS
from exam_client.messages import language, text
from exam_common.i18n import LANGUAGES, format_date


@click.command("virtual-card")
@click.option("--identity", "identity_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="JSON or TOML file with the holder's fields (id_number, full_name, date_of_birth, ...).")
@click.option("--id-number", help="12-digit CCCD number.")
@click.option("--name", "full_name", help="Full name, with diacritics.")
@click.option("--dob", "date_of_birth", help="Date of birth, dd/mm/yyyy.")
@click.option("--sex", type=click.Choice(["Nam", "Nữ"]), help="Sex as DG13 writes it.")
@click.option("--issue-date", help="Issue date, dd/mm/yyyy.")
@click.option("--expiry-date", help="Expiry date, dd/mm/yyyy (default: the renewal-age rule).")
@click.option("--photo", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Face photo for DG2 (any image OpenCV reads).")
@click.option("--jpeg2000", is_flag=True, help="Store the photo as JPEG 2000 instead of JPEG.")
@click.option("--aa", type=click.Choice(["rsa", "ecdsa"]), default="rsa", show_default=True,
              help="Active authentication key type (DG15).")
@click.option("--port", type=int, default=PORTS[0], show_default=True,
              help="vpcd port: 35963 = 'Virtual PCD 00 00', 35964 = 'Virtual PCD 00 01'.")
@click.option("--no-pace", is_flag=True, help="Leave out EF.CardAccess: a chip that only does BAC.")
@click.option("--short-only", is_flag=True, help="Refuse extended-length APDUs (strict short mode).")
@click.option("--max-read", type=click.IntRange(1, 65536), help="Answer 6Cxx to READ BINARY asking more.")
@click.option("--fault", "faults", multiple=True, metavar="NAME[=VALUE]",
              help="Simulate a fault (repeatable): remove-after=N, reinsert-after=S, slow=MS, unprotected-at=N, "
                   "bad-mac-at=N, tamper=DG, wrong-csca, no-extended, wrong-key-sw=HEX, clone.")
@click.option("--pki-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Folder keeping the TEST CSCA and document signer (created if missing); the CSCA "
                   "certificate is written there for read-card --trust.")
@click.option("--pki", "pki_shape", type=click.Choice(list(testpki.SHAPES)), default="standard", show_default=True,
              help="Shape of a NEW test PKI: 'vietnam' = brainpoolP512r1 with explicit parameters, ECDSA-SHA512, "
                   "non-positive CSCA serial, as Vietnam's CSCA is written (an existing --pki-dir keeps its own).")
@click.option("--lang", type=click.Choice(LANGUAGES), default=None, help="vi or en (default: LANG, else vi).")
def virtual_card(identity_file: Path | None, photo: Path | None, jpeg2000: bool, aa: str, port: int,
                 no_pace: bool, short_only: bool, max_read: int | None, faults: tuple[str, ...], pki_dir: Path | None,
                 pki_shape: str, lang: str | None, **fields: Any) -> None:
    """Run a TEST-ONLY virtual CCCD chip in pcscd's vsmartcard-vpcd reader until Ctrl+C."""
    lang = language(lang)
    try:
        identity = load_identity(identity_file, fields)
        fault_set = parse_faults(faults)
    except (IdentityError, FaultError) as exc:
        raise click.UsageError(str(exc)) from None
    pki_dir = pki_dir or Path(tempfile.mkdtemp(prefix="exam-test-pki-"))
    pki = testpki.load_or_generate(pki_dir, pki_shape)
    try:
        contents = build(identity, pki, photo, lds.JPEG2000 if jpeg2000 else lds.JPEG, aa, fault_set, pace=not no_pace)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    chip = VirtualChip(contents, ChipOptions(short_only=short_only, max_read=max_read))
    card = VirtualCard(chip, port)
    try:
        card.start()
    except VpcdBusyError as exc:
        raise click.ClickException(str(exc)) from None

    def say(code: str, **params: Any) -> None:
        click.echo(text(code, lang, **params))

    say("client.virtual.test_only")
    say("client.virtual.inserted", reader=card.reader)
    say("client.virtual.identity", name=identity.full_name, id_number=identity.id_number,
        dob=format_date(identity.date_of_birth, lang))
    say("client.virtual.mrz")
    click.echo(identity.mrz())
    say("client.virtual.can", can=identity.can)
    say("client.virtual.qr", qr=identity.qr_text())
    say("client.virtual.csca", path=pki_dir / testpki.CSCA_FILE)
    if fault_set.active:
        say("client.virtual.faults", faults=", ".join(fault_set.active))
    say("client.virtual.stop")
    signal.signal(signal.SIGTERM, lambda *_: card.stop())
    try:
        card.wait()
    except KeyboardInterrupt:
        pass
    finally:
        card.stop()
        say("client.virtual.removed")

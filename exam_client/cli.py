"""`exam-client`: the check-in station, one headless check-in, and the card tools."""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import socket
import sys
import webbrowser
from pathlib import Path
from typing import NoReturn

import click

from card_reader.errors import CardError
from card_reader.trust import TrustStore
from exam_client.camera import CameraError, open_camera
from exam_client.card_commands import read_card_command
from exam_client.checkin import CheckinRunner
from exam_client.chip import CardAbsentError, CardKeys, CardReaderChip
from exam_client.decision import Override, OverrideError
from exam_client.faces import FaceMatcher
from exam_client.messages import error_text, language, reason_text, text
from exam_client.outbox import Outbox, ServerRejected, ServerUnreachable
from exam_client.qr import decode_qr
from exam_client.roster import Roster
from exam_client.server_api import ServerClient
from exam_client.trust_store import show as show_trust
from exam_client.trust_store import station_trust
from exam_client.trust_store import update as update_trust
from exam_common.i18n import LANGUAGES

PASSWORD_ENV = "EXAM_CLIENT_PASSWORD"  # noqa: S105  (the variable's name, not a password)


def default_data_dir() -> Path:
    """Per-user application data: %LOCALAPPDATA% on Windows, XDG data home elsewhere."""
    if os.environ.get("EXAM_CLIENT_DATA"):
        return Path(os.environ["EXAM_CLIENT_DATA"])
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA", Path.home())) / "exam-client"
    return Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share")) / "exam-client"


def _trust(paths: tuple[Path, ...], data_dir: Path | None) -> TrustStore:
    """Vietnam's built-in CSCA, the list `trust update` installed, and each --trust path."""
    return station_trust(data_dir or default_data_dir(), paths)


def _fail(message: str, code: int = 2, error: Exception | None = None) -> NoReturn:
    """Exit with `{"error": text}` on stderr; a coded error adds its `code` and log `diagnostic`."""
    body: dict[str, str] = {"error": message}
    message_code = getattr(error, "code", None)
    if isinstance(message_code, str):
        body.update(code=message_code, diagnostic=str(error))
    click.echo(json.dumps(body, ensure_ascii=False), err=True)
    sys.exit(code)


def _fail_error(error: Exception, lang: str) -> NoReturn:
    _fail(error_text(error, lang), error=error)


lang_option = click.option("--lang", type=click.Choice(LANGUAGES), default=None,
                           help="Language of the messages: vi or en (default: the LANG environment, else vi).")


class _StationGroup(click.Group):
    """Loads the virtual card (a Linux test tool: pcscd + vpcd) only when its own command runs, so
    the station, `checkin` and `read-card` start on the invigilators' Windows PCs."""

    LAZY = {"virtual-card": ("exam_client.virtual_card", "virtual_card")}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.LAZY])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.LAZY:
            module, attribute = self.LAZY[cmd_name]
            return getattr(importlib.import_module(module), attribute)
        return super().get_command(ctx, cmd_name)


@click.group(cls=_StationGroup)
def main() -> None:
    """Trạm điểm danh phòng thi / exam room check-in station."""


main.add_command(read_card_command)

server_option = click.option("--server", "server_url", required=True, help="The exam server, e.g. https://thi.example.vn")
room_option = click.option("--room", required=True, help="The exam room: its number, or its name if unique.")
trust_option = click.option("--trust", "trust_paths", multiple=True, type=click.Path(exists=True, path_type=Path),
                            help="Extra CSCA certificate file, folder, master list or CRL (repeatable); Vietnam's CSCA "
                                 "and the list installed by `trust update` are always trusted.")
data_option = click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                           help="Where the offline queue lives (default: the user's application data).")


@main.command()
@server_option
@room_option
@click.option("--reader", help="PC/SC reader name (default: the first reader holding a card).")
@click.option("--camera", "camera_index", type=int, default=0, show_default=True, help="Webcam number.")
@click.option("--image", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Use this image file as the camera (re-read when it changes).")
@trust_option
@data_option
@click.option("--port", type=int, default=8765, show_default=True, help="Local port of the station page.")
@click.option("--name", "station_name", default=None, help="Station name shown to examiners (default: host name).")
@click.option("--open-browser/--no-browser", default=True, show_default=True)
@lang_option
def station(server_url: str, room: str, reader: str | None, camera_index: int, image: Path | None,
            trust_paths: tuple[Path, ...], data_dir: Path | None, port: int, station_name: str | None,
            open_browser: bool, lang: str | None) -> None:
    """Run the check-in station: a local page on http://127.0.0.1:PORT."""
    from exam_client.station import serve
    from exam_client.station.service import Station, StationConfig

    lang = language(lang)
    try:
        camera = open_camera(camera_index, image)
        trust = _trust(trust_paths, data_dir)
    except CameraError as exc:
        _fail(str(exc))
    except CardError as exc:
        _fail_error(exc, lang)
    _say_trust(trust, lang)
    name = station_name or socket.gethostname()
    config = StationConfig(server_url=server_url, room=room, reader=reader, station_name=name,
                           data_dir=(data_dir or default_data_dir()) / _safe(room))
    st = Station(config, camera, CardReaderChip(trust, lang=lang), FaceMatcher())
    st.start()
    server = serve(st, port)
    url = f"http://127.0.0.1:{server.server_port}/"
    click.echo(text("client.cli.station_url", lang, url=url), err=True)
    if open_browser:
        webbrowser.open(url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        st.stop()


def _say_trust(store: TrustStore, lang: str = "vi") -> None:
    """One line on what the station trusts, then each skipped entry and each TEST-ONLY anchor, by name."""
    summary = store.summary()
    click.echo(text("client.trust.summary", lang, certificates=summary["certificates"],
                    lists=len(summary["master_lists"]), skipped=len(summary["skipped"])), err=True)
    for skipped in summary["skipped"]:
        click.echo(text("client.trust.skipped", lang, subject=skipped["subject"], source=skipped["source"],
                        reason=reason_text(skipped, lang)), err=True)
    for subject in summary["test_only"]:
        click.echo(text("client.trust.test_only", lang, subject=subject), err=True)


def _safe(room: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in room) or "room"


@main.command()
@server_option
@room_option
@click.option("--reader", help="PC/SC reader name (default: the first reader holding a card).")
@click.option("--camera", "camera_index", type=int, default=None, help="Webcam number.")
@click.option("--image", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A photo of the candidate instead of the camera.")
@click.option("--qr-image", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A photo of the card front; its QR code gives the keys.")
@click.option("--can", help="Card access number (6 digits) or the 12-digit ID it is taken from.")
@click.option("--mrz", help="The MRZ, or DOCNUMBER,BIRTH_YYMMDD,EXPIRY_YYMMDD.")
@click.option("--expected-id", help="The roster ID the invigilator expects (cross-checked; gives the CAN).")
@click.option("--user", "username", help=f"Invigilator account (password from ${PASSWORD_ENV} or a prompt).")
@click.option("--token", envvar="EXAM_CLIENT_TOKEN", help="A device token already issued for the room.")
@click.option("--override", "override_reason", help="Accept a refusal the invigilator overrides, with this reason.")
@trust_option
@data_option
@lang_option
def checkin(server_url: str, room: str, reader: str | None, camera_index: int | None, image: Path | None,
            qr_image: Path | None, can: str | None, mrz: str | None, expected_id: str | None,
            username: str | None, token: str | None, override_reason: str | None,
            trust_paths: tuple[Path, ...], data_dir: Path | None, lang: str | None) -> None:
    """Check one candidate in and print the decision as JSON (exit 0 accepted, 1 refused, 3 queued)."""
    lang = language(lang)
    if (camera_index is None) == (image is None):
        _fail(text("client.cli.camera_or_image", lang))
    try:
        keys = _headless_keys(qr_image, can, mrz, expected_id, lang)
        camera = open_camera(camera_index, image)
        trust = _trust(trust_paths, data_dir)
    except CardError as exc:
        _fail_error(exc, lang)
    except (CameraError, ValueError) as exc:
        _fail(str(exc))
    client = ServerClient(server_url, token)
    try:
        if token:
            invigilator = client.device()["invigilator"]["username"]
        else:
            if not username:
                _fail(text("client.cli.user_or_token", lang))
            password = os.environ.get(PASSWORD_ENV) or click.prompt(text("client.cli.password", lang),
                                                                    hide_input=True, err=True)
            invigilator = client.register_device(username, password, room, socket.gethostname()).invigilator["username"]
    except (ServerUnreachable, ServerRejected) as exc:
        _fail(str(exc))
    base = (data_dir or default_data_dir()) / _safe(room)
    base.mkdir(parents=True, exist_ok=True)
    roster = Roster(base / "roster.json")
    with contextlib.suppress(ServerUnreachable):  # offline: the cached roster decides; the server re-checks
        roster.load(client.roster())
    runner = CheckinRunner(room=room, station=socket.gethostname(), invigilator=invigilator, matcher=FaceMatcher(),
                           chip_reader=CardReaderChip(trust, lang=lang), outbox=Outbox(base / "outbox.sqlite"),
                           server=client,
                           roster=roster)
    try:
        result = runner.run(reader, keys, camera)
        if override_reason and not result.decision.accepted:
            result = runner.run(reader, keys, camera, override=Override(override_reason, invigilator), previous=result)
    except (CardAbsentError, CardError, OverrideError) as exc:
        _fail_error(exc, lang)
    finally:
        camera.close()
    body = result.to_dict()
    for reason in (body.get("server") or {}).get("reasons") or []:
        reason["text"] = reason_text(reason, lang)  # ours, or the server's message for a code we lack
    click.echo(json.dumps(body, ensure_ascii=False, indent=2))
    status = body["status"]
    sys.exit(0 if status == "accepted" else 3 if status == "queued" else 1)


@main.group()
def trust() -> None:
    """Kho chứng thư CSCA của trạm / the station's CSCA trust store."""


@trust.command("show")
@trust_option
@data_option
@lang_option
def trust_show(trust_paths: tuple[Path, ...], data_dir: Path | None, lang: str | None) -> None:
    """Print what the station trusts: anchors, master lists (signer, signing time), skipped entries."""
    lang = language(lang)
    try:
        summary = show_trust(data_dir or default_data_dir(), trust_paths, lang)
    except CardError as exc:
        _fail_error(exc, lang)
    click.echo(json.dumps(summary, ensure_ascii=False, indent=2))


@trust.command("update")
@click.argument("master_list", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--root", "root_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The master-list signer's root (e.g. DE_ROOT_CA_CSCA07.cer); remembered for later updates.")
@click.option("--force", is_flag=True, help="Install even if the list is older than the installed one.")
@data_option
@lang_option
def trust_update(master_list: Path, root_path: Path | None, force: bool, data_dir: Path | None,
                 lang: str | None) -> None:
    """Refresh the station's anchors from a newer ICAO master list (signature verified; difference shown)."""
    lang = language(lang)
    try:
        result = update_trust(data_dir or default_data_dir(), master_list, root_path, force)
    except CardError as exc:
        _fail_error(exc, lang)
    click.echo(json.dumps(result.to_dict(lang), ensure_ascii=False, indent=2))


def _headless_keys(qr_image: Path | None, can: str | None, mrz: str | None, expected_id: str | None,
                   lang: str) -> CardKeys:
    if mrz:
        return CardKeys(mrz=mrz, expected_id=expected_id, source="mrz")
    if qr_image is not None:
        import cv2

        image = cv2.imread(str(qr_image))
        decoded = decode_qr(image) if image is not None else None
        if not decoded:
            raise ValueError(text("client.cli.no_qr", lang, path=qr_image))
        from card_reader.qr import read_qr

        return CardKeys(qr_text=decoded, expected_id=expected_id or read_qr(decoded).id_number, source="qr")
    if can:
        return CardKeys(can=can, expected_id=expected_id or (can if len(can) == 12 else None), source="can")
    if expected_id:
        return CardKeys(can=expected_id, expected_id=expected_id, source="roster")
    raise ValueError(text("client.cli.no_keys", lang))


if __name__ == "__main__":
    main()

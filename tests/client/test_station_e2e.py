"""End to end: a real server process, real pcscd with the virtual CCCD chip, and the station
(with image files as its camera) checking candidates in.

Covers: a valid candidate (keys from the card's QR in the camera picture) is checked in and logs
in with the code; a candidate of another room is refused with that room named; a tampered chip
is refused; someone else's face is refused, then overridden with a reason that the server
audits; the server going away and coming back loses no check-in and records none twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy import func, select

from card_reader.trust import load_trust_store
from card_reader.virtual.faults import Faults
from card_reader.virtual.identity import Identity
from card_reader.virtual.vpcd import PORTS, reader_name
from exam_client.camera import ImageFileCamera
from exam_client.chip import CardReaderChip
from exam_client.faces import FaceMatcher
from exam_client.outbox import EntryState, ServerUnreachable
from exam_client.station.service import Station, StationConfig
from tests.client.e2e_support import identity, qr_text, set_camera, wait_for, with_qr
from tests.client.live_server import LiveServer
from tests.conftest import free_port
from tests.support.seed import EXAMINER, STAFF_PASSWORD, Seeded, seed_sitting, username

pytestmark = [pytest.mark.pcsc, pytest.mark.faces, pytest.mark.slow]

# The second vpcd reader: the card reader's own tests mostly use the first.
CARD_PORT = PORTS[1]
PEOPLE = {
    "valid": ("001207012345", "Nguyễn Văn An", 0, "M04"),
    "other_room": ("001207000002", "Trần Thị Bình", 1, "M04"),
    "tampered": ("001207000003", "Lê Văn Cường", 0, "M05"),
    "impostor": ("001207000004", "Phạm Thị Dung", 0, "M06"),
    "offline": ("001207000005", "Hoàng Văn Em", 0, "M07"),
    "browser": ("001207000006", "Đỗ Thị Giang", 0, "M08"),
    "headless": ("001207000007", "Vũ Văn Hùng", 0, "M09"),
    "still_photo": ("001207000008", "Ngô Thị Lan", 0, "M10"),
}


@dataclass
class World:
    app: Flask
    seeded: Seeded
    server: LiveServer
    invigilator: str
    people: dict[str, Identity]
    pictures: dict[str, Path]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, faces_dir: Path) -> Iterator[World]:
    from exam_server.app import create_app
    from exam_server.exams import lifecycle, service
    from exam_server.migrations import upgrade

    base = tmp_path_factory.mktemp("checkin-e2e")
    url = f"sqlite:///{base / 'exam.db'}"
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(base / "instance"), "REDIS_URL": "",
                      "SOCKETIO_ASYNC_MODE": "threading"})
    people = {key: identity(id_number, name) for key, (id_number, name, _, _) in PEOPLE.items()}
    with app.app_context():
        upgrade(app)
        seeded = seed_sitting(rooms=2, per_room=3, open_checkin=False)
        for id_number, name, room_index, seat in PEOPLE.values():
            person = identity(id_number, name)
            service.add_registration(seeded.sitting_id, sbd=f"09{id_number[-4:]}", full_name=name,
                                     dob=person.date_of_birth, citizen_id=id_number,
                                     room_id=seeded.room_ids[room_index], seat=seat)
        from exam_server.db import session as db

        db.commit()
        lifecycle.open_checkin(seeded.sitting_id, EXAMINER)  # creates every candidate's attempt
        invigilator = username(seeded, "inv1")
    pictures = {
        "match": faces_dir / "obama2.jpg",
        "other": faces_dir / "biden.jpg",
        "match_with_qr": with_qr(faces_dir / "obama2.jpg", qr_text(people["valid"]), base / "valid-with-qr.jpg"),
    }
    server = LiveServer(url, free_port(), base / "instance").start()
    try:
        yield World(app, seeded, server, invigilator, people, pictures)
    finally:
        server.stop()


@pytest.fixture(scope="module")
def camera_file(world: World, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("camera") / "camera.jpg"
    set_camera(path, world.pictures["match"])
    return path


@pytest.fixture(scope="module")
def station(world: World, camera_file: Path, csca_file: Path, pcscd: None,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[Station]:
    config = StationConfig(server_url=world.server.url, room=str(world.seeded.room_ids[0]),
                           data_dir=tmp_path_factory.mktemp("station"), station_name="Cửa phòng P01",
                           reader=reader_name(CARD_PORT))
    st = Station(config, ImageFileCamera(camera_file), CardReaderChip(load_trust_store([csca_file])), FaceMatcher())
    st.start()
    st.login(world.invigilator, STAFF_PASSWORD)
    yield st
    st.stop()


def check_in(station: Station, vpcd_card: Any, make_chip: Any, person: Identity, **chip: Any) -> dict[str, Any]:
    """Place the person's card on the reader and wait for the station's decision."""
    wait_for(lambda: station.card_state == "waiting", what="the station to see an empty reader")
    before = station.last
    card = vpcd_card(make_chip(identity=person, **chip), port=CARD_PORT)
    result = wait_for(lambda: station.last if station.last is not before and station.card_state == "read" else None,
                      timeout=30, what="a check-in decision")
    card.stop()
    return result.to_dict()


def test_valid_candidate_checked_in_with_qr_keys_and_logs_in(
        world: World, station: Station, camera_file: Path, vpcd_card: Any, make_chip: Any) -> None:
    set_camera(camera_file, world.pictures["match_with_qr"])
    result = check_in(station, vpcd_card, make_chip, world.people["valid"])
    assert result["status"] == "accepted", result
    assert result["decision"]["reasons"] == []
    assert result["face"]["matched"] and result["face"]["distance"] < 0.6
    assert result["seat"] == "M04" and len(result["login_code"]) == 8
    checks = {c["name"]: c["status"] for c in result["verification"]["checks"]}
    assert checks["passive_authentication"] == "passed"
    assert "religion" not in result["verification"]["personal_data"]
    # The candidate's workstation logs in with the code.
    http = requests.Session()
    csrf = http.get(f"{world.server.url}/api/v1/auth/csrf").json()["csrf_token"]
    login = http.post(f"{world.server.url}/api/v1/auth/candidate-login",
                      json={"code": result["login_code"], "seat": result["seat"]}, headers={"X-CSRFToken": csrf})
    assert login.status_code == 200, login.text
    assert next(c for c in station.roster.candidates() if c["citizen_id"] == "001207012345")["status"] == "checked_in"


def test_candidate_of_another_room_is_refused_naming_it(
        world: World, station: Station, camera_file: Path, vpcd_card: Any, make_chip: Any) -> None:
    set_camera(camera_file, world.pictures["match"])
    station.type_keys(world.people["other_room"].id_number)
    result = check_in(station, vpcd_card, make_chip, world.people["other_room"])
    assert result["status"] == "refused" and result["login_code"] is None
    reason = result["server"]["reasons"][0]
    assert reason["code"] == "checkin.other_room" and reason["params"]["room"] == "P02"


def test_tampered_chip_is_refused(
        world: World, station: Station, camera_file: Path, vpcd_card: Any, make_chip: Any) -> None:
    set_camera(camera_file, world.pictures["match"])
    station.type_keys(world.people["tampered"].id_number)
    result = check_in(station, vpcd_card, make_chip, world.people["tampered"], faults=Faults(tamper=frozenset({13})))
    assert result["status"] == "refused", result
    assert result["decision"]["reasons"][0]["code"] == "client.decision.chip_failed"
    assert "passive_authentication" in result["decision"]["reasons"][0]["params"]["detail"]
    assert result["login_code"] is None


def test_someone_elses_face_is_refused_then_overridden(
        world: World, station: Station, camera_file: Path, vpcd_card: Any, make_chip: Any) -> None:
    set_camera(camera_file, world.pictures["other"])
    station.type_keys(world.people["impostor"].id_number)
    result = check_in(station, vpcd_card, make_chip, world.people["impostor"])
    assert result["status"] == "refused" and result["login_code"] is None
    assert result["decision"]["reasons"][0]["code"] == "client.decision.face_mismatch"
    assert result["face"]["distance"] > 0.6
    overridden = station.override("Đã đối chiếu CCCD và giấy báo dự thi, ảnh chụp cũ").to_dict()
    assert overridden["status"] == "accepted" and len(overridden["login_code"]) == 8
    from exam_server.checkin.models import CheckIn
    from exam_server.db import session as db
    from exam_server.events.models import Event

    with world.app.app_context():
        event = db.scalar(select(Event).where(Event.action == "checkin.override",
                                              Event.sitting_id == world.seeded.sitting_id))
        assert event is not None and event.reason.startswith("Đã đối chiếu")
        assert event.actor == f"invigilator:{world.invigilator}"
        records = db.scalars(select(CheckIn).where(CheckIn.citizen_id == "001207000004").order_by(CheckIn.id)).all()
        assert [r.status for r in records] == ["refused", "accepted"]
        assert records[1].override_reason.startswith("Đã đối chiếu")


def test_server_down_and_back_loses_nothing_and_duplicates_nothing(
        world: World, station: Station, camera_file: Path, vpcd_card: Any, make_chip: Any) -> None:
    set_camera(camera_file, world.pictures["match"])
    world.server.stop()
    try:
        # A station (re)started while the server is away: the invigilator still logs in with the
        # token cached at the last online login, but only with the same password.
        station.logout()
        with pytest.raises(ServerUnreachable):
            station.login(world.invigilator, "not-the-password")
        station.login(world.invigilator, STAFF_PASSWORD)
        assert station.runner is not None and not station.server_online
        station.type_keys(world.people["offline"].id_number)
        result = check_in(station, vpcd_card, make_chip, world.people["offline"])
        assert result["status"] == "queued" and result["queued"], result
        assert [e.checkin_id for e in station.outbox.pending()] == [result["checkin_id"]]
        assert not station.server_online
    finally:
        world.server.start()
    # The queue sender resends it; the station shows the server's answer when it arrives.
    wait_for(lambda: not station.outbox.pending(), timeout=30, what="the queue to drain")
    entry = station.outbox.get(result["checkin_id"])
    assert entry is not None and entry.state is EntryState.SENT
    assert entry.response["status"] == "accepted" and entry.response["seat"] == "M07"
    shown = wait_for(lambda: station.last.to_dict() if not station.last.queued else None, what="the answer shown")
    assert shown["login_code"] == entry.response["login_code"]
    # A second send of the same check-in (a lost answer) is recognised, not recorded again.
    again = station.server.send_checkin(entry.payload)
    assert again["duplicate"] is True
    from exam_server.checkin.models import CheckIn
    from exam_server.db import session as db

    with world.app.app_context():
        count = db.scalar(select(func.count()).select_from(CheckIn).where(CheckIn.citizen_id == "001207000005"))
        assert count == 1


@pytest.mark.browser
def test_station_page_drives_one_check_in(
        world: World, station: Station, camera_file: Path, vpcd_card: Any, make_chip: Any, chromium_path: str) -> None:
    """The invigilator logs in on the page, types the expected ID with the keyboard, the card goes
    on the reader, and the page shows the decision, seat and code, and the roster status."""
    import threading

    from playwright.sync_api import expect, sync_playwright

    from exam_client.station import serve

    set_camera(camera_file, world.pictures["match"])
    station.logout()
    server = serve(station, 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/"
    person = world.people["browser"]
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path, headless=True, args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run"])
            page = browser.new_page()
            page.goto(url)
            expect(page.locator("html")).to_have_attribute("lang", "vi")
            page.fill("#username", world.invigilator)
            page.fill("#password", STAFF_PASSWORD)
            page.keyboard.press("Enter")
            expect(page.get_by_test_id("roster")).to_contain_text("Đỗ Thị Giang", timeout=15000)
            expect(page.get_by_test_id("card-state")).to_have_text("Đặt thẻ CCCD lên đầu đọc")
            page.keyboard.press("/")
            page.keyboard.type(person.id_number)
            page.keyboard.press("Enter")
            wait_for(lambda: station.typed_keys is not None, what="the typed ID to reach the station")
            card = vpcd_card(make_chip(identity=person), port=CARD_PORT)
            wait_for(lambda: station.card_state == "read", timeout=30, what="the decision")
            assert station.last is not None and station.last.decision.accepted, station.last.to_dict()
            expect(page.get_by_test_id("decision")).to_have_attribute("data-status", "accepted", timeout=30000)
            expect(page.get_by_test_id("seat")).to_have_text("M08")
            code = page.get_by_test_id("login-code").inner_text()
            assert len(code) == 8
            expect(page.locator('tr[data-sbd="090006"]')).to_have_attribute("data-status", "checked_in", timeout=15000)
            assert page.locator("#chip-photo").evaluate("img => img.complete && img.naturalWidth > 0")
            # English on one key press.
            page.keyboard.press("L")
            expect(page.locator("html")).to_have_attribute("lang", "en")
            expect(page.get_by_test_id("card-state")).to_contain_text("Card read", timeout=10000)
            card.stop()
            browser.close()
    finally:
        server.shutdown()
        server.server_close()


def test_headless_checkin_prints_the_decision(
        world: World, csca_file: Path, vpcd_card: Any, make_chip: Any, tmp_path: Path) -> None:
    """`exam-client checkin` with a photo as the camera and the card front's QR as the keys."""
    import json
    import os
    import subprocess
    import sys

    import cv2

    person = world.people["headless"]
    qr = cv2.QRCodeEncoder.create().encode(qr_text(person))
    qr_file = tmp_path / "card-front.png"
    cv2.imwrite(str(qr_file), cv2.copyMakeBorder(cv2.resize(qr, None, fx=6, fy=6, interpolation=cv2.INTER_NEAREST),
                                                 30, 30, 30, 30, cv2.BORDER_CONSTANT, value=255))
    card = vpcd_card(make_chip(identity=person), port=CARD_PORT)
    done = subprocess.run(
        [sys.executable, "-m", "exam_client.cli", "checkin", "--server", world.server.url,
         "--room", str(world.seeded.room_ids[0]), "--reader", reader_name(CARD_PORT),
         "--image", str(world.pictures["match"]), "--qr-image", str(qr_file), "--user", world.invigilator,
         "--trust", str(csca_file), "--data-dir", str(tmp_path / "data")],
        env={**os.environ, "EXAM_CLIENT_PASSWORD": STAFF_PASSWORD}, capture_output=True, text=True, timeout=120)
    card.stop()
    assert done.returncode == 0, done.stderr
    decision = json.loads(done.stdout)
    assert decision["status"] == "accepted" and decision["seat"] == "M09" and len(decision["login_code"]) == 8
    assert decision["holder"]["full_name"] == "Vũ Văn Hùng"
    assert set(decision["timings_ms"]) == {"chip", "face", "server"}


def test_exam_with_blink_challenge_refuses_a_still_photo(
        world: World, station: Station, camera_file: Path, vpcd_card: Any, make_chip: Any) -> None:
    """Liveness is off by default and switched on per exam: then a photo held up is refused."""
    from exam_server.db import session as db
    from exam_server.exams.models import Sitting

    with world.app.app_context():
        exam_id = db.get(Sitting, world.seeded.sitting_id).exam_id
        examiner = username(world.seeded, "examiner")
    http = requests.Session()
    csrf = http.get(f"{world.server.url}/api/v1/auth/csrf").json()["csrf_token"]
    login = http.post(f"{world.server.url}/api/v1/auth/login", json={"username": examiner, "password": STAFF_PASSWORD},
                      headers={"X-CSRFToken": csrf}).json()
    policy = f"{world.server.url}/api/v1/checkin/exams/{exam_id}/policy"
    headers = {"X-CSRFToken": login["csrf_token"]}
    assert http.put(policy, json={"liveness": "blink"}, headers=headers).status_code == 200
    try:
        station.login(world.invigilator, STAFF_PASSWORD)  # the station takes the exam's policy at login
        assert station.state()["liveness"] == "blink"
        set_camera(camera_file, world.pictures["match"])
        station.type_keys(world.people["still_photo"].id_number)
        result = check_in(station, vpcd_card, make_chip, world.people["still_photo"])
        assert result["face"].get("matched"), result["face"]  # the right face ...
        assert result["status"] == "refused"  # ... but it never blinked
        assert [r["code"] for r in result["decision"]["reasons"]] == ["client.face.liveness_failed"]
    finally:
        http.put(policy, json={"liveness": ""}, headers=headers)
        station.login(world.invigilator, STAFF_PASSWORD)

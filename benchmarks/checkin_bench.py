"""Check-in benchmark: card on the reader -> decision on screen, and face match per frame.

1. Face match per frame: one live frame (HOG detection, 5-point alignment, ResNet embedding)
   compared with a cached chip-photo embedding, for a 1280x720 webcam-sized frame.
2. Card on reader -> decision, with the virtual CCCD chip in pcscd's vpcd reader, a real server
   process (SQLite) and the station's own threads, the camera being an image file showing the
   candidate holding the card's QR code:
     station loop  from the virtual card's insertion into vpcd to the decision the screen shows
                   (includes pcscd noticing the card, ~0.3 s, and the station's 0.15 s poll)
     pipeline      the station's work alone once the card is there: QR decode from the frame,
                   chip read (PACE-CAN, DG1, DG2, DG13, DG15, SOD, AA), passive authentication,
                   face match, server round trip (check-in recorded, login code issued)

    .venv/bin/python benchmarks/checkin_bench.py [--runs 15] [--frames 30]

Targets: median card -> decision under 1.5 s; face match under 300 ms per frame.
Writes benchmarks/results/checkin.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import cv2

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from card_reader import testpki  # noqa: E402
from card_reader.trust import load_trust_store  # noqa: E402
from card_reader.virtual.chip import ChipOptions, VirtualChip  # noqa: E402
from card_reader.virtual.contents import build  # noqa: E402
from card_reader.virtual.faults import Faults  # noqa: E402
from card_reader.virtual.runner import VirtualCard  # noqa: E402
from card_reader.virtual.vpcd import PORTS, reader_name, vpcd_listening  # noqa: E402
from exam_client.camera import ImageFileCamera  # noqa: E402
from exam_client.chip import CardReaderChip  # noqa: E402
from exam_client.faces import FaceMatcher  # noqa: E402
from exam_client.station.service import Station, StationConfig  # noqa: E402
from tests.client.e2e_support import identity, qr_text, wait_for, with_qr  # noqa: E402
from tests.client.live_server import LiveServer  # noqa: E402
from tests.conftest import FACES, free_port  # noqa: E402
from tests.support.seed import EXAMINER, STAFF_PASSWORD, seed_sitting, username  # noqa: E402

OUT = ROOT / "benchmarks" / "results" / "checkin.md"
PERSON = identity("001207012345", "Nguyễn Văn An")


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def face_bench(frames: int) -> dict[str, float]:
    matcher = FaceMatcher()
    matcher.warm_up()
    chip = cv2.resize(cv2.imread(str(FACES / "obama.jpg")), (240, 300))
    reference = matcher.analyse(chip, reference=True).embedding
    frame = cv2.imread(str(FACES / "obama2.jpg"))
    canvas = cv2.resize(frame, (int(frame.shape[1] * 720 / frame.shape[0]), 720))
    webcam = cv2.copyMakeBorder(canvas, 0, 0, 0, max(0, 1280 - canvas.shape[1]), cv2.BORDER_CONSTANT, value=(90, 90, 90))
    times, detect = [], []
    for _ in range(frames):
        started = time.perf_counter()
        live = matcher.analyse(webcam)
        result = matcher.compare(reference, live.embedding)
        times.append((time.perf_counter() - started) * 1000)
        assert result.matched
        started = time.perf_counter()
        matcher.detect(webcam)
        detect.append((time.perf_counter() - started) * 1000)
    return {"median": statistics.median(times), "p95": pct(times, 95), "detect": statistics.median(detect),
            "shape": f"{webcam.shape[1]}x{webcam.shape[0]}"}


def setup_server(base: Path) -> tuple[LiveServer, int, str]:
    from exam_server.app import create_app
    from exam_server.db import session as db
    from exam_server.exams import lifecycle, service
    from exam_server.migrations import upgrade

    url = f"sqlite:///{base / 'exam.db'}"
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(base / "instance"), "REDIS_URL": ""})
    with app.app_context():
        upgrade(app)
        seeded = seed_sitting(rooms=1, per_room=3, open_checkin=False)
        service.add_registration(seeded.sitting_id, sbd="099999", full_name=PERSON.full_name,
                                 dob=PERSON.date_of_birth, citizen_id=PERSON.id_number,
                                 room_id=seeded.room_ids[0], seat="M04")
        db.commit()
        lifecycle.open_checkin(seeded.sitting_id, EXAMINER)
        invigilator = username(seeded, "inv1")
    server = LiveServer(url, free_port(), base / "instance").start()
    return server, seeded.room_ids[0], invigilator


def card_bench(runs: int, port: int, base: Path) -> dict[str, list[float] | dict[str, list[float]]]:
    pki = testpki.generate()
    csca = pki.write_csca(base)
    chip_contents = build(PERSON, pki, FACES / "obama.jpg", 0, "rsa", Faults())
    camera_file = with_qr(FACES / "obama2.jpg", qr_text(PERSON), base / "camera.jpg")
    server, room_id, invigilator = setup_server(base)
    config = StationConfig(server_url=server.url, room=str(room_id), data_dir=base / "station",
                           station_name="bench", reader=reader_name(port))
    station = Station(config, ImageFileCamera(camera_file), CardReaderChip(load_trust_store([csca])), FaceMatcher())
    station.start()
    station.login(invigilator, STAFF_PASSWORD)
    loop: list[float] = []
    steps: dict[str, list[float]] = {"keys": [], "chip": [], "face": [], "server": [], "pipeline": []}
    try:
        for _ in range(runs + 1):  # the first run warms caches (extended-length verdict, models)
            wait_for(lambda: station.card_state == "waiting", what="an empty reader")
            before = station.last
            card = VirtualCard(VirtualChip(chip_contents, ChipOptions(), Faults()), port)
            card.start()  # waits for the vpcd port's lock (other users of vpcd), then inserts
            started = time.perf_counter()
            result = wait_for(lambda b=before: station.last if station.last is not b and station.card_state == "read"
                              else None, timeout=30, what="a decision")
            elapsed = (time.perf_counter() - started) * 1000
            card.stop()
            assert result.decision.accepted and result.server and result.server["status"] == "accepted", result.to_dict()
            if before is None:
                continue
            loop.append(elapsed)
            for name, value in result.timings.steps.items():
                steps[name].append(value)
            steps["pipeline"].append(sum(result.timings.steps.values()))
    finally:
        station.stop()
        server.stop()
    return {"loop": loop, "steps": steps}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--frames", type=int, default=30)
    parser.add_argument("--port", type=int, default=PORTS[1])
    args = parser.parse_args()
    if not FACES.is_dir():
        sys.exit(f"face photos not found at {FACES}")
    if not vpcd_listening(args.port):
        sys.exit(f"vpcd does not listen on port {args.port}: start pcscd with vsmartcard-vpcd")
    load_before = os.getloadavg()[0]
    face = face_bench(args.frames)
    with tempfile.TemporaryDirectory() as tmp:
        card = card_bench(args.runs, args.port, Path(tmp))
    load_after = os.getloadavg()[0]
    loop = card["loop"]
    steps = card["steps"]
    lines = [
        "# Check-in benchmark",
        "",
        f"Command: `.venv/bin/python benchmarks/checkin_bench.py --runs {args.runs} --frames {args.frames}`",
        f"Machine: {platform.machine()}, 2 cores / 24 GiB, Debian, Python {platform.python_version()}; "
        f"shared with other engineers' work while measured (1-minute load average {load_before:.1f} before, "
        f"{load_after:.1f} after, on 2 cores).",
        "",
        "| measure | median | p95 | target |",
        "|---|---|---|---|",
        f"| face match per frame ({face['shape']}, detect + align + embed + compare) | "
        f"{face['median']:.0f} ms | {face['p95']:.0f} ms | < 300 ms |",
        f"| &nbsp;&nbsp;of which HOG detection (frame shrunk to 800 px) | {face['detect']:.0f} ms | | |",
        f"| card on reader -> decision on screen (station loop, {len(loop)} runs) | "
        f"{statistics.median(loop):.0f} ms | {pct(loop, 95):.0f} ms | median < 1500 ms |",
    ]
    for name in ("keys", "chip", "face", "server", "pipeline"):
        values = steps.get(name) or []
        if values:
            lines.append(f"| &nbsp;&nbsp;{name} | {statistics.median(values):.0f} ms | {pct(values, 95):.0f} ms | |")
    lines += [
        "",
        "Steps: `keys` = QR decode of the camera frame and key derivation; `chip` = PC/SC read through pcscd + vpcd "
        "(PACE-CAN, COM, DG1, DG2 ~15 KB, DG13, DG15, SOD, active authentication) and passive authentication; "
        "`face` = chip photo + live frame through dlib (the live frame's HOG detection and ResNet embedding dominate); "
        "`server` = queue write + HTTP POST to a real server process (SQLite), check-in recorded, login code issued. "
        "The station loop adds pcscd noticing the card and the station's 150 ms presence poll (loop minus pipeline). "
        "The live frame is analysed in a worker process while the chip is read (dlib's embedding holds the GIL), "
        "so `face` is mostly the chip photo's embedding.",
        "",
        "Limiting resource: CPU — the dlib face embedding (two ResNet passes: chip photo and live frame) and "
        "the chip read; the server round trip is small.",
    ]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

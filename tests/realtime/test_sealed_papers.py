"""Papers before the start: sealed at login, opened by the key of the start push.

Against a real gunicorn+gevent server (SQLite): the waiting page gets its own code's paper
sealed and no key through anything it can reach; the start push carries the key of its own code
only (and no paper); a page that connects later gets the key in its state; a handed-in attempt
gets no key. In-process, on SQLite and PostgreSQL: keys made when check-in opens, a revision
change re-encrypts under the same key, a tampered or misdirected ciphertext never opens. And
the page's own module (`paper_crypto.js`, run by node's WebCrypto) opens what the server seals.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidTag

from tests.conftest import ROOT, require
from tests.realtime.conftest import (
    Recorder,
    Seeded,
    ServerProcess,
    login_candidate,
    login_staff,
    make_app,
    seed_sitting,
)

EXAM = "/exam"


def code_keys(seeded: Seeded, instance: Path) -> dict[str, bytes]:
    """The keys as the server stored them, by paper code (read straight from the database)."""
    from sqlalchemy import select

    from exam_server.db import session as dbs
    from exam_server.exams.models import PaperKey

    app = make_app(seeded.db_url, instance)
    with app.app_context():
        rows = dbs.execute(select(PaperKey.code, PaperKey.key).where(PaperKey.sitting_id == seeded.sitting_id)).all()
        dbs.rollback()
    return {code: bytes(key) for code, key in rows}


def key_forms(key: bytes) -> list[str]:
    """Every way a key could show up in a text: base64 (standard and URL-safe, padded or not) and hex."""
    std = base64.b64encode(key).decode()
    url = base64.urlsafe_b64encode(key).decode()
    return [std, std.rstrip("="), url, url.rstrip("="), key.hex(), key.hex().upper()]


def assert_no_key(texts: list[str], keys: dict[str, bytes], where: str) -> None:
    for text in texts:
        for code, key in keys.items():
            for form in key_forms(key):
                assert form not in text, f"the key of code {code} appears in {where}"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, Seeded, Path]]:
    tmp = tmp_path_factory.mktemp("sealed")
    url = f"sqlite:///{tmp / 'exam.db'}"
    seeded = seed_sitting(url, tmp, extra_codes=("0102",))
    server = ServerProcess(url, tmp)
    yield server, seeded, tmp
    server.stop()


def candidate(server: ServerProcess, seeded: Seeded, sbd: str) -> tuple[Any, Recorder, int]:
    cand = seeded.candidates[sbd]
    if "http" not in cand:
        cand["http"] = login_candidate(server.url, cand["code"])
    rec = Recorder(cand["http"])
    rec.connect(server.url, EXAM, {"attempt": cand["attempt"]})
    return cand["http"], rec, cand["attempt"]


def own_code(seeded: Seeded, instance: Path, sbd: str) -> str:
    from sqlalchemy import select

    from exam_server.db import session as dbs
    from exam_server.exams.models import Paper, Registration

    app = make_app(seeded.db_url, instance)
    with app.app_context():
        code = dbs.scalar(select(Paper.code).join(Registration, Registration.paper_id == Paper.id)
                          .where(Registration.id == seeded.candidates[sbd]["registration"]))
        dbs.rollback()
    assert code is not None
    return code


def public_paper(seeded: Seeded, instance: Path, code: str) -> list[dict[str, Any]]:
    """What the page renders for that code: `public_dict()` of the snapshot, in paper order."""
    from sqlalchemy import select

    from exam_server.db import session as dbs
    from exam_server.exams.models import Paper
    from question_bank.model import Question

    app = make_app(seeded.db_url, instance)
    with app.app_context():
        snapshot = dbs.scalar(select(Paper.snapshot).where(Paper.sitting_id == seeded.sitting_id, Paper.code == code))
        dbs.rollback()
    return [Question.from_dict(q).public_dict() for q in snapshot]


def test_waiting_page_holds_its_sealed_paper_and_no_key(world: tuple[ServerProcess, Seeded, Path]) -> None:
    from exam_server.exams.paper_crypto import open_sealed

    server, seeded, tmp = world
    keys = code_keys(seeded, tmp)
    assert set(keys) == {"0101", "0102"}, "check-in opening makes one key per paper code"
    assert all(len(k) == 32 for k in keys.values()) and keys["0101"] != keys["0102"]
    code = own_code(seeded, tmp, "010002")
    assert code == "0102"
    texts: list[str] = []
    cand = seeded.candidates["010002"]
    http = login_candidate(server.url, cand["code"])
    cand["http"] = http
    texts.append(http.get(server.url + "/exam", timeout=10).text)  # the page itself
    view = http.get(server.url + "/api/v1/attempt", timeout=10)
    texts.append(view.text)
    texts.append(http.get(f"{server.url}/api/v1/attempts/{cand['attempt']}", timeout=10).text)
    rec = Recorder(http)
    rec.connect(server.url, EXAM, {"attempt": cand["attempt"]})
    try:
        hello = rec.call("hello", {"attempt": cand["attempt"]}, EXAM)
        texts.append(json.dumps(hello))
        sealed = hello["sealed_paper"]
        assert hello["paper"] is None and hello["state"]["phase"] == "waiting"
        assert "paper_key" not in hello["state"]
        assert sealed["code"] == code and sealed["sitting"] == seeded.sitting_id and sealed["alg"] == "AES-256-GCM"
        # exactly what the page renders after the start, and only under its own code's key
        assert open_sealed(keys[code], sealed) == public_paper(seeded, tmp, code)
        with pytest.raises(InvalidTag):
            open_sealed(keys["0101"], sealed)
        assert view.json()["sealed_paper"]["id"] == sealed["id"] and view.json()["questions"] == []
        # a page naming the copy it holds is not sent it again (socket and HTTP)
        again = rec.call("hello", {"attempt": cand["attempt"], "sealed": sealed["id"]}, EXAM)
        assert again["sealed_paper"] is None and again["paper"] is None
        held = http.get(server.url + "/api/v1/attempt", params={"sealed": sealed["id"]}, timeout=10).json()
        assert "sealed_paper" not in held
        # every other answer a waiting candidate can provoke
        texts.append(json.dumps(rec.call("save", {"attempt": cand["attempt"], "q": 1, "seq": 1, "value": "A"}, EXAM)))
        texts.append(json.dumps(rec.call("submit", {"attempt": cand["attempt"]}, EXAM)))
        texts.append(json.dumps(rec.call("hello", {"attempt": cand["attempt"] + 1}, EXAM)))
        texts.append(http.put(f"{server.url}/api/v1/attempts/{cand['attempt']}/responses/1",
                              json={"seq": 2, "value": "A"}, timeout=10).text)
        texts.append(http.post(f"{server.url}/api/v1/attempts/{cand['attempt']}/submit", json={}, timeout=10).text)
        texts.append(http.get(f"{server.url}/api/v1/attempts/{seeded.candidates['010001']['attempt']}", timeout=10).text)
        texts.append(http.get(server.url + "/api/v1/time", timeout=10).text)
        texts.append(json.dumps(rec.received))
    finally:
        rec.close()
    assert_no_key(texts, keys, "a waiting candidate's responses and pushes")
    assert_no_key([server.log.read_text(errors="replace")], keys, "the server log")


def test_start_push_carries_own_key_only(world: tuple[ServerProcess, Seeded, Path]) -> None:
    from exam_server.exams.paper_crypto import open_sealed

    server, seeded, tmp = world
    keys = code_keys(seeded, tmp)
    recs = {sbd: candidate(server, seeded, sbd) for sbd in ("010001", "010002")}
    try:
        sealed = {sbd: rec.call("hello", {"attempt": aid}, EXAM)["sealed_paper"] for sbd, (_, rec, aid) in recs.items()}
        staff = login_staff(server.url, next(n for n, r in seeded.staff.items() if r == "invigilator_a"))
        assert staff.post(f"{server.url}/api/v1/rooms/{seeded.rooms['P01']}/start", json={}, timeout=10).ok
        for sbd, (http, rec, aid) in recs.items():
            code = own_code(seeded, tmp, sbd)
            other = next(c for c in keys if c != code)
            push = rec.wait_for(lambda e, d: e == "state" and d.get("phase") == "writing")
            key = push["paper_key"]
            assert key["code"] == code and base64.b64decode(key["key"]) == keys[code]
            assert key["id"] == sealed[sbd]["id"] and key["rev"] == sealed[sbd]["rev"]
            assert "paper" not in push and isinstance(push["server_time"], int) and push["deadline"] > push["server_time"]
            assert_no_key([json.dumps(rec.received)], {other: keys[other]}, f"the pushes to {sbd}")
            # the page opens what it held with the pushed key: the same paper the server would send
            opened = open_sealed(base64.b64decode(key["key"]), sealed[sbd])
            plain = rec.call("hello", {"attempt": aid}, EXAM)
            assert plain["paper"] == opened == public_paper(seeded, tmp, code)
            assert plain["sealed_paper"] is None  # after the start nothing sealed is sent
            # a page holding the current copy gets only the key, not the paper again
            holds = rec.call("hello", {"attempt": aid, "sealed": sealed[sbd]["id"]}, EXAM)
            assert holds["paper"] is None and holds["state"]["paper_key"] == key
            # a page holding a stale copy (another revision) gets the paper itself
            stale = rec.call("hello", {"attempt": aid, "sealed": sealed[sbd]["id"][:-1] + "9"}, EXAM)
            assert stale["paper"] == opened
            # the HTTP fallback renders without any key: the paper itself
            view = http.get(server.url + "/api/v1/attempt", timeout=10).json()
            assert [{k: v for k, v in q.items() if k != "no"} for q in view["questions"]] == opened
            assert "sealed_paper" not in view
    finally:
        for _, rec, _ in recs.values():
            rec.close()


def test_late_connection_gets_key_and_pause_resume_extra_time_keep_it(world: tuple[ServerProcess, Seeded, Path]) -> None:
    server, seeded, tmp = world
    keys = code_keys(seeded, tmp)
    staff = login_staff(server.url, next(n for n, r in seeded.staff.items() if r == "invigilator_a"))
    r = staff.post(f"{server.url}/api/v1/rooms/{seeded.rooms['P01']}/start", json={}, timeout=10)
    assert r.status_code in (200, 409)  # 409: started by the test before
    _, rec, aid = candidate(server, seeded, "010003")  # first connection after the start
    try:
        hello = rec.call("hello", {"attempt": aid}, EXAM)
        assert hello["state"]["phase"] == "writing"
        assert base64.b64decode(hello["state"]["paper_key"]["key"]) == keys[own_code(seeded, tmp, "010003")]
        assert staff.post(f"{server.url}/api/v1/attempts/{aid}/pause", json={"reason": "mất điện"}, timeout=10).ok
        paused = rec.wait_for(lambda e, d: e == "state" and d.get("phase") == "paused")
        assert paused["paper_key"] == hello["state"]["paper_key"] and paused["deadline"] is None
        assert staff.post(f"{server.url}/api/v1/attempts/{aid}/resume", json={}, timeout=10).ok
        resumed = rec.wait_for(lambda e, d: e == "state" and d.get("phase") == "writing" and d is not hello["state"])
        assert resumed["paper_key"] == hello["state"]["paper_key"]
        assert staff.post(f"{server.url}/api/v1/attempts/{aid}/extra-time", json={"seconds": 600, "reason": "thí sinh khuyết tật"}, timeout=10).ok
        extra = rec.wait_for(lambda e, d: e == "state" and d.get("extra_seconds_added") == 600)
        assert extra["deadline"] - extra["server_time"] > hello["state"]["deadline"] - hello["state"]["server_time"]
        # handed in: no key any more, in the reply nor in a later sync
        done = rec.call("submit", {"attempt": aid}, EXAM)
        assert done["ok"] and done["state"]["phase"] == "submitted" and "paper_key" not in done["state"]
        after = rec.call("hello", {"attempt": aid, "sealed": hello["state"]["paper_key"]["id"]}, EXAM)
        assert "paper_key" not in after["state"] and after["paper"] is None and after["sealed_paper"] is None
    finally:
        rec.close()


# ---------------------------------------------------------------- in process ------------------
@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'exam.db'}"
    return str(request.getfixturevalue("postgres_url"))


def test_revision_change_reencrypts_under_the_same_key(db_url: str, tmp_path: Path) -> None:
    from sqlalchemy import select

    from exam_server.db import session as dbs
    from exam_server.exams import paper_crypto
    from exam_server.exams.models import Paper, PaperKey

    seeded = seed_sitting(db_url, tmp_path, extra_codes=("0102",))
    app = make_app(db_url, tmp_path)
    app.config["CACHE_PAPER_CHECK_SECONDS"] = 3600.0  # only `fresh` re-checks here
    with app.app_context():
        paper = dbs.scalars(select(Paper).where(Paper.sitting_id == seeded.sitting_id, Paper.code == "0101")).one()
        key = dbs.scalar(select(PaperKey.key).where(PaperKey.sitting_id == seeded.sitting_id, PaperKey.code == "0101"))
        assert key is not None
        first = paper_crypto.sealed_paper(dbs, paper.id)
        assert paper_crypto.sealed_paper(dbs, paper.id) is first  # cached per revision
        # a key correction rewrites the snapshot and bumps the revision
        snapshot = [dict(q) for q in paper.snapshot]
        snapshot[0]["stem"] = "Tính $\\sqrt{25}$ (đề đã sửa)."
        paper.snapshot, paper.revision = snapshot, paper.revision + 1
        dbs.commit()
        second = paper_crypto.sealed_paper(dbs, paper.id, fresh=True)
        assert second["rev"] == first["rev"] + 1 and second["id"] != first["id"]
        assert second["nonce"] != first["nonce"] and second["ct"] != first["ct"]
        assert paper_crypto.open_sealed(bytes(key), second)[0]["stem"] == "Tính $\\sqrt{25}$ (đề đã sửa)."
        assert paper_crypto.open_sealed(bytes(key), first)[0]["stem"] != snapshot[0]["stem"]  # same key, old copy
        # keys stay per code: the revision did not make a new one
        assert dbs.scalar(select(PaperKey.key).where(PaperKey.sitting_id == seeded.sitting_id,
                                                     PaperKey.code == "0101")) == key
        # tampering with the ciphertext, or showing it as another code's, never opens
        flipped = bytearray(base64.b64decode(second["ct"]))
        flipped[0] ^= 1
        with pytest.raises(InvalidTag):
            paper_crypto.open_sealed(bytes(key), {**second, "ct": base64.b64encode(bytes(flipped)).decode()})
        with pytest.raises(InvalidTag):
            paper_crypto.open_sealed(bytes(key), {**second, "code": "0102"})
        with pytest.raises(InvalidTag):
            paper_crypto.open_sealed(bytes(key), {**second, "sitting": seeded.sitting_id + 1})
        dbs.rollback()


def test_sitting_without_keys_gets_them_at_first_need(db_url: str, tmp_path: Path) -> None:
    """A sitting whose check-in opened before keys existed (or whose keys row was lost) gets
    one on first use, committed on its own, and the same key every time after."""
    from sqlalchemy import delete, select

    from exam_server.db import session as dbs
    from exam_server.exams import paper_crypto
    from exam_server.exams.models import Paper, PaperKey

    seeded = seed_sitting(db_url, tmp_path)
    app = make_app(db_url, tmp_path)
    with app.app_context():
        dbs.execute(delete(PaperKey).where(PaperKey.sitting_id == seeded.sitting_id))
        dbs.commit()
        paper_id = dbs.scalar(select(Paper.id).where(Paper.sitting_id == seeded.sitting_id))
        assert paper_id is not None
        made = paper_crypto.key_for_paper(dbs, paper_id)
        dbs.rollback()  # the caller's read ends in a rollback: the key is kept anyway
        stored = dbs.scalar(select(PaperKey.key).where(PaperKey.sitting_id == seeded.sitting_id))
        assert stored == made.key and "key=" not in repr(made)
        assert paper_crypto.ensure_keys(dbs, seeded.sitting_id) == 0
        dbs.rollback()


def test_page_module_opens_what_the_server_seals(tmp_path: Path) -> None:
    """The same AES-GCM parameters on both sides: node's WebCrypto, through the page's own
    module, opens a paper sealed by the server, and refuses one shown under another code."""
    from exam_server.exams import paper_crypto

    node = shutil.which("node")
    require(node is not None, "node is not installed (needed to run the page's module)")
    key = bytes(range(32))
    questions = [{"type": "single_choice", "stem": "Thủ đô của Việt Nam? — “Hà Nội”", "points": 0.25,
                  "options": [{"id": "A", "text": "Hà Nội"}], "statements": [], "media": []}]
    data = json.dumps(questions, ensure_ascii=False).encode()
    sealed = paper_crypto.seal(key, 7, "0101", 3, data)
    paper_key = {"v": 1, "sitting": 7, "code": "0101", "rev": 3, "id": sealed["id"],
                 "key": base64.b64encode(key).decode()}
    module = (ROOT / "exam_server" / "static" / "candidate" / "paper_crypto.js").as_uri()
    script = tmp_path / "open.mjs"
    script.write_text(f"""
const store = new Map();
globalThis.window = {{ isSecureContext: true, crypto: globalThis.crypto,
  sessionStorage: {{ getItem: (k) => store.get(k) ?? null, setItem: (k, v) => store.set(k, v), removeItem: (k) => store.delete(k) }} }};
const {{ PaperVault }} = await import({json.dumps(module)});
const sealed = {json.dumps(sealed)};
const key = {json.dumps(paper_key)};
const vault = new PaperVault(42);
vault.store(sealed);
const reloaded = new PaperVault(42);  // a reload before the start: the copy is still there
const opened = await reloaded.open(key);
let misdirected = "opened";
const other = new PaperVault(43);
other.store({{ ...sealed, code: "0102" }});
try {{ await other.open({{ ...key, code: "0102" }}); }} catch (e) {{ misdirected = e.name; }}
const stale = await reloaded.open({{ ...key, rev: 4 }});
console.log(JSON.stringify({{ id: reloaded.id(), opened, misdirected, stale }}));
""", encoding="utf-8")
    out = subprocess.run([node, str(script)], capture_output=True, text=True, timeout=30, check=True)
    result = json.loads(out.stdout)
    assert result["id"] == sealed["id"]
    assert result["opened"] == questions
    assert result["misdirected"] == "OperationError"  # WebCrypto's failed authentication
    assert result["stale"] is None  # a key for another revision is not tried on this copy


@pytest.fixture(params=["sqlite", "postgresql"])
def private_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of this test alone: the migration test goes down and up again, which must
    not touch the keys of the session's shared PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'exam.db'}"
        return
    from tests.conftest import fresh_postgres_database

    with fresh_postgres_database("exam_test_keys") as url:
        yield url


def test_migration_gives_existing_papers_keys(private_db_url: str, tmp_path: Path) -> None:
    """Upgrading a database whose sittings have papers already (0007 -> 0008) keys every code."""
    db_url = private_db_url
    from alembic import command
    from sqlalchemy import func, select

    from exam_server.db import db
    from exam_server.db import session as dbs
    from exam_server.exams.models import Paper, PaperKey
    from exam_server.migrations import alembic_config, upgrade

    seeded = seed_sitting(db_url, tmp_path, extra_codes=("0102",))
    app = make_app(db_url, tmp_path)
    cfg = alembic_config(db_url)
    with db.engine(app).connect() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "0007_eventlog")
        connection.commit()
    upgrade(app)
    with app.app_context():
        papers = dbs.scalar(select(func.count()).select_from(Paper))
        keys = dbs.execute(select(PaperKey.sitting_id, PaperKey.code, PaperKey.key)).all()
        dbs.rollback()
    assert papers and len(keys) == papers
    assert {(s, c) for s, c, _ in keys if s == seeded.sitting_id} == {(seeded.sitting_id, "0101"),
                                                                      (seeded.sitting_id, "0102")}
    assert len({bytes(k) for _, _, k in keys}) == len(keys) and all(len(k) == 32 for _, _, k in keys)

"""Safe Exam Browser checks: the hash rules, then a real server enforcing them on page loads,
socket connections and saves (also behind a reverse proxy)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import socketio

from exam_server import seb
from tests.realtime.conftest import (
    Recorder,
    Seeded,
    ServerProcess,
    login_candidate,
    login_staff,
    seed_sitting,
)

CONFIG_KEY = "a" * 64
BEK_1, BEK_2 = "b" * 64, "c" * 64  # two allowed SEB builds
POLICY = seb.SebPolicy.from_settings(True, [CONFIG_KEY], [BEK_1, BEK_2])
EXAM = "/exam"


def h(url: str, key: str) -> str:
    return hashlib.sha256((url + key).encode()).hexdigest()


# -- the rules ------------------------------------------------------------------------------
def test_key_hash_is_sha256_of_url_without_fragment_plus_key() -> None:
    assert seb.key_hash("https://x.vn/exam?a=1#top", CONFIG_KEY) == h("https://x.vn/exam?a=1", CONFIG_KEY)


@pytest.mark.parametrize(("headers", "expected"), [
    ({seb.CONFIG_KEY_HEADER: h("https://x.vn/exam", CONFIG_KEY), seb.REQUEST_HASH_HEADER: h("https://x.vn/exam", BEK_2)}, ""),
    ({seb.CONFIG_KEY_HEADER: h("https://x.vn/exam", CONFIG_KEY).upper(), seb.REQUEST_HASH_HEADER: h("https://x.vn/exam", BEK_1)}, ""),
    ({seb.CONFIG_KEY_HEADER: h("https://x.vn/other", CONFIG_KEY), seb.REQUEST_HASH_HEADER: h("https://x.vn/exam", BEK_1)},
     "seb.config_key_mismatch"),
    ({seb.CONFIG_KEY_HEADER: h("https://x.vn/exam", CONFIG_KEY), seb.REQUEST_HASH_HEADER: h("https://x.vn/exam", "d" * 64)},
     "seb.browser_exam_key_mismatch"),
    ({seb.CONFIG_KEY_HEADER: h("https://x.vn/exam", CONFIG_KEY)}, "seb.browser_exam_key_mismatch"),
    ({}, "seb.missing"),
])
def test_header_check(headers: dict[str, str], expected: str) -> None:
    result = seb.check_headers(POLICY, "https://x.vn/exam", headers)
    assert result.reason == expected and result.ok is (expected == "")


def test_not_required_passes_and_required_without_keys_fails() -> None:
    assert seb.check_headers(seb.SebPolicy(), "https://x.vn/exam", {}).ok
    bare = seb.SebPolicy.from_settings(True, [], [])
    result = seb.check_headers(bare, "https://x.vn/exam", {seb.CONFIG_KEY_HEADER: "00"})
    assert result.reason == "seb.no_keys_configured"


def test_js_keys_must_be_made_for_our_candidate_page() -> None:
    page = "https://x.vn/exam"
    keys = {"configKey": h(page, CONFIG_KEY), "browserExamKey": h(page, BEK_1)}
    assert seb.check_js_keys(POLICY, page, keys, "https://x.vn", "/exam").ok
    other = "https://evil.example/exam"
    replay = {"configKey": h(other, CONFIG_KEY), "browserExamKey": h(other, BEK_1)}
    assert seb.check_js_keys(POLICY, other, replay, "https://x.vn", "/exam").reason == "seb.wrong_page"
    assert seb.check_js_keys(POLICY, page, None, "https://x.vn", "/exam").reason == "seb.missing"


# -- enforced by a real server ---------------------------------------------------------------
@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, Seeded]]:
    tmp: Path = tmp_path_factory.mktemp("seb")
    url = f"sqlite:///{tmp / 'exam.db'}"
    seeded = seed_sitting(url, tmp, require_seb=True,
                          seb_config={"config_keys": [CONFIG_KEY], "browser_exam_keys": [BEK_1, BEK_2]})
    server = ServerProcess(url, tmp, extra_env={"EXAM_PROXY_COUNT": "1"})
    yield server, seeded
    server.stop()


def js_keys(page_url: str, config_key: str = CONFIG_KEY, bek: str = BEK_1) -> dict[str, object]:
    return {"url": page_url, "keys": {"configKey": h(page_url, config_key), "browserExamKey": h(page_url, bek)}}


@pytest.mark.slow
def test_page_load_headers_checked_with_external_url_behind_proxy(world: tuple[ServerProcess, Seeded]) -> None:
    server, seeded = world
    http = login_candidate(server.url, seeded.candidates["010002"]["code"])
    external = "https://thi.truong.edu.vn/exam"
    proxied = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "thi.truong.edu.vn"}

    def load(url_for_hash: str, **extra: str) -> requests.Response:
        headers = {**proxied, seb.CONFIG_KEY_HEADER: h(url_for_hash, CONFIG_KEY),
                   seb.REQUEST_HASH_HEADER: h(url_for_hash, BEK_2), **extra}
        return http.get(server.url + "/exam", headers=headers, timeout=10, allow_redirects=False)

    assert load(external).status_code == 200
    # hashed for the internal address the proxy forwards to: not the URL the browser saw
    assert load(server.url + "/exam").status_code == 403
    wrong = load(external, **{seb.CONFIG_KEY_HEADER: h(external, "e" * 64)})
    assert wrong.status_code == 403 and "Config Key" in wrong.text

    # SEB builds that send headers on page loads only: the verified page load vouches for the
    # socket of the same session (and only that session)
    assert load(external).status_code == 200
    rec = Recorder(http)
    rec.connect(server.url, EXAM, {"attempt": seeded.candidates["010002"]["attempt"]})
    rec.close()


@pytest.mark.slow
def test_socket_keys_block_start_then_lock_running_attempt(world: tuple[ServerProcess, Seeded]) -> None:
    server, seeded = world
    cand = seeded.candidates["010001"]
    http = login_candidate(server.url, cand["code"])
    page_url = server.url + "/exam"

    # before the start, a browser without SEB (or with a foreign configuration) cannot get in
    for keys in (None, js_keys(page_url, config_key="f" * 64)):
        plain = socketio.Client(http_session=http, reconnection=False)
        with pytest.raises(socketio.exceptions.ConnectionError):
            plain.connect(server.url, namespaces=[EXAM], transports=["websocket"],
                          auth={"attempt": cand["attempt"], "seb": keys}, wait_timeout=5)
        plain.disconnect()

    rec = Recorder(http)
    rec.connect(server.url, EXAM, {"attempt": cand["attempt"], "seb": js_keys(page_url)})
    inv = next(n for n, r in seeded.staff.items() if r == "invigilator_a")
    staff = login_staff(server.url, inv)
    try:
        assert staff.post(f"{server.url}/api/v1/rooms/{seeded.rooms['P01']}/start", json={}, timeout=10).ok
        rec.wait_for(lambda e, d: e == "state" and d["phase"] == "writing", timeout=3)
        good = {"attempt": cand["attempt"], "q": 1, "seq": 1, "value": "B", "seb": js_keys(page_url)}
        assert rec.call("save", good, EXAM)["ok"]

        # keys of another configuration mid-exam: refused, attempt locked, answers kept
        bad = {**good, "seq": 2, "value": "C", "seb": js_keys(page_url, bek="9" * 64)}
        refused = rec.call("save", bad, EXAM)
        assert refused["ok"] is False and refused["code"] == "seb.browser_exam_key_mismatch" and refused["retry"]
        locked = rec.wait_for(lambda e, d: e == "state" and d["phase"] == "locked", timeout=3)
        assert "Browser Exam Key" in locked["message"]
        dash = Recorder(staff)
        dash.connect(server.url, "/monitor")
        row = next(r for r in dash.call("watch", {"room": seeded.rooms["P01"]}, "/monitor")["rows"]
                   if r["attempt"] == cand["attempt"])
        assert row["locked"] and row["seb"] == "seb.browser_exam_key_mismatch"

        # the invigilator releases it; a correct SEB goes on, the earlier answer intact
        assert dash.call("action", {"kind": "attempt.unlock", "attempt": cand["attempt"]}, "/monitor")["ok"]
        rec.wait_for(lambda e, d: e == "state" and d["phase"] == "writing", timeout=3)
        dash.close()
        assert rec.call("save", {**good, "seq": 3, "value": "D"}, EXAM)["ok"]
        hello = rec.call("hello", {"attempt": cand["attempt"], "seb": js_keys(page_url)}, EXAM)
        assert hello["answers"]["1"] == {"value": "D", "seq": 3}
    finally:
        rec.close()


@pytest.mark.slow
def test_policy_changed_mid_exam_reaches_open_sockets_and_fourth_socket_is_refused(
        world: tuple[ServerProcess, Seeded]) -> None:
    """Issue #12: the policy is read on every event (not at the handshake), and an attempt holds
    at most 3 sockets; the 4th is refused with a clear code."""
    server, seeded = world
    cand = seeded.candidates["010003"]
    http = login_candidate(server.url, cand["code"])
    page_url = server.url + "/exam"
    examiner = next(n for n, r in seeded.staff.items() if r == "examiner")
    staff = login_staff(server.url, examiner)
    staff.post(f"{server.url}/api/v1/rooms/{seeded.rooms['P01']}/start", json={}, timeout=10)  # if not yet
    seb_url = f"{server.url}/api/v1/sittings/{seeded.sitting_id}/seb"
    recs = [Recorder(http) for _ in range(3)]
    try:
        for rec in recs:
            rec.connect(server.url, EXAM, {"attempt": cand["attempt"], "seb": js_keys(page_url)})
        refused: list[object] = []
        fourth = socketio.Client(http_session=http, reconnection=False)
        fourth.on("connect_error", lambda data: refused.append(data), namespace=EXAM)
        with pytest.raises(socketio.exceptions.ConnectionError):
            fourth.connect(server.url, namespaces=[EXAM], transports=["websocket"],
                           auth={"attempt": cand["attempt"], "seb": js_keys(page_url)}, wait_timeout=5)
        fourth.disconnect()
        assert refused and isinstance(refused[0], dict)
        info = refused[0].get("data") if isinstance(refused[0].get("data"), dict) else refused[0]
        assert info["code"] == "live.error.too_many_connections" and "3" in info["message"]

        save = {"attempt": cand["attempt"], "q": 1, "seq": 1, "value": "A", "seb": js_keys(page_url)}
        assert recs[0].call("save", save, EXAM)["ok"]
        # the examiner allows only a new SEB build: the open socket's next event is checked with it
        changed = staff.put(seb_url, json={"required": True, "config_keys": [CONFIG_KEY],
                                           "browser_exam_keys": ["d" * 64]}, timeout=10)
        assert changed.ok, changed.text
        late = recs[1].call("save", {**save, "seq": 2, "value": "B"}, EXAM)
        assert late["ok"] is False and late["code"] == "seb.browser_exam_key_mismatch"
    finally:
        staff.put(seb_url, json={"required": True, "config_keys": [CONFIG_KEY], "browser_exam_keys": [BEK_1, BEK_2]},
                  timeout=10)
        for rec in recs:
            rec.close()

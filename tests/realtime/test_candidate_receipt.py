"""The candidate page in Debian's chromium against a real server: the pause overlay names the
invigilator's reason, extra time is announced with the new end time, the essay counts words,
multiple-response questions say that several answers may be chosen, answered grid cells carry a
check mark (not colour alone), and after submitting the candidate gets a receipt whose code the
board verifies through the staff endpoint, then logs out."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.realtime.conftest import Seeded, ServerProcess, login_staff, seed_sitting
from tests.realtime.test_browser import candidate_login, wait_js, wait_saved

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, Seeded]]:
    tmp = tmp_path_factory.mktemp("receipt")
    seeded = seed_sitting(f"sqlite:///{tmp / 'exam.db'}", tmp)
    server = ServerProcess(seeded.db_url, tmp)
    yield server, seeded
    server.stop()


def test_pause_reason_extra_time_word_count_grid_and_receipt(world: tuple[ServerProcess, Seeded], browser: Any) -> None:
    server, seeded = world
    cand = seeded.candidates["020001"]
    attempt = cand["attempt"]
    inv = login_staff(server.url, next(n for n, r in seeded.staff.items() if r == "invigilator_b"))
    examiner = login_staff(server.url, next(n for n, r in seeded.staff.items() if r == "examiner"))
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    candidate_login(page, server.url, cand["code"])
    page.wait_for_selector("#waiting:not([hidden])")
    assert inv.post(f"{server.url}/api/v1/rooms/{seeded.rooms['P02']}/start", json={}, timeout=10).ok
    page.wait_for_selector("#paper:not([hidden])", timeout=5000)

    # The pause overlay names the reason the invigilator gave, also after a reload.
    r = inv.post(f"{server.url}/api/v1/attempts/{attempt}/pause", json={"reason": "Máy tính bị treo"}, timeout=10)
    assert r.ok, r.text
    page.wait_for_selector("#overlay:not([hidden])", timeout=3000)
    assert page.inner_text("#overlay-reason") == "Lý do: Máy tính bị treo"
    page.reload()
    page.wait_for_selector("#overlay:not([hidden])", timeout=5000)
    assert "Máy tính bị treo" in page.inner_text("#overlay-reason")
    assert inv.post(f"{server.url}/api/v1/attempts/{attempt}/resume", json={}, timeout=10).ok
    page.wait_for_selector("#overlay", state="hidden", timeout=3000)
    assert page.is_hidden("#overlay-reason") or page.inner_text("#overlay-reason") == ""

    # Extra time: a visible notice with the minutes and the new end time (HH:MM, as the server has it).
    r = inv.post(f"{server.url}/api/v1/attempts/{attempt}/extra-time",
                 json={"seconds": 600, "reason": "Thí sinh khuyết tật"}, timeout=10)
    assert r.ok, r.text
    page.wait_for_selector("#time-notice:not([hidden])", timeout=3000)
    notice = page.inner_text("#time-notice")
    end = page.evaluate(f"new Intl.DateTimeFormat('vi-VN', {{hour: '2-digit', minute: '2-digit'}})"
                        f".format(new Date({r.json()['deadline_ms']}))")
    assert "10 phút" in notice and f"Giờ kết thúc mới: {end}" in notice, notice

    # Grid: unanswered cells have no mark and say so; answered ones get a check mark and say so.
    cell0 = ".grid .cell[data-q='0']"
    assert page.inner_text(f"{cell0} .mark") == ""
    assert "chưa trả lời" in page.get_attribute(cell0, "aria-label")
    page.check("#q0-B")
    wait_saved(page)
    assert page.inner_text(f"{cell0} .mark") == "✓"
    label = page.get_attribute(cell0, "aria-label")
    assert "đã trả lời" in label and "chưa trả lời" not in label

    # Multiple response: the visible hint is the group's name.
    page.click(".grid .cell[data-q='3']")
    assert page.inner_text("#question fieldset.choices legend") == "Chọn một hoặc nhiều đáp án"
    page.check("#q3-A")
    page.check("#q3-B")
    wait_saved(page)

    # Essay: the word count follows the typing (Vietnamese syllables count one word each).
    page.click(".grid .cell[data-q='9']")
    assert page.inner_text("#q9-words") == "0 từ"
    page.fill("#q9", "Em rất yêu  quê hương\nViệt Nam.")
    assert page.inner_text("#q9-words") == "7 từ"
    assert page.get_attribute("#q9", "aria-describedby") == "q9-words"
    wait_saved(page)

    # Submit: a receipt (time, answered of total, code) and a logout button.
    page.click("#to-review")
    page.click("#submit")
    page.click("#confirm button[value='yes']")
    page.wait_for_selector("#receipt:not([hidden])", timeout=10000)
    assert page.inner_text("#receipt-answered") == "3/10 câu"
    assert re.fullmatch(r"\d{2}:\d{2}:\d{2},? \d{2}/\d{2}/\d{4}|\d{2}/\d{2}/\d{4},? \d{2}:\d{2}:\d{2}",
                        page.inner_text("#receipt-time").strip()), page.inner_text("#receipt-time")
    code = page.inner_text("#receipt-code")
    assert re.fullmatch(rf"{attempt}-[A-Z2-7]{{5}}-[A-Z2-7]{{5}}", code), code

    # The board verifies the code; a changed code is refused; candidates and invigilators may not ask.
    checked = examiner.get(f"{server.url}/api/v1/receipts/{code}", timeout=10)
    assert checked.ok, checked.text
    body = checked.json()
    assert body["valid"] is True and body["attempt"] == attempt and body["sbd"] == "020001"
    assert (body["answered"], body["total"]) == (3, 10)
    last = code[-1]
    forged = code[:-1] + ("A" if last != "A" else "B")
    assert examiner.get(f"{server.url}/api/v1/receipts/{forged}", timeout=10).json()["valid"] is False
    assert examiner.get(f"{server.url}/api/v1/receipts/nonsense", timeout=10).json()["valid"] is False
    assert inv.get(f"{server.url}/api/v1/receipts/{code}", timeout=10).status_code == 403
    # the same check from a shell: exit 0 and the attempt for the real code, exit 1 for the forged one
    env = {**os.environ, "DATABASE_URL": seeded.db_url, "SECRET_KEY": "test-secret-realtime-8c2e5a1f7b3d4e6f9a0b"}
    cli = [str(Path(sys.executable).parent / "exam-server"), "verify-receipt"]
    ok = subprocess.run([*cli, code], env=env, capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["valid"] is True and json.loads(ok.stdout)["answered"] == 3
    bad = subprocess.run([*cli, forged], env=env, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1 and json.loads(bad.stdout)["valid"] is False

    page.click("#logout")
    page.wait_for_url(re.compile(r".*/exam/login.*"), timeout=10000)
    page.goto(server.url + "/exam")
    assert "/exam/login" in page.url  # the login really ended
    assert errors == []
    context.close()


def test_english_page_says_choose_one_or_more(world: tuple[ServerProcess, Seeded], browser: Any) -> None:
    server, seeded = world
    context = browser.new_context()
    context.add_cookies([{"name": "lang", "value": "en", "url": server.url}])
    page = context.new_page()
    candidate_login(page, server.url, seeded.candidates["010001"]["code"])
    page.wait_for_selector("#waiting:not([hidden])")
    inv = login_staff(server.url, next(n for n, r in seeded.staff.items() if r == "invigilator_a"))
    assert inv.post(f"{server.url}/api/v1/rooms/{seeded.rooms['P01']}/start", json={}, timeout=10).ok
    page.wait_for_selector("#paper:not([hidden])", timeout=5000)
    page.click(".grid .cell[data-q='3']")
    assert page.inner_text("#question fieldset.choices legend") == "Choose one or more answers"
    page.click(".grid .cell[data-q='9']")
    page.fill("#q9", "one two three")
    wait_js(page, "document.querySelector('#q9-words').textContent === '3 words'")
    context.close()

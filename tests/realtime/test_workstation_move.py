"""Issue #12, a revoked login as the candidate page lives it (Debian's chromium, Playwright, a
real gunicorn+gevent server): after a workstation move the old page stops saving at once (no
retry loop), says so in Vietnamese, lists its unsent changes for the invigilator, and those
changes never overwrite the newer answers: not when it reconnects, not after a new login on
the old computer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.realtime.conftest import Seeded, ServerProcess, login_staff, seed_sitting
from tests.realtime.test_browser import candidate_login, start_room
from tests.realtime.test_tabs_and_refusals import held, saved, wait_js

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, Seeded]]:
    tmp = tmp_path_factory.mktemp("move")
    url = f"sqlite:///{tmp / 'exam.db'}"
    seeded = seed_sitting(url, tmp)
    server = ServerProcess(url, tmp)
    start_room(server, seeded)
    yield server, seeded
    server.stop()


def new_code(server: ServerProcess, seeded: Seeded, sbd: str, seat: str | None) -> str:
    """The invigilator's code for `sbd`; with another seat this is a workstation move."""
    inv = login_staff(server.url, next(n for n, r in seeded.staff.items() if r == "invigilator_a"))
    reg = seeded.candidates[sbd]["registration"]
    r = inv.post(f"{server.url}/api/v1/registrations/{reg}/login-code", json={"seat": seat} if seat else {},
                 timeout=10)
    assert r.ok, r.text
    return r.json()["code"]


def traffic(page: Any) -> list[str]:
    """Every save, attempt view or socket request the page makes from now on."""
    seen: list[str] = []
    page.on("request", lambda req: seen.append(req.url) if ("/api/" in req.url or "socket.io" in req.url) else None)
    page.on("websocket", lambda ws: seen.append(ws.url))
    return seen


def test_workstation_move_stops_the_old_page_and_keeps_the_newer_answers(world: tuple[ServerProcess, Seeded],
                                                                          browser: Any) -> None:
    server, seeded = world
    cand = seeded.candidates["010003"]
    old = browser.new_context()
    p1 = old.new_page()
    errors: list[str] = []
    p1.on("pageerror", lambda e: errors.append(str(e)))
    candidate_login(p1, server.url, cand["code"])
    p1.wait_for_selector("#paper:not([hidden])", timeout=10000)
    p1.check("#q0-A")
    saved(p1)

    # The old PC loses its network; the candidate changes two answers there (kept in its journal).
    old.set_offline(True)
    wait_js(p1, "document.querySelector('#save-status').dataset.kind === 'offline'")
    p1.check("#q0-D")
    p1.click(".grid .cell[data-q='8']")
    p1.fill("#q8", "Hải Phòng")
    wait_js(p1, "window.examPage.journal.pending().length === 2")

    # The invigilator moves the candidate to M04; there the candidate answers question 1 anew.
    new = browser.new_context()
    p2 = new.new_page()
    p2.on("pageerror", lambda e: errors.append(str(e)))
    candidate_login(p2, server.url, new_code(server, seeded, "010003", "M04"))
    p2.wait_for_selector("#paper:not([hidden])", timeout=10000)
    assert p2.is_checked("#q0-A")  # every answer the server held is there
    p2.check("#q0-C")
    saved(p2)

    # The old PC comes back: it is refused, stops, and shows what it never sent.
    old.set_offline(False)
    p1.wait_for_selector("#revoked:not([hidden])", timeout=20000)
    assert "máy khác" in p1.inner_text("#revoked")
    items = p1.inner_text("#revoked-list")
    assert "Câu 1: D" in items and "Câu 9: Hải Phòng" in items
    assert p1.get_attribute("#save-status", "data-kind") == "revoked"
    assert p1.evaluate("document.querySelector('#main').inert") is True  # nothing more can be changed
    seen = traffic(p1)
    p1.wait_for_timeout(5000)
    assert seen == [], seen  # no retry loop: not one more request
    assert held(new, server.url)[1][1] == "C"  # the newer answer stands
    assert 9 not in held(new, server.url)
    assert p1.evaluate("window.examPage.journal.revoked") is True

    # A reload of the old page goes to the login page; a new login there never replays the old journal.
    p1.reload()
    p1.wait_for_url("**/exam/login**", timeout=10000)
    candidate_login(p1, server.url, new_code(server, seeded, "010003", "M03"))
    p1.wait_for_selector("#paper:not([hidden])", timeout=10000)
    saved(p1)
    assert p1.is_checked("#q0-C")
    p1.wait_for_timeout(1500)
    assert held(old, server.url)[1][1] == "C" and 9 not in held(old, server.url)

    # ...and that login revoked the M04 page, which is told live, over its socket.
    p2.wait_for_selector("#revoked:not([hidden])", timeout=10000)
    assert "đã được máy chủ lưu" in p2.inner_text("#revoked-summary")  # nothing was left unsent there
    assert errors == []
    old.close()
    new.close()

"""Papers before the start, in Debian's chromium (Playwright) against a real gunicorn+gevent server.

The waiting page holds its paper sealed (kept across a reload); at the start it asks for
nothing (no `hello` on the socket, the HTTP attempt view blocked): the pushed key opens the
paper, which renders with the clock running. A page without the sealed copy fetches its
paper by itself after a random delay within the window.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.realtime.conftest import Seeded, ServerProcess, login_staff, seed_sitting
from tests.realtime.test_browser import candidate_login, seconds, wait_js, wait_saved

pytestmark = [pytest.mark.slow, pytest.mark.browser]
JITTER_S = 1.5


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, Seeded]]:
    tmp = tmp_path_factory.mktemp("browser-sealed")
    url = f"sqlite:///{tmp / 'exam.db'}"
    seeded = seed_sitting(url, tmp, extra_codes=("0102",))
    server = ServerProcess(url, tmp, extra_env={"EXAM_EXAM_PAPER_FETCH_JITTER_SECONDS": str(JITTER_S)})
    yield server, seeded
    server.stop()


def until(condition: Any, timeout: float = 5.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


class Wire:
    """What the page sends and receives on its socket and which attempt-view requests it makes."""

    def __init__(self, page: Any) -> None:
        self.sent: list[tuple[float, str]] = []
        self.received: list[tuple[float, str]] = []
        self.views: list[tuple[float, str]] = []
        page.on("websocket", self._socket)
        page.on("request", lambda r: "/api/v1/attempt" in r.url and self.views.append((time.monotonic(), r.url)))

    def _socket(self, ws: Any) -> None:
        ws.on("framesent", lambda payload: self.sent.append((time.monotonic(), str(payload))))
        ws.on("framereceived", lambda payload: self.received.append((time.monotonic(), str(payload))))

    def hellos_since(self, t0: float) -> list[str]:
        return [p for t, p in self.sent if t >= t0 and '"hello"' in p]


def waiting_page(browser: Any, server: ServerProcess, code: str) -> tuple[Any, Any, Wire, list[str]]:
    """A candidate logged in and waiting, with their sealed copy: (context, page, wire, page errors)."""
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    wire = Wire(page)
    candidate_login(page, server.url, code)
    page.wait_for_selector("#waiting:not([hidden])")
    wait_js(page, "window.examPage && window.examPage.vault.id() !== null")
    return context, page, wire, errors


def test_paper_opens_from_the_sealed_copy_without_a_request(world: tuple[ServerProcess, Seeded], browser: Any) -> None:
    server, seeded = world
    cand = seeded.candidates["010001"]
    context, page, wire, errors = waiting_page(browser, server, cand["code"])
    sealed_id = page.evaluate("window.examPage.vault.id()")
    assert page.evaluate(f"!!sessionStorage.getItem('exam-sealed-paper:{cand['attempt']}')")
    assert page.locator("#question").inner_text() == ""  # nothing of the paper on screen

    # a reload before the start keeps the copy: the server is told, and does not send it again
    reload_at = time.monotonic()
    page.reload()
    page.wait_for_selector("#waiting:not([hidden])")
    wait_js(page, "window.examPage && window.examPage.state.phase === 'waiting'")
    assert page.evaluate("window.examPage.vault.id()") == sealed_id
    until(lambda: [p for t, p in wire.received if t >= reload_at and '"max_seq"' in p])
    assert '"sealed":"' in wire.hellos_since(reload_at)[0]  # the hello names the copy held
    replies = [p for t, p in wire.received if t >= reload_at and '"max_seq"' in p]
    assert replies and all('"sealed_paper":null' in p for p in replies), replies

    # at the start: the attempt view blocked, the socket watched
    blocked: list[str] = []
    page.route("**/api/v1/attempt*", lambda route: (blocked.append(route.request.url), route.abort()))
    staff = login_staff(server.url, next(n for n, r in seeded.staff.items() if r == "invigilator_a"))
    started = time.monotonic()
    assert staff.post(f"{server.url}/api/v1/rooms/{seeded.rooms['P01']}/start", json={}, timeout=10).ok
    page.wait_for_selector("#paper:not([hidden])", timeout=5000)
    opened_in = time.monotonic() - started
    assert page.locator("#question .katex").count() > 0  # the first question, rendered from the sealed copy
    assert page.evaluate("document.querySelector('img.media').naturalWidth") == 1
    first = seconds(page.inner_text("#timer"))
    time.sleep(2.2)
    assert 1 <= first - seconds(page.inner_text("#timer")) <= 4, "the clock runs from the pushed server time"
    assert wire.hellos_since(started) == [] and blocked == [], "nothing was fetched at the start"
    pushes = [p for t, p in wire.received if t >= started and '"state"' in p]
    assert pushes and all('"paper_key"' in p for p in pushes) and not any('"stem"' in p for p in pushes)
    assert opened_in < 5

    # and the exam works as before: an answer saved and acknowledged
    page.locator("#question input[type=radio]").first.check()
    wait_saved(page)
    # a reload after the start opens the copy again with the key of the state sync
    page.unroute("**/api/v1/attempt*")
    page.reload()
    page.wait_for_selector("#paper:not([hidden])", timeout=5000)
    replies = [p for t, p in wire.received if '"max_seq"' in p]
    assert '"paper":null' in replies[-1], "the page held the current copy: only the key was sent"
    assert page.locator("#question input[type=radio]:checked").count() == 1
    assert errors == []
    context.close()


def test_page_without_sealed_copy_fetches_within_the_window(world: tuple[ServerProcess, Seeded], browser: Any) -> None:
    server, seeded = world
    cand = seeded.candidates["020001"]  # room P02, code 0102
    context, page, wire, errors = waiting_page(browser, server, cand["code"])
    page.evaluate("window.examPage.vault.clear()")  # as a page whose storage was wiped
    staff = login_staff(server.url, next(n for n, r in seeded.staff.items() if r == "invigilator_b"))
    started = time.monotonic()
    assert staff.post(f"{server.url}/api/v1/rooms/{seeded.rooms['P02']}/start", json={}, timeout=10).ok
    page.wait_for_selector("#paper:not([hidden])", timeout=JITTER_S * 1000 + 5000)
    hellos = [(t, p) for t, p in wire.sent if t >= started and '"hello"' in p]
    assert len(hellos) == 1, "one request for the paper, not a retry loop"
    push_at = next(t for t, p in wire.received if t >= started and '"paper_key"' in p)
    assert hellos[0][0] - push_at <= JITTER_S + 0.5, "asked within the jitter window"
    assert page.locator("#question").inner_text() != ""
    assert errors == []
    context.close()

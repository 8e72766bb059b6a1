"""The candidate page and the dashboard in Debian's chromium (Playwright), against a real
gunicorn+gevent server: network cut mid-exam, the browser closed, answers intact; an examiner
pausing a room and adding time, seen by the candidate."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.realtime.conftest import PASSWORD, Seeded, ServerProcess, login_staff, seed_sitting

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, Seeded]]:
    tmp = tmp_path_factory.mktemp("browser")
    url = f"sqlite:///{tmp / 'exam.db'}"
    seeded = seed_sitting(url, tmp)
    server = ServerProcess(url, tmp)
    yield server, seeded
    server.stop()


def candidate_login(page: Any, base: str, code: str) -> None:
    page.goto(base + "/exam/login")
    page.fill("#code", code)
    page.press("#code", "Enter")  # keyboard only
    page.wait_for_url(re.compile(r".*/exam$"))


def wait_js(page: Any, expression: str, timeout: float = 10000) -> None:
    """Poll a JavaScript expression until true. (Playwright's wait_for_function evaluates its
    predicate with eval, which the pages' Content-Security-Policy rightly forbids.)"""
    end = time.monotonic() + timeout / 1000
    while not page.evaluate(expression):
        if time.monotonic() > end:
            raise AssertionError(f"not true within {timeout} ms: {expression}")
        time.sleep(0.05)


def wait_saved(page: Any) -> None:
    wait_js(page, "document.querySelector('#save-status').dataset.kind === 'saved'")


def seconds(timer_text: str) -> int:
    parts = [int(p) for p in timer_text.split(":")]
    return parts[0] * 3600 + parts[1] * 60 + parts[2] if len(parts) == 3 else parts[0] * 60 + parts[1]


def test_network_cut_and_browser_closed_lose_nothing(world: tuple[ServerProcess, Seeded], browser: Any) -> None:
    server, seeded = world
    cand = seeded.candidates["010001"]
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    candidate_login(page, server.url, cand["code"])
    page.wait_for_selector("#waiting:not([hidden])")
    staff = login_staff(server.url, next(n for n, r in seeded.staff.items() if r == "invigilator_a"))
    assert staff.post(f"{server.url}/api/v1/rooms/{seeded.rooms['P01']}/start", json={}, timeout=10).ok
    page.wait_for_selector("#paper:not([hidden])", timeout=5000)  # pushed: no reload needed
    assert page.locator(".katex").count() > 0  # LaTeX rendered by the locally served KaTeX
    assert page.evaluate("document.querySelector('img.media').naturalWidth") == 1  # the paper's own image

    page.check("#q0-B")
    wait_saved(page)

    context.set_offline(True)
    wait_js(page, "document.querySelector('#save-status').dataset.kind === 'offline'", timeout=10000)
    page.click("#next")
    page.check("#q1-a-true")
    page.check("#q1-b-false")
    page.click(".grid .cell[data-q='2']")
    for k, ch in enumerate("-1,5"):
        page.fill(f"#q2-{k}", ch)
    page.fill("#q2-0", "x")  # refused: only digits, minus and comma
    assert page.input_value("#q2-0") == ""
    page.fill("#q2-0", "-")
    page.click(".grid .cell[data-q='9']")
    page.fill("#q9", "Em yêu Hà Nội vì có Hồ Gươm.")
    # the journal numbers a change through IndexedDB (asynchronous): wait until it is recorded
    wait_js(page, "window.examPage.journal.pending().some(e => e.q === 10)", timeout=5000)
    pending = page.evaluate("window.examPage.journal.pending().map(e => e.q)")
    assert set(pending) == {2, 3, 10}
    assert "chưa lưu" in page.get_attribute(".grid .cell[data-q='2']", "aria-label")
    page.close()  # the browser is closed while offline; the journal stays in localStorage

    context.set_offline(False)
    page = context.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server.url + "/exam")
    wait_saved(page)
    wait_js(page, "window.examPage.journal.pending().length === 0", timeout=10000)
    view = context.request.get(server.url + "/api/v1/attempt").json()
    responses = {int(k): v["value"] for k, v in view["responses"].items()}
    assert responses == {1: "B", 2: {"a": True, "b": False}, 3: "-1,5", 10: "Em yêu Hà Nội vì có Hồ Gươm."}

    page.reload()
    page.wait_for_selector("#paper:not([hidden])")
    assert page.is_checked("#q0-B")
    page.click(".grid .cell[data-q='2']")
    assert [page.input_value(f"#q2-{k}") for k in range(4)] == ["-", "1", ",", "5"]
    page.click("#to-review")
    assert "6" in page.inner_text("#review-summary")  # six questions left unanswered
    page.click("#submit")
    page.click("#confirm button[value='yes']")
    page.wait_for_selector("#finished:not([hidden])", timeout=5000)
    assert context.request.get(server.url + "/api/v1/attempt").json()["attempt"]["state"] == "submitted"
    keys = page.evaluate("Object.keys(localStorage)")  # nothing of the answers stays on the PC
    assert not [k for k in keys if k.startswith(f"exam-journal:{cand['attempt']}:")], keys
    assert errors == []
    context.close()


def test_examiner_pauses_room_and_adds_time(world: tuple[ServerProcess, Seeded], browser: Any) -> None:
    server, seeded = world
    cand = seeded.candidates["020001"]
    candidate = browser.new_context()
    page = candidate.new_page()
    candidate_login(page, server.url, cand["code"])
    page.wait_for_selector("#waiting:not([hidden])")

    examiner = browser.new_context()
    token = examiner.request.get(server.url + "/api/v1/auth/csrf").json()["csrf_token"]
    username = next(n for n, r in seeded.staff.items() if r == "examiner")
    assert examiner.request.post(server.url + "/api/v1/auth/login", headers={"X-CSRFToken": token},
                                 data={"username": username, "password": PASSWORD}).ok
    dash = examiner.new_page()
    dash.goto(f"{server.url}/monitor/sittings/{seeded.sitting_id}")
    # the sitting's overview lists a room's candidates once it is opened (its name in the room table)
    dash.locator("#rooms-table button.room-open", has_text="P02").click()
    dash.wait_for_selector("#cand-table tbody tr")
    row = dash.locator("#cand-table tbody tr", has_text="020001")
    row.wait_for()
    assert "Trực tuyến" in row.inner_text()

    def room_action(kind: str, reason: str = "") -> None:
        room_row = dash.locator("#rooms-table tbody tr", has_text="P02")
        room_row.locator("select").select_option(kind)
        # the picker's button, not room-wide extra time nor the room's name (which opens it)
        room_row.locator("button:not(.room-extra):not(.room-open)").click()
        if reason:
            dash.fill("#act-reason", reason)
        dash.click("#act-ok")

    room_action("room.start")
    page.wait_for_selector("#paper:not([hidden])", timeout=5000)
    room_action("room.pause", "Mất điện phòng P02")
    page.wait_for_selector("#overlay:not([hidden])", timeout=2000)
    frozen = page.inner_text("#timer")
    assert "tạm dừng" in page.inner_text("#overlay-text")
    time.sleep(1.5)  # the clock must not move while paused
    assert page.inner_text("#timer") == frozen
    room_action("room.resume")
    page.wait_for_selector("#overlay", state="hidden", timeout=2000)

    before = seconds(page.inner_text("#timer"))
    row.locator("select").select_option("attempt.extra_time")
    row.locator("button").click()
    dash.fill("#act-minutes", "5")
    dash.fill("#act-reason", "Thí sinh khuyết tật")
    dash.click("#act-ok")
    wait_js(page, f"(() => {{ const [m, s] = document.querySelector('#timer').textContent.split(':').map(Number);"
                           f" return m * 60 + s >= {before + 290}; }})()", timeout=2000)
    wait_js(dash, "document.querySelector('#action-status').textContent.length > 0")
    candidate.close()
    examiner.close()


def start_room(server: ServerProcess, seeded: Seeded, room: str = "P01") -> None:
    inv = next(n for n, r in seeded.staff.items() if r == ("invigilator_a" if room == "P01" else "invigilator_b"))
    r = login_staff(server.url, inv).post(f"{server.url}/api/v1/rooms/{seeded.rooms[room]}/start", json={}, timeout=10)
    assert r.status_code in (200, 409), r.text  # 409: already started by another test


def test_keyboard_only_at_200_percent_zoom_in_english(world: tuple[ServerProcess, Seeded], browser: Any) -> None:
    server, seeded = world
    start_room(server, seeded)
    # 640x360 CSS pixels is what a 1280x720 screen shows at 200% zoom
    context = browser.new_context(viewport={"width": 640, "height": 360})
    context.add_cookies([{"name": "lang", "value": "en", "url": server.url}])
    page = context.new_page()
    page.goto(server.url + "/exam/login")
    page.keyboard.press("Tab")
    page.keyboard.type(seeded.candidates["010002"]["code"])
    page.keyboard.press("Enter")
    page.wait_for_selector("#paper:not([hidden])", timeout=10000)
    assert page.get_attribute("html", "lang") == "en"
    assert page.inner_text("#q-heading").startswith("Question 1")

    def tab_to(selector: str, limit: int = 40) -> None:
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate(f"document.activeElement === document.querySelector({selector!r})"):
                return
        raise AssertionError(f"{selector} not reachable with Tab")

    tab_to("#q0-A")
    page.keyboard.press("ArrowDown")  # radio group: moves to and selects B
    assert page.is_checked("#q0-B")
    wait_saved(page)
    assert "answered" in page.get_attribute(".grid .cell[data-q='0']", "aria-label")
    page.keyboard.press("Alt+ArrowRight")
    wait_js(page, "document.activeElement.id === 'q-heading'")
    assert page.inner_text("#q-heading").startswith("Question 2")
    tab_to("#q1-a-true")
    page.keyboard.press("Space")
    assert page.is_checked("#q1-a-true")
    wait_saved(page)
    # nothing is cut off or needs sideways scrolling at this zoom
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    unlabeled = page.evaluate("""[...document.querySelectorAll('input, button, select, textarea')]
        .filter(el => el.offsetParent !== null && !el.labels?.length && !el.getAttribute('aria-label')
                && !(el.textContent || '').trim()).map(el => el.outerHTML)""")
    assert unlabeled == []
    context.close()


def test_seb_javascript_keys_from_the_browser(world: tuple[ServerProcess, Seeded], browser: Any,
                                              tmp_path: Any) -> None:
    import hashlib

    server, _ = world
    config_key, bek = "1" * 64, "2" * 64
    seb_sitting = seed_sitting(server_db(world), tmp_path, require_seb=True,
                               seb_config={"config_keys": [config_key], "browser_exam_keys": [bek]})
    page_url = server.url + "/exam"

    def sha(key: str) -> str:
        return hashlib.sha256((page_url + key).encode()).hexdigest()

    plain = browser.new_context()
    page = plain.new_page()
    candidate_login(page, server.url, seb_sitting.candidates["010001"]["code"])
    page.wait_for_selector("#blocker:not([hidden])", timeout=10000)
    assert "Safe Exam Browser" in page.inner_text("#blocker-text")
    plain.close()

    # SEB 3.x on macOS exposes the hashed keys to the page instead of sending headers
    seb = browser.new_context()
    seb.add_init_script(f"window.SafeExamBrowser = {{security: {{configKey: '{sha(config_key)}', "
                        f"browserExamKey: '{sha(bek)}'}}}};")
    page = seb.new_page()
    candidate_login(page, server.url, seb_sitting.candidates["010002"]["code"])
    page.wait_for_selector("#waiting:not([hidden])", timeout=10000)
    assert page.is_hidden("#blocker")
    seb.close()


def server_db(world: tuple[ServerProcess, Seeded]) -> str:
    return world[1].db_url


def test_http_fallback_when_websockets_are_blocked(world: tuple[ServerProcess, Seeded], browser: Any) -> None:
    """A proxy that refuses websockets: the page still starts, saves and submits over HTTP."""
    server, seeded = world
    start_room(server, seeded)
    context = browser.new_context()
    context.route_web_socket(re.compile(r".*/socket\.io/.*"), lambda ws: ws.close())
    page = context.new_page()
    candidate_login(page, server.url, seeded.candidates["010003"]["code"])
    page.wait_for_selector("#paper:not([hidden])", timeout=15000)
    page.check("#q0-C")
    # "saved" counts the change still being numbered (the journal records asynchronously),
    # which an empty journal alone does not: right after the click it is still empty.
    wait_js(page, "document.querySelector('#save-status').dataset.kind === 'saved'"
                  " && window.examPage.journal.pending().length === 0", timeout=15000)
    view = context.request.get(server.url + "/api/v1/attempt").json()
    assert view["responses"]["1"]["value"] == "C"
    assert page.evaluate("window.examPage.socket.connected") is False
    page.click("#to-review")
    page.click("#submit")
    page.click("#confirm button[value='yes']")
    page.wait_for_selector("#finished:not([hidden])", timeout=15000)
    assert context.request.get(server.url + "/api/v1/attempt").json()["attempt"]["state"] == "submitted"
    context.close()

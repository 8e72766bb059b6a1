"""The live dashboard's seat map in headless chromium at 1366×768, against the real server
process: the sitting as room tiles with their counts, drilling into a room's seats (a candidate
writing, one not arrived), the name on hover and focus, the actions menu on click, and nothing
cut off or scrolled sideways. Screenshots go to the test's artefact folder."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from exam_server.events.log import Actor
from exam_server.exams import lifecycle
from tests.pages.conftest import BROWSER_TIMEOUT_MS, LiveServer, sign_in
from tests.realtime.test_browser import wait_js
from tests.support.seed import CANDIDATE_PASSWORD, Seeded, seed_sitting, username

pytestmark = [pytest.mark.browser, pytest.mark.slow]
WIDTH, HEIGHT = 1366, 768


@pytest.fixture(scope="module")
def day(live_server: LiveServer) -> tuple[Seeded, str, str]:
    """Two rooms of three; P01 started (late entry still open), P02 waiting for its start."""
    with live_server.app.app_context():
        s = seed_sitting(rooms=2, per_room=3, duration_s=1800, late_entry_s=900)
        lifecycle.start_room(s.room_ids[0], Actor("examiner:test"))
        return s, username(s, "examiner"), username(s, "inv2")


@pytest.fixture
def writing(browser: Browser, live_server: LiveServer, day: tuple[Seeded, str, str]) -> Iterator[Page]:
    """Nguyễn Văn 1 (P01, M01) logged in, on the exam page (so online) and with one answer saved."""
    s = day[0]
    ctx = browser.new_context(base_url=live_server.url, locale="vi-VN")
    ctx.set_default_timeout(BROWSER_TIMEOUT_MS)
    token = ctx.request.get("/api/v1/auth/csrf").json()["csrf_token"]
    r = ctx.request.post("/api/v1/auth/candidate-login", headers={"X-CSRFToken": token},
                         data={"sitting_id": s.sitting_id, "sbd": s.sbds[0], "password": CANDIDATE_PASSWORD})
    assert r.ok, r.text()
    body = r.json()
    saved = ctx.request.put(f"/api/v1/attempts/{body['attempt_id']}/responses/1",
                            headers={"X-CSRFToken": body["csrf_token"]}, data={"seq": 1, "value": "A"})
    assert saved.ok, saved.text()
    page = ctx.new_page()
    page.goto("/exam")
    page.wait_for_selector("#paper:not([hidden])")
    yield page
    ctx.close()


def counts(tile: Locator) -> dict[str, int]:
    found: dict[str, int] = {}
    for item in tile.locator(".room-counts > div").all():
        found[item.get_attribute("data-state") or ""] = int(item.locator("dd").inner_text())
    return found


def assert_nothing_cut_off(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH  # no sideways scrolling
    outside = page.evaluate(
        "[...document.querySelectorAll('button')].filter((b) => b.offsetParent !== null)"
        ".map((b) => [b.textContent.trim(), b.getBoundingClientRect()])"
        f".filter(([, r]) => r.left < 0 || r.right > {WIDTH}).map(([t]) => t)")
    assert outside == []


def test_overview_drill_down_seat_tiles_and_menu(context: BrowserContext, day: tuple[Seeded, str, str],
                                                  writing: Page, tmp_path: Path) -> None:
    s, examiner, _ = day
    page = context.new_page()
    page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, examiner)
    page.goto(f"/monitor/sittings/{s.sitting_id}")
    expect(page.locator("#conn")).to_have_text("Trực tiếp")
    page.get_by_role("button", name="Sơ đồ phòng").click()
    expect(page.get_by_role("button", name="Sơ đồ phòng")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#cand-section")).to_be_hidden()

    tiles = page.locator("button.room-tile")
    expect(tiles).to_have_count(2)
    p01, p02 = tiles.nth(0), tiles.nth(1)
    expect(p01.locator(".room-name")).to_have_text("P01")
    # the candidate's live connection reaches the dashboard: one writing, two still allowed to come in
    expect(p01.locator("[data-state='writing'] dd")).to_have_text("1")
    assert counts(p01) == {"writing": 1, "expected": 2}
    assert counts(p02) == {"expected": 3}
    assert "3 thí sinh" in p02.inner_text()
    expect(page.locator("#map-back")).to_be_hidden()  # nothing to go back to on the overview
    # the totals and the table say the same as the tiles: five not arrived (late entry is open)
    totals = dict(zip(page.locator("#totals dt").all_inner_texts(), page.locator("#totals dd").all_inner_texts(),
                      strict=True))
    assert totals["Chưa đến"] == "5" and totals["Vắng"] == "0" and totals["Đang làm bài"] == "1"
    assert_nothing_cut_off(page)
    page.screenshot(path=str(tmp_path / "01-room-tiles.png"), full_page=True)

    p01.click()
    expect(page.locator("#map-h")).to_have_text("Sơ đồ phòng P01")
    seats = page.locator("button.seat")
    expect(seats).to_have_count(3)
    assert [seats.nth(i).locator(".seat-label").inner_text() for i in range(3)] == ["M01", "M02", "M03"]
    first, second = seats.nth(0), seats.nth(1)
    expect(first).to_have_attribute("data-state", "writing")
    expect(first).to_have_class(re.compile(r"\bseat-writing\b"))
    assert "Đang làm bài" in first.inner_text()  # the state in words, not colour alone
    assert re.search(r"Đã lưu \d+ giây trước", first.inner_text())
    expect(second).to_have_attribute("data-state", "expected")
    assert "Chưa đến" in second.inner_text()
    # the counts of the room tile are the seat tiles' states
    assert sorted(seats.nth(i).get_attribute("data-state") for i in range(3)) == ["expected", "expected", "writing"]

    # name and SBD: in the title and accessible name, and a tooltip on hover and on focus
    assert "Nguyễn Văn 1" in (first.get_attribute("title") or "")
    assert "SBD 010001" in (first.get_attribute("aria-label") or "")
    first.hover()
    expect(first.locator(".seat-tip")).to_be_visible()
    expect(first.locator(".seat-tip")).to_have_text("Nguyễn Văn 1 · SBD 010001")
    page.mouse.move(0, 0)
    second.focus()
    expect(second.locator(".seat-tip")).to_be_visible()
    expect(second.locator(".seat-tip")).to_contain_text("Nguyễn Văn 2")
    page.screenshot(path=str(tmp_path / "02-seat-map.png"), full_page=True)
    assert_nothing_cut_off(page)

    # the actions menu offers what is possible now: a writing candidate can be paused, not resumed
    first.click()
    menu = page.locator("#seat-menu")
    expect(menu).to_be_visible()
    expect(menu.locator("h2")).to_have_text("Nguyễn Văn 1 · SBD 010001")
    kinds = [b.get_attribute("data-kind") for b in menu.locator(".seat-actions button").all()]
    assert "attempt.pause" in kinds and "attempt.message" in kinds and "attempt.resume" not in kinds
    page.screenshot(path=str(tmp_path / "03-seat-menu.png"))
    assert_nothing_cut_off(page)
    menu.locator("button[data-kind='attempt.pause']").click()
    expect(menu).to_be_hidden()
    expect(page.locator("#act-dialog")).to_be_visible()  # the table's own dialog, asking for a reason
    expect(page.locator("#act-title")).to_contain_text("Nguyễn Văn 1")
    page.get_by_role("button", name="Huỷ").click()
    expect(page.locator("#act-dialog")).to_be_hidden()

    # a candidate who never logged in is offered no message and no collection
    second.click()
    kinds = [b.get_attribute("data-kind") for b in menu.locator(".seat-actions button").all()]
    assert "attempt.message" not in kinds and "attempt.force_submit" not in kinds and "attempt.move" in kinds
    menu.get_by_role("button", name="Đóng").click()

    # back to the rooms; the list view is still there, and lists the rows of the room opened only
    page.get_by_role("button", name="Tất cả các phòng").click()
    expect(tiles).to_have_count(2)
    page.get_by_role("button", name="Danh sách").click()
    wait_js(page, "document.querySelector('#map-section').hidden === true")
    expect(page.locator("#cand-hint")).to_be_visible()  # the overview reads no candidate rows
    expect(page.locator("#cand-table tbody tr")).to_have_count(0)
    page.locator("#rooms-table").get_by_role("button", name="P02", exact=True).click()
    expect(page.locator("#cand-table tbody tr")).to_have_count(3)
    expect(page.locator("#cand-table tbody tr", has_text="010004")).to_be_visible()
    page.locator("#rooms-table").get_by_role("button", name="P01", exact=True).click()
    expect(page.locator("#cand-table tbody tr", has_text="010001")).to_be_visible()
    expect(page.locator("#cand-table tbody tr")).to_have_count(3)  # P01's only
    expect(page.locator("#cand-hint")).to_be_hidden()
    page.locator("#cand-back").click()
    expect(page.locator("#cand-table tbody tr")).to_have_count(0)
    assert errors == []


def test_invigilator_sees_their_room_as_a_seat_map(context: BrowserContext, day: tuple[Seeded, str, str],
                                                   tmp_path: Path) -> None:
    """The room dashboard goes straight to the seats (no room tiles, nothing to go back to)."""
    s, _, invigilator = day
    page = context.new_page()
    page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    sign_in(page, invigilator, landing=None)
    page.goto(f"/monitor/rooms/{s.room_ids[1]}")
    expect(page.locator("#conn")).to_have_text("Trực tiếp")
    page.get_by_role("button", name="Sơ đồ phòng").click()
    expect(page.locator("#map-h")).to_have_text("Sơ đồ phòng P02")
    seats = page.locator("button.seat")
    expect(seats).to_have_count(3)
    assert {seats.nth(i).get_attribute("data-state") for i in range(3)} == {"expected"}
    expect(page.locator("#map-back")).to_be_hidden()
    expect(page.locator("button.room-tile")).to_have_count(0)
    assert_nothing_cut_off(page)
    page.screenshot(path=str(tmp_path / "room-seat-map.png"), full_page=True)
    page.reload()  # the choice of view is remembered
    expect(page.locator("button.seat")).to_have_count(3)


def test_room_extra_time_dialog_counts_asks_and_reaches_the_candidate(
        context: BrowserContext, live_server: LiveServer, day: tuple[Seeded, str, str], writing: Page,
        tmp_path: Path) -> None:
    """Cộng giờ cả phòng (issue #13): the room's button opens the dialog with how many candidates
    it reaches (the one writing, not the two not arrived), refuses without a reason, and the
    candidate's page announces the time."""
    s = day[0]
    page = context.new_page()
    page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    with live_server.app.app_context():
        invigilator = username(s, "inv1")  # P01's
    sign_in(page, invigilator, landing=None)
    page.goto(f"/monitor/rooms/{s.room_ids[0]}")
    expect(page.locator("#conn")).to_have_text("Trực tiếp")
    page.get_by_role("button", name="Danh sách").click()
    expect(page.locator("#cand-table tbody tr", has_text="Đang làm bài")).to_have_count(1)
    button = page.get_by_role("button", name="Cộng giờ cả phòng: P01")
    expect(button).to_have_text("Cộng giờ cả phòng")
    # the room's picker keeps the lifecycle actions only: the button is the one way in
    picker = page.get_by_label("Thao tác cho phòng P01")
    assert "room.extra_time" not in picker.locator("option").evaluate_all("(os) => os.map((o) => o.value)")
    button.click()
    dialog = page.locator("#act-dialog")
    expect(dialog).to_be_visible()
    expect(page.locator("#act-title")).to_have_text("Cộng giờ cả phòng — P01")
    expect(page.locator("#act-note")).to_have_text("1 thí sinh đang làm bài hoặc tạm dừng sẽ được cộng thời gian này.")
    expect(page.locator("#act-ok")).to_be_enabled()
    assert_nothing_cut_off(page)
    page.screenshot(path=str(tmp_path / "room-extra-time-dialog.png"))
    page.locator("#act-minutes").fill("10")
    page.locator("#act-ok").click()  # no reason: the form refuses, the dialog stays
    expect(dialog).to_be_visible()
    assert page.locator("#act-reason").evaluate("(i) => i.validity.valueMissing") is True
    page.locator("#act-reason").fill("Mất điện 10 phút")
    page.locator("#act-ok").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#action-error")).to_have_text("Đã cộng giờ cho 1 thí sinh.")
    expect(writing.locator("#time-notice")).to_contain_text("10 phút")
    assert errors == []

"""The station's page in a real browser: station.js as an ES module using the shared i18n/DOM
modules (served by the station at /static/common/), its texts from the station's `js` gettext
catalogue in the page's language, and the reasons of a decision as the station translated them."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any, cast

import pytest
from playwright.sync_api import Page, expect, sync_playwright
from werkzeug.serving import make_server

from exam_client.station import create_app
from exam_client.station.service import Station
from tests.conftest import CHROMIUM_ARGS
from tests.pages.conftest import BROWSER_TIMEOUT_MS


class FakeStation:
    """What the views call on a Station, with one refused check-in on screen."""

    def __init__(self) -> None:
        self.token: str | None = None
        self.config = SimpleNamespace(room="P.101", station_name="Trạm 1")

    def login(self, username: str, password: str) -> Any:
        self.token = "device-token"
        return SimpleNamespace(token=self.token, invigilator={"username": username}, room={"name": "P.101"})

    def frame_jpeg(self) -> bytes | None:
        return None

    chip_photo_jpeg = live_photo_jpeg = frame_jpeg

    def state(self) -> dict[str, Any]:
        return {
            "logged_in": True, "invigilator": {"full_name": "Nguyễn Thị Lan"}, "room": {"name": "P.101"},
            "sitting": None, "station": "Trạm 1", "server_online": True, "server_error": None,
            "card": {"state": "waiting", "message": None}, "liveness": "blink", "keys": None, "qr": None,
            "result": {
                "status": "refused", "checkin_id": 7, "seat": None, "room": "P.202",
                "decision": {"outcome": "refused", "citizen_id": "001", "override": None,
                             "reasons": [{"code": "client.decision.not_on_roster", "params": {}}]},
                "face": {"problem": "too_dark"},
                "verification": {"checks": [{"name": "SOD", "status": "passed"}]},
            },
            "overridable": False,
            "roster": [{"sbd": "010001", "full_name": "Trần An", "seat": "M01", "status": "checked_in"}],
            "queue": [{"created_at": "2026-12-02T07:30:05", "citizen_id": "001", "last_error": ""}] * 2,
        }


@pytest.fixture
def station_url() -> Iterator[str]:
    app = create_app(cast(Station, FakeStation()))  # the views need only what FakeStation has
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def page(chromium_path: str) -> Iterator[Page]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.set_default_timeout(BROWSER_TIMEOUT_MS)
        yield page
        browser.close()


def _log_in(page: Page, url: str, lang: str) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{url}/?lang={lang}")
    expect(page.locator("#login-heading")).not_to_be_empty()
    heading = page.inner_text("#login-heading")
    page.fill("#username", "gt1")
    page.fill("#password", "secret")
    page.press("#password", "Enter")
    expect(page.locator("#station")).to_be_visible()
    expect(page.locator("#roster tbody tr")).to_have_count(1)
    errors.insert(0, heading)
    return errors


def test_station_page_in_vietnamese(page: Page, station_url: str) -> None:
    heading, *errors = _log_in(page, station_url, "vi")
    assert heading == "Đăng nhập trạm điểm danh"
    expect(page.locator("#decision")).to_have_text("Không đạt")
    reason = page.locator("#reasons li[data-code='client.decision.not_on_roster']")
    expect(reason).to_have_count(1)
    assert reason.inner_text() not in ("", "client.decision.not_on_roster")  # translated by the station
    expect(page.locator("#roster tbody td").nth(3)).to_have_text("Đã điểm danh")
    expect(page.locator("#card-state")).to_have_text("Đặt thẻ CCCD lên đầu đọc")
    expect(page.locator("#report tbody td").first).to_have_text("Đạt")
    expect(page.locator("#score")).to_contain_text("Ảnh quá tối")
    expect(page.locator("#queue-status")).to_have_text("2 lượt điểm danh đang chờ gửi")
    expect(page.locator("#server-status")).to_have_text("● trực tuyến")
    assert errors == []


def test_station_page_in_english(page: Page, station_url: str) -> None:
    heading, *errors = _log_in(page, station_url, "en")
    assert heading == "Log in to the station"
    expect(page.locator("#decision")).to_have_text("Failed")
    expect(page.locator("#roster tbody td").nth(3)).to_have_text("Checked in")
    expect(page.locator("#queue-status")).to_have_text("2 check-ins waiting to be sent")
    expect(page.locator("#liveness-hint")).to_contain_text("blink")
    assert errors == []

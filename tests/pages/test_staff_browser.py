"""Staff accounts in headless chromium against a real gunicorn server: an admin creates an
invigilator (password shown once), assigns a room, resets the password (the invigilator's open
page is signed out) and deactivates the account after confirming; the old password and the
deactivated account no longer sign in."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Dialog, Page, expect

from tests.pages.conftest import LiveServer
from tests.support.seed import STAFF_PASSWORD, seed_sitting, username

pytestmark = [pytest.mark.browser, pytest.mark.slow]
TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def admin(live_server: LiveServer) -> tuple[str, str]:
    with live_server.app.app_context():
        s = seed_sitting(rooms=1, per_room=1, open_checkin=False)
        return username(s, "admin"), "P01"


@pytest.fixture
def contexts(browser: Browser, live_server: LiveServer) -> Iterator[tuple[BrowserContext, BrowserContext]]:
    made = [browser.new_context(base_url=live_server.url, locale="vi-VN") for _ in range(2)]
    for ctx in made:
        ctx.set_default_timeout(TIMEOUT_MS)
    yield made[0], made[1]
    for ctx in made:
        ctx.close()


def sign_in(page: Page, user: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("Tên đăng nhập").fill(user)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()


def test_create_reset_deactivate(contexts: tuple[BrowserContext, BrowserContext], admin: tuple[str, str]) -> None:
    admin_name, room_name = admin
    page = contexts[0].new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, admin_name, STAFF_PASSWORD)
    page.get_by_role("link", name="Cán bộ").click()
    expect(page.get_by_role("heading", name="Tài khoản cán bộ")).to_be_visible()

    name = "gt-" + uuid.uuid4().hex[:8]
    page.get_by_label("Tên đăng nhập").fill(name)
    page.get_by_label("Họ và tên").fill("Phan Thị Giám")
    page.get_by_label("Vai trò").select_option("invigilator")
    page.locator("#staff-create").click()
    flash = page.get_by_role("status").filter(has_text=f"Đã tạo tài khoản {name}")
    expect(flash).to_be_visible()
    found = re.search(r"một lần, hãy đưa cho người dùng\): (\S+)", flash.inner_text())
    assert found
    password = found.group(1)
    row = page.locator(f"#staff-table tr[data-username='{name}']")
    expect(row).to_contain_text("Cán bộ coi thi")

    row.get_by_role("link", name="Sửa").click()
    page.get_by_label(re.compile(rf"^\s*{room_name} ·")).first.check()
    page.locator("#staff-save").click()
    expect(row).to_contain_text(room_name)

    # The invigilator signs in elsewhere.
    other = contexts[1].new_page()
    sign_in(other, name, password)
    expect(other).to_have_url(re.compile(r"/rooms"))

    asked: list[str] = []

    def accept(dialog: Dialog) -> None:
        asked.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    row.get_by_role("button", name=f"Đặt lại mật khẩu {name}").click()
    reset = page.get_by_role("status").filter(has_text=f"Mật khẩu mới của {name}")
    expect(reset).to_be_visible()
    assert asked and name in asked[-1]
    new_password = re.search(r"\(chỉ hiện một lần\): (\S+)\.", reset.inner_text())
    assert new_password and new_password.group(1) != password
    other.reload()
    expect(other).to_have_url(re.compile(r"/login"))  # the open login ended with the reset

    page.once("dialog", accept)
    row.get_by_role("button", name=f"Khoá tài khoản {name}").click()
    expect(page.get_by_role("status").filter(has_text=f"Đã khoá tài khoản {name}")).to_be_visible()
    expect(row.locator(".staff-status")).to_have_text("Đã khoá")
    assert "Khoá tài khoản" in asked[-1]

    sign_in(other, name, new_password.group(1))
    expect(other.get_by_role("alert")).to_contain_text("không đúng")
    assert errors == []

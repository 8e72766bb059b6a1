"""The roster in headless chromium against a real gunicorn server: an examiner downloads the
template, previews a file with errors (every error by row/column, nothing stored), previews a good
one, imports it, finds a candidate, edits them (extra time) and removes one after confirming."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Dialog, expect

from tests.pages.conftest import LiveServer, sign_in
from tests.support.seed import seed_sitting, username

pytestmark = [pytest.mark.browser, pytest.mark.slow]
HEADER = "SBD,Họ và tên,Ngày sinh,Số CCCD,Trường,Lớp,Phòng,Số máy/Ghế,Thời gian cộng thêm,Mật khẩu\n"


@pytest.fixture(scope="module")
def seeded(live_server: LiveServer) -> tuple[int, str]:
    with live_server.app.app_context():
        s = seed_sitting(rooms=1, per_room=4, open_checkin=False)
        return s.sitting_id, username(s, "examiner")




def test_roster_preview_import_edit_remove(context: BrowserContext, seeded: tuple[int, str], tmp_path: Path) -> None:
    sitting_id, examiner = seeded
    tag = uuid.uuid4().int % 10_000
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, examiner)
    page.goto(f"/exams/sittings/{sitting_id}")
    page.get_by_role("link", name="Nhập danh sách thí sinh").click()
    expect(page.locator(".sitting-code")).to_have_text(str(sitting_id))

    with page.expect_download() as download:
        page.locator("#roster-template").click()
    assert download.value.suggested_filename.endswith(".xlsx")

    bad = tmp_path / "sai.csv"
    bad.write_text(HEADER + f"07{tag:04d},Lý Thu Trang,31/02/2008,0013080{tag:05d},THPT A,12A1,P01,M04,nhiều,\n",
                   encoding="utf-8")
    page.locator("#f-roster").set_input_files(str(bad))
    page.get_by_role("button", name="Xem trước").click()
    expect(page.locator("#roster-errors")).to_contain_text("Tệp bị từ chối: 2 lỗi.")
    expect(page.locator("#preview-table tr[data-row='2']")).to_contain_text("Lý Thu Trang")
    expect(page.locator("table").filter(has_text="Lý do")).to_contain_text("Thời gian cộng thêm")
    expect(page.locator("#roster-confirm")).to_have_count(0)  # nothing to confirm while errors remain

    good = tmp_path / "dung.csv"
    good.write_text(HEADER
                    + f"07{tag:04d},Lý Thu Trang,28/02/2008,0013080{tag:05d},THPT A,12A1,P01,M04,25%,matkhau01\n"
                    + f"08{tag:04d},Đặng Quốc Bảo,01/03/2008,0012080{tag:05d},THPT A,12A1,P01,,,\n", encoding="utf-8")
    page.locator("#f-roster").set_input_files(str(good))
    page.get_by_role("button", name="Xem trước").click()
    expect(page.locator("#preview-table tbody tr")).to_have_count(2)
    expect(page.locator("#preview-table tr[data-row='2']")).to_contain_text("2,5 phút")  # 25% of 10 min
    page.locator("#roster-confirm").click()
    expect(page.get_by_role("status").filter(has_text="Đã nhập 2 thí sinh.")).to_be_visible()
    expect(page).to_have_url(re.compile(rf"/exams/sittings/{sitting_id}/candidates$"))

    page.get_by_label("Tìm thí sinh").fill("lý thu")
    page.get_by_role("button", name="Tìm", exact=True).click()
    expect(page.locator("#candidates-table tbody tr")).to_have_count(1)
    page.get_by_role("link", name=f"Sửa thí sinh 07{tag:04d}").click()
    page.get_by_label("Họ và tên").fill("Lý Thu Trang Anh")
    page.get_by_label("Ngày sinh").fill("30/02/2008")
    page.locator("#candidate-save").click()
    expect(page.locator("#candidate-error")).to_contain_text("30/02/2008")
    page.get_by_label("Ngày sinh").fill("28/02/2008")
    page.get_by_label("Thời gian cộng thêm").fill("15")
    page.locator("#candidate-save").click()
    expect(page.get_by_role("status").filter(has_text=f"Đã lưu thí sinh 07{tag:04d}.")).to_be_visible()
    row = page.locator(f"#candidates-table tr[data-sbd='07{tag:04d}']")
    expect(row).to_contain_text("Lý Thu Trang Anh")
    expect(row).to_contain_text("15 phút")

    asked: list[str] = []

    def answer(dialog: Dialog) -> None:
        asked.append(dialog.message)
        dialog.accept()

    page.once("dialog", answer)
    page.get_by_role("button", name=f"Xoá thí sinh 08{tag:04d}").click()
    expect(page.get_by_role("status").filter(has_text=f"Đã xoá thí sinh 08{tag:04d}.")).to_be_visible()
    assert asked and "Đặng Quốc Bảo" in asked[0]
    expect(page.locator(f"#candidates-table tr[data-sbd='08{tag:04d}']")).to_have_count(0)
    assert errors == []

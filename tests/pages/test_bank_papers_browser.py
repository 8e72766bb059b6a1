"""In headless chromium against the real server: an examiner imports a bank file, then builds a
sitting's papers from the bank by filter on the sitting page (no file uploaded)."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, expect
from sqlalchemy import select

from exam_server.db import session as db
from exam_server.exams.models import Paper
from tests.pages.conftest import BROWSER_TIMEOUT_MS as TIMEOUT_MS
from tests.pages.conftest import LiveServer, sign_in
from tests.pages.test_bank_browser import import_file
from tests.support.bank_files import moodle_bank
from tests.support.seed import seed_sitting, username

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_sitting_papers_from_the_bank(context: BrowserContext, live_server: LiveServer, tmp_path: Path) -> None:  # noqa: F811
    with live_server.app.app_context():
        seeded = seed_sitting(rooms=1, per_room=1, open_checkin=False)
        examiner = username(seeded, "examiner")
    tag = "W" + uuid.uuid4().hex[:10]
    source = tmp_path / "ngan-hang.xml"
    source.write_bytes(moodle_bank(tag))
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, examiner)
    import_file(page, source)

    page.goto(f"/exams/sittings/{seeded.sitting_id}")
    page.get_by_label("Ngân hàng câu hỏi (theo bộ lọc)").check()
    page.locator("#generate-bank").get_by_label("Chủ đề").select_option(f"{tag}/Toán")
    page.locator("#generate-bank").get_by_label("Thẻ").select_option("số học")
    page.get_by_label("Số mã đề").fill("2")
    page.get_by_label("Mã đề bắt đầu").fill("0701")
    page.get_by_label("Số câu mỗi đề").fill("2")
    page.get_by_role("button", name="Tạo mã đề").click()
    expect(page.get_by_text("Đã thêm 2 mã đề: 0701, 0702.")).to_be_visible(timeout=TIMEOUT_MS)
    expect(page).to_have_url(re.compile(rf"/exams/sittings/{seeded.sitting_id}$"))
    with live_server.app.app_context():
        stems = [sorted(q["stem"] for q in p.snapshot) for p in db.scalars(
            select(Paper).where(Paper.sitting_id == seeded.sitting_id, Paper.code.in_(["0701", "0702"])))]
    assert stems == [sorted([f"<p>1 + 1 = ? ({tag})</p>", f"<p>2 × 3 = ? ({tag})</p>"])] * 2
    assert not errors, errors

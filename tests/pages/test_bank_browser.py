"""The bank in headless chromium against a real gunicorn server: an examiner imports a file
(the progress bar runs, the summary appears), filters, previews a cloze question exactly as a
candidate sees it (Moodle's HTML rendered, sanitised; blanks inside the sentence), edits it
(version 2 in the history) and exports a selection."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from question_bank.formats import read_any
from tests.pages.conftest import BROWSER_TIMEOUT_MS as TIMEOUT_MS
from tests.pages.conftest import LiveServer, sign_in
from tests.support.bank_files import hostile_bank, moodle_bank, refused_bank, with_padding
from tests.support.seed import seed_sitting, username

pytestmark = [pytest.mark.browser, pytest.mark.slow]
STAGES_JS = """() => {
  window.__stages = [];
  const stage = document.getElementById("import-stage");
  new MutationObserver(() => window.__stages.push(stage.textContent)).observe(stage, {childList: true, characterData: true, subtree: true});
}"""


@pytest.fixture(scope="module")
def examiner(live_server: LiveServer) -> str:
    with live_server.app.app_context():
        return username(seed_sitting(rooms=1, per_room=1, open_checkin=False), "examiner")




def import_file(page: Page, path: Path, outcome: str = "ok") -> None:
    page.get_by_role("link", name="Ngân hàng câu hỏi").click()
    page.get_by_role("link", name="Nhập câu hỏi từ tệp").click()
    expect(page.locator("#import-form")).to_have_attribute("data-enhanced", "progress", timeout=TIMEOUT_MS)
    page.evaluate(STAGES_JS)
    page.get_by_label("Tệp câu hỏi").set_input_files(str(path))
    page.get_by_role("button", name="Nhập", exact=True).click()
    expect(page.locator("#import-progress")).to_have_attribute("data-done", outcome, timeout=TIMEOUT_MS)


def test_import_filter_preview_edit_export(context: BrowserContext, examiner: str, tmp_path: Path) -> None:
    tag = "B" + uuid.uuid4().hex[:10]
    source = tmp_path / "ngan-hang.xml"
    source.write_bytes(with_padding(moodle_bank(tag), tag, 300))  # ~0.5 MB: an upload to watch
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in(page, examiner)

    # Import: the bar shows the upload, then the reading; the summary replaces it.
    import_file(page, source)
    expect(page.locator("#import-bar")).to_have_attribute("value", "100")
    stages = page.evaluate("window.__stages")
    assert any("Đang tải tệp lên" in s for s in stages) and any("đang đọc và kiểm tra" in s for s in stages), stages
    expect(page.get_by_role("status").filter(has_text="thêm 304 trên 304 câu hỏi")).to_be_visible()
    expect(page.locator("#sum-types")).to_contain_text("Điền khuyết (cloze)")
    expect(page.locator("#sum-points")).to_have_text("307")

    # Filter: topic and type.
    page.get_by_role("link", name="Xem ngân hàng câu hỏi").click()
    page.get_by_label("Chủ đề").select_option(f"{tag}/Địa lí")
    page.get_by_label("Dạng câu hỏi").select_option("cloze")
    page.get_by_role("button", name="Lọc", exact=True).click()
    expect(page.locator("#bank-count")).to_have_text("Tìm thấy 1 câu hỏi.", timeout=TIMEOUT_MS)
    page.locator("#bank-table tbody a").first.click()

    # Preview: Moodle's HTML as HTML (bold, not "<b>" shown), each blank inside the sentence.
    page.get_by_role("link", name="Xem như thí sinh").click()
    stem = page.locator("#question .rich").first
    expect(stem.locator("b")).to_have_text("Thủ đô", timeout=TIMEOUT_MS)
    assert "<b>" not in stem.inner_text()
    dropdown = stem.locator(".blank-slot select")
    expect(dropdown).to_have_count(1)
    dropdown.select_option(label="Hà Nội")
    stem.locator(".blank-slot input").nth(0).fill("1000")
    stem.locator(".blank-slot input").nth(1).fill("Hồng")
    expect(page.locator("#preview-response")).to_contain_text('"3":"Hồng"')
    expect(page.locator("#q-heading")).to_have_text("Câu 1 (3 điểm)")
    page.get_by_role("link", name="Quay lại câu hỏi").click()

    # Edit: a new version; the history keeps both.
    page.get_by_role("link", name="Sửa câu hỏi").click()
    page.get_by_label("Đề bài").fill(page.get_by_label("Đề bài").input_value().replace("Thủ đô", "Thủ đô ngàn năm"))
    page.get_by_label("Điểm").fill("3,5")
    page.get_by_label("Ghi chú cho lần sửa").fill("thêm chữ")
    page.get_by_role("button", name="Lưu phiên bản mới").click()
    expect(page.get_by_role("status").filter(has_text="Đã lưu phiên bản mới")).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.locator("#current-version")).to_have_text("2")
    expect(page.locator("#history tbody tr")).to_have_count(2)
    page.get_by_role("link", name="Xem phiên bản 1").click()
    expect(page.locator("#question .rich b").first).to_have_text("Thủ đô")
    page.go_back()
    page.get_by_role("link", name="Xem như thí sinh").click()
    expect(page.locator("#question .rich b").first).to_have_text("Thủ đô ngàn năm")
    expect(page.locator("#q-heading")).to_have_text("Câu 1 (3,5 điểm)")

    # Export the ticked questions of one topic.
    page.goto(f"/bank/?topic={tag}/Toán")
    for box in page.locator("#bank-table tbody input[type=checkbox]").all():
        box.check()
    page.get_by_label("Định dạng").select_option("qti3")
    with page.expect_download() as download:
        page.get_by_role("button", name="Xuất tệp").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name.endswith(".qti3.zip")
    assert sorted(q.stem for q in read_any(saved).questions) == sorted(
        [f"<p>1 + 1 = ? ({tag})</p>", f"<p>2 × 3 = ? ({tag})</p>"])
    assert not errors, errors


def test_hostile_html_is_shown_not_run(context: BrowserContext, examiner: str, tmp_path: Path) -> None:
    tag = "H" + uuid.uuid4().hex[:10]
    source = tmp_path / "nguy-hiem.xml"
    source.write_bytes(hostile_bank(tag))
    page = context.new_page()
    sign_in(page, examiner)
    import_file(page, source)
    page.goto(f"/bank/?topic={tag}/Nguy hiểm")
    page.locator("#bank-table tbody a").first.click()
    page.get_by_role("link", name="Xem như thí sinh").click()
    stem = page.locator("#question .rich").first
    expect(stem).to_contain_text(f"An toàn {tag}", timeout=TIMEOUT_MS)
    expect(stem.locator(".blank-slot input")).to_have_count(1)
    assert stem.locator("script, [onerror], a[href]").count() == 0
    assert page.evaluate("window.__pwned") is None


def test_refused_file_shows_every_error(context: BrowserContext, examiner: str, tmp_path: Path) -> None:
    source = tmp_path / "hỏng.xml"
    source.write_bytes(refused_bank())
    page = context.new_page()
    sign_in(page, examiner)
    import_file(page, source, outcome="refused")
    expect(page.locator("#import-refused")).to_contain_text("không câu hỏi nào được lưu")
    rows = page.locator("#import-errors tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("hỏng.xml")
    expect(rows.nth(0)).to_contain_text("câu hỏi thứ 2 «Sai tỉ lệ»")
    expect(rows.nth(1)).to_contain_text("cần một đáp án được 100%")
    page.goto("/bank/?text=Một cộng một")
    expect(page.locator("#bank-count")).to_have_text("Tìm thấy 0 câu hỏi.")

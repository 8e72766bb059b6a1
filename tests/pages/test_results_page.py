"""In headless chromium against the real server process: ending a sitting shows who is still
writing and which rooms never started in a dialog, and only its button ends; the results page
exports signed packages (with a progress bar), publishes, shows the item analysis and corrects a
key with a preview first. Screenshots go to the test's artefact folder."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from exam_server.events.log import Actor
from exam_server.exams import lifecycle
from question_bank.model import Option, Question
from tests.pages.conftest import LiveServer, sign_in
from tests.support.seed import CANDIDATE_PASSWORD, Seeded, seed_sitting, username

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _questions() -> list[Question]:
    return [
        Question(type="single_choice", stem=f"Câu hỏi số {n}: 2 + {n} bằng bao nhiêu?", points=1.0,
                 options=[Option("A", str(2 + n), 1.0), Option("B", "0"), Option("C", "1"), Option("D", "9")]
                 ).with_uid()
        for n in (1, 2, 3)
    ]


@pytest.fixture(scope="module")
def day(live_server: LiveServer) -> tuple[Seeded, dict[str, str]]:
    """Two rooms with check-in open; room P01 started, P02 not yet."""
    with live_server.app.app_context():
        s = seed_sitting(rooms=2, per_room=2, questions=_questions(), duration_s=1800)
        lifecycle.start_room(s.room_ids[0], Actor("examiner:test"))
        return s, {key: username(s, key) for key in s.users}




def candidate_writes(browser: Browser, live_server: LiveServer, s: Seeded, index: int) -> None:
    ctx = browser.new_context(base_url=live_server.url)
    try:
        token = ctx.request.get("/api/v1/auth/csrf").json()["csrf_token"]
        r = ctx.request.post("/api/v1/auth/candidate-login", headers={"X-CSRFToken": token},
                             data={"sitting_id": s.sitting_id, "sbd": s.sbds[index], "password": CANDIDATE_PASSWORD})
        assert r.ok, r.text()
        body = r.json()
        saved = ctx.request.put(f"/api/v1/attempts/{body['attempt_id']}/responses/1",
                                headers={"X-CSRFToken": body["csrf_token"]}, data={"seq": 1, "value": "A"})
        assert saved.ok, saved.text()
    finally:
        ctx.close()


def sitting_state(live_server: LiveServer, sitting_id: int) -> str:
    with live_server.app.app_context():
        from exam_server.db import session as db
        from exam_server.exams.models import Sitting

        db.expire_all()
        return db.get(Sitting, sitting_id).state


def test_end_dialog_then_results_page(browser: Browser, live_server: LiveServer, context: BrowserContext,
                                      day: tuple[Seeded, dict[str, str]], tmp_path: Path) -> None:
    s, staff = day
    candidate_writes(browser, live_server, s, 0)  # Nguyễn Văn 1 is writing in P01
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # the native "publish?" confirmation
    sign_in(page, staff["examiner"], landing=None)
    page.goto(f"/exams/sittings/{s.sitting_id}")

    # Ending asks first: the dialog names the writer and the room that never started.
    page.get_by_label("Lý do kết thúc").fill("Hết giờ làm bài")
    page.get_by_role("button", name="Kết thúc ca thi").click()
    dialog = page.locator("#end-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Thí sinh còn đang làm bài")
    expect(dialog).to_contain_text(f"{s.sbds[0]} — Nguyễn Văn 1 (P01, M01)")
    expect(dialog).to_contain_text("Phòng chưa bắt đầu thi")
    expect(dialog.locator("li").filter(has_text=re.compile(r"^P02$"))).to_have_count(1)
    page.screenshot(path=str(tmp_path / "01-end-dialog.png"))
    dialog.get_by_role("button", name="Quay lại").click()
    expect(dialog).to_be_hidden()
    assert sitting_state(live_server, s.sitting_id) == "started"  # going back changed nothing

    page.get_by_role("button", name="Kết thúc ca thi").click()
    dialog.get_by_role("button", name="Kết thúc", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="Ca thi đã kết thúc.")).to_be_visible()
    assert sitting_state(live_server, s.sitting_id) == "ended"

    # The results page: counts with the absentees, and marking progress.
    page.get_by_role("link", name="Xuất, công bố, phân tích").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kết quả thi")
    expect(page.locator('[data-count="absent"]')).to_have_text("3")
    expect(page.locator('[data-count="submitted"]')).to_have_text("1")

    # Every format × grouping is a button; one downloads a signed zip with the bar filling up.
    buttons = page.locator("[data-export]")
    expect(buttons).to_have_count(16)
    with page.expect_download() as info:
        page.get_by_role("button", name="Tải CSV, nhóm theo Phòng thi").click()
    download = info.value
    assert re.fullmatch(r"ket-qua-ca-\d+-room-csv\.zip", download.suggested_filename)
    with zipfile.ZipFile(io.BytesIO(Path(download.path()).read_bytes())) as zf:
        names = zf.namelist()
        assert {"manifest.json", "manifest.json.p7s", "P01.csv", "P02.csv"} <= set(names)
        assert "Vắng" in zf.read("P02.csv").decode("utf-8-sig")
    expect(page.locator("#export-label")).to_have_text("Đã tải xong.")
    assert page.locator("#export-progress").evaluate("el => el.value") == 100
    page.screenshot(path=str(tmp_path / "02-results-export.png"), full_page=True)

    # A PDF package is built in the background (minutes for a large sitting): the bar follows the
    # job, then its zip downloads like the others.
    with page.expect_download(timeout=120_000) as info:
        page.locator('[data-export][data-format="pdf"][data-by="room"]').click()
    assert re.fullmatch(r"ket-qua-ca-\d+-room-pdf\.zip", info.value.suggested_filename)
    with zipfile.ZipFile(io.BytesIO(Path(info.value.path()).read_bytes())) as zf:
        assert "manifest.json.p7s" in zf.namelist() and any(n.endswith(".pdf") for n in zf.namelist())
    expect(page.locator("#export-label")).to_have_text("Đã tải xong.")

    # Publish, then the page offers to withdraw (with a reason).
    page.get_by_role("button", name="Công bố kết quả").click()
    expect(page.get_by_role("status").filter(has_text="Đã công bố kết quả.")).to_be_visible()
    expect(page.locator("#publish-state")).to_contain_text("Đã công bố lúc")
    expect(page.get_by_role("button", name="Thu hồi công bố")).to_be_visible()

    # Key correction: preview every score change, then apply.
    page.get_by_label("Câu hỏi", exact=True).select_option(index=1)
    page.get_by_label("Đáp án đúng mới (A, B, C, D…)").fill("B")
    page.get_by_label("Lý do", exact=True).fill("Đáp án gốc sai")
    page.get_by_role("button", name="Xem trước").click()
    preview = page.locator("#key-preview")
    expect(preview).to_be_visible()
    expect(preview.locator("tbody tr")).to_have_count(1)  # only the candidate who sat; absentees have no score
    expect(preview.locator("tbody tr").first).to_contain_text(s.sbds[0])
    expect(page.locator("[data-key-status]")).to_contain_text("1 thí sinh thay đổi điểm.")
    page.screenshot(path=str(tmp_path / "03-key-preview.png"), full_page=True)
    page.get_by_role("button", name="Áp dụng").click()
    expect(page.locator("[data-key-status]")).to_contain_text("Đã áp dụng: 1 thí sinh thay đổi điểm.")

    # The item analysis report names items by number and stem, in Vietnamese.
    page.get_by_role("button", name="Xem báo cáo").click()  # the code selector left on "all codes"
    expect(page.locator("figcaption").first).to_have_text("Phổ điểm")
    expect(page.locator("table").first).to_contain_text("Câu 1 (đề 101): Câu hỏi số 1: 2 + 1 bằng …")
    # Each choice question's options, with the letter each paper code gave them.
    expect(page.locator("table.options").first).to_contain_text("Mã đề 101")
    page.screenshot(path=str(tmp_path / "04-item-analysis.png"), full_page=True)

    # The appeal review: the candidate's paper with their answer and the attempt's timeline; printable.
    page.go_back()
    page.get_by_label("SBD của thí sinh").fill(s.sbds[0])
    page.get_by_role("button", name="Mở bài thi").click()
    expect(page.get_by_role("heading", level=2).first).to_have_text(f"{s.sbds[0]} — Nguyễn Văn 1")
    expect(page.locator("#review-paper")).to_have_text("101")
    expect(page.locator("[data-answer]").first).to_have_text("A")
    expect(page.locator("#review-timeline")).to_contain_text("Đăng nhập")
    expect(page.locator("#review-timeline")).to_contain_text("Sửa đáp án")
    expect(page.get_by_role("button", name="In")).to_be_visible()
    page.screenshot(path=str(tmp_path / "05-appeal-review.png"), full_page=True)

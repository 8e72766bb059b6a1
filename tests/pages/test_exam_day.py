"""A whole exam day walked through the pages, in order, by three roles in their own browsers
(headless chromium, real gunicorn server process): the admin/examiner, the invigilator of room
P01 and the candidates at their workstations.

Set-up (staff account, exam and sitting, rooms, roster imported from an XLSX made from the
page's own template, papers generated from a question file), check-in, bulk login-code slips,
the start, a pause with its reason, extra time for one candidate, a submission with its
receipt, the end with its "who is still writing" dialog, the absentee shown as "Vắng", the
score table, the signed exports (CSV and PDF), publication and an appeal review.

Each step is its own test, run in file order on one module-scoped day; when a step fails the
later ones are skipped, so the report names the step that broke. Every step writes a full-page
screenshot `NN-role-step.png` (and step 08 the slips PDF) to `$TEST_ARTIFACTS/exam-day/`, by
default `test-artifacts/exam-day/` under the working directory (ignored by git), for CI to keep.

Where no page exists the test speaks the API, and says so: the first admin account is created
with `create_user` (in production `exam-server init`), and candidate A is checked in at the door
by the check-in station's own request (`POST /api/v1/checkin/checkins`: exam_client is another
application, reading the chip card and the camera, which this test cannot drive)."""

from __future__ import annotations

import csv
import io
import os
import re
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests
from openpyxl import load_workbook
from playwright.sync_api import Browser, BrowserContext, Dialog, Locator, Page, expect
from pypdf import PdfReader

from exam_server.accounts.service import create_user
from exam_server.db import session as db
from tests.pages.conftest import BROWSER_TIMEOUT_MS, LiveServer, sign_in
from tests.pages.test_staff_browser import sign_in as sign_in_with_password
from tests.realtime.test_browser import wait_js
from tests.support.seed import STAFF_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS", "test-artifacts")) / "exam-day"
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
EXAM_NAME = "Kỳ thi thử tốt nghiệp THPT 2026"
SITTING_NAME = "Ca 1 — Toán"
INVIGILATOR = "Phan Thị Giám"
PAUSE_REASON = "Mất điện phòng P01"
EXTRA_REASON = "Máy M02 hỏng, thí sinh chuyển máy"
END_REASON = "Hết giờ làm bài"
# Four questions "a + 10 = ?" with their sums as options: every paper draws all four, shuffled.
ADDENDS = (1, 2, 3, 4)


@dataclass(frozen=True)
class Candidate:
    sbd: str
    full_name: str
    dob: str
    citizen_id: str
    seat: str


# A is checked in by the station and answers everything right; B takes a code slip, answers
# three of four right and is still writing at the end; C never comes: absent.
A = Candidate("020001", "Trần Thị Bình", "05/03/2008", "001308000101", "M01")
B = Candidate("020002", "Lê Văn Cường", "17/11/2008", "001208000102", "M02")
C = Candidate("020003", "Phạm Minh Đức", "02/01/2008", "001208000103", "M03")


@dataclass
class Day:
    """What the steps hand on to each other."""

    admin: Page
    invigilator: Page
    candidates: dict[str, Page]  # "a", "b": their workstations' browsers
    admin_name: str
    failures_before: int
    dialogs: list[str] = field(default_factory=list)  # the admin's native confirmations, in order
    inv_name: str = ""
    inv_password: str = ""
    sitting_id: int = 0
    room_id: int = 0  # P01
    codes: dict[str, str] = field(default_factory=dict)  # sbd -> login code
    paper_of_b: str = ""
    receipt_of_a: str = ""
    broken: str = ""  # the step that failed


@pytest.fixture(scope="module")
def day(browser: Browser, live_server: LiveServer, request: pytest.FixtureRequest) -> Iterator[Day]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    tag = uuid.uuid4().hex[:6]
    with live_server.app.app_context():  # no page makes the first admin: `exam-server init` does
        create_user(f"admin-{tag}", STAFF_PASSWORD, "admin", full_name="Quản trị")
        db.commit()
    contexts: list[BrowserContext] = []

    def page() -> Page:
        ctx = browser.new_context(base_url=live_server.url, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh",
                                  accept_downloads=True, viewport={"width": 1280, "height": 900})
        ctx.set_default_timeout(BROWSER_TIMEOUT_MS)
        contexts.append(ctx)
        return ctx.new_page()

    state = Day(admin=page(), invigilator=page(), candidates={"a": page(), "b": page()},
                admin_name=f"admin-{tag}", failures_before=request.session.testsfailed)

    def confirm(dialog: Dialog) -> None:
        state.dialogs.append(dialog.message)
        dialog.accept()

    state.admin.on("dialog", confirm)
    state.invigilator.on("dialog", lambda dialog: dialog.accept())
    try:
        yield state
    finally:
        for ctx in contexts:
            ctx.close()


@pytest.fixture(autouse=True)
def _in_order(day: Day, request: pytest.FixtureRequest) -> Iterator[None]:
    """The steps build on each other: after a failed one the rest would only fail confusingly."""
    if day.broken:
        pytest.skip(f"an earlier step of the exam day failed: {day.broken}")
    yield
    if request.session.testsfailed > day.failures_before:  # this step's failure is counted by now
        day.broken = request.node.name


def shot(page: Page, nn: int, role: str, step: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{nn:02d}-{role}-{step}.png"), full_page=True)


def flash(page: Page, text: str) -> None:
    expect(page.get_by_role("status").filter(has_text=text)).to_be_visible()


def question_file(path: Path) -> Path:
    path.write_text("\n\n".join(
        f"::Câu {a}:: {a} + 10 bằng bao nhiêu? {{={a + 10} ~{a + 11} ~{a + 12} ~{a + 9}}}" for a in ADDENDS),
        encoding="utf-8")
    return path


def answer_paper(page: Page, wrong: int) -> None:
    """Answer every question shown, reading its sum from the stem; `wrong` questions get sum + 1.
    Each answer is waited for until the page says the server holds it ("Đã lưu")."""
    cells = page.locator("#grid .cell")
    expect(cells).to_have_count(len(ADDENDS))
    for q in range(len(ADDENDS)):
        cells.nth(q).click()
        stem = page.locator("#question").inner_text()
        found = re.search(r"(\d+) \+ 10 bằng bao nhiêu", stem)
        assert found, stem
        value = int(found.group(1)) + 10 + (1 if q < wrong else 0)
        option = page.locator("#question .choice").filter(has_text=re.compile(rf"^\s*[A-D]\.\s*{value}\s*$"))
        option.locator("input").check()
        wait_js(page, "document.querySelector('#q-saved').dataset.kind === 'saved'", timeout=BROWSER_TIMEOUT_MS)
    expect(page.locator("#grid .cell.answered")).to_have_count(len(ADDENDS))


def room_row(page: Page, sbd: str) -> Locator:
    return page.locator(f"#roster-table tr[data-sbd='{sbd}']")


# ---- set-up ---------------------------------------------------------------------------------

def test_01_admin_creates_the_invigilator_account(day: Day) -> None:
    page = day.admin
    sign_in(page, day.admin_name)
    page.get_by_role("link", name="Cán bộ", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tài khoản cán bộ")
    day.inv_name = "gt-" + uuid.uuid4().hex[:6]
    page.get_by_label("Tên đăng nhập").fill(day.inv_name)
    page.get_by_label("Họ và tên").fill(INVIGILATOR)
    page.get_by_label("Vai trò").select_option("invigilator")
    page.locator("#staff-create").click()
    created = page.get_by_role("status").filter(has_text=f"Đã tạo tài khoản {day.inv_name}")
    expect(created).to_be_visible()
    password = re.search(r"một lần, hãy đưa cho người dùng\): (\S+)", created.inner_text())
    assert password, created.inner_text()
    day.inv_password = password.group(1).rstrip(".")
    expect(page.locator(f"#staff-table tr[data-username='{day.inv_name}']")).to_contain_text("Cán bộ coi thi")
    shot(page, 1, "admin", "staff-account")


def test_02_admin_creates_the_exam_and_sitting(day: Day) -> None:
    page = day.admin
    page.goto("/exams/")
    page.get_by_role("link", name="Tạo kỳ thi", exact=True).click()
    starts = (datetime.now(VIETNAM) + timedelta(minutes=10)).strftime("%d/%m/%Y %H:%M")
    page.get_by_label("Mã kỳ thi").fill("TN2026-" + uuid.uuid4().hex[:4])
    page.get_by_label("Tên kỳ thi").fill(EXAM_NAME)
    page.get_by_label("Tên ca thi").fill(SITTING_NAME)
    page.get_by_label("Môn thi").fill("Toán")
    page.get_by_label("Giờ bắt đầu").fill(starts)
    page.get_by_label("Thời gian làm bài (phút)").fill("45")
    shot(page, 2, "admin", "exam-form")
    page.get_by_role("button", name="Tạo kỳ thi và ca thi").click()
    flash(page, f"Đã tạo kỳ thi {EXAM_NAME}.")
    expect(page).to_have_url(re.compile(r"/exams/sittings/\d+$"))
    day.sitting_id = int(page.url.rsplit("/", 1)[1])
    expect(page.get_by_role("heading", level=1)).to_have_text(SITTING_NAME)
    facts = page.locator("dl.facts")
    expect(facts).to_contain_text(starts)
    expect(facts).to_contain_text("45 phút")
    expect(facts).to_contain_text("Chưa có mã đề")
    expect(page.locator(".page-head .badge")).to_have_text("Chưa bắt đầu")


def test_03_admin_adds_two_rooms(day: Day) -> None:
    page = day.admin
    page.get_by_label("Phòng", exact=True).fill("P01")
    page.get_by_label("Chỗ ngồi / máy thi").fill("M01–M03")
    page.get_by_label(INVIGILATOR).check()
    page.get_by_role("button", name="Thêm phòng", exact=True).click()
    flash(page, "Đã thêm phòng P01 (3 chỗ ngồi).")
    # A spare room without an invigilator or candidates: it never starts.
    page.get_by_label("Phòng", exact=True).fill("P02")
    page.get_by_label("Chỗ ngồi / máy thi").fill("M01, M02")
    page.get_by_role("button", name="Thêm phòng", exact=True).click()
    flash(page, "Đã thêm phòng P02 (2 chỗ ngồi).")
    rooms = page.locator("#rooms-h + div tbody tr")
    expect(rooms).to_have_count(2)
    expect(rooms.nth(0)).to_contain_text(INVIGILATOR)
    expect(rooms.nth(1).locator("td").first).to_have_text("—")
    href = rooms.nth(0).get_by_role("link", name="P01", exact=True).get_attribute("href") or ""
    day.room_id = int(href.rsplit("/", 1)[1])
    shot(page, 3, "admin", "rooms")


def test_04_admin_imports_the_roster_from_the_template(day: Day, tmp_path: Path) -> None:
    page = day.admin
    page.get_by_role("link", name="Nhập danh sách thí sinh").click()
    expect(page.locator(".sitting-code")).to_have_text(str(day.sitting_id))
    with page.expect_download() as download:
        page.locator("#roster-template").click()
    # The school fills the downloaded template: its header stays, the example rows go.
    book = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    sheet = book.active
    sheet.delete_rows(2, sheet.max_row)
    for c in (A, B, C):
        sheet.append([c.sbd, c.full_name, c.dob, c.citizen_id, "THPT Việt Đức", "12A3", "P01", c.seat])
    roster = tmp_path / "danh-sach-ca-1.xlsx"
    book.save(roster)

    page.get_by_label("Tệp danh sách", exact=True).set_input_files(str(roster))
    page.get_by_role("button", name="Xem trước").click()
    expect(page.locator("#preview-h")).to_have_text("Xem trước: 3 thí sinh trong tệp")
    expect(page.locator("#roster-errors")).to_have_count(0)
    rows = page.locator("#preview-table tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(1)).to_contain_text(B.full_name)
    expect(rows.nth(1)).to_contain_text("17/11/2008")
    expect(rows.nth(2)).to_contain_text(C.citizen_id)
    shot(page, 4, "admin", "roster-preview")
    page.get_by_role("button", name="Nhập 3 thí sinh này").click()
    flash(page, "Đã nhập 3 thí sinh.")
    expect(page).to_have_url(re.compile(rf"/exams/sittings/{day.sitting_id}/candidates$"))
    expect(page.locator("#candidate-count")).to_have_text("3 thí sinh.")
    expect(page.locator(f"#candidates-table tr[data-sbd='{A.sbd}']")).to_contain_text(A.full_name)


def test_05_admin_generates_two_paper_codes(day: Day, tmp_path: Path) -> None:
    page = day.admin
    page.goto(f"/exams/sittings/{day.sitting_id}")
    page.get_by_label("Tệp câu hỏi", exact=True).set_input_files(str(question_file(tmp_path / "cong-10.gift")))
    page.get_by_label("Số mã đề", exact=True).fill("2")
    page.get_by_label("Mã đề bắt đầu", exact=True).fill("0101")
    page.get_by_label("Hạt giống ngẫu nhiên", exact=True).fill("7")
    page.get_by_label("Số câu mỗi đề", exact=True).fill(str(len(ADDENDS)))
    page.get_by_role("button", name="Tạo mã đề").click()
    flash(page, "Đã thêm 2 mã đề: 0101, 0102.")
    papers = page.locator("#paper-table tbody tr")
    expect(papers).to_have_count(2)
    expect(papers.nth(0)).to_contain_text("0101")
    expect(papers.nth(1).locator("td.num")).to_have_text(str(len(ADDENDS)))
    expect(page.locator('dl.facts dt:text-is("Thí sinh") + dd')).to_have_text("3")
    expect(page.locator('dl.facts dt:text-is("Mã đề") + dd')).to_have_text("0101 0102")
    shot(page, 5, "admin", "papers")


def test_06_admin_opens_check_in(day: Day) -> None:
    page = day.admin
    page.get_by_role("button", name="Mở điểm danh").click()
    flash(page, "Đã mở điểm danh cho ca thi.")
    assert day.dialogs[-1].startswith("Mở điểm danh? Các mã đề sẽ bị khoá"), day.dialogs
    expect(page.locator(".page-head .badge")).to_have_text("Đang điểm danh")
    expect(page.get_by_text("Chỉ thêm mã đề trước khi mở điểm danh.")).to_be_visible()
    expect(page.get_by_role("button", name="Tạo mã đề")).to_have_count(0)  # papers are locked now
    p01 = page.locator("#rooms-h + div tbody tr").nth(0)
    expect(p01.locator(".badge")).to_have_text("Đang điểm danh")
    shot(page, 6, "admin", "checkin-open")


# ---- check-in and login codes ---------------------------------------------------------------

def test_07_station_checks_in_candidate_a_then_invigilator_sees_the_room(day: Day, live_server: LiveServer) -> None:
    # No page: the check-in station (exam_client) registers with the invigilator's account and
    # posts what it read from the card and the camera; the answer carries A's seat-bound code.
    device = requests.post(f"{live_server.url}/api/v1/checkin/devices", timeout=10, json={
        "username": day.inv_name, "password": day.inv_password, "room": str(day.room_id), "station": "Cửa P01"})
    assert device.status_code == 201, device.text
    checkin = requests.post(f"{live_server.url}/api/v1/checkin/checkins", timeout=10,
                            headers={"Authorization": f"Bearer {device.json()['token']}"}, json={
        "checkin_id": str(uuid.uuid4()), "citizen_id": A.citizen_id, "station": "Cửa P01",
        "captured_at": datetime.now(VIETNAM).isoformat(), "decision": "accepted", "reasons": [], "override": None,
        "chip": {"passed": True, "error": None, "failures": [], "report": {"dg13": {"full_name": A.full_name}}},
        "face": {"distance": 0.31, "threshold": 0.6, "matched": True, "score": 0.69},
    })
    assert checkin.status_code == 201, checkin.text
    answer = checkin.json()
    assert answer["status"] == "accepted" and answer["seat"] == A.seat, answer
    day.codes[A.sbd] = answer["login_code"]

    page = day.invigilator
    sign_in_with_password(page, day.inv_name, day.inv_password)
    expect(page).to_have_url(re.compile(r"/rooms/$"))
    page.get_by_role("link", name="P01", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Phòng thi P01")
    expect(page.locator(".page-head .badge")).to_have_text("Đang điểm danh")
    expect(room_row(page, A.sbd)).to_contain_text("Đã cấp mã")  # the station's code
    expect(room_row(page, B.sbd)).to_contain_text("Chờ vào thi")
    expect(room_row(page, C.sbd)).to_contain_text("Chờ vào thi")
    shot(page, 7, "invigilator", "room-after-station-checkin")


def test_08_invigilator_prints_the_login_code_slips(day: Day) -> None:
    page = day.invigilator
    expect(page.get_by_role("heading", name="Mã đăng nhập cho cả phòng")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("button", name="In phiếu mã đăng nhập (PDF)").click()
    assert download.value.suggested_filename == f"ma-dang-nhap-phong-{day.room_id}.pdf"
    pdf = Path(download.value.path()).read_bytes()
    (ARTIFACTS / "08-invigilator-slips.pdf").write_bytes(pdf)
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    lines = [line.strip() for line in text.splitlines()]
    for c in (B, C):  # one slip each, its code on the line after the candidate number
        at = next(i for i, line in enumerate(lines) if c.sbd in line and c.seat in line)
        assert lines[at - 1] == c.full_name, lines
        assert re.fullmatch(r"[A-Z0-9]{8}", lines[at + 1]), lines
        day.codes[c.sbd] = lines[at + 1]
    assert text.count(f"/exam/login?sitting={day.sitting_id}") == 2
    # A holds the station's code: listed as already issued, not given a second one.
    assert f"{A.sbd} — {A.full_name} ({A.seat})" in text
    assert day.codes[A.sbd] not in text
    page.reload()
    for c in (A, B, C):
        expect(room_row(page, c.sbd)).to_contain_text("Đã cấp mã")
    shot(page, 8, "invigilator", "room-codes-issued")


def test_09_candidates_log_in_and_wait(day: Day) -> None:
    a, b = day.candidates["a"], day.candidates["b"]
    a.goto(f"/exam/login?seat={A.seat}")  # A's prepared workstation names its seat
    expect(a.locator("#seat")).to_have_value(A.seat)
    a.locator("#code").fill(day.codes[A.sbd])
    a.get_by_role("button", name="Vào thi").first.click()
    b.goto(f"/exam/login?sitting={day.sitting_id}")  # the address printed on B's slip
    b.locator("#code").fill(day.codes[B.sbd])
    b.locator("#seat").fill(B.seat)
    b.get_by_role("button", name="Vào thi").first.click()
    for page, c in ((a, A), (b, B)):
        page.wait_for_url(re.compile(r"/exam$"))
        expect(page.locator("#waiting")).to_be_visible()
        expect(page.locator("#waiting h1")).to_have_text("Vui lòng chờ")
        expect(page.locator(".exam-header .who")).to_contain_text(c.full_name)
        expect(page.locator(".exam-header .who")).to_contain_text(c.sbd)
        expect(page.locator("#paper")).to_be_hidden()
    shot(a, 9, "candidate-a", "waiting")
    inv = day.invigilator
    inv.reload()
    expect(room_row(inv, A.sbd)).to_contain_text("Đã vào, chờ bắt đầu")
    expect(room_row(inv, B.sbd)).to_contain_text("Đã vào, chờ bắt đầu")
    expect(room_row(inv, C.sbd)).to_contain_text("Đã cấp mã")
    shot(inv, 9, "invigilator", "room-candidates-waiting")


# ---- the exam -------------------------------------------------------------------------------

def test_10_admin_starts_room_p01(day: Day) -> None:
    page = day.admin
    page.goto(f"/exams/sittings/{day.sitting_id}")
    page.get_by_role("button", name="Bắt đầu phòng P01").click()
    flash(page, "Phòng thi đã bắt đầu.")
    assert day.dialogs[-1] == "Bắt đầu tính giờ cho phòng P01?"
    expect(page.locator(".page-head .badge")).to_have_text("Đang thi")
    p01 = page.locator("#rooms-h + div tbody tr").nth(0)
    expect(p01.locator(".badge")).to_have_text("Đang thi")
    # capacity, candidates, then attempts waiting / writing / paused / submitted: every attempt
    # of the room starts with the room, C's too, but C never logged in so is not writing (the
    # live dashboard's rule: never logged in is never writing)
    expect(p01.locator("td.num")).to_have_text(["3", "3", "0", "2", "0", "0"])
    shot(page, 10, "admin", "room-started")
    for key in ("a", "b"):
        candidate = day.candidates[key]
        expect(candidate.locator("#paper")).to_be_visible()  # pushed: no reload
        expect(candidate.locator("#waiting")).to_be_hidden()
        wait_js(candidate, "/^\\d+:\\d\\d/.test(document.querySelector('#timer').textContent)")


def test_11_candidates_answer(day: Day) -> None:
    a, b = day.candidates["a"], day.candidates["b"]
    answer_paper(a, wrong=0)
    answer_paper(b, wrong=1)
    shot(a, 11, "candidate-a", "answered")
    shot(b, 11, "candidate-b", "answered")


def test_12_invigilator_sees_the_seat_map(day: Day) -> None:
    page = day.invigilator
    page.get_by_role("link", name="Giám sát phòng").click()
    expect(page.locator("#conn")).to_have_text("Trực tiếp")
    page.get_by_role("button", name="Sơ đồ phòng").click()
    expect(page.locator("#map-h")).to_have_text("Sơ đồ phòng P01")
    seats = page.locator("button.seat")
    expect(seats).to_have_count(3)
    expect(seats.nth(0)).to_have_attribute("data-state", "writing")
    expect(seats.nth(1)).to_have_attribute("data-state", "writing")
    # C never came but holds a printed slip: a code handed out is not arrival (late entry still open)
    expect(seats.nth(2)).to_have_attribute("data-state", "code_issued")
    expect(seats.nth(0)).to_contain_text("Đang làm bài")
    expect(seats.nth(2)).to_contain_text("Đã cấp mã, chưa vào")
    expect(seats.nth(2)).not_to_contain_text("Đã điểm danh")
    assert A.full_name in (seats.nth(0).get_attribute("title") or "")
    totals = dict(zip(page.locator("#totals dt").all_inner_texts(), page.locator("#totals dd").all_inner_texts(),
                      strict=True))
    assert totals["Đang làm bài"] == "2" and totals["Đã điểm danh"] == "0" and totals["Vắng"] == "0", totals
    assert totals["Chưa đến"] == "1", totals  # C: not arrived, only a code slip
    shot(page, 12, "invigilator", "seat-map")


def test_13_admin_pauses_and_resumes_the_room(day: Day) -> None:
    page = day.admin
    page.goto(f"/rooms/{day.room_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Phòng thi P01")
    page.get_by_label("Lý do tạm dừng").fill(PAUSE_REASON)
    page.get_by_role("button", name="Tạm dừng phòng").click()
    flash(page, "Đã tạm dừng phòng thi; thời gian dừng được cộng lại cho thí sinh.")
    assert day.dialogs[-1] == "Tạm dừng giờ làm bài của cả phòng?"
    expect(page.locator(".page-head .badge")).to_have_text("Tạm dừng")
    for key in ("a", "b"):
        candidate = day.candidates[key]
        expect(candidate.locator("#overlay")).to_be_visible()
        expect(candidate.locator("#overlay-text")).to_have_text(
            "Bài thi đang tạm dừng. Đồng hồ đã dừng; thời gian tạm dừng được bù lại.")
        expect(candidate.locator("#overlay-reason")).to_have_text(f"Lý do: {PAUSE_REASON}")
    shot(day.candidates["a"], 13, "candidate-a", "paused")
    shot(page, 13, "admin", "room-paused")
    page.get_by_role("button", name="Tiếp tục", exact=True).click()
    flash(page, "Phòng thi đã tiếp tục.")
    expect(page.locator(".page-head .badge")).to_have_text("Đang thi")
    for key in ("a", "b"):
        expect(day.candidates[key].locator("#overlay")).to_be_hidden()


def test_14_admin_gives_candidate_b_extra_time(day: Day) -> None:
    page = day.admin
    page.get_by_label("Thí sinh", exact=True).select_option(label=f"{B.sbd} — {B.full_name}")
    page.get_by_label("Số phút cộng thêm").fill("10")
    page.locator("#f-reason").fill(EXTRA_REASON)
    page.get_by_role("button", name="Cộng giờ", exact=True).click()
    flash(page, f"Đã cộng 10 phút cho thí sinh {B.sbd}.")
    expect(room_row(page, B.sbd).locator("td.num")).to_have_text("10 phút")
    expect(room_row(page, A.sbd).locator("td.num")).to_have_text("—")
    shot(page, 14, "admin", "extra-time")
    b = day.candidates["b"]
    notice = b.locator("#time-notice")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text(re.compile(r"Bạn được cộng thêm 10 phút\. Giờ kết thúc mới: \d\d:\d\d\."))
    expect(day.candidates["a"].locator("#time-notice")).to_be_hidden()
    shot(b, 14, "candidate-b", "extra-time-notice")


def test_15_candidate_a_submits_and_gets_a_receipt(day: Day) -> None:
    a = day.candidates["a"]
    a.locator("#to-review").click()
    expect(a.locator("#review")).to_be_visible()
    expect(a.locator("#review-list li")).to_have_count(len(ADDENDS))
    a.locator("#submit").click()
    expect(a.locator("#confirm")).to_be_visible()
    expect(a.locator("#confirm-text")).to_contain_text("Sau khi nộp bạn không thể sửa bài nữa.")
    a.locator("#confirm button[value='yes']").click()
    expect(a.locator("#finished")).to_be_visible()
    expect(a.locator("#finished-text")).to_have_text("Bạn đã nộp bài. Các câu trả lời đã được lưu.")
    expect(a.locator("#receipt")).to_be_visible()
    expect(a.locator("#receipt-answered")).to_have_text(f"{len(ADDENDS)}/{len(ADDENDS)} câu")
    expect(a.locator("#receipt-code")).to_have_text(re.compile(r"^\d+-[A-Z2-7]{5}-[A-Z2-7]{5}$"))
    day.receipt_of_a = a.locator("#receipt-code").inner_text()
    expect(a.locator("#receipt-time")).to_contain_text(datetime.now(VIETNAM).strftime("%d/%m/%Y"))
    shot(a, 15, "candidate-a", "receipt")
    page = day.admin
    page.reload()
    expect(room_row(page, A.sbd)).to_contain_text("Đã nộp bài")
    expect(room_row(page, B.sbd)).to_contain_text("Đang làm bài")


def test_16_admin_ends_the_sitting_after_the_dialog(day: Day) -> None:
    page = day.admin
    page.goto(f"/exams/sittings/{day.sitting_id}")
    page.get_by_label("Lý do kết thúc").fill(END_REASON)
    with page.expect_response(lambda r: r.url.endswith(f"/api/v1/sittings/{day.sitting_id}/end")) as asked:
        page.get_by_role("button", name="Kết thúc ca thi").click()
    assert asked.value.status == 409  # the server's check: who is still writing, which rooms never started
    dialog = page.locator("#end-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("h2")).to_have_text("Kết thúc thi?")
    lists = dialog.locator("[data-end-lists]")
    expect(lists.locator("h3")).to_have_text(["Thí sinh còn đang làm bài", "Phòng chưa bắt đầu thi"])
    expect(lists.locator("ul").nth(0).locator("li")).to_have_text([f"{B.sbd} — {B.full_name} (P01, {B.seat})"])
    expect(lists.locator("ul").nth(1).locator("li")).to_have_text(["P02"])
    shot(page, 16, "admin", "end-dialog")
    dialog.get_by_role("button", name="Kết thúc", exact=True).click()
    flash(page, "Ca thi đã kết thúc.")
    expect(page.locator(".page-head .badge")).to_have_text("Đã kết thúc")
    b = day.candidates["b"]
    expect(b.locator("#finished")).to_be_visible()  # B's page is closed by the end, its answers kept
    expect(b.locator("#paper")).to_be_hidden()
    shot(b, 16, "candidate-b", "collected")


# ---- results --------------------------------------------------------------------------------

def test_17_scores_show_the_absentee_as_vang(day: Day) -> None:
    page = day.admin
    page.get_by_role("link", name="Kết quả", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kết quả")
    table = page.locator("#scores-table")
    expect(table.locator("tbody tr")).to_have_count(3)

    def row(c: Candidate) -> Locator:
        return table.locator("tbody tr").filter(has_text=c.sbd)

    expect(row(A).locator("td.num")).to_have_text(["10,00", "4,00 / 4,00"])
    expect(row(B).locator("td.num")).to_have_text(["7,50", "3,00 / 4,00"])
    expect(row(C).locator("td.num")).to_have_text(["Vắng", "—"])
    expect(row(C).locator(".badge")).to_have_text("Vắng")
    paper = row(B).locator("td").nth(2).inner_text().strip()
    assert paper in ("0101", "0102"), paper
    day.paper_of_b = paper
    shot(page, 17, "admin", "scores")


def test_18_admin_exports_csv_and_pdf_from_the_results_page(day: Day) -> None:
    page = day.admin
    page.goto(f"/exams/sittings/{day.sitting_id}")
    page.get_by_role("link", name="Xuất, công bố, phân tích").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kết quả thi")
    expect(page.locator('[data-count="total"]')).to_have_text("3")
    expect(page.locator('[data-count="submitted"]')).to_have_text("2")
    expect(page.locator('[data-count="absent"]')).to_have_text("1")

    with page.expect_download() as info:
        page.get_by_role("button", name="Tải CSV, nhóm theo Phòng thi").click()
    assert re.fullmatch(rf"ket-qua-ca-{day.sitting_id}-room-csv\.zip", info.value.suggested_filename)
    with zipfile.ZipFile(info.value.path()) as zf:
        assert {"manifest.json", "manifest.json.p7s", "P01.csv"} <= set(zf.namelist()), zf.namelist()
        table = {r["SBD"]: r for r in csv.DictReader(io.StringIO(zf.read("P01.csv").decode("utf-8-sig")))}
    # The CSV is for the schools' systems: numbers as numbers (a decimal point), status in words.
    assert [(table[c.sbd]["Mã đề"] != "", table[c.sbd]["Trạng thái"]) for c in (A, B, C)] == [
        (True, "Đã nộp bài"), (True, "Đã nộp bài"), (True, "Vắng")], table
    assert float(table[A.sbd]["Điểm (thang 10)"]) == 10 and float(table[B.sbd]["Điểm (thang 10)"]) == 7.5
    assert table[C.sbd]["Điểm (thang 10)"] == "" and table[C.sbd]["Điểm thô"] == ""
    # no paper was sat: no maximum either (not "0.0" beside the others' "4.0")
    assert table[C.sbd]["Điểm tối đa"] == "" and float(table[A.sbd]["Điểm tối đa"]) == 4.0, table
    expect(page.locator("#export-label")).to_have_text("Đã tải xong.")

    with page.expect_download(timeout=120_000) as info:
        page.locator('[data-export][data-format="pdf"][data-by="room"]').click()
    assert re.fullmatch(rf"ket-qua-ca-{day.sitting_id}-room-pdf\.zip", info.value.suggested_filename)
    with zipfile.ZipFile(info.value.path()) as zf:
        pdfs = [n for n in zf.namelist() if n.endswith(".pdf")]
        assert "manifest.json.p7s" in zf.namelist() and pdfs, zf.namelist()
        sheet = "\n".join(p.extract_text() for name in pdfs for p in PdfReader(io.BytesIO(zf.read(name))).pages)
    # the score sheet: figures with a decimal comma, in words, and the absentee counted apart
    assert re.search(rf"{B.sbd}\n{B.full_name}\n.*\n.*\n0\d0\d\n7,5\nbảy phẩy năm\n", sheet), sheet
    assert re.search(rf"{C.sbd}\n{C.full_name}\n(.*\n){{3}}Vắng\n", sheet), sheet
    assert "Tổng số thí sinh: 3 · Dự thi: 2 · Vắng: 1" in sheet, sheet
    expect(page.locator("#export-label")).to_have_text("Đã tải xong.")
    shot(page, 18, "admin", "results-exported")


def test_19_admin_publishes_the_results(day: Day) -> None:
    page = day.admin
    expect(page.locator("#publish-state")).to_have_text("Kết quả chưa được công bố.")
    page.get_by_role("button", name="Công bố kết quả").click()
    flash(page, "Đã công bố kết quả.")
    assert day.dialogs[-1] == "Công bố kết quả? Các trường sẽ xem được điểm."
    expect(page.locator("#publish-state")).to_contain_text("Đã công bố lúc")
    expect(page.locator("#publish-state")).to_contain_text(datetime.now(VIETNAM).strftime("%d/%m/%Y"))
    expect(page.get_by_role("button", name="Thu hồi công bố")).to_be_visible()
    shot(page, 19, "admin", "published")


def test_20_admin_reviews_candidate_b_for_an_appeal(day: Day) -> None:
    page = day.admin
    page.get_by_label("SBD của thí sinh").fill(B.sbd)
    page.get_by_role("button", name="Mở bài thi").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Xem lại bài thi (phúc khảo)")
    expect(page.locator("#who-h")).to_have_text(f"{B.sbd} — {B.full_name}")
    review = page.locator("#review")
    expect(review.locator("#review-paper")).to_have_text(day.paper_of_b)  # the code on the score table
    expect(review).to_contain_text("3,00 / 4,00")
    items = page.locator(".review-item")
    expect(items).to_have_count(len(ADDENDS))
    # Every question answered; three chosen options are the correct ones, one is not.
    expect(items.locator("[data-answer]")).not_to_have_text(["(bỏ trống)"] * len(ADDENDS))
    expect(items.locator("[data-letter]:has(.badge-info)")).to_have_count(len(ADDENDS))
    expect(items.locator("[data-letter]:has(.badge-info):has(.badge-success)")).to_have_count(len(ADDENDS) - 1)
    # Each option's letter once, the candidate's paper letter: "A. 14", never "A. A. 14".
    first = items.first.locator("[data-letter]")
    expect(first.first).to_have_text(re.compile(r"^A\. \d+"))
    assert all(el.evaluate("e => getComputedStyle(e).display") != "list-item" for el in first.all())
    timeline = page.locator("#review-timeline tbody")
    for event in ("Đăng nhập", "Bắt đầu tính giờ", "Tạm dừng", "Tiếp tục", "Nộp bài"):
        expect(timeline).to_contain_text(event)
    expect(timeline.locator("tr").filter(has_text="attempt.paused")).to_contain_text(PAUSE_REASON)
    expect(timeline.locator("tr").filter(has_text="attempt.extra_time")).to_contain_text(EXTRA_REASON)
    expect(timeline.locator("tr").filter(has_text="attempt.extra_time")).to_contain_text("Cộng thêm giờ")
    expect(timeline).not_to_contain_text("Sự kiện khác")  # every kind has its words
    expect(timeline.locator("tr").filter(has_text="attempt.submitted")).to_contain_text(END_REASON)
    expect(page.get_by_role("button", name="In")).to_be_visible()
    shot(page, 20, "admin", "appeal-review")


def test_21_board_verifies_candidate_a_receipt(day: Day) -> None:
    # No page: the board checks a receipt code through the staff endpoint, here in the admin's browser.
    page = day.admin
    page.goto(f"/api/v1/receipts/{day.receipt_of_a}")
    body = page.request.get(f"/api/v1/receipts/{day.receipt_of_a}").json()
    assert body["valid"] is True and body["sbd"] == A.sbd and body["answered"] == len(ADDENDS), body
    assert body["full_name"] == A.full_name and body["sitting_id"] == day.sitting_id
    forged = day.receipt_of_a[:-1] + ("A" if day.receipt_of_a[-1] != "A" else "B")
    assert page.request.get(f"/api/v1/receipts/{forged}").json()["valid"] is False
    shot(page, 21, "admin", "receipt-verified")

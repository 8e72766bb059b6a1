"""The demo walked in headless chromium against a real gunicorn (gevent) server process:
the examiner opens check-in and starts the sitting, the invigilator issues a login code, the
candidate logs in with it, answers and submits, the examiner sees the score. Then accessibility:
keyboard-only sign-in, labelled controls, 200 % zoom without sideways scrolling, nothing
loaded from another host."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.pages.conftest import LiveServer
from tests.support.seed import STAFF_PASSWORD, Seeded, seed_sitting, username

pytestmark = [pytest.mark.browser, pytest.mark.slow]
TIMEOUT_MS = 15_000


@pytest.fixture(scope="module")
def demo(live_server: LiveServer) -> tuple[Seeded, dict[str, str]]:
    with live_server.app.app_context():
        s = seed_sitting(rooms=2, per_room=3, open_checkin=False, duration_s=1800)
        return s, {key: username(s, key) for key in s.users}


@pytest.fixture
def context(browser: Browser, live_server: LiveServer) -> Iterator[BrowserContext]:
    ctx = browser.new_context(base_url=live_server.url, locale="vi-VN")
    ctx.set_default_timeout(TIMEOUT_MS)
    yield ctx
    ctx.close()


def sign_in(page: Page, user: str) -> None:
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login"))
    page.get_by_label("Tên đăng nhập").fill(user)
    page.get_by_label("Mật khẩu").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()


def test_demo_walkthrough(browser: Browser, live_server: LiveServer, demo: tuple[Seeded, dict[str, str]]) -> None:
    s, staff = demo
    contexts = [browser.new_context(base_url=live_server.url) for _ in range(3)]
    try:
        for ctx in contexts:
            ctx.set_default_timeout(TIMEOUT_MS)
        examiner, invigilator, candidate = (ctx.new_page() for ctx in contexts)
        examiner.on("dialog", lambda dialog: dialog.accept())  # the "start/end?" confirmations

        # The examiner signs in, finds the sitting and opens check-in.
        sign_in(examiner, staff["examiner"])
        expect(examiner).to_have_url(re.compile(r"/exams/$"))
        examiner.locator(f'a[href="/exams/sittings/{s.sitting_id}"]').click()
        expect(examiner.get_by_role("heading", level=1)).to_have_text("Ca 1 — Toán")
        examiner.get_by_role("button", name="Mở điểm danh").click()
        expect(examiner.get_by_role("status").filter(has_text="Đã mở điểm danh cho ca thi.")).to_be_visible()

        # The invigilator opens their room and issues the first candidate's login code.
        sign_in(invigilator, staff["inv1"])
        expect(invigilator).to_have_url(re.compile(r"/rooms/$"))
        invigilator.get_by_role("link", name="P01").click()
        row = invigilator.locator(f'tr[data-sbd="{s.sbds[0]}"]')
        row.get_by_role("button", name="Cấp mã đăng nhập").click()
        code = invigilator.locator("#login-code").inner_text().strip()
        assert re.fullmatch(r"[A-Z0-9]{8}", code), code

        # The candidate logs in with it on the candidate page.
        candidate.goto("/exam/login")
        candidate.locator("#code").fill(code)
        candidate.locator("#code-form button[type=submit]").click()
        candidate.wait_for_url(re.compile(r"/exam$"))
        invigilator.get_by_role("link", name="Quay lại phòng thi").click()
        expect(invigilator.locator(f'tr[data-sbd="{s.sbds[0]}"]')).to_contain_text("Đã vào, chờ bắt đầu")

        # The examiner starts the sitting.
        examiner.get_by_role("button", name="Bắt đầu ca thi").click()
        expect(examiner.get_by_role("status").filter(has_text="Ca thi đã bắt đầu.")).to_be_visible()

        # The candidate answers question 1 and submits (through the JSON API with the browser's
        # own session: the live candidate page is exercised by its own tests).
        view = candidate.request.get("/api/v1/attempt")
        assert view.ok, view.text()
        body = view.json()
        headers = {"X-CSRFToken": body["csrf_token"]}
        attempt = body["attempt"]["id"]
        saved = candidate.request.put(f"/api/v1/attempts/{attempt}/responses/1", headers=headers,
                                      data={"seq": 1, "value": "A"})
        assert saved.ok, saved.text()
        assert candidate.request.post(f"/api/v1/attempts/{attempt}/submit", headers=headers).ok

        # The examiner's status table refreshes by itself: one submitted attempt in P01.
        submitted = examiner.locator("tbody tr").filter(has_text="P01").locator("td.num").nth(5)
        expect(submitted).to_have_text("1", timeout=20_000)

        # The examiner ends the sitting and reads the scores.
        examiner.get_by_label("Lý do kết thúc").fill("Hết giờ làm bài")
        examiner.get_by_role("button", name="Kết thúc ca thi").click()
        examiner.locator("#end-dialog").get_by_role("button", name="Kết thúc", exact=True).click()
        expect(examiner.get_by_role("status").filter(has_text="Ca thi đã kết thúc.")).to_be_visible()
        examiner.get_by_role("link", name="Kết quả").click()
        scores = examiner.locator("#scores-table")
        first = scores.locator("tbody tr").filter(has_text=s.sbds[0])
        expect(first).to_contain_text("Nguyễn Văn 1")
        expect(first.locator("td.num").first).to_have_text("0,50")  # 0.25 / 6 × 10, rounded to 0.25
        expect(scores.locator("tbody tr")).to_have_count(6)
    finally:
        for ctx in contexts:
            ctx.close()


def test_keyboard_only_sign_in_and_skip_link(context: BrowserContext, demo: tuple[Seeded, dict[str, str]]) -> None:
    _, staff = demo
    page = context.new_page()
    page.goto("/login")
    # The username field has autofocus: type, Tab to the password, type, Enter.
    assert page.evaluate("document.activeElement.id") == "f-username"
    page.keyboard.type(staff["inv2"])
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "f-password"
    page.keyboard.type(STAFF_PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/rooms/$"))
    # the new URL comes before the page's stylesheet: until it is applied the ring is the
    # browser's own ("auto"), which CI once read
    page.wait_for_load_state("load")
    # The first Tab on a page reaches the skip link, shown with a clearly visible focus ring.
    page.keyboard.press("Tab")
    focused = page.evaluate("""() => {
        const el = document.activeElement, style = getComputedStyle(el);
        return {cls: el.className, outline: style.outlineStyle, width: parseFloat(style.outlineWidth),
                top: el.getBoundingClientRect().top};
    }""")
    assert focused["cls"] == "skip-link" and focused["outline"] == "solid" and focused["width"] >= 2
    assert focused["top"] >= 0, "the skip link comes into view when focused"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_examiner_creates_an_exam_and_a_room_in_the_browser(
        context: BrowserContext, demo: tuple[Seeded, dict[str, str]]) -> None:
    s, staff = demo
    page = context.new_page()
    sign_in(page, staff["examiner"])
    page.get_by_role("link", name="Tạo kỳ thi").click()
    page.get_by_label("Mã kỳ thi").fill(f"TN-{s.sitting_id}")
    page.get_by_label("Tên kỳ thi").fill("Thi thử lần 2")
    page.get_by_label("Tên ca thi").fill("Ca 1 — Hóa học")
    page.get_by_label("Giờ bắt đầu").fill("28/06/2026 14:00")
    page.get_by_label("Thời gian làm bài (phút)").fill("50")
    page.get_by_role("button", name="Tạo kỳ thi và ca thi").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ca 1 — Hóa học")
    expect(page.locator("dl.facts")).to_contain_text("28/06/2026 14:00")
    page.get_by_label("Phòng", exact=True).fill("P05")
    page.get_by_label("Chỗ ngồi / máy thi").fill("M01–M24")
    page.get_by_label("Giám thị 1").first.check()
    page.get_by_role("button", name="Thêm phòng").click()
    expect(page.get_by_role("status").filter(has_text="Đã thêm phòng P05 (24 chỗ ngồi).")).to_be_visible()
    expect(page.locator("tbody tr").filter(has_text="P05")).to_contain_text("Giám thị 1")
    # The set-up forms (rooms, papers) fit a narrow window without sideways scrolling.
    page.set_viewport_size({"width": 640, "height": 400})
    assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0


ZOOM_PAGES = ("/exams/", "/exams/new", "/exams/sittings/{sid}", "/exams/sittings/{sid}/roster", "/exams/sittings/{sid}/scores",
              "/rooms/", "/rooms/{rid}")


def test_pages_at_200_percent_zoom_labelled_and_local_only(
        browser: Browser, live_server: LiveServer, demo: tuple[Seeded, dict[str, str]]) -> None:
    s, staff = demo
    # 200 % zoom of a 1280 px wide window: a 640 CSS-pixel viewport at device scale 2.
    ctx = browser.new_context(base_url=live_server.url, viewport={"width": 640, "height": 400},
                              device_scale_factor=2)
    ctx.set_default_timeout(TIMEOUT_MS)
    foreign: list[str] = []
    ctx.on("request", lambda req: foreign.append(req.url) if not req.url.startswith(live_server.url) else None)
    try:
        page = ctx.new_page()
        sign_in(page, staff["admin"])
        for template in ZOOM_PAGES:
            url = template.format(sid=s.sitting_id, rid=s.room_ids[0])
            page.goto(url)
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, f"{url} scrolls sideways by {overflow}px at 200% zoom"
            unlabelled = page.evaluate("""() => [...document.querySelectorAll('input, select, textarea')]
                .filter(el => el.type !== 'hidden' && el.labels.length === 0 && !el.getAttribute('aria-label'))
                .map(el => el.name)""")
            assert unlabelled == [], f"{url}: controls without a label: {unlabelled}"
            assert page.evaluate("document.documentElement.lang") == "vi"
            assert page.locator("h1").count() == 1, url
        # Wait for the font to load (a busy machine may not have it yet), then check it covers Vietnamese.
        fonts = page.evaluate("""() => document.fonts.load('16px "Noto Sans"', 'Tiếng Việt')
            .then(() => document.fonts.check('16px "Noto Sans"', 'Tiếng Việt'))""")
        assert fonts
    finally:
        ctx.close()
    assert foreign == [], f"loaded from another host: {foreign}"

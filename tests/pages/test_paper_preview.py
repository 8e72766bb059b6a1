"""A sitting's papers for its examiners (issue 13): a code previewed as its candidates see it,
options lettered in that code's order, under its section headings, with its key in those letters;
every paper and every key as PDF; the import summary (questions by type, points by section).
Papers are secret before the start: invigilators are refused all of it."""

from __future__ import annotations

import io
import json
import re

from flask import Flask
from flask.testing import FlaskClient
from playwright.sync_api import BrowserContext, expect
from pypdf import PdfReader
from sqlalchemy import select

from exam_server.db import session as db
from exam_server.exams.models import Paper
from exam_server.exams.paper_import import import_papers
from exam_server.sample_questions import sample_questions
from question_bank import papers as qb_papers
from tests.pages.conftest import BROWSER_TIMEOUT_MS, LiveServer, page_login, sign_in
from tests.support.seed import EXAMINER, STAFF_PASSWORD, seed_sitting, username

CODES = ["0601", "0602"]
CHOICE = ["single_choice", "multiple_response"]
LABELS = {"single_choice": "Một lựa chọn", "multiple_response": "Nhiều lựa chọn", "true_false": "Đúng/Sai",
          "short_text": "Trả lời ngắn", "numeric": "Số", "essay": "Tự luận", "tf_cluster": "Chùm Đúng/Sai",
          "short_answer4": "Trả lời ngắn (4 ký tự)"}  # the bank's type names, in its order of types


def vn(points: float) -> str:
    return f"{points:g}".replace(".", ",")


def generated() -> list[qb_papers.Paper]:
    """Two codes, two sections; the first seed whose codes letter the first question differently."""
    for seed in range(50):
        blueprint = qb_papers.Blueprint.from_dict({
            "title": "Đề thử", "seed": seed, "codes": CODES,
            "sections": [{"name": "Phần I — Trắc nghiệm", "draw": 2, "pool": {"types": CHOICE}},
                         {"name": "Phần II — Tự luận ngắn", "draw": 2, "pool": {"types": ["true_false", "short_text"]}}],
        })
        papers = qb_papers.generate_papers(blueprint, [q.with_uid() for q in sample_questions()]).papers
        first = [{q.question.uid: q.question for q in p.items}[papers[0].items[0].question.uid] for p in papers]
        if len({tuple(qb_papers.letter_map(q).values()) for q in first}) > 1:
            return papers
    raise AssertionError("no seed shuffles the options differently")


def snapshots(app: Flask, sitting_id: int) -> dict[str, list[dict]]:
    with app.app_context():
        return {p.code: p.snapshot for p in db.scalars(select(Paper).where(Paper.sitting_id == sitting_id))}


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_summary_pdfs_and_access(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        seeded = seed_sitting(rooms=1, per_room=1, open_checkin=False)
        examiner, invigilator = username(seeded, "examiner"), username(seeded, "inv1")
    sid = seeded.sitting_id
    token = page_login(client, examiner, STAFF_PASSWORD)
    papers = generated()
    body = json.dumps([p.to_dict() for p in papers], ensure_ascii=False).encode()
    r = client.post(f"/exams/sittings/{sid}/papers", content_type="multipart/form-data",
                    data={"csrf_token": token, "papers": (io.BytesIO(body), "papers.json")})
    assert r.status_code == 302, r.get_data(as_text=True)

    page = client.get(f"/exams/sittings/{sid}").get_data(as_text=True)
    assert re.findall(r'<tr><th scope="row">(\w+)</th><td class="num">(\d+)</td></tr>', page) == [
        ("0601", "4"), ("0602", "4"), ("101", "8")]  # the paper list as before
    summary = page[page.index('id="paper-summary"'):]
    summary = summary[:summary.index("</table>")]
    heads = re.findall(r'<th scope="col" class="num">([^<]+)</th>', summary)
    rows = {code: re.findall(r'<td class="num" data-col="\w+">([^<]*)</td>', cells)
            for code, cells in re.findall(r'<tr data-code="(\w+)">(.*?)</tr>', summary, re.S)}
    # seed_sitting's code 101 holds the eight sample types in one unnamed section (no recorded layout)
    assert heads == [*LABELS.values(), "Phần I — Trắc nghiệm", "Phần II — Tự luận ngắn", "Tất cả câu hỏi", "Tổng"]
    for paper in papers:
        kinds = [i.question.type for i in paper.items]
        assert rows[paper.code][:8] == [str(kinds.count(t)) for t in LABELS]
        part1 = sum(i.question.points for i in paper.items if i.section.startswith("Phần I "))
        part2 = sum(i.question.points for i in paper.items if i.section.startswith("Phần II"))
        assert rows[paper.code][8:] == [vn(part1), vn(part2), "", vn(part1 + part2)]
    total = vn(sum(q.points for q in sample_questions()))
    assert rows["101"] == ["1"] * 8 + ["", "", total, total]
    assert f"/exams/sittings/{sid}/papers/0601" in summary and f"/exams/sittings/{sid}/keys.pdf" in page

    stored = snapshots(app, sid)
    keys = pdf_text(client.get(f"/exams/sittings/{sid}/keys.pdf").data)
    for code in CODES:  # each code's table: question 1, a choice question, keyed in this code's letters
        lines = keys.split(f"Mã đề {code}\n")[1].split("ĐÁP ÁN")[0].splitlines()
        first = stored[code][0]
        expected = qb_papers.letters_of(first, [o["id"] for o in first["options"] if o["fraction"] > 0])
        assert first["type"] in CHOICE and expected
        assert expected in lines[lines.index("1"):lines.index("2")], (code, lines)
    r = client.get(f"/exams/sittings/{sid}/papers.pdf")
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/pdf"
    text = pdf_text(r.data)
    assert "Phần I — Trắc nghiệm" in text and "Mã đề: 0602" in text
    assert re.sub(r"<[^>]+>", "", stored["0602"][0]["stem"]).strip()[:20] in text

    other = app.test_client()  # an invigilator of this very sitting
    page_login(other, invigilator, STAFF_PASSWORD)
    for url in (f"/exams/sittings/{sid}/papers/0601", f"/exams/sittings/{sid}/papers.pdf",
                f"/exams/sittings/{sid}/keys.pdf"):
        assert other.get(url).status_code == 403, url
        assert client.get(url).status_code == 200, url


def test_preview_letters_are_each_codes(context: BrowserContext, live_server: LiveServer) -> None:
    with live_server.app.app_context():
        seeded = seed_sitting(rooms=1, per_room=1, open_checkin=False)
        examiner = username(seeded, "examiner")
        import_papers(seeded.sitting_id, generated(), EXAMINER)
    sid = seeded.sitting_id
    stored = snapshots(live_server.app, sid)
    page = context.new_page()
    sign_in(page, examiner)
    seen: dict[str, dict[str, str]] = {}
    for code in CODES:
        page.goto(f"/exams/sittings/{sid}/papers/{code}")
        page.wait_for_selector("body[data-rendered=yes]", timeout=BROWSER_TIMEOUT_MS)
        expect(page.locator("h2.section-name").first).to_contain_text("Phần I — Trắc nghiệm")
        expect(page.locator("h2.section-name").nth(1)).to_contain_text("Phần II — Tự luận ngắn")
        for n, question in enumerate(stored[code], start=1):
            if question["type"] not in CHOICE:
                continue
            shown = page.eval_on_selector_all(
                f"#question-{n} .choice",
                "cs => cs.map(c => [c.querySelector('.opt-id').textContent, c.querySelector('input').value])")
            letters = {letter.rstrip("."): option for letter, option in shown}
            assert letters == qb_papers.letter_map(question), (code, n)
            correct = [o["id"] for o in question["options"] if o["fraction"] > 0]
            expect(page.locator(f"#key-table tr[data-number='{n}'] td.key")).to_have_text(
                qb_papers.letters_of(question, correct))
            if n == 1:
                seen[code] = letters
    assert seen["0601"] != seen["0602"]  # the codes really are lettered differently

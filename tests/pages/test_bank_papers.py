"""The sitting's paper form draws from the question bank by filter (issue 15, item 7 follow-up):
topic, type, difficulty and tag pick the pool instead of an uploaded file; a filter matching
nothing, or too few questions for the draw, is refused with nothing stored."""

from __future__ import annotations

import io
import uuid

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from exam_server.bank.models import BankQuestion
from exam_server.db import session as db
from exam_server.exams.models import Paper
from tests.pages.conftest import page_login
from tests.support.bank_files import moodle_bank
from tests.support.seed import STAFF_PASSWORD, seed_sitting, username


def _setup(app: Flask, client: FlaskClient) -> tuple[int, str, dict[str, str]]:
    """A sitting still open to papers, a signed-in examiner's CSRF token, the bank's topics by leaf."""
    with app.app_context():
        seeded = seed_sitting(rooms=1, per_room=1, open_checkin=False)
        name = username(seeded, "examiner")
    token = page_login(client, name, STAFF_PASSWORD)
    tag = "G" + uuid.uuid4().hex[:10]
    r = client.post("/bank/import", data={"csrf_token": token, "file": (io.BytesIO(moodle_bank(tag)), "nh.xml")},
                    content_type="multipart/form-data")
    assert r.status_code == 200, r.get_data(as_text=True)
    with app.app_context():
        topics = set(db.scalars(select(BankQuestion.topic).where(BankQuestion.topic.contains(tag))))
    return seeded.sitting_id, token, {t.rsplit("/", 1)[-1]: t for t in topics}


def _papers(app: Flask, sitting_id: int) -> list[tuple[str, list[dict]]]:
    with app.app_context():
        return [(p.code, p.snapshot) for p in db.scalars(select(Paper).where(Paper.sitting_id == sitting_id)
                                                          .order_by(Paper.code))]


def _generate(client: FlaskClient, sitting_id: int, token: str, **fields: str):  # type: ignore[no-untyped-def]
    data = {"csrf_token": token, "source": "bank", "paper_count": "2", "start_code": "0301", "seed": "4",
            "shuffle_questions": "on", **fields}
    return client.post(f"/exams/sittings/{sitting_id}/papers/generate", data=data, content_type="multipart/form-data")


def test_papers_from_bank_questions_by_filter(app: Flask, client: FlaskClient) -> None:
    sitting_id, token, topics = _setup(app, client)
    page = client.get(f"/exams/sittings/{sitting_id}").get_data(as_text=True)
    assert 'name="source" value="bank"' in page and 'name="bank_topic"' in page
    assert f'<option value="{topics["Toán"]}">' in page and "Điền khuyết (cloze)" in page  # the type by its name

    r = _generate(client, sitting_id, token, bank_topic=topics["Toán"], draw="2")
    assert r.status_code == 302, r.get_data(as_text=True)
    made = [p for p in _papers(app, sitting_id) if p[0] in ("0301", "0302")]
    assert [code for code, _ in made] == ["0301", "0302"]
    for _, snapshot in made:  # both questions of the topic, and nothing from elsewhere
        assert sorted(q["stem"].split(" = ")[0] for q in snapshot) == ["<p>1 + 1", "<p>2 × 3"]
    assert "Đã thêm 2 mã đề: 0301, 0302." in client.get(f"/exams/sittings/{sitting_id}").get_data(as_text=True)

    # type and difficulty filters: the cloze of the "Địa lí" topic (difficulty TH)
    r = _generate(client, sitting_id, token, bank_topic=topics["Địa lí"], bank_type="cloze", bank_difficulty="TH",
                  draw="1", start_code="0401", paper_count="1")
    assert r.status_code == 302, r.get_data(as_text=True)
    (code, snapshot), = [p for p in _papers(app, sitting_id) if p[0] == "0401"]
    assert [q["type"] for q in snapshot] == ["cloze"] and len(snapshot[0]["blanks"]) == 3

    # tag filter: the two "số học" questions
    r = _generate(client, sitting_id, token, bank_tag="số học", bank_topic=topics["Toán"], draw="2",
                  start_code="0501", paper_count="1")
    assert r.status_code == 302, r.get_data(as_text=True)


def test_bank_filters_refused_with_nothing_stored(app: Flask, client: FlaskClient) -> None:
    sitting_id, token, topics = _setup(app, client)
    before = _papers(app, sitting_id)
    r = _generate(client, sitting_id, token, bank_topic=topics["Toán"], bank_difficulty="TH", draw="1")
    page = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "Không có câu hỏi nào trong ngân hàng khớp bộ lọc đã chọn." in page and 'id="f-bank-error"' in page
    assert 'name="source" value="bank" checked' in page  # the form comes back as it was sent
    assert f'<option value="{topics["Toán"]}" selected>' in page
    r = _generate(client, sitting_id, token, bank_topic=topics["Toán"], draw="5")
    assert r.status_code == 422 and 'id="generate-problems"' in r.get_data(as_text=True)
    r = client.post(f"/exams/sittings/{sitting_id}/papers/generate", data={
        "csrf_token": token, "source": "file", "paper_count": "2", "start_code": "0301", "draw": "1"},
        content_type="multipart/form-data")
    assert r.status_code == 422 and "Hãy chọn tệp câu hỏi." in r.get_data(as_text=True)
    r = _generate(client, sitting_id, "", bank_topic=topics["Toán"], draw="1")
    assert r.status_code == 400  # CSRF enforced
    assert _papers(app, sitting_id) == before
    with app.app_context():
        assert db.scalar(select(func.count()).select_from(BankQuestion).where(BankQuestion.topic.in_(topics.values()))) == 4


def test_english_form_texts(app: Flask, client: FlaskClient) -> None:
    sitting_id, token, topics = _setup(app, client)
    url = f"/exams/sittings/{sitting_id}"
    assert client.post("/language", data={"lang": "en", "next": url, "csrf_token": token}).status_code in (302, 303)
    page = client.get(url).get_data(as_text=True)
    assert "The question bank (by filter)" in page and "Filter the bank&#39;s questions" in page
    r = _generate(client, sitting_id, token, bank_topic=topics["Toán"], bank_difficulty="TH", draw="1")
    assert r.status_code == 422 and "No question in the bank matches the chosen filters." in r.get_data(as_text=True)

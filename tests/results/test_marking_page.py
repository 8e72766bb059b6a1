"""The marking screen: anonymous items, a mark saved through the form, role checks."""

from __future__ import annotations

import re

from flask import Flask

from exam_server.accounts.models import User
from exam_server.attempts.autosave import save_answer
from exam_server.attempts.candidate import submit
from exam_server.attempts.models import Attempt
from exam_server.db import session as db
from exam_server.events.log import Actor
from exam_server.exams import lifecycle
from question_bank.model import Question, RubricCriterion
from tests.server.conftest import login_staff
from tests.support.seed import EXAMINER, STAFF_PASSWORD, seed_sitting


def test_examiner_marks_by_code_with_rubric(app: Flask) -> None:
    essay = Question(type="essay", stem="Nghị luận về lòng biết ơn.", points=4.0,
                     rubric=[RubricCriterion("nd", "Nội dung", 3.0), RubricCriterion("hd", "Hình thức", 1.0)]).with_uid()
    seeded = seed_sitting(rooms=1, per_room=1, questions=[essay], start=True)
    attempt_id, reg_id = seeded.attempt_ids[0], seeded.registration_ids[0]
    save_answer(attempt_id, 1, 1, "Uống nước nhớ nguồn <script>alert(1)</script>", registration_id=reg_id)
    submit(attempt_id, reg_id, Actor("candidate:t", registration_id=reg_id))
    lifecycle.end_sitting(seeded.sitting_id, EXAMINER)
    url = f"/results/sittings/{seeded.sitting_id}/marking"

    client = app.test_client()
    assert client.get(url).status_code in (302, 303)  # anonymous -> login
    inv = app.test_client()
    login_staff(inv, db.get(User, seeded.users["inv1"]).username, STAFF_PASSWORD)
    assert inv.get(url).status_code == 403

    login_staff(client, db.get(User, seeded.users["examiner"]).username, STAFF_PASSWORD)
    page = client.get(url).get_data(as_text=True)
    assert "Uống nước nhớ nguồn &lt;script&gt;" in page  # escaped, not executed
    assert seeded.sbds[0] not in page  # anonymous marking hides the candidate number
    code = re.search(r'name="code" value="([^"]+)"', page).group(1)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

    form = {"csrf_token": token, "code": code, "question_no": "1", "round": "1", "rubric:nd": "2,5",
            "rubric:hd": "0.75", "comment": "Lập luận tốt"}
    assert client.post(url, data={**form, "csrf_token": ""}).status_code == 400  # CSRF enforced
    after = client.post(url, data=form, follow_redirects=True).get_data(as_text=True)
    assert f"Đã lưu điểm cho bài {code}" in after
    assert "Không còn bài nào chờ bạn chấm" in after
    db.expire_all()
    assert db.get(Attempt, attempt_id).score == 3.25

    bad = client.post(url, data={**form, "rubric:nd": "9"}, follow_redirects=True).get_data(as_text=True)
    assert "không hợp lệ" in bad or "chưa mở" in bad

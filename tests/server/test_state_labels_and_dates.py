"""Messages never show a raw state or action name ("ở trạng thái started"), and a date that
cannot exist (31/02/2008) is reported as impossible, not as a wrong format, wherever
dd/mm/yyyy is read (roster import, the sitting form, `purge --before`)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from werkzeug.datastructures import MultiDict

import exam_server.attempts.messages  # noqa: F401  (registers the catalogues)
import exam_server.checkin.messages  # noqa: F401
import exam_server.exams.messages  # noqa: F401
import exam_server.exams.page_messages  # noqa: F401
from exam_server.attempts.models import ATTEMPT_STATES
from exam_server.dates import BadDate, parse_day, parse_day_time
from exam_server.errors import Conflict
from exam_server.exams.models import ROOM_STATES, SITTING_STATES
from exam_server.exams.roster import parse_roster
from exam_server.exams.setup_forms import read_sitting
from exam_server.i18n import translate

ATTEMPT_ACTIONS = ("submit", "force_submit", "pause", "resume", "extra_time", "lock", "unlock")
ROOM_ACTIONS = ("open_checkin", "start", "pause", "resume", "end")


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_attempt_transitions_name_states_and_actions_in_words(lang: str) -> None:
    for state in ATTEMPT_STATES:
        for action in ATTEMPT_ACTIONS:
            text = Conflict("attempts.illegal_transition", action=action, state=state).message(lang)
            assert "_" not in text, text
            if lang == "vi":  # no English word at all inside the Vietnamese sentence
                assert state not in text and action not in text, text
            assert translate(f"attempts.state.{state}", lang) in text
            assert translate(f"attempts.action.{action}", lang) in text
    assert Conflict("attempts.illegal_transition", action="submit", state="submitted").message("vi") == \
        "Không thể nộp bài: bài thi đã nộp."


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_room_and_sitting_messages_name_states_in_words(lang: str) -> None:
    for state in set(ROOM_STATES) | set(SITTING_STATES):
        label = translate(f"exams.state.{state}", lang)
        assert label != f"exams.state.{state}" and "_" not in label
        for action in ROOM_ACTIONS:
            text = translate("exams.illegal_transition", lang, what="P01", action=action, state=state)
            assert label in text and "_" not in text, text
            if lang == "vi":
                assert state not in text and action not in text, text
        for key in ("exams.roster_closed", "checkin.closed"):
            text = translate(key, lang, state=state)
            assert label in text and "trạng thái" not in text, text
    assert translate("exams.illegal_transition", "vi", what="P01", action="pause", state="ended") == \
        "Không thể tạm dừng: P01 đã kết thúc."


def test_the_details_keep_the_raw_state_for_programs() -> None:
    err = Conflict("attempts.illegal_transition", action="pause", state="submitted")
    assert err.to_dict()["state"] == "submitted" and "submitted" not in err.to_dict()["message"]


def test_impossible_dates_are_named_as_such() -> None:
    assert parse_day("29/02/2008") == date(2008, 2, 29)
    assert parse_day("5.9.2008") == date(2008, 9, 5)
    with pytest.raises(BadDate) as feb:
        parse_day("31/02/2008")
    assert feb.value.impossible
    assert feb.value.message("vi") == "Ngày “31/02/2008” không có thật: tháng 2/2008 chỉ có 29 ngày."
    assert "2/2008 has only 29 days" in feb.value.message("en")
    with pytest.raises(BadDate) as month:
        parse_day("01/13/2008")
    assert month.value.impossible and "tháng 13" in month.value.message("vi")
    with pytest.raises(BadDate) as shape:
        parse_day("2008/02/01")
    assert not shape.value.impossible and "dd/mm/yyyy" in shape.value.message("vi")
    assert parse_day("2026-02-28", allow_iso=True) == date(2026, 2, 28)
    with pytest.raises(BadDate) as iso:
        parse_day("2026-02-30", allow_iso=True)
    assert iso.value.impossible
    assert parse_day_time("27/06/2026 07:30") == datetime(2026, 6, 27, 7, 30)
    with pytest.raises(BadDate) as hour:
        parse_day_time("27/06/2026 24:30")
    assert hour.value.impossible and "24:30" in hour.value.message("vi")


def test_roster_import_reports_an_impossible_birthday() -> None:
    rows = [["SBD", "Họ và tên", "Ngày sinh", "Số CCCD", "Phòng thi"],
            ["010001", "Nguyễn Văn An", "31/02/2008", "001208000001", "P01"],
            ["010002", "Trần Thị Bình", "ngày 5 tháng 9", "001208000002", "P01"]]
    _, errors = parse_roster(rows, {})
    dob = {e.row: e.message for e in errors if e.column == "Ngày sinh"}
    assert "không có thật" in dob[2] and "29 ngày" in dob[2] and "dd/mm/yyyy" not in dob[2]
    assert "dd/mm/yyyy" in dob[3] and "không có thật" not in dob[3]


def test_sitting_form_reports_an_impossible_start() -> None:
    form = MultiDict({"name": "Ca 1", "starts_at": "30/02/2026 07:30", "duration_minutes": "90",
                      "late_entry_minutes": "15", "grace_seconds": "30"})
    result = read_sitting(form, "Asia/Ho_Chi_Minh")
    assert "không có thật" in result.errors["starts_at"] and "28 ngày" in result.errors["starts_at"]
    form["starts_at"] = "mai 7 giờ"
    assert "dd/mm/yyyy HH:MM" in read_sitting(form, "Asia/Ho_Chi_Minh").errors["starts_at"]

"""Cloze, gapselect and ddwtos on the candidate page (issue 15) in Debian's chromium, against a
real gunicorn+gevent server: each blank answered inside the sentence (drop-downs, radio and
check boxes, text boxes; select boxes; drag and drop and its keyboard alternative), the page
reloaded with every answer back in place, and the stored responses scored in full."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from question_bank.formats import moodle_xml
from question_bank.model import Question
from question_bank.scoring import score
from tests.realtime.conftest import Seeded, ServerProcess, login_staff, seed_sitting
from tests.realtime.test_browser import candidate_login

pytestmark = [pytest.mark.slow, pytest.mark.browser]

PAPER_XML = """<?xml version="1.0" encoding="UTF-8"?><quiz>
<question type="cloze"><name><text>Cloze</text></name><questiontext format="html"><text><![CDATA[Thủ đô là {1:MC:=Hà Nội~Huế~Đà Nẵng}, sông {1:MCV:=Hồng~Cửu Long} chảy qua; chọn số chẵn {1:MRH:=2~=4~5}; hồ {2:SA:=Hoàn Kiếm}; năm {1:NM:=1010:0}.]]></text></questiontext></question>
<question type="gapselect"><name><text>Chọn từ</text></name><questiontext format="html"><text>Con [[1]] ngồi trên [[2]].</text></questiontext>
<defaultgrade>2</defaultgrade><selectoption><text>mèo</text><group>1</group></selectoption><selectoption><text>chiếu</text><group>2</group></selectoption>
<selectoption><text>chó</text><group>1</group></selectoption><selectoption><text>ghế</text><group>2</group></selectoption></question>
<question type="ddwtos"><name><text>Kéo thả</text></name><questiontext format="html"><text>[[1]] cộng [[1]] là [[2]].</text></questiontext>
<defaultgrade>3</defaultgrade><dragbox><text>một</text><group>1</group><infinite/></dragbox><dragbox><text>hai</text><group>1</group></dragbox>
<dragbox><text>ba</text><group>1</group></dragbox></question>
</quiz>"""


def paper() -> list[Question]:
    return moodle_xml.read(PAPER_XML.encode(), "paper.xml").questions


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, Seeded]]:
    tmp = tmp_path_factory.mktemp("blanks")
    url = f"sqlite:///{tmp / 'exam.db'}"
    seeded = seed_sitting(url, tmp, paper=paper())
    server = ServerProcess(url, tmp)
    yield server, seeded
    server.stop()


@pytest.fixture(scope="module")
def started(world: tuple[ServerProcess, Seeded]) -> tuple[ServerProcess, Seeded]:
    server, seeded = world
    staff = login_staff(server.url, next(n for n, r in seeded.staff.items() if r == "invigilator_a"))
    assert staff.post(f"{server.url}/api/v1/rooms/{seeded.rooms['P01']}/start", json={}, timeout=10).ok
    return server, seeded


def wait_saved(page: Any) -> None:
    """The status says "saved" and the journal holds nothing unsent (polled: the page's CSP
    forbids the string evaluation `wait_for_function` needs)."""
    page.locator("#save-status[data-kind='saved']").wait_for(timeout=10000)
    end = time.monotonic() + 10
    while page.evaluate("window.examPage.journal.pending().length") and time.monotonic() < end:
        time.sleep(0.1)
    assert page.evaluate("window.examPage.journal.pending().length") == 0


def _id(q: Question, blank: str, text: str) -> str:
    return next(a.id for a in q.blank(blank).answers if a.text == text)


def _gap(q: Question, text: str) -> str:
    return next(c.id for c in q.choices if c.text == text)


class Candidate:
    """One candidate's browser page on the started paper, with the checks every test ends with."""

    def __init__(self, started: tuple[ServerProcess, Seeded], browser: Any, sbd: str) -> None:
        self.server, seeded = started
        self.context = browser.new_context()
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        candidate_login(self.page, self.server.url, seeded.candidates[sbd]["code"])
        self.page.wait_for_selector("#paper:not([hidden])", timeout=10000)

    def go(self, q: int) -> None:
        self.page.click(f".grid .cell[data-q='{q}']")

    def reload(self) -> None:
        self.page.reload()
        self.page.wait_for_selector("#paper:not([hidden])")

    def stored(self, number: int) -> Any:
        view = self.context.request.get(self.server.url + "/api/v1/attempt").json()
        return {int(k): v["value"] for k, v in view["responses"].items()}.get(number)

    def close(self) -> None:
        assert self.errors == []
        self.context.close()


def test_cloze_answer_reload_score(started: tuple[ServerProcess, Seeded], browser: Any) -> None:
    cloze = paper()[0]
    c = Candidate(started, browser, "010001")
    page = c.page
    # The controls sit inside the sentence, where the blanks are.
    assert page.locator("#question .rich .blank-slot select#q0-b1").count() == 1
    assert "{#" not in page.inner_text("#question")
    page.select_option("#q0-b1", label="Hà Nội")
    page.check(f"#q0-b2-{_id(cloze, '2', 'Hồng')}")
    page.check(f"#q0-b3-{_id(cloze, '3', '2')}")
    page.check(f"#q0-b3-{_id(cloze, '3', '4')}")
    page.fill("#q0-b4", "hoàn kiếm")
    page.fill("#q0-b5", "1010")
    wait_saved(page)
    c.reload()
    assert page.input_value("#q0-b1") == _id(cloze, "1", "Hà Nội")
    assert page.is_checked(f"#q0-b2-{_id(cloze, '2', 'Hồng')}") and page.is_checked(f"#q0-b3-{_id(cloze, '3', '4')}")
    assert page.input_value("#q0-b4") == "hoàn kiếm" and page.input_value("#q0-b5") == "1010"
    stored = c.stored(1)
    assert stored == {"1": _id(cloze, "1", "Hà Nội"), "2": _id(cloze, "2", "Hồng"), "3": stored["3"],
                      "4": "hoàn kiếm", "5": "1010"}
    assert sorted(stored["3"]) == sorted([_id(cloze, "3", "2"), _id(cloze, "3", "4")])
    result = score(cloze, stored)
    assert result.status == "correct" and result.points == cloze.points == 6
    page.fill("#q0-b4", "")  # clearing a blank withdraws that part only
    wait_saved(page)
    assert "4" not in c.stored(1) and score(cloze, c.stored(1)).points == 4
    c.close()


def test_gapselect_answer_reload_score(started: tuple[ServerProcess, Seeded], browser: Any) -> None:
    gapselect = paper()[1]
    c = Candidate(started, browser, "010002")
    page = c.page
    c.go(1)
    # A gap offers only its group's choices.
    assert page.locator("#q1-b1 option").all_inner_texts()[1:] == ["mèo", "chó"]
    assert page.locator("#question .rich .blank-slot #q1-b2").count() == 1
    page.select_option("#q1-b1", label="mèo")
    page.select_option("#q1-b2", label="ghế")
    wait_saved(page)
    c.reload()
    c.go(1)
    assert page.input_value("#q1-b1") == _gap(gapselect, "mèo") and page.input_value("#q1-b2") == _gap(gapselect, "ghế")
    assert score(gapselect, c.stored(2)).points == 1  # one gap of two right: half of 2 points
    page.select_option("#q1-b2", label="chiếu")
    wait_saved(page)
    assert c.stored(2) == {"1": _gap(gapselect, "mèo"), "2": _gap(gapselect, "chiếu")}
    assert score(gapselect, c.stored(2)).status == "correct"
    c.close()


def test_ddwtos_drag_keyboard_reload_score(started: tuple[ServerProcess, Seeded], browser: Any) -> None:
    ddwtos = paper()[2]
    c = Candidate(started, browser, "010003")
    page = c.page
    c.go(2)
    # Drag with the mouse, and the select box as the keyboard alternative.
    page.drag_and_drop(f".drag-choice[data-choice='{_gap(ddwtos, 'hai')}']", ".drop-zone[data-gap='1']")
    assert page.input_value("#q2-b1") == _gap(ddwtos, "hai")
    page.focus("#q2-b3")
    page.keyboard.press("ArrowDown")  # keyboard only: the first choice, "một"
    page.select_option("#q2-b3", label="hai")  # "hai" is not infinite: it moves out of gap 1
    assert page.input_value("#q2-b1") == ""
    assert "used" in (page.get_attribute(f".drag-choice[data-choice='{_gap(ddwtos, 'hai')}']", "class") or "")
    page.drag_and_drop(f".drag-choice[data-choice='{_gap(ddwtos, 'một')}']", ".drop-zone[data-gap='1']")
    page.select_option("#q2-b2", label="một")  # "một" is infinite: it may fill both gaps
    assert page.input_value("#q2-b1") == _gap(ddwtos, "một")
    wait_saved(page)
    c.reload()
    c.go(2)
    assert [page.input_value(f"#q2-b{n}") for n in (1, 2, 3)] == [_gap(ddwtos, "một"), _gap(ddwtos, "một"), _gap(ddwtos, "hai")]
    stored = c.stored(3)
    assert stored == {"1": _gap(ddwtos, "một"), "2": _gap(ddwtos, "một"), "3": _gap(ddwtos, "hai")}
    result = score(ddwtos, stored)
    assert result.status == "correct" and result.points == 3
    c.close()

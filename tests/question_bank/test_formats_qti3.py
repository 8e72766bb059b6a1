"""QTI 3.0 beside 2.1, the blank types in both, and qti-sdk's sample items decided as qti-sdk does.

qti-sdk's verdicts are listed in ../shared/peers/qti-sdk/README.md; where ours differ the test
says why (a question bank refuses what it cannot hold; an exam needs at least one question).
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest

from question_bank.errors import ImportFailed
from question_bank.formats import qti, qti3, read_bytes_any, write_bytes_any
from question_bank.formats.qti_common import CP3_NS, QTI3_NS
from question_bank.model import Blank, BlankAnswer, GapChoice, Question
from question_bank.scoring import score
from tests.conftest import SHARED, require
from tests.question_bank.fixtures.samples import all_types, comparable

SDK = SHARED / "peers" / "qti-sdk"
CP_NS = "http://www.imsglobal.org/xsd/imscp_v1p1"


# -- questions of the blank types -------------------------------------------------------------
def cloze() -> Question:
    return Question(
        "cloze",
        stem="Thủ đô là {#1}, sông dài nhất {#2}; số pi ≈ {#3}; số nguyên tố: {#4}. Câu trên {#5}.",
        points=3.0,
        title="Điền khuyết",
        general_feedback="Xem lại SGK Địa lí 12.",
        blanks=[
            Blank("1", "multichoice", weight=2.0, layout="dropdown", shuffle=True,
                  answers=[BlankAnswer("Hà Nội", 1.0), BlankAnswer("Huế", 0.0), BlankAnswer("Thăng Long", 0.5)]),
            Blank("2", "shortanswer", answers=[BlankAnswer("Mê Kông", 1.0), BlankAnswer("Cửu Long", 0.5)]),
            Blank("3", "numerical", answers=[BlankAnswer("3.14", 1.0, tolerance=0.01), BlankAnswer("3", 0.5, tolerance=0.2)]),
            Blank("4", "multiresponse", layout="horizontal",
                  answers=[BlankAnswer("2", 0.5), BlankAnswer("3", 0.5), BlankAnswer("4", -1.0)]),
            Blank("5", "multichoice", layout="vertical", case_sensitive=False,
                  answers=[BlankAnswer("Đúng", 1.0), BlankAnswer("Sai", 0.0)]),
        ],
    )  # fmt: skip


def case_sensitive_cloze() -> Question:
    return Question("cloze", stem="Ký hiệu hoá học của sắt: {#1}", blanks=[
        Blank("1", "shortanswer", case_sensitive=True, answers=[BlankAnswer("Fe", 1.0)])])  # fmt: skip


def gapselect() -> Question:
    q = Question("gapselect", stem="Con {#1} kêu meo, con {#2} sủa; năm nay là {#3}.", points=2.0,
                 choices=[GapChoice("", "mèo", 1), GapChoice("", "chó", 1), GapChoice("", "gà", 1),
                          GapChoice("", "2025", 2), GapChoice("", "2026", 2)])  # fmt: skip
    ids = {c.text: c.id for c in q.choices}
    q.blanks = [Blank("1", "gap", group=1, key=ids["mèo"]), Blank("2", "gap", group=1, key=ids["chó"]), Blank("3", "gap", group=2, key=ids["2026"])]
    return q


def ddwtos() -> Question:
    q = Question("ddwtos", stem="Nước sôi ở {#1} °C và đóng băng ở {#2} °C.", shuffle_choices=False,
                 choices=[GapChoice("", "100", 1), GapChoice("", "0", 1, infinite=True), GapChoice("", "50", 1)])  # fmt: skip
    ids = {c.text: c.id for c in q.choices}
    q.blanks = [Blank("1", "gap", key=ids["100"]), Blank("2", "gap", key=ids["0"])]
    return q


def blank_types() -> list[Question]:
    return [cloze(), case_sensitive_cloze(), gapselect(), ddwtos()]


def responses(q: Question) -> list[object]:
    """Right, partly right and wrong answers to compare scores before and after the trip."""
    ids = {a.text: a.id for b in q.blanks for a in b.answers} | {c.text: c.id for c in q.choices}
    if q.type == "cloze" and len(q.blanks) == 5:
        return [
            {"1": ids["Hà Nội"], "2": "mê kông", "3": "3,141", "4": [ids["2"], ids["3"]], "5": ids["Đúng"]},
            {"1": ids["Thăng Long"], "2": "Cửu Long", "3": "3,1", "4": [ids["2"], ids["4"]], "5": ids["Sai"]},
            {"1": ids["Huế"], "2": "Hồng", "3": "2", "4": [], "5": ids["Sai"]},
        ]
    if q.type == "cloze":
        return [{"1": "Fe"}, {"1": "FE"}]
    if q.type == "gapselect":
        return [{"1": ids["mèo"], "2": ids["chó"], "3": ids["2026"]}, {"1": ids["chó"], "2": ids["chó"], "3": ids["2026"]}]
    return [{"1": ids["100"], "2": ids["0"]}, {"1": ids["50"], "2": ids["0"]}]


# -- QTI 3.0 packages we write ------------------------------------------------------------------
def test_qti3_round_trip_every_type() -> None:
    questions = all_types()
    data = write_bytes_any(questions, "bank.qti3.zip")
    result = read_bytes_any(data, "bank.zip")  # a 3.0 package is read as .zip like a 2.1 one
    assert [comparable(q) for q in result.questions] == [comparable(q) for q in questions]
    assert [q.uid for q in result.questions] == [q.uid for q in qti.read(qti.write(all_types(), "b.zip"), "b.zip").questions]


def test_qti3_package_uses_the_3_0_names_and_namespaces() -> None:
    package = zipfile.ZipFile(io.BytesIO(qti3.write(all_types() + blank_types(), "bank.qti3.zip")))
    manifest = package.read("imsmanifest.xml").decode()
    assert f'xmlns="{CP3_NS}"' in manifest and manifest.count('type="imsqti_item_xmlv3p0"') == len(all_types()) + 4
    items = [package.read(n).decode() for n in package.namelist() if n.startswith("items/item")]
    joined = "\n".join(items)
    assert all(f'<qti-assessment-item xmlns="{QTI3_NS}"' in item for item in items)
    for element in ("qti-choice-interaction", "qti-text-entry-interaction", "qti-match-interaction", "qti-order-interaction",
                    "qti-extended-text-interaction", "qti-inline-choice-interaction", "qti-gap-match-interaction", "qti-gap-text",
                    "qti-simple-choice", "qti-response-declaration", "qti-correct-response", "qti-map-entry", "qti-item-body"):  # fmt: skip
        assert f"<{element}" in joined, element
    assert 'response-identifier="RESPONSE' in joined and "responseIdentifier" not in joined
    # No QTI 2.1 (camelCase) element is left; HTML content keeps its names.
    assert not re.search(r"<(?!qti-)[a-z]+[A-Z]", joined)
    assert "<div>" in joined or "<div " in joined
    # Rubric blocks and modal feedback hold their content in <qti-content-body> in 3.0.
    assert re.search(r"<qti-rubric-block view=\"scorer\"><qti-content-body><table", joined)
    assert re.search(r"<qti-modal-feedback [^>]*><qti-content-body>", joined)
    assert "https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/match_correct.xml" in joined


@pytest.mark.parametrize("suffix", ["bank.zip", "bank.qti3.zip"])
def test_blank_types_round_trip_and_score_the_same(suffix: str) -> None:
    questions = blank_types()
    result = read_bytes_any(write_bytes_any(questions, suffix), suffix)
    assert [comparable(q) for q in result.questions] == [comparable(q) for q in blank_types()]
    for before, after in zip(questions, result.questions, strict=True):
        for response in responses(before):
            assert score(after, response) == score(before, response), (before.type, response)


def test_cloze_item_is_one_item_with_an_interaction_per_blank() -> None:
    package = zipfile.ZipFile(io.BytesIO(qti.write([cloze()], "c.zip")))
    item = package.read("items/item1.xml").decode()
    assert item.count("<inlineChoiceInteraction") == 1 and item.count("<textEntryInteraction") == 2
    assert item.count("<choiceInteraction") == 2 and 'orientation="horizontal"' in item
    assert 'toleranceMode="absolute" tolerance="0.01 0.01"' in item and 'caseSensitive="false"' in item
    # The text around the blanks stays where it was.
    assert re.search(r"Thủ đô là <inlineChoiceInteraction[^>]*>.*</inlineChoiceInteraction>, sông dài nhất <textEntryInteraction", item)


# -- QTI 3.0 as other tools write it ------------------------------------------------------------
MATCH_CORRECT_3 = '<qti-response-processing template="https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/match_correct.xml"/>'


def qti3_item(body: str, declarations: str, title: str = "t", processing: str = MATCH_CORRECT_3) -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><qti-assessment-item xmlns="{QTI3_NS}" identifier="x" title="{title}" '
        f'adaptive="false" time-dependent="false">{declarations}'
        '<qti-outcome-declaration identifier="SCORE" cardinality="single" base-type="float"/>'
        f"<qti-item-body>{body}</qti-item-body>{processing}"
        "</qti-assessment-item>"
    )


def qti3_package(items: dict[str, str], manifest_ns: str = CP3_NS, kind: str = "imsqti_item_xmlv3p0") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        resources = "".join(f'<resource identifier="R{i}" type="{kind}" href="{n}"><file href="{n}"/></resource>' for i, n in enumerate(items))
        package.writestr("imsmanifest.xml", f'<manifest xmlns="{manifest_ns}" identifier="M"><resources>{resources}</resources></manifest>')
        for name, xml in items.items():
            package.writestr(name, xml)
    return buffer.getvalue()


FOREIGN_3_0 = {
    "choice.xml": qti3_item(
        '<qti-choice-interaction response-identifier="RESPONSE" max-choices="1" shuffle="true"><qti-prompt>Thủ đô của Việt Nam?</qti-prompt>'
        '<qti-simple-choice identifier="A">Huế</qti-simple-choice><qti-simple-choice identifier="B">Hà Nội</qti-simple-choice>'
        '<qti-simple-choice identifier="C" fixed="true">Cả hai</qti-simple-choice></qti-choice-interaction>',
        '<qti-response-declaration identifier="RESPONSE" cardinality="single" base-type="identifier">'
        "<qti-correct-response><qti-value>B</qti-value></qti-correct-response></qti-response-declaration>",
        processing=MATCH_CORRECT_3 + '<qti-modal-feedback outcome-identifier="FEEDBACK" identifier="G" show-hide="show">'
        "<qti-content-body><p>Thăng Long xưa</p></qti-content-body></qti-modal-feedback>",
    ),
    "text.xml": qti3_item(
        '<p>Sông dài nhất chảy qua Việt Nam: <qti-text-entry-interaction response-identifier="RESPONSE" expected-length="15"/></p>',
        '<qti-response-declaration identifier="RESPONSE" cardinality="single" base-type="string">'
        "<qti-correct-response><qti-value>Mê Kông</qti-value></qti-correct-response>"
        '<qti-mapping default-value="0"><qti-map-entry map-key="Mê Kông" mapped-value="1" case-sensitive="false"/>'
        '<qti-map-entry map-key="Cửu Long" mapped-value="0.5" case-sensitive="false"/></qti-mapping></qti-response-declaration>',
    ),
    "match.xml": qti3_item(
        '<qti-match-interaction response-identifier="RESPONSE" max-associations="2"><qti-prompt>Ghép tác giả với tác phẩm</qti-prompt>'
        '<qti-simple-match-set><qti-simple-associable-choice identifier="L1" match-max="1">Nguyễn Du</qti-simple-associable-choice>'
        '<qti-simple-associable-choice identifier="L2" match-max="1">Nam Cao</qti-simple-associable-choice></qti-simple-match-set>'
        '<qti-simple-match-set><qti-simple-associable-choice identifier="R1" match-max="1">Truyện Kiều</qti-simple-associable-choice>'
        '<qti-simple-associable-choice identifier="R2" match-max="1">Chí Phèo</qti-simple-associable-choice>'
        '<qti-simple-associable-choice identifier="R3" match-max="1">Số đỏ</qti-simple-associable-choice></qti-simple-match-set>'
        "</qti-match-interaction>",
        '<qti-response-declaration identifier="RESPONSE" cardinality="multiple" base-type="directedPair"><qti-correct-response>'
        "<qti-value>L1 R1</qti-value><qti-value>L2 R2</qti-value></qti-correct-response></qti-response-declaration>",
    ),
    "order.xml": qti3_item(
        '<qti-order-interaction response-identifier="RESPONSE" shuffle="true"><qti-prompt>Xếp theo thời gian</qti-prompt>'
        '<qti-simple-choice identifier="X">Nhà Trần</qti-simple-choice><qti-simple-choice identifier="Y">Nhà Lý</qti-simple-choice>'
        '<qti-simple-choice identifier="Z">Nhà Lê</qti-simple-choice></qti-order-interaction>',
        '<qti-response-declaration identifier="RESPONSE" cardinality="ordered" base-type="identifier"><qti-correct-response>'
        "<qti-value>Y</qti-value><qti-value>X</qti-value><qti-value>Z</qti-value></qti-correct-response></qti-response-declaration>",
    ),
    "essay.xml": qti3_item(
        '<qti-extended-text-interaction response-identifier="RESPONSE"><qti-prompt>Phân tích bài thơ Tây Tiến.</qti-prompt></qti-extended-text-interaction>',
        '<qti-response-declaration identifier="RESPONSE" cardinality="single" base-type="string"/>',
        processing="<!-- graded by hand -->",
    ),
    "inline.xml": qti3_item(
        '<p>Thủ đô là <qti-inline-choice-interaction response-identifier="RESPONSE" shuffle="false">'
        '<qti-inline-choice identifier="G">Hà Nội</qti-inline-choice><qti-inline-choice identifier="H">Huế</qti-inline-choice>'
        "</qti-inline-choice-interaction>.</p>",
        '<qti-response-declaration identifier="RESPONSE" cardinality="single" base-type="identifier">'
        "<qti-correct-response><qti-value>G</qti-value></qti-correct-response></qti-response-declaration>",
    ),
    "gaps.xml": qti3_item(
        '<qti-gap-match-interaction response-identifier="RESPONSE" shuffle="false">'
        '<qti-gap-text identifier="W1" match-max="1">sáng</qti-gap-text><qti-gap-text identifier="W2" match-max="1">tối</qti-gap-text>'
        '<p>Mặt trời mọc buổi <qti-gap identifier="G1"/>, lặn buổi <qti-gap identifier="G2"/>.</p></qti-gap-match-interaction>',
        '<qti-response-declaration identifier="RESPONSE" cardinality="multiple" base-type="directedPair"><qti-correct-response>'
        "<qti-value>W1 G1</qti-value><qti-value>W2 G2</qti-value></qti-correct-response></qti-response-declaration>",
    ),
}


def test_qti3_items_from_another_tool() -> None:
    result = read_bytes_any(qti3_package(FOREIGN_3_0), "khac.zip")
    by_file = {q.source.split(": ")[1]: q for q in result.questions}
    choice = by_file["choice.xml"]
    assert choice.type == "single_choice" and choice.stem == "Thủ đô của Việt Nam?"
    assert [(o.text, o.fraction, o.locked) for o in choice.options] == [("Huế", 0.0, False), ("Hà Nội", 1.0, False), ("Cả hai", 0.0, True)]
    assert choice.general_feedback == "<p>Thăng Long xưa</p>"  # out of its <qti-content-body>
    text = by_file["text.xml"]
    assert text.type == "short_text" and text.scoring.mode == "ci" and [(a.text, a.fraction) for a in text.answers] == [("Mê Kông", 1.0), ("Cửu Long", 0.5)]
    match = by_file["match.xml"]
    assert match.type == "matching" and {(p.left, p.right) for p in match.pairs} == {("Nguyễn Du", "Truyện Kiều"), ("Nam Cao", "Chí Phèo"), ("", "Số đỏ")}
    order = by_file["order.xml"]
    assert order.type == "ordering" and [o.text for o in order.options] == ["Nhà Lý", "Nhà Trần", "Nhà Lê"]
    assert by_file["essay.xml"].type == "essay" and by_file["essay.xml"].stem == "Phân tích bài thơ Tây Tiến."
    inline = by_file["inline.xml"]
    assert inline.type == "gapselect" and inline.stem == "Thủ đô là {#1}."
    assert [c.text for c in inline.choices if c.id == inline.blanks[0].key] == ["Hà Nội"]
    gaps = by_file["gaps.xml"]
    assert gaps.type == "ddwtos" and gaps.stem == "Mặt trời mọc buổi {#1}, lặn buổi {#2}."
    key = {c.id: c.text for c in gaps.choices}
    assert [key[b.key] for b in gaps.blanks] == ["sáng", "tối"]
    assert all(not c.infinite for c in gaps.choices)
    # Opaque choice ids: the file's W1/W2/G/H are not what the candidate page sees.
    assert {c.id for c in gaps.choices} == {"c1", "c2"}


def test_qti3_errors_name_the_member() -> None:
    broken = dict(FOREIGN_3_0)
    broken["choice.xml"] = broken["choice.xml"].replace("<qti-value>B</qti-value>", "").replace('identifier="RESPONSE" cardinality', 'identifier="R2" cardinality')
    broken["hotspot.xml"] = qti3_item('<qti-hotspot-interaction response-identifier="RESPONSE" max-choices="1"/>',
                                      '<qti-response-declaration identifier="RESPONSE" cardinality="single" base-type="identifier"/>')  # fmt: skip
    with pytest.raises(ImportFailed) as failure:
        read_bytes_any(qti3_package(broken), "khac.zip")
    errors = {e.location: e.reason for e in failure.value.errors}
    assert "responseDeclaration missing" in errors["choice.xml"]
    assert "hotspotInteraction" in errors["hotspot.xml"] and "not supported" in errors["hotspot.xml"]
    assert all(e.file == "khac.zip" for e in failure.value.errors)


def test_qti3_hostile_members_are_refused() -> None:
    dtd = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>' + FOREIGN_3_0["essay.xml"].split("?>", 1)[1]
    with pytest.raises(ImportFailed, match="DTD or entities are not allowed"):
        read_bytes_any(qti3_package({"essay.xml": dtd}), "x.zip")
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("imsmanifest.xml", f'<manifest xmlns="{CP3_NS}"><resources/></manifest>')
        package.writestr("items/big.xml", b"<" + b"a" * (50 * 1024 * 1024))
    with pytest.raises(ImportFailed, match="zip bomb"):
        read_bytes_any(bomb.getvalue(), "bomb.zip")
    with pytest.raises(ImportFailed, match="path traversal"):
        read_bytes_any(qti3_package({"../evil.xml": FOREIGN_3_0["essay.xml"]}), "x.zip")


def test_unknown_qti_namespace_is_refused() -> None:
    item = FOREIGN_3_0["essay.xml"].replace(QTI3_NS, "http://www.imsglobal.org/xsd/imsqtiasi_v9p9")
    with pytest.raises(ImportFailed, match="unknown QTI version"):
        read_bytes_any(qti3_package({"essay.xml": item}), "x.zip")


# -- qti-sdk's QTI 2.1 samples ------------------------------------------------------------------
def sdk_package(items: list[Path], tests: list[Path] = ()) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        resources = ""
        for i, path in enumerate(tests):
            package.writestr(path.name, path.read_bytes())
            resources += f'<resource identifier="T{i}" type="imsqti_test_xmlv2p1" href="{path.name}"><file href="{path.name}"/></resource>'
        for i, path in enumerate(items):
            package.writestr(path.name, path.read_bytes())
            resources += f'<resource identifier="I{i}" type="imsqti_item_xmlv2p1" href="{path.name}"><file href="{path.name}"/></resource>'
        package.writestr("imsmanifest.xml", f'<manifest xmlns="{CP_NS}" identifier="M"><resources>{resources}</resources></manifest>')
    return buffer.getvalue()


def need_sdk() -> None:
    require(SDK.is_dir(), f"{SDK} (qti-sdk samples) not present")


# qti-sdk VALID items we load, with the type each becomes.
SDK_LOADED = {
    "choice.xml": "single_choice",
    "choice_multiple.xml": "multiple_response",
    "text_entry.xml": "short_text",
    "match.xml": "matching",
    "order.xml": "ordering",
    "extended_text.xml": "essay",
    "inline_choice.xml": "gapselect",
}


@pytest.mark.parametrize(("name", "kind"), SDK_LOADED.items())
def test_qti_sdk_valid_items_are_loaded(name: str, kind: str) -> None:
    need_sdk()
    (question,) = read_bytes_any(sdk_package([SDK / "items_2_1" / name]), "sdk.zip").questions
    assert question.type == kind


def test_qti_sdk_items_keep_their_keys() -> None:
    need_sdk()
    items = {n: read_bytes_any(sdk_package([SDK / "items_2_1" / n]), "sdk.zip").questions[0] for n in SDK_LOADED}
    assert [o.text for o in items["choice.xml"].options if o.correct] == ["You must stay with your luggage at all times."]
    water = items["choice_multiple.xml"]
    assert sorted(o.text for o in water.options if o.correct) == ["Hydrogen", "Oxygen"] and water.scoring.mode == "partial"
    york = items["text_entry.xml"]
    assert york.scoring.mode == "exact" and [(a.text, a.fraction) for a in york.answers] == [("York", 1.0), ("york", 0.5)]
    order = items["order.xml"]
    assert [o.text for o in order.options] == ["Michael Schumacher", "Rubens Barrichello", "Jenson Button"]  # C A B
    inline = items["inline_choice.xml"]
    assert "sun of {#1};" in " ".join(inline.stem.split()) and [c.text for c in inline.choices if c.id == inline.blanks[0].key] == ["York"]
    assert score(inline, {"1": inline.blanks[0].key}).points == 1.0
    match = items["match.xml"]
    assert len([p for p in match.pairs if p.left]) >= 2


def test_qti_sdk_associate_is_refused_because_the_bank_has_no_such_type() -> None:
    # qti-sdk: VALID. Ours: refused, named — no question type (and no Moodle type) holds it.
    need_sdk()
    with pytest.raises(ImportFailed, match="associateInteraction") as failure:
        read_bytes_any(sdk_package([SDK / "items_2_1" / "associate.xml"]), "sdk.zip")
    assert failure.value.errors[0].location == "associate.xml"


SACHSEN = {
    "Choicetruefalse_176040516.xml": "single_choice",
    "Choicesingle_853928446.xml": "single_choice",
    "Choicemultiple_2014410822.xml": "multiple_response",
    "Choicemultiple_871212949.xml": "multiple_response",
    "Order_913967682.xml": "ordering",
    "Matchsingle_143114773.xml": "matching",
    "Matchmultiple_1038910213.xml": "matching",
    "TextEntry_883368511.xml": "short_text",
    "TextEntrynumeric_2040297025.xml": "cloze",
    "TextEntrynumeric_770468849.xml": "numeric",
    "TextEntrysubset_806481421.xml": "cloze",
}


@pytest.mark.parametrize("test_file", ["interaction_mix_sachsen.xml", "interaction_mix_sachsen_2_2.xml"])
def test_qti_sdk_sachsen_test_refuses_hotspot_and_hottext_and_loads_the_rest(test_file: str) -> None:
    # qti-sdk: VALID (13 items). Ours: the two graphic/hottext items have no bank type, so the
    # whole package is refused with both named (all-or-nothing); without them the 11 load.
    need_sdk()
    folder = SDK / "tests" / "interaction_mix_sachsen"
    every = sorted(p for p in folder.glob("*.xml") if not p.name.startswith("interaction_mix"))
    with pytest.raises(ImportFailed) as failure:
        read_bytes_any(sdk_package(every, [folder / test_file]), "sachsen.zip")
    assert sorted(e.where("vi") for e in failure.value.errors) == ["Hotspot_278940407.xml", "Hottext_801974120.xml"]
    supported = [folder / name for name in SACHSEN]
    result = read_bytes_any(sdk_package(supported, [folder / test_file]), "sachsen.zip")
    assert [q.type for q in result.questions] == list(SACHSEN.values())
    by_name = dict(zip(SACHSEN, result.questions, strict=True))
    points = by_name["Choicemultiple_871212949.xml"]  # 1 point per right choice, MAXSCORE 3
    assert points.points == 3.0 and sorted(round(o.fraction, 4) for o in points.options) == [-0.6667, -0.3333, 0.3333, 0.3333, 0.3333]
    relative = by_name["TextEntrynumeric_770468849.xml"]  # 5 % relative tolerance
    assert relative.answers[0].text == "4.136" and relative.answers[0].tolerance == pytest.approx(0.2068)
    two = by_name["TextEntrynumeric_2040297025.xml"]
    assert [b.kind for b in two.blanks] == ["numerical", "numerical"] and "{#1}" in two.stem and "{#2}" in two.stem


@pytest.mark.parametrize(
    ("member", "reason"),
    [
        ("invalid/malformed.xml", "malformed or truncated XML"),  # qti-sdk: INVALID (not well-formed)
        ("invalid/empty.xml", "malformed or truncated XML"),  # qti-sdk: INVALID (empty string)
        ("invalid/xsdinvalid.xml", "not allowed by the QTI schema"),  # qti-sdk: INVALID against the XSD (foo="bar")
        ("invalid/invalidresponseidentifier.xml", "responseDeclaration missing"),  # qti-sdk: INVALID (" RESPONSE")
        # qti-sdk loads it as a 2.1 document, but it is a bare responseProcessing, not a question.
        ("invalid/noversion.xml", "nor a QTI 3.0 item"),
        ("tests/empty_tests/empty_test_wrong_namespace.xml", "unknown QTI version"),  # qti-sdk: INVALID
    ],
)
def test_qti_sdk_invalid_files_are_refused(member: str, reason: str) -> None:
    need_sdk()
    with pytest.raises(ImportFailed, match=reason) as failure:
        read_bytes_any(sdk_package([SDK / member]), "sdk.zip")
    assert failure.value.errors[0].file.startswith("sdk.zip")


@pytest.mark.parametrize("name", ["v2p1", "v2p1p1", "v2p2", "v2p2p1", "v2p2p2", "v2p2p3", "v2p2p4", "missing_namespace"])
def test_qti_sdk_empty_tests_hold_no_questions(name: str) -> None:
    # qti-sdk: VALID documents with one empty section; an import of zero questions is refused
    # (Moodle's noquestionsinfile), so a teacher is told instead of getting an empty bank.
    need_sdk()
    with pytest.raises(ImportFailed, match="no questions found"):
        read_bytes_any(sdk_package([], [SDK / "tests" / "empty_tests" / f"empty_test_{name}.xml"]), "sdk.zip")


def test_item_without_namespace_is_read_as_2_1_like_qti_sdk() -> None:
    need_sdk()
    source = (SDK / "items_2_1" / "choice_multiple.xml").read_text(encoding="utf-8")
    bare = re.sub(r'\sxmlns(:xsi)?="[^"]*"|\sxsi:schemaLocation="[^"]*"', "", source)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("imsmanifest.xml", f'<manifest xmlns="{CP_NS}"><resources><resource identifier="I" type="imsqti_item_xmlv2p1" href="a.xml"/></resources></manifest>')
        package.writestr("a.xml", bare)
    (question,) = read_bytes_any(buffer.getvalue(), "bare.zip").questions
    assert question.type == "multiple_response"


def test_qti_sdk_items_survive_a_3_0_round_trip() -> None:
    need_sdk()
    names = [n for n in SDK_LOADED if n != "choice.xml"]  # choice.xml links an image it does not ship
    first = read_bytes_any(sdk_package([SDK / "items_2_1" / n for n in names]), "sdk.zip").questions
    again = read_bytes_any(write_bytes_any(first, "sdk.qti3.zip"), "sdk.qti3.zip").questions
    assert [comparable(q) for q in again] == [comparable(q) for q in first]


def test_wildcards_travel_and_foreign_metadata_cannot_break_the_import() -> None:
    q = Question("cloze", stem="Số bất kỳ: {#1}; từ: {#2}", blanks=[
        Blank("1", "numerical", answers=[BlankAnswer("2", 1.0), BlankAnswer("*", 0.5)]),
        Blank("2", "shortanswer", weight=3.0, answers=[BlankAnswer("a*", 1.0)])])  # fmt: skip
    data = qti3.write([q], "w.qti3.zip")
    (back,) = read_bytes_any(data, "w.zip").questions
    assert [[(a.text, a.fraction) for a in b.answers] for b in back.blanks] == [[("2", 1.0), ("*", 0.5)], [("a*", 1.0)]]
    assert [b.weight for b in back.blanks] == [1.0, 3.0]
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        for name in source.namelist():
            content = source.read(name)
            if name == "imsmanifest.xml":
                content = re.sub(rb"<qb:blanks>.*?</qb:blanks>", b'<qb:blanks>{"type": 7, "weights": {"2": [1, 2]}, "groups": "x"}</qb:blanks>', content)
            package.writestr(name, content)
    (tampered,) = read_bytes_any(buffer.getvalue(), "w.zip").questions
    assert tampered.type == "cloze" and [b.weight for b in tampered.blanks] == [1.0, 1.0]

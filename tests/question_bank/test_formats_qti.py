"""QTI 2.1 packages written by another tool (namespaces, HTML bodies, images), and their errors."""

from __future__ import annotations

import base64

import pytest

from question_bank.errors import ImportFailed
from question_bank.formats import qti
from tests.question_bank.fixtures.samples import tiny_png
from tests.question_bank.test_formats_hostile import zipped

NS = 'xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" identifier="M1">
  <organizations/>
  <resources>
    <resource identifier="R1" type="imsqti_item_xmlv2p1" href="q/choice.xml">
      <file href="q/choice.xml"/><file href="img/map.png"/>
    </resource>
    <resource identifier="R2" type="imsqti_item_xmlv2p1" href="q/text.xml"><file href="q/text.xml"/></resource>
    <resource identifier="R3" type="imsqti_item_xmlv2p1" href="q/match.xml"><file href="q/match.xml"/></resource>
    <resource identifier="R4" type="imsqti_item_xmlv2p1" href="q/order.xml"><file href="q/order.xml"/></resource>
    <resource identifier="R5" type="imsqti_item_xmlv2p1" href="q/essay.xml"><file href="q/essay.xml"/></resource>
    <resource identifier="T1" type="imsqti_test_xmlv2p1" href="test.xml"/>
  </resources>
</manifest>"""
CHOICE = f"""<assessmentItem {NS} identifier="c1" title="Bản đồ" adaptive="false" timeDependent="false">
  <responseDeclaration identifier="RESPONSE" cardinality="multiple" baseType="identifier">
    <correctResponse><value>ChoiceA</value><value>ChoiceC</value></correctResponse>
  </responseDeclaration>
  <outcomeDeclaration identifier="SCORE" cardinality="single" baseType="float"/>
  <itemBody>
    <p>Quan sát bản đồ <img src="../img/map.png" alt="bản đồ"/></p>
    <choiceInteraction responseIdentifier="RESPONSE" shuffle="true" maxChoices="0">
      <prompt>Những tỉnh nào giáp biển?</prompt>
      <simpleChoice identifier="ChoiceA">Quảng Ninh</simpleChoice>
      <simpleChoice identifier="ChoiceB">Lào Cai</simpleChoice>
      <simpleChoice identifier="ChoiceC">Đà Nẵng</simpleChoice>
      <simpleChoice identifier="ChoiceD" fixed="true">Không tỉnh nào</simpleChoice>
    </choiceInteraction>
  </itemBody>
  <responseProcessing template="http://www.imsglobal.org/question/qti_v2p1/rptemplates/match_correct"/>
</assessmentItem>"""
TEXT = f"""<assessmentItem {NS} identifier="t1" title="Điền" adaptive="false" timeDependent="false">
  <responseDeclaration identifier="RESPONSE" cardinality="single" baseType="string">
    <correctResponse><value>Hà Nội</value></correctResponse>
  </responseDeclaration>
  <itemBody><p>Thủ đô của Việt Nam là <textEntryInteraction responseIdentifier="RESPONSE" expectedLength="10"/>.</p></itemBody>
</assessmentItem>"""
MATCH = f"""<assessmentItem {NS} identifier="m1" title="Nối" adaptive="false" timeDependent="false">
  <responseDeclaration identifier="RESPONSE" cardinality="multiple" baseType="directedPair">
    <correctResponse><value>L1 R2</value><value>L2 R1</value></correctResponse>
  </responseDeclaration>
  <itemBody><matchInteraction responseIdentifier="RESPONSE" shuffle="true" maxAssociations="2">
    <prompt>Nối</prompt>
    <simpleMatchSet><simpleAssociableChoice identifier="L1" matchMax="1">H2O</simpleAssociableChoice>
      <simpleAssociableChoice identifier="L2" matchMax="1">NaCl</simpleAssociableChoice></simpleMatchSet>
    <simpleMatchSet><simpleAssociableChoice identifier="R1" matchMax="1">muối ăn</simpleAssociableChoice>
      <simpleAssociableChoice identifier="R2" matchMax="1">nước</simpleAssociableChoice>
      <simpleAssociableChoice identifier="R3" matchMax="1">đường</simpleAssociableChoice></simpleMatchSet>
  </matchInteraction></itemBody>
</assessmentItem>"""
ORDER = f"""<assessmentItem {NS} identifier="o1" title="Thứ tự" adaptive="false" timeDependent="false">
  <responseDeclaration identifier="RESPONSE" cardinality="ordered" baseType="identifier">
    <correctResponse><value>B</value><value>A</value><value>C</value></correctResponse>
  </responseDeclaration>
  <itemBody><orderInteraction responseIdentifier="RESPONSE" shuffle="true"><prompt>Xếp theo thời gian</prompt>
    <simpleChoice identifier="A">Nhà Trần</simpleChoice><simpleChoice identifier="B">Nhà Lý</simpleChoice>
    <simpleChoice identifier="C">Nhà Lê</simpleChoice></orderInteraction></itemBody>
</assessmentItem>"""
ESSAY = f"""<assessmentItem {NS} identifier="e1" title="Bài luận" adaptive="false" timeDependent="false">
  <responseDeclaration identifier="RESPONSE" cardinality="single" baseType="string"/>
  <itemBody><extendedTextInteraction responseIdentifier="RESPONSE"><prompt>Viết đoạn văn 200 chữ.</prompt></extendedTextInteraction></itemBody>
</assessmentItem>"""


def package(**overrides: bytes) -> bytes:
    members = {
        "imsmanifest.xml": MANIFEST.encode(),
        "q/choice.xml": CHOICE.encode(),
        "q/text.xml": TEXT.encode(),
        "q/match.xml": MATCH.encode(),
        "q/order.xml": ORDER.encode(),
        "q/essay.xml": ESSAY.encode(),
        "img/map.png": tiny_png(),
    }
    members.update(overrides)
    return zipped({k: v for k, v in members.items() if v})


def test_package_from_another_tool() -> None:
    q = qti.read(package(), "pkg.zip").questions
    assert [x.type for x in q] == ["multiple_response", "short_text", "matching", "ordering", "essay"]
    choice = q[0]
    assert choice.stem == 'Quan sát bản đồ <img src="@@MEDIA/map.png" alt="bản đồ" />\nNhững tỉnh nào giáp biển?'
    assert [o.correct for o in choice.options] == [True, False, True, False] and choice.options[3].locked
    assert choice.scoring.mode == "all_or_nothing" and base64.b64decode(choice.media[0].data_b64) == tiny_png()
    assert q[1].stem == "Thủ đô của Việt Nam là ." and q[1].answers[0].text == "Hà Nội" and q[1].scoring.mode == "exact"
    assert [(p.left, p.right) for p in q[2].pairs] == [("H2O", "nước"), ("NaCl", "muối ăn"), ("", "đường")]
    assert [o.text for o in q[3].options] == ["Nhà Lý", "Nhà Trần", "Nhà Lê"]
    assert q[4].stem == "Viết đoạn văn 200 chữ."


@pytest.mark.parametrize(
    ("overrides", "location", "reason"),
    [
        ({"imsmanifest.xml": b""}, "imsmanifest.xml", "not an IMS content package"),
        ({"q/text.xml": b""}, "q/text.xml", "item file listed in the manifest is missing"),
        ({"img/map.png": b""}, "q/choice.xml", "listed file 'img/map.png' missing"),
        ({"q/order.xml": ORDER.replace("<value>C</value>", "").encode()}, "q/order.xml", "does not list every item"),
        ({"q/match.xml": MATCH.replace("L2 R1", "L9 R1").encode()}, "q/match.xml", "unknown choices"),
        ({"q/essay.xml": b"<html/>"}, "q/essay.xml", "neither a QTI 2.1 nor a QTI 3.0 item"),
    ],
)
def test_broken_packages_name_the_member(overrides: dict[str, bytes], location: str, reason: str) -> None:
    with pytest.raises(ImportFailed) as failure:
        qti.read(package(**overrides), "pkg.zip")
    assert any(e.where("vi") == location and reason in e.reason for e in failure.value.errors), failure.value.errors


def test_malformed_item_xml_names_the_member_and_line() -> None:
    with pytest.raises(ImportFailed) as failure:
        qti.read(package(**{"q/text.xml": TEXT[:200].encode()}), "pkg.zip")
    (error,) = failure.value.errors
    assert error.file == "pkg.zip: q/text.xml" and error.where("vi").startswith("dòng")

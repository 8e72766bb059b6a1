"""IMS QTI 2.1 content packages (zip with imsmanifest.xml), import and export.

Interactions ↔ types:
    choiceInteraction       single_choice (maxChoices=1), multiple_response; identifiers
                            "true"/"false" only → true_false; simpleChoice fixed="true" → locked
    textEntryInteraction    short_text (mapping caseSensitive → "exact"/"ci"); baseType float →
                            numeric (tolerance from <equal toleranceMode="absolute">);
                            patternMask "[0-9,\\-]{1,4}" → short_answer4
    matchInteraction        matching (directedPair left → right; unmatched right = distractor);
                            right-hand choices exactly "true"/"false" → tf_cluster (a Đúng/Sai grid)
    orderInteraction        ordering (correctResponse order)
    extendedTextInteraction essay (rubric: a table in <rubricBlock view="scorer">)
    no interaction          description

Partial credit travels in <mapping>; points in the MAXSCORE outcome; topic, difficulty and
tags in the manifest resource's metadata (namespace `urn:exam-platform:question-bank`).
Files listed by a resource (images) become `Media`; `<img src>` links become `@@MEDIA/name`.
"""

from __future__ import annotations

import io
import mimetypes
import posixpath
import re
import zipfile
from base64 import b64decode, b64encode
from xml.etree import ElementTree as ET
from xml.etree.ElementTree import Element, SubElement
from xml.sax.saxutils import escape

from question_bank.errors import ExportFailed, FormatIssue, ImportResult
from question_bank.formats import rubric_table
from question_bank.formats.collect import Issues, refuse_unsupported
from question_bank.formats.safe_input import SafeZip, local, parse_xml
from question_bank.model import TF_CLUSTER_TABLE, Answer, Media, Option, Pair, Question, Scoring, Statement

QTI_NS = "http://www.imsglobal.org/xsd/imsqti_v2p1"
CP_NS = "http://www.imsglobal.org/xsd/imscp_v1p1"
QB_NS = "urn:exam-platform:question-bank"
SA4_MASK = r"[0-9,\-]{1,4}"
INTERACTIONS = {"choiceInteraction", "textEntryInteraction", "matchInteraction", "orderInteraction", "extendedTextInteraction"}
SUPPORTED = {"single_choice", "multiple_response", "true_false", "short_text", "numeric", "short_answer4", "matching", "ordering", "essay", "description", "tf_cluster"}
TEMPLATE = "http://www.imsglobal.org/question/qti_v2p1/rptemplates/"
IMG_SRC = re.compile(r'(<img\b[^>]*?\bsrc=")([^"]+)(")')


def _strip_ns(root: Element) -> Element:
    for node in root.iter():
        node.tag = local(node.tag)
        for key in list(node.attrib):
            if "}" in key:
                node.attrib[local(key)] = node.attrib.pop(key)
    return root


def _inner(node: Element) -> str:
    """Content of an element: plain text as is, mixed content as (namespace-free) markup."""
    if len(node) == 0:
        return (node.text or "").strip()
    parts = [escape(node.text or "")] + [ET.tostring(child, encoding="unicode") for child in node]
    return "".join(parts).strip()


# -- import -------------------------------------------------------------------------------
def read(data: bytes, file: str) -> ImportResult:
    package = SafeZip(data, file)
    issues = Issues(file)
    if "imsmanifest.xml" not in package:
        issues.error("imsmanifest.xml", "gói QTI thiếu imsmanifest.xml (not an IMS content package)")
        issues.raise_if_errors()
    manifest = _strip_ns(parse_xml(package.read("imsmanifest.xml"), f"{file}: imsmanifest.xml"))
    questions: list[Question] = []
    locations: list[str] = []
    for resource in manifest.iter("resource"):
        if not resource.get("type", "").startswith("imsqti_item_xmlv2p"):
            continue
        href = resource.get("href", "")
        where = href or resource.get("identifier", "?")
        if href not in package:
            issues.error(where, "tệp câu hỏi khai báo trong manifest không có trong gói (item file missing)")
            continue
        item = _strip_ns(parse_xml(package.read(href), f"{file}: {href}"))
        files = [f.get("href", "") for f in resource.iter("file") if f.get("href") != href]
        media = _media(package, files, issues, where)
        try:
            question = _item(item, issues, where)
        except ValueError as exc:  # a number attribute that is not a number
            issues.error(where, f"giá trị không hợp lệ: {exc} (invalid value)")
            continue
        if question is None:
            continue
        question.media = media
        question.stem = IMG_SRC.sub(lambda m: m.group(1) + "@@MEDIA/" + posixpath.basename(m.group(2)) + m.group(3), question.stem)
        meta = resource.find("metadata")
        if meta is not None:
            question.topic = (meta.findtext("topic") or "").strip()
            question.difficulty = (meta.findtext("difficulty") or "").strip()
            question.tags = [(t.text or "").strip() for t in meta.iter("tag")]
        question.source = f"{file}: {href}"
        questions.append(question)
        locations.append(where)
    return issues.finish(questions, locations)


def _media(package: SafeZip, files: list[str], issues: Issues, where: str) -> list[Media]:
    """Files a resource lists (hrefs are relative to the manifest, i.e. the package root)."""
    media = []
    for href in files:
        path = posixpath.normpath(href)
        if path not in package:
            issues.error(where, f"thiếu tệp đính kèm {href!r} (listed file missing from package)")
            continue
        name = posixpath.basename(path)
        media.append(Media(name, mimetypes.guess_type(name)[0] or "application/octet-stream", b64encode(package.read(path)).decode()))
    return media


def _item(item: Element, issues: Issues, where: str) -> Question | None:
    if item.tag != "assessmentItem":
        issues.error(where, f"phần tử gốc phải là assessmentItem, gặp {item.tag} (not a QTI 2.1 item)")
        return None
    body = item.find("itemBody")
    if body is None:
        issues.error(where, "thiếu itemBody (no item body)")
        return None
    interactions = [n for n in body.iter() if n.tag in INTERACTIONS]
    if len(interactions) > 1:
        issues.error(where, "câu có nhiều tương tác không được hỗ trợ (several interactions in one item)")
        return None
    interaction = interactions[0] if interactions else None
    declarations = {d.get("identifier", ""): d for d in item.iter("responseDeclaration")}
    declaration = declarations.get(interaction.get("responseIdentifier", "")) if interaction is not None else None
    correct = [v.text or "" for v in declaration.iterfind("correctResponse/value")] if declaration is not None else []
    mapping = {e.get("mapKey", ""): e for e in declaration.iterfind("mapping/mapEntry")} if declaration is not None else {}
    max_score = item.find("outcomeDeclaration[@identifier='MAXSCORE']/defaultValue/value")
    points = float(max_score.text or 1) if max_score is not None else 1.0
    rubric = []
    for parent in list(body.iter()):
        for block in [c for c in parent if c.tag == "rubricBlock"]:  # notes for scorers, not the stem
            rubric += rubric_table.from_html(_inner(block))
            parent.remove(block)
    stem = _stem(body, interaction)
    feedback = item.find("modalFeedback")
    common = {"stem": stem, "points": points, "title": item.get("title", ""), "general_feedback": _inner(feedback) if feedback is not None else ""}
    if interaction is None:
        return Question("description", **common)
    kind = interaction.tag
    if declaration is None and kind != "extendedTextInteraction":
        issues.error(where, "thiếu responseDeclaration cho tương tác (response declaration missing)")
        return None
    if kind == "choiceInteraction":
        choices = list(interaction.iter("simpleChoice"))
        ids = [c.get("identifier", "") for c in choices]
        if sorted(ids) == ["false", "true"] and len(correct) == 1:
            return Question("true_false", correct_bool=correct[0] == "true", **common)

        def fraction(ident: str) -> float:
            if mapping:
                return float(mapping[ident].get("mappedValue", "0")) if ident in mapping else 0.0
            return 1.0 if ident in correct else 0.0

        options = []
        for c in choices:
            ident = c.get("identifier", "")
            inline = c.find("feedbackInline")
            if inline is not None:
                c.remove(inline)
            options.append(Option(ident, _inner(c), fraction(ident), c.get("fixed") == "true", _inner(inline) if inline is not None else ""))
        if interaction.get("maxChoices", "1") == "1" and declaration.get("cardinality") == "single":
            return Question("single_choice", options=options, **common)
        scoring = Scoring(mode="partial" if mapping else "all_or_nothing", negative=any(o.fraction < 0 for o in options))
        return Question("multiple_response", options=options, scoring=scoring, **common)
    if kind == "textEntryInteraction":
        if interaction.get("patternMask") == SA4_MASK:
            return Question("short_answer4", answers=[Answer(v) for v in correct], scoring=Scoring(mode="exact"), **common)
        if declaration.get("baseType") in ("float", "integer"):
            equal = item.find(".//equal[@toleranceMode='absolute']")
            tolerance = float((equal.get("tolerance") or "0").split()[0]) if equal is not None else 0.0
            return Question("numeric", answers=[Answer(v, 1.0, tolerance) for v in correct], **common)
        if mapping:
            answers = [Answer(k, float(e.get("mappedValue", "1"))) for k, e in mapping.items()]
            case = next(iter(mapping.values())).get("caseSensitive", "true") == "true"
        else:
            answers, case = [Answer(v) for v in correct], True
        return Question("short_text", answers=answers, scoring=Scoring(mode="exact" if case else "ci"), **common)
    if kind == "matchInteraction":
        sets = interaction.findall("simpleMatchSet")
        if len(sets) != 2:
            issues.error(where, "matchInteraction cần đúng 2 simpleMatchSet (needs two match sets)")
            return None
        lefts = {c.get("identifier", ""): _inner(c) for c in sets[0].iter("simpleAssociableChoice")}
        rights = {c.get("identifier", ""): _inner(c) for c in sets[1].iter("simpleAssociableChoice")}
        if sorted(rights) == ["false", "true"]:
            verdicts = dict(value.split(" ", 1) for value in correct if " " in value)
            if set(verdicts) != set(lefts):
                issues.error(where, "mỗi mệnh đề Đúng/Sai cần đúng một đáp án (every statement needs one verdict)")
                return None
            statements = [Statement(ident, text, verdicts[ident] == "true") for ident, text in lefts.items()]
            return Question("tf_cluster", statements=statements, scoring=Scoring(table=dict(TF_CLUSTER_TABLE)), **common)
        pairs, used = [], set()
        for value in correct:
            left_id, _, right_id = value.partition(" ")
            if left_id not in lefts or right_id not in rights:
                issues.error(where, f"cặp đáp án {value!r} tham chiếu mã không tồn tại (directedPair refers to unknown choices)")
                return None
            pairs.append(Pair(left_id, lefts[left_id], rights[right_id], right_id))
            used.add(right_id)
        pairs += [Pair(f"d{i}", "", text, rid) for i, (rid, text) in enumerate(rights.items(), start=1) if rid not in used]
        return Question("matching", pairs=pairs, **common)
    if kind == "orderInteraction":
        texts = {c.get("identifier", ""): (_inner(c), c.get("fixed") == "true") for c in interaction.iter("simpleChoice")}
        missing = [c for c in correct if c not in texts]
        if missing or len(correct) != len(texts):
            issues.error(where, "thứ tự đúng không khớp các mục (correct order does not list every choice once)")
            return None
        return Question("ordering", options=[Option(c, texts[c][0], locked=texts[c][1]) for c in correct], **common)
    return Question("essay", rubric=rubric, **common)


def _stem(body: Element, interaction: Element | None) -> str:
    prompt = ""
    if interaction is not None:
        node = interaction.find("prompt")
        prompt = _inner(node) if node is not None else ""
        for parent in body.iter():
            for child in list(parent):
                if child is interaction:
                    tail = child.tail
                    parent.remove(child)
                    if tail:  # keep the text that followed the interaction
                        parent.text = (parent.text or "") + tail
    container = body
    if len(body) == 1 and body[0].tag in ("p", "div") and not (body.text or "").strip() and not (body[0].tail or "").strip():
        container = body[0]
    return "\n".join(part for part in (_inner(container), prompt) if part)


# -- export -------------------------------------------------------------------------------
def write(questions: list[Question], file: str) -> bytes:
    refuse_unsupported(questions, SUPPORTED, file, "QTI 2.1")
    errors = [
        FormatIssue(file, f"câu {i}", "QTI chỉ giữ một đáp án số (QTI holds one numeric answer)")
        for i, q in enumerate(questions, start=1)
        if q.type == "numeric" and len(q.answers) != 1
    ]
    if errors:
        raise ExportFailed(errors)
    manifest = Element("manifest", {"xmlns": CP_NS, "xmlns:qb": QB_NS, "identifier": "MANIFEST-QB"})
    SubElement(manifest, "organizations")
    resources = SubElement(manifest, "resources")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        for number, q in enumerate(questions, start=1):
            href = f"items/item{number}.xml"
            resource = SubElement(resources, "resource", {"identifier": f"RES{number}", "type": "imsqti_item_xmlv2p1", "href": href})
            meta = SubElement(resource, "metadata")
            SubElement(meta, "qb:topic").text = q.topic
            SubElement(meta, "qb:difficulty").text = q.difficulty
            for tag in q.tags:
                SubElement(meta, "qb:tag").text = tag
            SubElement(resource, "file", {"href": href})
            for m in q.media:
                SubElement(resource, "file", {"href": f"items/media/{number}/{m.name}"})
                package.writestr(f"items/media/{number}/{m.name}", b64decode(m.data_b64))
            package.writestr(href, ET.tostring(_item_xml(q, number), encoding="utf-8", xml_declaration=True))
        package.writestr("imsmanifest.xml", ET.tostring(manifest, encoding="utf-8", xml_declaration=True))
    return buffer.getvalue()


def _item_xml(q: Question, number: int) -> Element:
    item = Element("assessmentItem", {"xmlns": QTI_NS, "identifier": f"ITEM{number}", "title": q.title, "adaptive": "false", "timeDependent": "false"})
    response = Element("responseDeclaration", {"identifier": "RESPONSE"})
    correct = SubElement(response, "correctResponse")
    body = Element("itemBody")
    template = "match_correct"
    if q.type in ("single_choice", "multiple_response", "true_false"):
        single = q.type != "multiple_response"
        response.attrib.update(cardinality="single" if single else "multiple", baseType="identifier")
        options = q.options if q.type != "true_false" else [Option("true", "Đúng", float(bool(q.correct_bool))), Option("false", "Sai", float(not q.correct_bool))]
        for o in options:
            if o.correct:
                SubElement(correct, "value").text = o.id
        partial = q.scoring.mode != "all_or_nothing" if q.type == "multiple_response" else any(o.fraction not in (0.0, 1.0) for o in options)
        if partial:
            template = "map_response"
            mapping = SubElement(response, "mapping", {"defaultValue": "0"})
            for o in options:
                if o.fraction:
                    SubElement(mapping, "mapEntry", {"mapKey": o.id, "mappedValue": f"{o.fraction:g}"})
        interaction = SubElement(body, "choiceInteraction", {"responseIdentifier": "RESPONSE", "shuffle": "true", "maxChoices": "1" if single else "0"})
        SubElement(interaction, "prompt").text = q.stem
        for o in options:
            choice = SubElement(interaction, "simpleChoice", {"identifier": o.id, "fixed": "true" if o.locked else "false"})
            choice.text = o.text
            if o.feedback:
                attrs = {"outcomeIdentifier": "FEEDBACK", "identifier": o.id, "showHide": "show"}
                SubElement(choice, "feedbackInline", attrs).text = o.feedback
    elif q.type in ("short_text", "numeric", "short_answer4"):
        numeric = q.type == "numeric"
        response.attrib.update(cardinality="single", baseType="float" if numeric else "string")
        paragraph = SubElement(body, "p")
        paragraph.text = q.stem
        entry = SubElement(paragraph, "textEntryInteraction", {"responseIdentifier": "RESPONSE", "expectedLength": "20"})
        if q.type == "short_answer4":
            entry.attrib.update(patternMask=SA4_MASK, expectedLength="4")
        for a in q.answers if not numeric else q.answers[:1]:
            SubElement(correct, "value").text = a.text.replace(",", ".") if numeric else a.text
        if q.type == "short_text":
            template = "map_response"
            mapping = SubElement(response, "mapping", {"defaultValue": "0"})
            for a in q.answers:
                case = "true" if q.scoring.mode == "exact" else "false"
                SubElement(mapping, "mapEntry", {"mapKey": a.text, "mappedValue": f"{a.fraction:g}", "caseSensitive": case})
    elif q.type == "matching":
        response.attrib.update(cardinality="multiple", baseType="directedPair")
        lefts = [p for p in q.pairs if p.left]
        for p in lefts:
            SubElement(correct, "value").text = f"{p.id} {p.right_id}"
        interaction = SubElement(body, "matchInteraction", {"responseIdentifier": "RESPONSE", "shuffle": "true", "maxAssociations": str(len(lefts))})
        SubElement(interaction, "prompt").text = q.stem
        left_set, right_set = SubElement(interaction, "simpleMatchSet"), SubElement(interaction, "simpleMatchSet")
        for p in lefts:
            SubElement(left_set, "simpleAssociableChoice", {"identifier": p.id, "matchMax": "1"}).text = p.left
        for p in sorted(q.pairs, key=lambda p: p.right_id):
            SubElement(right_set, "simpleAssociableChoice", {"identifier": p.right_id, "matchMax": "1"}).text = p.right
    elif q.type == "tf_cluster":
        response.attrib.update(cardinality="multiple", baseType="directedPair")
        for st in q.statements:
            SubElement(correct, "value").text = f"{st.id} {'true' if st.correct else 'false'}"
        interaction = SubElement(body, "matchInteraction", {"responseIdentifier": "RESPONSE", "shuffle": "false", "maxAssociations": str(len(q.statements))})
        SubElement(interaction, "prompt").text = q.stem
        left_set, right_set = SubElement(interaction, "simpleMatchSet"), SubElement(interaction, "simpleMatchSet")
        for st in q.statements:
            SubElement(left_set, "simpleAssociableChoice", {"identifier": st.id, "matchMax": "1"}).text = st.text
        for ident, word in (("true", "Đúng"), ("false", "Sai")):
            SubElement(right_set, "simpleAssociableChoice", {"identifier": ident, "matchMax": str(len(q.statements))}).text = word
    elif q.type == "ordering":
        response.attrib.update(cardinality="ordered", baseType="identifier")
        for o in q.options:
            SubElement(correct, "value").text = o.id
        interaction = SubElement(body, "orderInteraction", {"responseIdentifier": "RESPONSE", "shuffle": "true"})
        SubElement(interaction, "prompt").text = q.stem
        for o in q.options:
            SubElement(interaction, "simpleChoice", {"identifier": o.id, "fixed": "true" if o.locked else "false"}).text = o.text
    elif q.type == "essay":
        response.attrib.update(cardinality="single", baseType="string")
        response.remove(correct)
        if q.rubric:
            table = SubElement(SubElement(body, "rubricBlock", {"view": "scorer"}), "table", {"class": "rubric"})
            for criterion in q.rubric:
                row = SubElement(table, "tr")
                for value in (criterion.id, f"{criterion.max_points:g}", criterion.description):
                    SubElement(row, "td").text = value
        interaction = SubElement(body, "extendedTextInteraction", {"responseIdentifier": "RESPONSE"})
        SubElement(interaction, "prompt").text = q.stem
    else:  # description
        response = None
        SubElement(body, "div").text = q.stem
    if response is not None:
        item.append(response)
    for identifier, value in (("SCORE", None), ("MAXSCORE", f"{q.points:g}")):
        outcome = SubElement(item, "outcomeDeclaration", {"identifier": identifier, "cardinality": "single", "baseType": "float"})
        if value is not None:
            SubElement(SubElement(outcome, "defaultValue"), "value").text = value
    item.append(body)
    if q.type == "numeric":
        processing = SubElement(item, "responseProcessing")
        condition = SubElement(SubElement(processing, "responseCondition"), "responseIf")
        tol = f"{q.answers[0].tolerance:g}"
        equal = SubElement(condition, "equal", {"toleranceMode": "absolute", "tolerance": f"{tol} {tol}"})
        SubElement(equal, "variable", {"identifier": "RESPONSE"})
        SubElement(equal, "correct", {"identifier": "RESPONSE"})
        setter = SubElement(condition, "setOutcomeValue", {"identifier": "SCORE"})
        SubElement(setter, "baseValue", {"baseType": "float"}).text = "1"
    elif response is not None and q.type != "essay":
        SubElement(item, "responseProcessing", {"template": TEMPLATE + template})
    if q.general_feedback:  # QTI puts modal feedback after response processing
        feedback = SubElement(item, "modalFeedback", {"outcomeIdentifier": "FEEDBACK", "identifier": "GENERAL", "showHide": "show"})
        feedback.text = q.general_feedback
    return item

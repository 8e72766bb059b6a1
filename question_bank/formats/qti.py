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
    several inline interactions, inlineChoiceInteraction, gapMatchInteraction
                            cloze, gapselect, ddwtos (see `qti_blanks`)

Any other interaction (associate, hotspot, hottext, slider, graphic …) is refused with the
item named: no question type of the bank holds it, and Moodle has none either.
QTI 3.0 packages are read by the same code (`qti3` renames their elements) and written by
`write(…, version="3.0")`; the version is told per item by its namespace.

Partial credit travels in <mapping>; points in the MAXSCORE outcome; topic, difficulty and
tags in the manifest resource's metadata (namespace `urn:exam-platform:question-bank`).
Files listed by a resource (images) become `Media`; `<img src>` links become `@@MEDIA/name`.
"""

from __future__ import annotations

import io
import json
import mimetypes
import posixpath
import re
import zipfile
from base64 import b64decode, b64encode
from typing import Any
from xml.etree import ElementTree as ET
from xml.etree.ElementTree import Element, SubElement

from question_bank.errors import ExportFailed, FormatIssue, ImportResult, Place
from question_bank.formats import qti3, qti_blanks, rubric_table
from question_bank.formats.collect import Issues, refuse_unsupported
from question_bank.formats.qti_common import (
    CP3_NS,
    CP_NS,
    QB_NS,
    QTI3_NS,
    QTI_NAMESPACES_V2,
    QTI_NS,
    TEMPLATE,
    inner,
    namespace,
)
from question_bank.formats.safe_input import SafeZip, local, parse_xml
from question_bank.messages import msg
from question_bank.model import TF_CLUSTER_TABLE, Answer, Media, Option, Pair, Question, Scoring, Statement

SA4_MASK = r"[0-9,\-]{1,4}"
INTERACTIONS = {"choiceInteraction", "textEntryInteraction", "matchInteraction", "orderInteraction", "extendedTextInteraction"}
ALL_INTERACTIONS = INTERACTIONS | qti_blanks.BLANK_INTERACTIONS
SUPPORTED = {"single_choice", "multiple_response", "true_false", "short_text", "numeric", "short_answer4", "matching", "ordering", "essay", "description", "tf_cluster", "cloze", "gapselect", "ddwtos"}
# Attributes QTI allows on a response declaration (qti-sdk refuses others against the XSD).
DECLARATION_ATTRIBUTES = {"identifier", "cardinality", "baseType", "schemaLocation"}
IMG_SRC = re.compile(r'(<img\b[^>]*?\bsrc=")([^"]+)(")')


def _strip_ns(root: Element) -> Element:
    for node in root.iter():
        node.tag = local(node.tag)
        for key in list(node.attrib):
            if "}" in key:
                node.attrib[local(key)] = node.attrib.pop(key)
    return root


_inner = inner


# -- import -------------------------------------------------------------------------------
def read(data: bytes, file: str) -> ImportResult:
    package = SafeZip(data, file)
    issues = Issues(file)
    if "imsmanifest.xml" not in package:
        issues.error("imsmanifest.xml", msg("qb.qti.no_manifest"))
        issues.raise_if_errors()
    manifest = _strip_ns(parse_xml(package.read("imsmanifest.xml"), f"{file}: imsmanifest.xml"))
    questions: list[Question] = []
    locations: list[Place] = []
    for resource in manifest.iter("resource"):
        if not resource.get("type", "").startswith(("imsqti_item_xmlv2p", "imsqti_item_xmlv3p0")):
            continue
        href = resource.get("href", "")
        where = href or resource.get("identifier", "?")
        if href not in package:
            issues.error(where, msg("qb.qti.item_missing"))
            continue
        item = parse_xml(package.read(href), f"{file}: {href}")
        version = namespace(item.tag)
        if version not in QTI_NAMESPACES_V2 and version != QTI3_NS:
            issues.error(where, msg("qb.qti.unknown_namespace", namespace=version))
            continue
        item = _strip_ns(item)
        if version == QTI3_NS:
            item = qti3.to_v2(item)
        files = [f.get("href", "") for f in resource.iter("file") if f.get("href") != href]
        media = _media(package, files, issues, where)
        meta = resource.find("metadata")
        try:
            blank_meta = json.loads(meta.findtext("blanks") or "{}") if meta is not None else {}
        except ValueError:
            blank_meta = {}
        try:
            question = _item(item, issues, where, blank_meta if isinstance(blank_meta, dict) else {})
        except ValueError as exc:  # a number attribute that is not a number
            issues.error(where, msg("qb.invalid_value", detail=str(exc)))
            continue
        if question is None:
            continue
        question.media = media
        question.stem = IMG_SRC.sub(lambda m: m.group(1) + "@@MEDIA/" + posixpath.basename(m.group(2)) + m.group(3), question.stem)
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
            issues.error(where, msg("qb.qti.file_missing", href=href))
            continue
        name = posixpath.basename(path)
        media.append(Media(name, mimetypes.guess_type(name)[0] or "application/octet-stream", b64encode(package.read(path)).decode()))
    return media


def _item(item: Element, issues: Issues, where: str, meta: dict | None = None) -> Question | None:
    if item.tag != "assessmentItem":
        issues.error(where, msg("qb.qti.not_item", tag=item.tag))
        return None
    body = item.find("itemBody")
    if body is None:
        issues.error(where, msg("qb.qti.no_body"))
        return None
    for declared in item.iter("responseDeclaration"):
        unknown = sorted(set(declared.attrib) - DECLARATION_ATTRIBUTES)
        if unknown:
            issues.error(where, msg("qb.qti.bad_attributes", names=", ".join(unknown)))
            return None
    other = sorted({n.tag for n in body.iter() if n.tag.endswith("Interaction") and n.tag not in ALL_INTERACTIONS})
    if other:
        issues.error(where, msg("qb.qti.unsupported_interaction", names=", ".join(other)))
        return None
    every = [n for n in body.iter() if n.tag in ALL_INTERACTIONS]
    if qti_blanks.is_blank_item(every, meta or {}):
        return _blank_item(item, body, every, meta or {}, issues, where)
    interactions = [n for n in body.iter() if n.tag in INTERACTIONS]
    if len(interactions) > 1:
        issues.error(where, msg("qb.qti.several_interactions"))
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
    common: dict[str, Any] = {"stem": stem, "points": points, "title": item.get("title", ""), "general_feedback": _inner(feedback) if feedback is not None else ""}
    if interaction is None:
        return Question("description", **common)
    kind = interaction.tag
    if declaration is None and kind != "extendedTextInteraction":
        issues.error(where, msg("qb.qti.declaration_missing"))
        return None
    declared = declaration if declaration is not None else Element("responseDeclaration")  # an essay may have none
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
        single = interaction.get("maxChoices", "1") == "1" and declared.get("cardinality") == "single"
        # Other tools map choices to points (qti-sdk's Sachsen items: 1 per right choice, MAXSCORE 3);
        # the bank keeps fractions of the question, so credits above 100 % are scaled down.
        full = max((o.fraction for o in options), default=0.0) if single else sum(o.fraction for o in options if o.fraction > 0)
        if mapping and full > 1.0 + 1e-9:
            for o in options:
                o.fraction = round(o.fraction / full, 10)
        if single:
            return Question("single_choice", options=options, **common)
        scoring = Scoring(mode="partial" if mapping else "all_or_nothing", negative=any(o.fraction < 0 for o in options))
        return Question("multiple_response", options=options, scoring=scoring, **common)
    if kind == "textEntryInteraction":
        if interaction.get("patternMask") == SA4_MASK:
            return Question("short_answer4", answers=[Answer(v) for v in correct], scoring=Scoring(mode="exact"), **common)
        if declared.get("baseType") in ("float", "integer"):
            # The tolerance of the <equal> comparing this response (a relative one made absolute).
            found = qti_blanks.numeric_answers(item, declared.get("identifier", ""), correct)
            return Question("numeric", answers=[Answer(a.text, 1.0, a.tolerance) for a in found[:1]], **common)
        if mapping:
            answers = [Answer(k, float(e.get("mappedValue", "1"))) for k, e in mapping.items()]
            case = next(iter(mapping.values())).get("caseSensitive", "true") == "true"
        else:
            answers, case = [Answer(v) for v in correct], True
        return Question("short_text", answers=answers, scoring=Scoring(mode="exact" if case else "ci"), **common)
    if kind == "matchInteraction":
        sets = interaction.findall("simpleMatchSet")
        if len(sets) != 2:
            issues.error(where, msg("qb.qti.two_match_sets"))
            return None
        lefts = {c.get("identifier", ""): _inner(c) for c in sets[0].iter("simpleAssociableChoice")}
        rights = {c.get("identifier", ""): _inner(c) for c in sets[1].iter("simpleAssociableChoice")}
        if sorted(rights) == ["false", "true"]:
            verdicts = dict(value.split(" ", 1) for value in correct if " " in value)
            if set(verdicts) != set(lefts):
                issues.error(where, msg("qb.qti.one_verdict"))
                return None
            statements = [Statement(ident, text, verdicts[ident] == "true") for ident, text in lefts.items()]
            return Question("tf_cluster", statements=statements, scoring=Scoring(table=dict(TF_CLUSTER_TABLE)), **common)
        pairs, used = [], set()
        for value in correct:
            left_id, _, right_id = value.partition(" ")
            if left_id not in lefts or right_id not in rights:
                issues.error(where, msg("qb.qti.unknown_pair", value=value))
                return None
            pairs.append(Pair(left_id, lefts[left_id], rights[right_id], right_id))
            used.add(right_id)
        pairs += [Pair(f"d{i}", "", text, rid) for i, (rid, text) in enumerate(rights.items(), start=1) if rid not in used]
        return Question("matching", pairs=pairs, **common)
    if kind == "orderInteraction":
        texts = {c.get("identifier", ""): (_inner(c), c.get("fixed") == "true") for c in interaction.iter("simpleChoice")}
        missing = [c for c in correct if c not in texts]
        if missing or len(correct) != len(texts):
            issues.error(where, msg("qb.qti.bad_order"))
            return None
        return Question("ordering", options=[Option(c, texts[c][0], locked=texts[c][1]) for c in correct], **common)
    return Question("essay", rubric=rubric, **common)


def _blank_item(item: Element, body: Element, interactions: list[Element], meta: dict, issues: Issues, where: str) -> Question | None:
    """cloze / gapselect / ddwtos (`qti_blanks`), with the common parts read here."""
    max_score = item.find("outcomeDeclaration[@identifier='MAXSCORE']/defaultValue/value")
    feedback = item.find("modalFeedback")
    common: dict[str, Any] = {
        "points": float(max_score.text or 1) if max_score is not None else 1.0,
        "title": item.get("title", ""),
        "general_feedback": _inner(feedback) if feedback is not None else "",
    }
    for parent in list(body.iter()):
        for block in [c for c in parent if c.tag == "rubricBlock"]:
            parent.remove(block)
    return qti_blanks.read_item(item, body, interactions, meta, common, issues, where)


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
def write(questions: list[Question], file: str, version: str = "2.1") -> bytes:
    """A content package of QTI 2.1 items, or of QTI 3.0 items with `version="3.0"`."""
    v3 = version == "3.0"
    refuse_unsupported(questions, SUPPORTED, file, f"QTI {version}")
    errors = [
        FormatIssue(file, msg("qb.where.question", number=i), msg("qb.qti.one_numeric_answer"))
        for i, q in enumerate(questions, start=1)
        if q.type == "numeric" and len(q.answers) != 1
    ]
    if errors:
        raise ExportFailed(errors)
    manifest = Element("manifest", {"xmlns": CP3_NS if v3 else CP_NS, "xmlns:qb": QB_NS, "identifier": "MANIFEST-QB"})
    SubElement(manifest, "organizations")
    resources = SubElement(manifest, "resources")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        for number, q in enumerate(questions, start=1):
            href = f"items/item{number}.xml"
            kind = "imsqti_item_xmlv3p0" if v3 else "imsqti_item_xmlv2p1"
            resource = SubElement(resources, "resource", {"identifier": f"RES{number}", "type": kind, "href": href})
            meta = SubElement(resource, "metadata")
            SubElement(meta, "qb:topic").text = q.topic
            SubElement(meta, "qb:difficulty").text = q.difficulty
            for tag in q.tags:
                SubElement(meta, "qb:tag").text = tag
            if q.type in qti_blanks.BLANK_TYPES:
                SubElement(meta, "qb:blanks").text = qti_blanks.metadata(q)
            SubElement(resource, "file", {"href": href})
            for m in q.media:
                SubElement(resource, "file", {"href": f"items/media/{number}/{m.name}"})
                package.writestr(f"items/media/{number}/{m.name}", b64decode(m.data_b64))
            tree = qti_blanks.item_xml(q, number) if q.type in qti_blanks.BLANK_TYPES else _item_xml(q, number)
            package.writestr(href, ET.tostring(qti3.to_v3(tree) if v3 else tree, encoding="utf-8", xml_declaration=True))
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
                for cell in (criterion.id, f"{criterion.max_points:g}", criterion.description):
                    SubElement(row, "td").text = cell
        interaction = SubElement(body, "extendedTextInteraction", {"responseIdentifier": "RESPONSE"})
        SubElement(interaction, "prompt").text = q.stem
    else:  # description: no response to declare
        SubElement(body, "div").text = q.stem
    if q.type != "description":
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

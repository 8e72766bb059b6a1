"""The blank types (cloze, gapselect, ddwtos) as QTI items, both ways (2.1 names; `qti3` renames).

    cloze      one item, one interaction per blank where its `{#N}` stands, response
               RESPONSE_N: multichoice drop-down → inlineChoiceInteraction; multichoice
               vertical/horizontal → choiceInteraction maxChoices=1 (orientation);
               multiresponse → choiceInteraction maxChoices=0; shortanswer →
               textEntryInteraction, string, <mapping> with caseSensitive; numerical →
               textEntryInteraction, float, each answer an <equal toleranceMode="absolute">.
               Choice credits travel in <mapping>; the responseProcessing adds every blank's
               mapResponse (or numeric credit) × points × weight / Σ weights to SCORE.
    gapselect  one inlineChoiceInteraction per gap offering its group's choices, no mapping
               (match_correct per gap); SCORE += points / gaps for every right gap.
    ddwtos     one gapMatchInteraction: gapText per choice (matchMax 0 = infinite, 1 = once),
               <gap identifier="GN"/> in the text, directedPair "choice GN", map_response.

What QTI cannot say (the blank weights, choice groups and which of the three types it is)
travels in the manifest metadata (`qb:blanks`), so our packages come back as they went;
items from other tools are read from the interactions alone (weights 1, group 1; only
inline choices → gapselect). Not carried: per-alternative feedback of cloze blanks;
Moodle's shortanswer wildcard `*` travels as a literal map key (other tools compare it as
text); a numerical `*` (any number) travels as "not null".
"""

from __future__ import annotations

import json
from typing import Any
from xml.etree.ElementTree import Element, SubElement

from question_bank.formats.collect import Issues
from question_bank.formats.qti_common import QTI_NS, TEMPLATE, inner
from question_bank.messages import msg
from question_bank.model import BLANK_TYPES, PLACEHOLDER, Blank, BlankAnswer, BlankLayout, GapChoice, Question

__all__ = ["BLANK_INTERACTIONS", "BLANK_TYPES", "is_blank_item", "item_xml", "numeric_answers", "metadata", "read_item"]
BLANK_INTERACTIONS = {"inlineChoiceInteraction", "textEntryInteraction", "choiceInteraction", "gapMatchInteraction"}


# -- export ---------------------------------------------------------------------------------
def metadata(q: Question) -> str:
    """The JSON kept in the manifest for what QTI itself cannot hold."""
    data: dict[str, Any] = {"type": q.type, "weights": {b.id: b.weight for b in q.blanks}}
    if q.type in ("gapselect", "ddwtos"):
        data["groups"] = {c.id: c.group for c in q.choices}
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def _value(parent: Element, text: str) -> None:
    SubElement(parent, "value").text = text


def _add_score(processing: Element, amount: Element) -> Element:
    """SCORE := SCORE + amount (returns the setOutcomeValue)."""
    setter = Element("setOutcomeValue", {"identifier": "SCORE"})
    total = SubElement(setter, "sum")
    SubElement(total, "variable", {"identifier": "SCORE"})
    total.append(amount)
    processing.append(setter)
    return setter


def _float(value: float) -> Element:
    node = Element("baseValue", {"baseType": "float"})
    node.text = f"{value:.10g}"
    return node


def _stem_with(container: Element, stem: str, make: Any) -> None:
    """Put `stem` into `container`, each `{#N}` replaced by `make(N)` (an element)."""
    last: Element | None = None
    position = 0
    container.text = ""
    for match in PLACEHOLDER.finditer(stem):
        text = stem[position : match.start()]
        if last is None:
            container.text = text
        else:
            last.tail = text
        last = make(match.group(1))
        container.append(last)
        position = match.end()
    if last is None:
        container.text = stem[position:]
    else:
        last.tail = stem[position:]


def item_xml(q: Question, number: int) -> Element:
    item = Element("assessmentItem", {"xmlns": QTI_NS, "identifier": f"ITEM{number}", "title": q.title, "adaptive": "false", "timeDependent": "false"})
    declarations: list[Element] = []
    body = Element("itemBody")
    processing = Element("responseProcessing")
    blanks = {b.id: b for b in q.blanks}
    if q.type == "ddwtos":
        declaration = Element("responseDeclaration", {"identifier": "RESPONSE", "cardinality": "multiple", "baseType": "directedPair"})
        correct = SubElement(declaration, "correctResponse")
        mapping = SubElement(declaration, "mapping", {"defaultValue": "0"})
        share = q.points / len(q.blanks) if q.blanks else 0.0
        for b in q.blanks:
            _value(correct, f"{b.key} G{b.id}")
            SubElement(mapping, "mapEntry", {"mapKey": f"{b.key} G{b.id}", "mappedValue": f"{share:.10g}"})
        declarations.append(declaration)
        interaction = SubElement(body, "gapMatchInteraction", {"responseIdentifier": "RESPONSE", "shuffle": "true" if q.shuffle_choices else "false"})
        for c in q.choices:
            SubElement(interaction, "gapText", {"identifier": c.id, "matchMax": "0" if c.infinite else "1"}).text = c.text
        _stem_with(SubElement(interaction, "p"), q.stem, lambda n: Element("gap", {"identifier": f"G{n}"}))
        processing = Element("responseProcessing", {"template": TEMPLATE + "map_response"})
    elif q.type == "gapselect":
        share = q.points / len(q.blanks) if q.blanks else 0.0

        def gap(n: str) -> Element:
            blank = blanks[n]
            declaration = Element("responseDeclaration", {"identifier": f"RESPONSE_{n}", "cardinality": "single", "baseType": "identifier"})
            _value(SubElement(declaration, "correctResponse"), blank.key)
            declarations.append(declaration)
            node = Element("inlineChoiceInteraction", {"responseIdentifier": f"RESPONSE_{n}", "shuffle": "true" if q.shuffle_choices else "false"})
            for c in q.choices:
                if c.group == blank.group:
                    SubElement(node, "inlineChoice", {"identifier": c.id}).text = c.text
            condition = SubElement(SubElement(processing, "responseCondition"), "responseIf")
            match = SubElement(condition, "match")
            SubElement(match, "variable", {"identifier": f"RESPONSE_{n}"})
            SubElement(match, "correct", {"identifier": f"RESPONSE_{n}"})
            _add_score(condition, _float(share))
            return node

        _stem_with(SubElement(body, "div"), q.stem, gap)
    else:  # cloze
        weights = sum(b.weight for b in q.blanks) or 1.0

        def blank_node(n: str) -> Element:
            blank = blanks[n]
            scale = q.points * blank.weight / weights
            declaration, node = _cloze_blank(blank, f"RESPONSE_{n}")
            declarations.append(declaration)
            if blank.kind == "numerical":
                condition = SubElement(processing, "responseCondition")
                for index, answer in enumerate(sorted(blank.answers, key=lambda a: -a.fraction)):
                    branch = SubElement(condition, "responseIf" if index == 0 else "responseElseIf")
                    if answer.text.strip() == "*":
                        test = SubElement(SubElement(branch, "not"), "isNull")
                        SubElement(test, "variable", {"identifier": f"RESPONSE_{n}"})
                    else:
                        tol = f"{answer.tolerance:.10g}"
                        test = SubElement(branch, "equal", {"toleranceMode": "absolute", "tolerance": f"{tol} {tol}"})
                        SubElement(test, "variable", {"identifier": f"RESPONSE_{n}"})
                        SubElement(test, "baseValue", {"baseType": "float"}).text = answer.text.replace(",", ".")
                    _add_score(branch, _float(scale * answer.fraction))
            else:
                product = Element("product")
                SubElement(product, "mapResponse", {"identifier": f"RESPONSE_{n}"})
                product.append(_float(scale))
                _add_score(processing, product)
            return node

        _stem_with(SubElement(body, "div"), q.stem, blank_node)
    for declaration in declarations:
        item.append(declaration)
    for identifier, value in (("SCORE", "0"), ("MAXSCORE", f"{q.points:g}")):
        outcome = SubElement(item, "outcomeDeclaration", {"identifier": identifier, "cardinality": "single", "baseType": "float"})
        SubElement(SubElement(outcome, "defaultValue"), "value").text = value
    item.append(body)
    item.append(processing)
    if q.general_feedback:
        feedback = SubElement(item, "modalFeedback", {"outcomeIdentifier": "FEEDBACK", "identifier": "GENERAL", "showHide": "show"})
        feedback.text = q.general_feedback
    return item


def _cloze_blank(blank: Blank, response: str) -> tuple[Element, Element]:
    declaration = Element("responseDeclaration", {"identifier": response})
    correct = SubElement(declaration, "correctResponse")
    if blank.kind in ("multichoice", "multiresponse"):
        single = blank.kind == "multichoice"
        declaration.attrib.update(cardinality="single" if single else "multiple", baseType="identifier")
        best = max((a.fraction for a in blank.answers), default=0.0)
        for a in blank.answers:
            if (single and a.fraction == best) or (not single and a.fraction > 0):
                _value(correct, a.id)
                if single:
                    break
        mapping = SubElement(declaration, "mapping", {"defaultValue": "0", "lowerBound": "0" if not single else "-1", "upperBound": "1"})
        for a in blank.answers:
            if a.fraction:
                SubElement(mapping, "mapEntry", {"mapKey": a.id, "mappedValue": f"{a.fraction:.10g}"})
        shuffle = "true" if blank.shuffle else "false"
        if single and blank.layout in ("", "dropdown"):
            node = Element("inlineChoiceInteraction", {"responseIdentifier": response, "shuffle": shuffle})
            for a in blank.answers:
                SubElement(node, "inlineChoice", {"identifier": a.id}).text = a.text
        else:
            attrs = {"responseIdentifier": response, "shuffle": shuffle, "maxChoices": "1" if single else "0"}
            if blank.layout == "horizontal":
                attrs["orientation"] = "horizontal"
            node = Element("choiceInteraction", attrs)
            for a in blank.answers:
                SubElement(node, "simpleChoice", {"identifier": a.id}).text = a.text
        return declaration, node
    numeric = blank.kind == "numerical"
    declaration.attrib.update(cardinality="single", baseType="float" if numeric else "string")
    best_answer = max(blank.answers, key=lambda a: a.fraction, default=None)
    if best_answer is not None and not (numeric and best_answer.text.strip() == "*"):
        _value(correct, best_answer.text.replace(",", ".") if numeric else best_answer.text)
    if not numeric:
        mapping = SubElement(declaration, "mapping", {"defaultValue": "0"})
        case = "true" if blank.case_sensitive else "false"
        for a in blank.answers:
            if a.fraction:
                SubElement(mapping, "mapEntry", {"mapKey": a.text, "mappedValue": f"{a.fraction:.10g}", "caseSensitive": case})
    if not len(correct):
        declaration.remove(correct)
    return declaration, Element("textEntryInteraction", {"responseIdentifier": response, "expectedLength": "20"})


# -- import ---------------------------------------------------------------------------------
def is_blank_item(interactions: list[Element], meta: dict[str, Any]) -> bool:
    """Several interactions inline in the text, inline choices, a gap match, or our metadata."""
    if clean_metadata(meta).get("type") in BLANK_TYPES and interactions:
        return True
    kinds = {i.tag for i in interactions}
    if "gapMatchInteraction" in kinds or "inlineChoiceInteraction" in kinds:
        return True
    return len(interactions) > 1 and kinds <= BLANK_INTERACTIONS


def clean_metadata(meta: Any) -> dict[str, Any]:
    """Our `qb:blanks` JSON, keeping only well-formed entries (the file may come from anywhere)."""
    if not isinstance(meta, dict):
        return {}
    out: dict[str, Any] = {}
    if meta.get("type") in BLANK_TYPES:
        out["type"] = meta["type"]
    for key, kind in (("weights", float), ("groups", int)):
        values = meta.get(key)
        if isinstance(values, dict):
            out[key] = {
                str(k): kind(v) for k, v in values.items()
                if isinstance(v, int | float) and not isinstance(v, bool) and 0 <= v < 1e6
            }  # fmt: skip
    return out


def read_item(item: Element, body: Element, interactions: list[Element], meta: dict[str, Any], common: dict[str, Any], issues: Issues, where: str) -> Question | None:
    meta = clean_metadata(meta)
    declarations = {d.get("identifier", ""): d for d in item.iter("responseDeclaration")}
    kinds = {i.tag for i in interactions}
    if "gapMatchInteraction" in kinds:
        if len(interactions) != 1:
            issues.error(where, msg("qb.qti.gap_match_alone"))
            return None
        return _read_ddwtos(interactions[0], body, declarations, meta, common, issues, where)
    unsupported = kinds - BLANK_INTERACTIONS
    if unsupported:
        issues.error(where, msg("qb.qti.cloze_interaction", names=", ".join(sorted(unsupported))))
        return None
    responses = []
    for interaction in interactions:
        declaration = declarations.get(interaction.get("responseIdentifier", ""))
        if declaration is None:
            issues.error(where, msg("qb.qti.declaration_missing_for", name=interaction.get("responseIdentifier", "?")))
            return None
        responses.append(declaration)
    gapselect = meta.get("type") == "gapselect" or (
        "type" not in meta and kinds == {"inlineChoiceInteraction"} and all(d.find("mapping") is None for d in responses)
    )
    ids = [str(n) for n in range(1, len(interactions) + 1)]
    stem = _placeholders(body, interactions, ids)
    if gapselect:
        return _read_gapselect(interactions, responses, ids, stem, meta, common, issues, where)
    weights = meta.get("weights", {})
    blanks = []
    for blank_id, interaction, declaration in zip(ids, interactions, responses, strict=True):
        blank = _read_cloze_blank(item, interaction, declaration, blank_id, issues, where)
        if blank is None:
            return None
        blank.weight = float(weights.get(blank_id, 1.0))
        blanks.append(blank)
    return Question("cloze", stem=stem, blanks=blanks, **common)


def _placeholders(body: Element, interactions: list[Element], ids: list[str]) -> str:
    """The body's text with each interaction replaced by `{#N}` (and prompts dropped)."""
    for parent in list(body.iter()):
        for child in list(parent):
            if child in interactions:
                index = parent[:].index(child)
                placeholder = "{#" + ids[interactions.index(child)] + "}" + (child.tail or "")
                parent.remove(child)
                if index == 0:
                    parent.text = (parent.text or "") + placeholder
                else:
                    previous = parent[index - 1]
                    previous.tail = (previous.tail or "") + placeholder
    container = body
    while len(container) == 1 and container[0].tag in ("p", "div") and not (container.text or "").strip() and not (container[0].tail or "").strip():
        container = container[0]
    return inner(container)


def _mapping(declaration: Element) -> dict[str, Element]:
    return {e.get("mapKey", ""): e for e in declaration.iterfind("mapping/mapEntry")}


def _read_cloze_blank(item: Element, interaction: Element, declaration: Element, blank_id: str, issues: Issues, where: str) -> Blank | None:
    correct = [v.text or "" for v in declaration.iterfind("correctResponse/value")]
    mapping = _mapping(declaration)
    shuffle = interaction.get("shuffle") == "true"
    if interaction.tag in ("inlineChoiceInteraction", "choiceInteraction"):
        tag = "inlineChoice" if interaction.tag == "inlineChoiceInteraction" else "simpleChoice"
        single = interaction.tag == "inlineChoiceInteraction" or (interaction.get("maxChoices", "1") == "1" and declaration.get("cardinality") == "single")
        answers = []
        for choice in interaction.iter(tag):
            ident = choice.get("identifier", "")
            if mapping:
                fraction = float(mapping[ident].get("mappedValue", "0")) if ident in mapping else 0.0
            else:
                fraction = 1.0 if ident in correct else 0.0
            if not mapping and not single and correct:
                fraction = 1.0 / len(correct) if ident in correct else 0.0
            answers.append(BlankAnswer(inner(choice), fraction, id=""))
        layout: BlankLayout = "dropdown" if interaction.tag == "inlineChoiceInteraction" else ("horizontal" if interaction.get("orientation") == "horizontal" else "vertical")
        return Blank(blank_id, "multichoice" if single else "multiresponse", layout=layout, shuffle=shuffle, answers=answers)
    numeric = declaration.get("baseType") in ("float", "integer")
    if numeric:
        answers = numeric_answers(item, declaration.get("identifier", ""), correct)
        if not answers:
            issues.error(where, msg("qb.qti.numeric_blank", blank=blank_id))
            return None
        return Blank(blank_id, "numerical", answers=answers)
    if mapping:
        answers = [BlankAnswer(k, float(e.get("mappedValue", "1"))) for k, e in mapping.items()]
        case = next(iter(mapping.values())).get("caseSensitive", "true") == "true"
    else:
        answers, case = [BlankAnswer(v, 1.0) for v in correct], True
    return Blank(blank_id, "shortanswer", case_sensitive=case, answers=answers)


def numeric_answers(item: Element, response: str, correct: list[str]) -> list[BlankAnswer]:
    """Numeric answers: our `equal` branches (value, tolerance, credit), else the correct value
    with the tolerance of an `equal` comparing the response with it (relative → absolute)."""
    answers: list[BlankAnswer] = []
    for branch in item.iter():
        if branch.tag not in ("responseIf", "responseElseIf"):
            continue
        test = branch[0] if len(branch) else None
        if test is not None and test.tag == "not" and test.find(f"isNull/variable[@identifier='{response}']") is not None:
            added = branch.find("setOutcomeValue/sum/baseValue")  # our writer's "*": any number
            answers.append(BlankAnswer("*", float(added.text or "0") if added is not None else 1.0))
            continue
        if test is None or test.tag != "equal" or test.find(f"variable[@identifier='{response}']") is None:
            continue
        value = test.find("baseValue")
        expected = (value.text or "").strip() if value is not None else (correct[0] if correct and test.find("correct") is not None else "")
        if not expected:
            continue
        tolerance = float((test.get("tolerance") or "0").split()[0])
        if test.get("toleranceMode") == "relative":
            tolerance = abs(float(expected)) * tolerance / 100
        elif test.get("toleranceMode", "exact") == "exact":
            tolerance = 0.0
        added = branch.find("setOutcomeValue/sum/baseValue")
        fraction = 1.0 if value is None or added is None else float(added.text or "0")
        answers.append(BlankAnswer(expected, fraction, tolerance=tolerance))
    if answers and any(a.fraction != 1.0 for a in answers) and value_scale(answers) > 0:
        scale = value_scale(answers)
        for a in answers:
            a.fraction = round(a.fraction / scale, 10)
    if not answers and correct:
        answers = [BlankAnswer(correct[0], 1.0)]
    return answers


def value_scale(answers: list[BlankAnswer]) -> float:
    """Our writer adds credit × scale; the best answer is worth 100 %, so its amount is the scale."""
    return max(a.fraction for a in answers)


def _read_gapselect(interactions: list[Element], responses: list[Element], ids: list[str], stem: str, meta: dict[str, Any], common: dict[str, Any], issues: Issues, where: str) -> Question | None:
    groups: list[tuple[tuple[str, str], ...]] = []  # one entry per distinct set of choices
    choices: list[GapChoice] = []
    originals: list[tuple[int, str]] = []  # (group, original id) of each choice
    blanks = []
    meta_groups = meta.get("groups", {})
    for blank_id, interaction, declaration in zip(ids, interactions, responses, strict=True):
        offered = tuple((c.get("identifier", ""), inner(c)) for c in interaction.iter("inlineChoice"))
        if offered not in groups:
            groups.append(offered)
            group = len(groups)
            for ident, text in offered:
                choices.append(GapChoice("", text, int(meta_groups.get(ident, group))))
                originals.append((group, ident))
        group = groups.index(offered) + 1
        correct = [v.text or "" for v in declaration.iterfind("correctResponse/value")]
        if len(correct) != 1 or correct[0] not in {i for i, _ in offered}:
            issues.error(where, msg("qb.qti.gap_key_not_choice", blank=blank_id))
            return None
        blanks.append((blank_id, group, correct[0]))
    question = Question("gapselect", stem=stem, choices=choices, shuffle_choices=any(i.get("shuffle") == "true" for i in interactions), **common)
    new_id = {original: c.id for original, c in zip(originals, question.choices, strict=True)}
    question.blanks = [Blank(b, "gap", group=question.choices[originals.index((g, key))].group, key=new_id[(g, key)]) for b, g, key in blanks]
    return question


def _read_ddwtos(interaction: Element, body: Element, declarations: dict[str, Element], meta: dict[str, Any], common: dict[str, Any], issues: Issues, where: str) -> Question | None:
    declaration = declarations.get(interaction.get("responseIdentifier", ""))
    if declaration is None:
        issues.error(where, msg("qb.qti.gap_match_declaration"))
        return None
    texts = [g for g in interaction if g.tag == "gapText"]
    gaps = [g for g in interaction.iter("gap")]
    if not gaps:
        issues.error(where, msg("qb.qti.no_gaps"))
        return None
    meta_groups = meta.get("groups", {})
    originals = [t.get("identifier", "") for t in texts]
    choices = [GapChoice("", inner(t), int(meta_groups.get(t.get("identifier", ""), 1)), t.get("matchMax", "1") == "0") for t in texts]
    for node in texts + [p for p in interaction if p.tag == "prompt"]:
        interaction.remove(node)
    pairs: dict[str, str] = {}
    for v in declaration.iterfind("correctResponse/value"):
        if " " in (v.text or ""):
            choice_id, gap_id = (v.text or "").split(" ", 1)
            pairs[gap_id] = choice_id
    ids = [str(n) for n in range(1, len(gaps) + 1)]
    keys = []
    for blank_id, gap in zip(ids, gaps, strict=True):
        key = pairs.get(gap.get("identifier", ""))
        if key not in originals:
            issues.error(where, msg("qb.qti.gap_without_text", blank=blank_id, gap=gap.get("identifier", "?")))
            return None
        keys.append(key)
    # The text of the interaction (its gaps as placeholders) takes the interaction's place.
    stem = _placeholders(interaction, gaps, ids)
    question = Question("ddwtos", stem=stem, choices=choices, shuffle_choices=interaction.get("shuffle") == "true", **common)
    outside = _placeholders(body, [interaction], ["0"])
    if outside.strip() != "{#0}":
        question.stem = outside.replace("{#0}", stem)
    question.blanks = [
        Blank(b, "gap", group=question.choices[originals.index(k)].group, key=question.choices[originals.index(k)].id) for b, k in zip(ids, keys, strict=True)
    ]
    return question

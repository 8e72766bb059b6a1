"""IMS QTI 3.0 content packages: the QTI 2.1 reader and writer (`qti`) with 3.0 names.

QTI 3.0 (namespace `http://www.imsglobal.org/xsd/imsqtiasi_v3p0`) renamed QTI 2.x rather
than changing it: every QTI element is `qti-` + its 2.x name in kebab case
(`choiceInteraction` → `qti-choice-interaction`, `mapEntry` → `qti-map-entry`), its
attributes are kebab case (`responseIdentifier` → `response-identifier`), the HTML content
stays as it is, item resources are typed `imsqti_item_xmlv3p0`, the manifest lives in
`http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1` and response-processing templates
under `https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/`. So `to_v2` renames a 3.0
item for the 2.1 reader and `to_v3` renames what the 2.1 writer built; the hostile-file
guards (defusedxml without DTDs, `SafeZip`) are the same code for both versions.

`read` is `qti.read` (it tells the versions apart per item); `write` writes 3.0.
"""

from __future__ import annotations

import re
from functools import lru_cache
from xml.etree.ElementTree import Element

from question_bank.errors import ImportResult
from question_bank.formats.qti_common import QTI3_NS, TEMPLATE, TEMPLATE3
from question_bank.model import Question

PREFIX = "qti-"
# HTML (XHTML) elements QTI items carry in their content; they keep their names.
HTML = frozenset(
    ["a", "abbr", "address", "b", "bdo", "big", "blockquote", "br", "caption", "cite", "code", "col", "colgroup", "dd", "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "label", "li", "ol", "p", "pre", "q", "samp", "small", "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "tt", "ul", "var", "math", "audio", "video", "source", "track", "picture", "ruby", "rt", "rp", "bdi"]
)
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


@lru_cache(maxsize=1024)
def kebab(name: str) -> str:
    return _CAMEL.sub("-", name).lower()


@lru_cache(maxsize=1024)
def camel(name: str) -> str:
    head, *rest = name.split("-")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


# 3.0 wraps the content of these in <qti-content-body>; 2.1 holds it directly.
WRAPPED = ("rubricBlock", "modalFeedback")


def _unwrap(parent: Element, wrapper: Element) -> None:
    """Replace `wrapper` (a child of `parent`) by its content."""
    index = list(parent).index(wrapper)
    parent.remove(wrapper)
    text = wrapper.text or ""
    if index == 0:
        parent.text = (parent.text or "") + text
    else:
        parent[index - 1].tail = (parent[index - 1].tail or "") + text
    for offset, child in enumerate(list(wrapper)):
        parent.insert(index + offset, child)
    if wrapper.tail:
        if len(wrapper):
            last = wrapper[-1]
            last.tail = (last.tail or "") + wrapper.tail
        elif index == 0:
            parent.text = (parent.text or "") + wrapper.tail
        else:
            parent[index - 1].tail = (parent[index - 1].tail or "") + wrapper.tail


def to_v2(root: Element) -> Element:
    """A namespace-free QTI 3.0 tree renamed to QTI 2.1 names, in place."""
    if root.find(".//qti-content-body") is not None:
        for parent in list(root.iter()):
            for child in [c for c in parent if c.tag == "qti-content-body"]:
                _unwrap(parent, child)
    for node in root.iter():
        if node.tag.startswith(PREFIX):
            node.tag = camel(node.tag[len(PREFIX) :])
            for key in [k for k in node.attrib if "-" in k and not k.startswith("data-")]:
                node.attrib[camel(key)] = node.attrib.pop(key)
            template = node.get("template", "")
            if node.tag == "responseProcessing" and template.startswith(TEMPLATE3):
                node.set("template", TEMPLATE + template[len(TEMPLATE3) :].removesuffix(".xml"))
    return root


def to_v3(root: Element) -> Element:
    """A QTI 2.1 tree (as `qti` writes it) renamed to QTI 3.0, in place."""
    for node in list(root.iter()):
        if node.tag in WRAPPED:
            body = Element("qti-content-body")
            body.text, node.text = node.text, None
            for child in list(node):
                node.remove(child)
                body.append(child)
            node.append(body)
    for node in root.iter():
        if node.tag in HTML or ":" in node.tag or node.tag.startswith(PREFIX):
            continue
        node.tag = PREFIX + kebab(node.tag)
        for key in list(node.attrib):
            if key == "xmlns":
                node.attrib[key] = QTI3_NS
            elif any(ch.isupper() for ch in key):
                node.attrib[kebab(key)] = node.attrib.pop(key)
        template = node.get("template", "")
        if template.startswith(TEMPLATE):
            node.set("template", TEMPLATE3 + template[len(TEMPLATE) :] + ".xml")
    return root


def read(data: bytes, file: str) -> ImportResult:
    from question_bank.formats import qti

    return qti.read(data, file)


def write(questions: list[Question], file: str) -> bytes:
    from question_bank.formats import qti

    return qti.write(questions, file, version="3.0")

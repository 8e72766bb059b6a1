"""What the QTI 2.1 and 3.0 readers and writers share: namespaces, and element content as text.

QTI 3.0 is QTI 2.x with kebab-case element names carrying a `qti-` prefix
(`assessmentItem` → `qti-assessment-item`) and kebab-case attributes
(`responseIdentifier` → `response-identifier`) in the namespace `imsqtiasi_v3p0`; the
readers and writers work on 2.1 names and `qti3` renames at the edge.
"""

from __future__ import annotations

from xml.etree import ElementTree as ET
from xml.etree.ElementTree import Element
from xml.sax.saxutils import escape

QTI_NS = "http://www.imsglobal.org/xsd/imsqti_v2p1"
QTI_NAMESPACES_V2 = frozenset({
    "",  # no namespace: qti-sdk reads such a file as 2.1, so do we
    "http://www.imsglobal.org/xsd/imsqti_v2p0",
    QTI_NS,
    "http://www.imsglobal.org/xsd/imsqti_v2p2",
})
QTI3_NS = "http://www.imsglobal.org/xsd/imsqtiasi_v3p0"
CP_NS = "http://www.imsglobal.org/xsd/imscp_v1p1"
CP3_NS = "http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1"
QB_NS = "urn:exam-platform:question-bank"
TEMPLATE = "http://www.imsglobal.org/question/qti_v2p1/rptemplates/"
TEMPLATE3 = "https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/"


def namespace(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def inner(node: Element) -> str:
    """Content of an element: plain text as is, mixed content as (namespace-free) markup."""
    if len(node) == 0:
        return (node.text or "").strip()
    parts = [escape(node.text or "")] + [ET.tostring(child, encoding="unicode") for child in node]
    return "".join(parts).strip()

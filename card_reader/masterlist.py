"""ICAO master lists (Doc 9303 Part 12 §9): a CMS SignedData over a CscaMasterList.

A published list holds certificates strict parsers refuse; one bad entry must never discard
the list. Every entry that parses becomes a `Cert`; each one that does not is named in
`skipped` with the reason's code. The list's own signature is verified (signer and signing time
recorded) and, when the operator gives the master-list signer's root (e.g. DE_ROOT_CA_CSCA07.cer,
NL_ROOT_CA.cer), the signer's chain to that root too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any

from asn1crypto import cms, core
from asn1crypto import x509 as ax

from card_reader.certs import Cert, CertProblem, load_certificate, name_text
from card_reader.signed_data import verify_signed_data

CSCA_MASTER_LIST = "2.23.136.1.1.2"


class _AnyCertificateSet(core.SetOf):
    _child_spec = core.Any  # entries parsed one by one, so one broken entry stays one broken entry


class _RawMasterList(core.Sequence):
    _fields = [("version", core.Integer), ("certificates", _AnyCertificateSet)]


@dataclass
class Skipped:
    """A certificate left out of the trust store, and why (a message code and its parameters)."""

    source: str
    index: int | None
    subject: str
    code: str
    params: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Code and parameters only: the application adds the reason in its user's language."""
        return {"source": self.source, "index": self.index, "subject": self.subject, "code": self.code,
                "params": self.params}


@dataclass
class MasterList:
    source: str
    sha256: str
    certificates: list[Cert]
    skipped: list[Skipped]
    signer: Cert | None
    signing_time: dt.datetime | None
    signature_algorithm: str = ""
    signature_problem: CertProblem | None = None
    root: Cert | None = None  # the master-list signer root the chain was checked against
    root_problem: CertProblem | None = None
    chain: list[str] = field(default_factory=list)  # signer → … → root, subjects

    @property
    def signature_valid(self) -> bool:
        return self.signer is not None and self.signature_problem is None

    @property
    def root_verified(self) -> bool | None:
        """True/False when a root was given, None when not."""
        if self.root is None:
            return None
        return self.signature_valid and self.root_problem is None

    def summary(self) -> dict[str, Any]:
        """Facts and problem codes (`{"code", "params"}`), no text: the application translates."""
        return {
            "source": self.source, "sha256": self.sha256, "certificates": len(self.certificates),
            "skipped": [s.to_dict() for s in self.skipped],
            "signer": self.signer.subject_text if self.signer else None,
            "signing_time": self.signing_time.isoformat() if self.signing_time else None,
            "signature_algorithm": self.signature_algorithm,
            "signature_valid": self.signature_valid,
            "signature_problem": self.signature_problem.to_dict() if self.signature_problem else None,
            "root": self.root.subject_text if self.root else None,
            "root_verified": self.root_verified,
            "root_problem": self.root_problem.to_dict() if self.root_problem else None,
            "chain": self.chain,
        }


def is_master_list(data: bytes) -> bool:
    try:
        info = cms.ContentInfo.load(data)
        return (info["content_type"].native == "signed_data"
                and info["content"]["encap_content_info"]["content_type"].dotted == CSCA_MASTER_LIST)
    except (ValueError, TypeError, KeyError):
        return False


def _entry_subject(entry: core.Any) -> str:
    try:
        return name_text(ax.Certificate.load(entry.dump())["tbs_certificate"]["subject"])
    except (ValueError, TypeError, KeyError):
        return "?"


def parse_master_list(data: bytes, source: str, roots: list[Cert] | tuple[Cert, ...] = ()) -> MasterList:
    """Entries, skipped entries, the signature check and (with `roots`) the signer's chain."""
    try:
        info = cms.ContentInfo.load(data)
        signed = info["content"]
        content = bytes(signed["encap_content_info"]["content"])
        raw = _RawMasterList.load(content)
        entries = list(raw["certificates"])
    except (ValueError, TypeError, KeyError) as exc:
        raise CertProblem("ml.unparseable", detail=str(exc)[:200]) from None
    certificates, skipped = [], []
    for index, entry in enumerate(entries):
        try:
            certificates.append(load_certificate(entry.dump(), f"{source}#{index}"))
        except CertProblem as problem:
            skipped.append(Skipped(source, index, _entry_subject(entry), problem.code, problem.params))
    result = MasterList(source, hashlib.sha256(data).hexdigest(), certificates, skipped, None, None)
    try:
        verified = verify_signed_data(signed, CSCA_MASTER_LIST, content)
        result.signer, result.signing_time = verified.signer, verified.signing_time
        result.signature_algorithm = verified.signature_algorithm
        carried = list(verified.certificates)
    except CertProblem as problem:
        result.signature_problem = problem
        carried = []
    if roots:
        _check_root(result, carried, list(roots))
    return result


def _check_root(result: MasterList, carried: list[Cert], roots: list[Cert]) -> None:
    """signer → (intermediates carried in the CMS) → one of `roots`, each signature verified."""
    result.root = roots[0]
    if result.signer is None:
        result.root_problem = result.signature_problem or CertProblem("cms.no_signer_certificate")
        return
    now = dt.datetime.now(dt.UTC)
    current, chain, problems = result.signer, [result.signer.subject_text], []
    for _depth in range(4):
        for root in roots:
            if current.issuer == root.subject:
                try:
                    current.verify_issued_by(root)
                except CertProblem as problem:
                    problems.append(problem)
                    continue
                result.root = root
                result.chain = [*chain, root.subject_text]
                if not root.valid_at(now):
                    result.root_problem = CertProblem("ml.root_expired", root=root.subject_text,
                                                      not_after=root.not_after.date().isoformat())
                return
        step = next((c for c in carried if c.subject == current.issuer and c is not current
                     and not c.self_issued), None)
        if step is None:
            break
        try:
            current.verify_issued_by(step)
        except CertProblem as problem:
            problems.append(problem)
            break
        chain.append(step.subject_text)
        current = step
    result.chain = chain
    first = {"problem_code": problems[0].code, "problem_params": dict(problems[0].params)} if problems else {}
    result.root_problem = CertProblem("ml.root_mismatch", signer=result.signer.subject_text,
                                      root=", ".join(r.subject_text for r in roots), **first)

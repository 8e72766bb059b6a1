"""Passive authentication (Doc 9303 Part 11 §5.1): data group hashes, the SOD signature, the chain.

Each step records its own check in the report with a message code and parameters (which
certificate, which curve or algorithm, which check), so a station can tell "tampered data group"
from "untrusted signer" from "no trust store configured", in Vietnamese or English.

Certificates are the tolerant `card_reader.certs.Cert` (explicit EC parameters, non-positive
serials, NULL signature parameters). The chain: document signer → a CSCA of the trust store; a
link certificate (CSCA rollover: the new key certified by the old one) is accepted as an anchor
when it is in the store (every entry of a signed master list, or a file the operator chose, is an
anchor by that choice, as in JMRTD), and CRLs issued under either key of the CSCA apply.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
from typing import Any

from card_reader.certs import Cert, CertProblem, load_certificate
from card_reader.errors import diagnostic
from card_reader.files.sod import LDS_SECURITY_OBJECT, Sod
from card_reader.report import CardReport, Status
from card_reader.signed_data import verify_signed_data
from card_reader.trust import TrustStore

_HASH_NAMES = {"sha1", "sha224", "sha256", "sha384", "sha512"}


class PassiveAuthFailure(Exception):
    """A failed step: `code` and `params` name it (the application translates them)."""

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = params
        super().__init__(diagnostic(code, params))


def _failure(problem: CertProblem, code: str, **params: Any) -> PassiveAuthFailure:
    """A step failed because of `problem`: it travels as a nested code, translated where shown."""
    return PassiveAuthFailure(code, **params, problem_code=problem.code, problem_params=dict(problem.params))


def _hash_name(name: str) -> str:
    name = name.replace("-", "").lower()
    if name not in _HASH_NAMES:
        raise PassiveAuthFailure("pa.hash_unsupported", algorithm=name)
    return name


def check_hashes(sod: Sod, groups: dict[int, bytes]) -> list[str]:
    """Data groups whose hash is wrong or missing (empty when every group read matches the SOD)."""
    name = _hash_name(sod.hash_algorithm)
    problems = []
    for number, content in sorted(groups.items()):
        expected = sod.hashes.get(number)
        if expected is None:
            problems.append(f"DG{number} is not listed in EF.SOD")
        elif not hmac.compare_digest(hashlib.new(name, content).digest(), expected):
            problems.append(f"DG{number} hash differs from EF.SOD")
    return problems


def signer_certificate(sod: Sod) -> Cert:
    """The document signer certificate the SOD carries (parsed tolerantly)."""
    if not sod.certificates:
        raise PassiveAuthFailure("pa.no_signer_certificate")
    try:
        return load_certificate(sod.certificates[0].dump(), "EF.SOD")
    except CertProblem as problem:
        raise _failure(problem, "pa.ds_unusable") from None


def verify_signature(sod: Sod) -> Cert:
    """Verify the CMS signature; returns the document signer certificate."""
    try:
        result = verify_signed_data(sod.signed_data, LDS_SECURITY_OBJECT, sod.raw_content)
    except CertProblem as problem:
        ds = None
        with contextlib.suppress(PassiveAuthFailure):
            ds = signer_certificate(sod)
        raise _failure(problem, "pa.sod_signature_failed", signer=ds.subject_text if ds else "-",
                       key=ds.key_info.description if ds else "-") from None
    return result.signer


def verify_chain(ds: Cert, store: TrustStore, now: dt.datetime | None = None) -> Cert:
    """The CSCA in `store` that issued `ds` (signature, validity and CRLs checked); PassiveAuthFailure otherwise."""
    if not isinstance(ds, Cert):  # a `cryptography` certificate from older callers
        from cryptography.hazmat.primitives.serialization import Encoding

        ds = load_certificate(ds.public_bytes(Encoding.DER), "given")
    now = now or dt.datetime.now(dt.UTC)
    candidates = store.candidates(ds.issuer, ds.aki)
    if not candidates:
        raise PassiveAuthFailure("pa.no_csca", issuer=ds.issuer_text,
                                 aki=ds.aki.hex().upper() if ds.aki else "-")
    failure: PassiveAuthFailure | None = None
    for csca in candidates:
        try:
            ds.verify_issued_by(csca)
        except CertProblem as problem:
            failure = failure or _failure(problem, "pa.ds_signature_failed", ds=ds.subject_text,
                                          csca=csca.subject_text, key=csca.key_info.description,
                                          algorithm=ds.signature_algorithm())
            continue
        if not csca.valid_at(now):
            failure = PassiveAuthFailure("pa.csca_expired", csca=csca.subject_text,
                                         not_after=csca.not_after.date().isoformat())
            continue
        if not ds.valid_at(now):
            failure = PassiveAuthFailure("pa.ds_expired", ds=ds.subject_text,
                                         not_before=ds.not_before.date().isoformat(),
                                         not_after=ds.not_after.date().isoformat())
            continue
        _check_crls(ds, csca, store)
        return csca
    assert failure is not None
    raise failure


def _check_crls(ds: Cert, csca: Cert, store: TrustStore) -> None:
    keys = [csca, *store.same_subject(csca)]  # a CRL may be signed with the CSCA's newer or older key
    for crl in store.crls:
        if crl.issuer != csca.subject:
            continue
        for key in keys:
            try:
                crl.verify_issued_by(key)
                break
            except CertProblem:
                continue
        else:
            raise PassiveAuthFailure("pa.crl_invalid", issuer=crl.issuer_text, source=crl.source or "-")
        revoked = crl.revoked(ds.serial)
        if revoked is not None:
            raise PassiveAuthFailure("pa.ds_revoked", ds=ds.subject_text, serial=ds.serial,
                                     date=revoked.date().isoformat(), source=crl.source or "-")


def passive_authentication(report: CardReport, sod: Sod | None, groups: dict[int, bytes],
                           store: TrustStore | None) -> None:
    """Record the checks `data_group_hashes`, `sod_signature`, `csca_chain`, `passive_authentication`."""
    if sod is None:
        for name in ("data_group_hashes", "sod_signature", "csca_chain", "passive_authentication"):
            report.add(name, Status.NOT_RUN, code="pa.no_sod")
        return
    try:
        problems = check_hashes(sod, groups)
        if problems:
            differ = ", ".join(p.split()[0] for p in problems if "differs" in p) or "-"
            unlisted = ", ".join(p.split()[0] for p in problems if "not listed" in p) or "-"
            report.add("data_group_hashes", Status.FAILED, "; ".join(problems), code="pa.hashes_failed",
                       differ=differ, unlisted=unlisted)
        else:
            report.add("data_group_hashes", Status.PASSED, code="pa.hashes_ok",
                       groups=", ".join(f"DG{n}" for n in sorted(groups)))
    except PassiveAuthFailure as exc:
        report.add("data_group_hashes", Status.FAILED, code=exc.code, **exc.params)
    ds: Cert | None = None
    try:
        ds = verify_signature(sod)
        report.add("sod_signature", Status.PASSED, code="pa.sod_signature_ok", signer=ds.subject_text,
                   key=ds.key_info.description, aki=ds.aki.hex().upper() if ds.aki else "-")
    except PassiveAuthFailure as exc:
        report.add("sod_signature", Status.FAILED, code=exc.code, **exc.params)
    if ds is None:
        report.add("csca_chain", Status.NOT_RUN, code="pa.chain_not_run_signature")
    elif store is None or not store.certificates:
        report.add("csca_chain", Status.NOT_RUN, code="pa.no_trust_store")
    else:
        try:
            csca = verify_chain(ds, store)
            report.add("csca_chain", Status.PASSED, code="pa.chain_ok", csca=csca.subject_text,
                       key=csca.key_info.description, algorithm=ds.signature_algorithm(),
                       source=csca.source or "-")
        except PassiveAuthFailure as exc:
            report.add("csca_chain", Status.FAILED, code=exc.code, **exc.params)
    parts = [report.check(n) for n in ("data_group_hashes", "sod_signature", "csca_chain")]
    if any(p and p.status == Status.FAILED for p in parts):
        failed = ", ".join(p.name for p in parts if p and p.status == Status.FAILED)
        report.add("passive_authentication", Status.FAILED, code="pa.failed", checks=failed)
    elif all(p and p.status == Status.PASSED for p in parts):
        report.add("passive_authentication", Status.PASSED, code="pa.ok")
    else:
        report.add("passive_authentication", Status.NOT_RUN, code="pa.not_run")

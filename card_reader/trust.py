"""Trust anchors for passive authentication: CSCA certificates, link certificates and CRLs.

Accepted: PEM or DER certificate files (a PEM file may hold several), folders of them (searched
recursively), ICAO master lists (.ml/.der/.bin; their CMS signature verified, the signer's root
checked when given), and CRLs (PEM or DER). Certificates are parsed tolerantly
(`card_reader.certs`); an entry that cannot be used is named in `skipped`, never silently
dropped, and never takes the rest of its list with it.

The one built-in anchor, Vietnam's CSCA, lives in `card_reader.builtin_trust`; test CSCAs are
never trusted unless given.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from asn1crypto import pem

from card_reader.certs import (
    Cert,
    CertProblem,
    Crl,
    certificates_from_bytes,
    load_certificate,
    load_crl,
    name_key,
)
from card_reader.errors import TrustStoreError, nested
from card_reader.masterlist import CSCA_MASTER_LIST, MasterList, Skipped, is_master_list, parse_master_list

__all__ = ["CSCA_MASTER_LIST", "TrustStore", "load_trust_store", "Skipped"]

TEST_MARK = "TEST ONLY"
# Oddities that make a strict parser refuse the whole certificate (explicit parameters only make
# `cryptography` refuse the key, and are too common to list one by one: they are counted).
STRICT_REFUSED = frozenset({"cert.odd.non_positive_serial", "cert.odd.ecdsa_null_parameters",
                            "cert.odd.signature_algorithm_mismatch", "cert.odd.own_arithmetic"})


@dataclass
class TrustStore:
    certificates: list[Cert] = field(default_factory=list)
    crls: list[Crl] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    master_lists: list[MasterList] = field(default_factory=list)
    master_list_roots: list[Cert] = field(default_factory=list)

    def __post_init__(self) -> None:
        # Accept `cryptography` certificates too (older callers, benchmarks): keep only their DER.
        converted = []
        for cert in self.certificates:
            if not isinstance(cert, Cert):
                from cryptography.hazmat.primitives.serialization import Encoding

                cert = load_certificate(cert.public_bytes(Encoding.DER), "given")
            converted.append(cert)
        self.certificates = converted

    # ---- loading -----------------------------------------------------------------------------
    def add_path(self, path: Path) -> None:
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                self._add_file(child, strict=False)
        elif path.is_file():
            self._add_file(path, strict=True)
        else:
            raise TrustStoreError(f"{path} does not exist", code="card.trust_store.missing", path=str(path))

    def _add_file(self, path: Path, strict: bool) -> None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise TrustStoreError(f"{path}: {exc.strerror}", code="card.trust_store.unreadable", path=str(path)) from None
        before = (len(self.certificates), len(self.crls), len(self.master_lists))
        try:
            self.add_bytes(data, str(path))
        except (CertProblem, ValueError) as exc:
            if strict:
                cause = nested(exc) if isinstance(exc, CertProblem) else {}
                raise TrustStoreError(f"{path}: not a certificate, CRL or master list ({exc})",
                                      code="card.trust_store.not_trust_data", path=str(path), **cause) from None
            self.skipped.append(Skipped(str(path), None, "?", getattr(exc, "code", "cert.unparseable"),
                                        getattr(exc, "params", {"detail": str(exc)})))
            return
        if (len(self.certificates), len(self.crls), len(self.master_lists)) != before:
            self.sources.append(str(path))
        elif strict:
            raise TrustStoreError(f"{path}: no certificate, CRL or master list found", code="card.trust_store.empty",
                                  path=str(path))

    def add_bytes(self, data: bytes, source: str = "bytes") -> None:
        if pem.detect(data):
            if b"X509 CRL" in data:
                self.crls.append(load_crl(data, source))
            for index, der in enumerate(certificates_from_bytes(data)):
                self._add_certificate(der, source, index)
            return
        if is_master_list(data):
            self.add_master_list(parse_master_list(data, source, self.master_list_roots))
            return
        try:
            self.certificates.append(load_certificate(data, source))
            return
        except CertProblem as problem:
            certificate_problem = problem
        try:
            self.crls.append(load_crl(data, source))
        except CertProblem:
            raise certificate_problem from None

    def _add_certificate(self, der: bytes, source: str, index: int) -> None:
        try:
            self.certificates.append(load_certificate(der, source))
        except CertProblem as problem:
            self.skipped.append(Skipped(source, index, "?", problem.code, problem.params))

    def add_master_list(self, listed: MasterList) -> None:
        """Add a list's certificates. A list whose own signature fails, or that does not chain to
        the root the operator gave, is refused whole: it is not the list that was published."""
        if not listed.signature_valid:
            raise list_refused(listed)
        if listed.root_verified is False:
            raise list_refused(listed)
        self.master_lists.append(listed)
        self.certificates.extend(listed.certificates)
        self.skipped.extend(listed.skipped)

    def add_certificate(self, cert: Cert) -> None:
        self.certificates.append(cert)

    # ---- queries -----------------------------------------------------------------------------
    def _by_subject(self) -> dict[tuple[tuple[str, bytes], ...], list[Cert]]:
        """Anchors by normalised subject, rebuilt when the list changed (a read looks up 1 of ~600)."""
        index = getattr(self, "_index", None)
        if index is None or index[0] != len(self.certificates):
            by_subject: dict[tuple[tuple[str, bytes], ...], list[Cert]] = {}
            for cert in self.certificates:
                by_subject.setdefault(cert.subject_key, []).append(cert)
            index = (len(self.certificates), by_subject)
            self._index = index
        return index[1]

    def candidates(self, issuer: Any, aki: bytes | None) -> list[Cert]:
        """Anchors named `issuer`, with the key identifier `aki` when both sides have one."""
        return [c for c in self._by_subject().get(name_key(issuer), [])
                if c.subject == issuer and (aki is None or c.ski is None or c.ski == aki)]

    def same_subject(self, cert: Cert) -> list[Cert]:
        return [c for c in self._by_subject().get(cert.subject_key, []) if c is not cert and c.subject == cert.subject]

    def summary(self, now: dt.datetime | None = None) -> dict[str, Any]:
        """What the station trusts: counts per country, master lists, skipped and tolerated entries.

        Reasons are codes (`code`/`params`, oddity codes): the application adds their texts."""
        now = now or dt.datetime.now(dt.UTC)
        oddities = Counter(o for c in self.certificates for o in c.oddities)
        test_only = [c.subject_text for c in self.certificates if TEST_MARK in c.subject_text]
        return {
            "certificates": len(self.certificates),
            "countries": len({c.country for c in self.certificates}),
            "expired": sum(1 for c in self.certificates if c.not_after < now),
            "crls": len(self.crls),
            "sources": list(self.sources),
            "master_lists": [m.summary() for m in self.master_lists],
            "skipped": [s.to_dict() for s in self.skipped],
            "tolerated": {code: {"count": n} for code, n in oddities.items()},
            # the entries a strict parser (e.g. `cryptography`) refuses, named: loaded here on purpose
            "tolerated_entries": [{"subject": c.subject_text, "source": c.source,
                                   "oddities": list(c.oddities)}
                                  for c in self.certificates if set(c.oddities) & STRICT_REFUSED],
            "test_only": test_only,
        }


def list_refused(listed: MasterList) -> TrustStoreError:
    """Why a master list is refused whole: its signature (`list_signature`) or its root (`list_root`)."""
    if not listed.signature_valid:
        problem = listed.signature_problem or CertProblem("cms.no_signer_certificate")
        return TrustStoreError(f"{listed.source}: the master list's signature does not verify ({problem})",
                               code="card.trust_store.list_signature", path=listed.source, **nested(problem))
    assert listed.root_problem is not None
    return TrustStoreError(f"{listed.source}: {listed.root_problem}", code="card.trust_store.list_root",
                           path=listed.source, **nested(listed.root_problem))


def load_root(path: Path) -> Cert:
    """A master-list signer root (DE_ROOT_CA_CSCA07.cer, NL_ROOT_CA.cer)."""
    try:
        blobs = certificates_from_bytes(path.read_bytes())
        return load_certificate(blobs[0], str(path))
    except (OSError, IndexError) as exc:
        raise TrustStoreError(f"{path}: {exc}", code="card.trust_store.unreadable", path=str(path)) from None
    except CertProblem as problem:
        raise TrustStoreError(f"{path}: {problem}", code="card.trust_store.bad_root", path=str(path),
                              **nested(problem)) from None


def load_trust_store(paths: list[Path] | tuple[Path, ...], roots: list[Path] | tuple[Path, ...] = (),
                     builtin: bool = False) -> TrustStore:
    """A store from `paths`; master lists among them are checked against `roots` when given.

    `builtin=True` starts from Vietnam's CSCA (pinned); otherwise the store holds only what is given.
    """
    store = TrustStore(master_list_roots=[load_root(Path(r)) for r in roots])
    if builtin:
        from card_reader.builtin_trust import add_builtin

        add_builtin(store)
    for path in paths:
        store.add_path(Path(path))
    return store

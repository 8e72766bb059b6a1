"""Trust anchors for passive authentication: CSCA certificates and CRLs, from configuration.

Accepted: PEM or DER certificate files (a PEM file may hold several), folders of them (searched
recursively), ICAO master lists (CMS SignedData over a CscaMasterList, .ml/.der/.bin), and CRLs
(PEM or DER). Nothing is built in: a station trusts exactly what it is given.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from asn1crypto import cms, core
from asn1crypto import x509 as asn1_x509
from cryptography import x509

from card_reader.errors import TrustStoreError

CSCA_MASTER_LIST = "2.23.136.1.1.2"


class _CertificateSet(core.SetOf):
    _child_spec = asn1_x509.Certificate


class CscaMasterList(core.Sequence):
    _fields = [("version", core.Integer), ("certificates", _CertificateSet)]


@dataclass
class TrustStore:
    certificates: list[x509.Certificate] = field(default_factory=list)
    crls: list[x509.CertificateRevocationList] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)

    def add_path(self, path: Path) -> None:
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                self._add_file(child, strict=False)
        elif path.is_file():
            self._add_file(path, strict=True)
        else:
            raise TrustStoreError(f"{path} does not exist")

    def _add_file(self, path: Path, strict: bool) -> None:
        data = path.read_bytes()
        before = (len(self.certificates), len(self.crls))
        try:
            self.add_bytes(data)
        except (ValueError, TypeError) as exc:
            if strict:
                raise TrustStoreError(f"{path}: not a certificate, CRL or master list ({exc})") from None
            return
        if (len(self.certificates), len(self.crls)) != before:
            self.sources.append(str(path))
        elif strict:
            raise TrustStoreError(f"{path}: no certificate, CRL or master list found")

    def add_bytes(self, data: bytes) -> None:
        if b"-----BEGIN" in data:
            if b"X509 CRL" in data:
                self.crls.append(x509.load_pem_x509_crl(data))
            if b"CERTIFICATE" in data:
                self.certificates.extend(x509.load_pem_x509_certificates(data))
            return
        for loader in (self._der_certificate, self._master_list, self._der_crl):
            if loader(data):
                return
        raise ValueError("unrecognised DER content")

    def _der_certificate(self, data: bytes) -> bool:
        try:
            self.certificates.append(x509.load_der_x509_certificate(data))
            return True
        except ValueError:
            return False

    def _der_crl(self, data: bytes) -> bool:
        try:
            self.crls.append(x509.load_der_x509_crl(data))
            return True
        except ValueError:
            return False

    def _master_list(self, data: bytes) -> bool:
        """An ICAO master list. Its own signature chains to a CSCA inside it, so it proves only
        integrity in transit; choosing to trust the file is the operator's decision."""
        try:
            info = cms.ContentInfo.load(data)
            if info["content_type"].native != "signed_data":
                return False
            encap = info["content"]["encap_content_info"]
            if encap["content_type"].dotted != CSCA_MASTER_LIST:
                return False
            listed = CscaMasterList.load(bytes(encap["content"]))
            for cert in listed["certificates"]:
                self.certificates.append(x509.load_der_x509_certificate(cert.dump()))
            return True
        except (ValueError, TypeError, KeyError):
            return False


def load_trust_store(paths: list[Path] | tuple[Path, ...]) -> TrustStore:
    store = TrustStore()
    for path in paths:
        store.add_path(Path(path))
    return store

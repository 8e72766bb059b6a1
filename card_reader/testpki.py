"""TEST-ONLY public key infrastructure: a throw-away CSCA and document signer.

Used by the virtual CCCD chip, the tests and the demo. These keys are generated on the fly (or
kept in a scratch folder) and prove nothing about any real document: never install the
certificates written here as trust anchors of a production station.

Certificates are built with asn1crypto, not `cryptography`'s builder, because the shapes real
PKIs use must be reproducible: `generate(shape="vietnam")` writes what Vietnam's CSCA looks like
(brainpoolP512r1 keys with EXPLICIT domain parameters, ECDSA-SHA512, a non-positive CSCA serial),
which `cryptography` can neither build nor (for the key) load.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import crl as acrl
from asn1crypto import keys, pem
from asn1crypto import x509 as ax
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from card_reader.certs import Cert, load_certificate
from card_reader.ec import CURVES, Curve

TEST_MARK = "TEST ONLY"
CSCA_FILE = "test-csca.pem"
CSCA_KEY_FILE = "test-csca.key.pem"
DS_FILE = "test-ds.pem"
DS_KEY_FILE = "test-ds.key.pem"
SHAPES = ("standard", "vietnam")
_HASH: dict[str, Callable[[], hashes.HashAlgorithm]] = {"sha1": hashes.SHA1, "sha224": hashes.SHA224, "sha256": hashes.SHA256, "sha384": hashes.SHA384,
         "sha512": hashes.SHA512}
_CURVE_NAMES = {"secp256r1": "P-256", "brainpoolP512r1": "brainpoolP512r1", "brainpoolP256r1": "brainpoolP256r1",
                "secp384r1": "P-384", "brainpoolP384r1": "brainpoolP384r1", "secp521r1": "P-521"}


@dataclass(frozen=True)
class TestPKI:
    csca_key: ec.EllipticCurvePrivateKey
    csca_der: bytes
    ds_key: ec.EllipticCurvePrivateKey
    ds_der: bytes
    hash_name: str = "sha256"  # what the document signer uses for the SOD
    shape: str = "standard"

    @property
    def csca_cert(self) -> Cert:
        return load_certificate(self.csca_der, "test PKI")

    @property
    def ds_cert(self) -> Cert:
        return load_certificate(self.ds_der, "test PKI")

    def csca_pem(self) -> bytes:
        return pem.armor("CERTIFICATE", self.csca_der)

    def write_csca(self, folder: Path) -> Path:
        """Write the CSCA certificate (only) for `read-card --trust`; returns its path."""
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / CSCA_FILE
        path.write_bytes(self.csca_pem())
        return path

    def save(self, folder: Path) -> None:
        """Keep every key and certificate so later runs sign with the same CSCA."""
        folder.mkdir(parents=True, exist_ok=True)
        self.write_csca(folder)
        (folder / DS_FILE).write_bytes(pem.armor("CERTIFICATE", self.ds_der))
        for name, key in ((CSCA_KEY_FILE, self.csca_key), (DS_KEY_FILE, self.ds_key)):
            path = folder / name
            path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
            path.chmod(0o600)

    def revoke_signer_crl(self, serials: tuple[int, ...] | None = None) -> bytes:
        """A DER CRL from the CSCA that revokes this document signer (or `serials`)."""
        csca = ax.Certificate.load(self.csca_der)
        return build_crl(csca.subject, self.csca_key, _ski(csca) or b"",
                         serials if serials is not None else (self.ds_cert.serial,), self.hash_name)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _name(common_name: str, country: str) -> ax.Name:
    return ax.Name.build({"country_name": country, "organization_name": f"Exam platform {TEST_MARK}",
                          "common_name": common_name})


def _ski(cert: ax.Certificate) -> bytes | None:
    value = cert.key_identifier
    return bytes(value) if value is not None else None


def _time(value: dt.datetime) -> ax.Time:
    return ax.Time({"utc_time": value} if value.year < 2050 else {"general_time": value})


def spki(public_key: ec.EllipticCurvePublicKey, explicit: bool, curve: Curve | None = None) -> keys.PublicKeyInfo:
    """SubjectPublicKeyInfo, with the curve's OID or (explicit=True) its full domain parameters
    (those of `curve` when given: tests write curves the reader does not know, or broken ones)."""
    named = keys.PublicKeyInfo.load(public_key.public_bytes(serialization.Encoding.DER,
                                                            serialization.PublicFormat.SubjectPublicKeyInfo))
    if not explicit:
        return named
    curve = curve or CURVES[_CURVE_NAMES[public_key.curve.name]]
    size = curve.size
    domain = keys.SpecifiedECDomain({
        "version": "ecdpVer1",
        "field_id": {"field_type": "prime_field", "parameters": core_integer(curve.p)},
        "curve": {"a": curve.a.to_bytes(size, "big"), "b": curve.b.to_bytes(size, "big")},
        "base": b"\x04" + curve.g[0].to_bytes(size, "big") + curve.g[1].to_bytes(size, "big"),
        "order": curve.n,
        "cofactor": 1,
    })
    return keys.PublicKeyInfo({
        "algorithm": {"algorithm": "ec", "parameters": keys.ECDomainParameters(name="specified", value=domain)},
        "public_key": bytes(named["public_key"]),
    })


def core_integer(value: int) -> object:
    from asn1crypto import core

    return core.Integer(value)


def build_certificate(subject: ax.Name, issuer: ax.Name, serial: int, public: keys.PublicKeyInfo,
                      signer: ec.EllipticCurvePrivateKey, hash_name: str, days: int, ca: bool,
                      authority_key_id: bytes | None) -> bytes:
    """A DER certificate signed with ECDSA-`hash_name` by `signer` (serial taken as given, even ≤ 0)."""
    now = _now()
    key_id = hashlib.sha1(bytes(public["public_key"])).digest()  # noqa: S324  (RFC 5280 §4.2.1.2 method 1)
    usage = {"key_cert_sign", "crl_sign"} if ca else {"digital_signature"}
    extensions = [{"extn_id": "key_usage", "critical": True, "extn_value": usage},
                  {"extn_id": "key_identifier", "critical": False, "extn_value": key_id}]
    if ca:
        extensions.insert(0, {"extn_id": "basic_constraints", "critical": True,
                              "extn_value": {"ca": True, "path_len_constraint": 0}})
    if authority_key_id:
        extensions.append({"extn_id": "authority_key_identifier", "critical": False,
                           "extn_value": {"key_identifier": authority_key_id}})
    algorithm = {"algorithm": f"{hash_name}_ecdsa"}
    tbs = ax.TbsCertificate({
        "version": "v3", "serial_number": serial, "signature": algorithm, "issuer": issuer,
        "validity": {"not_before": _time(now - dt.timedelta(days=1)), "not_after": _time(now + dt.timedelta(days=days))},
        "subject": subject, "subject_public_key_info": public, "extensions": extensions,
    })
    signature = signer.sign(tbs.dump(), ec.ECDSA(_HASH[hash_name]()))
    return ax.Certificate({"tbs_certificate": tbs, "signature_algorithm": algorithm,
                           "signature_value": signature}).dump()


def build_crl(issuer: ax.Name, key: ec.EllipticCurvePrivateKey, authority_key_id: bytes,
              serials: tuple[int, ...], hash_name: str = "sha256") -> bytes:
    now = _now()
    algorithm = {"algorithm": f"{hash_name}_ecdsa"}
    revoked = [{"user_certificate": s, "revocation_date": _time(now - dt.timedelta(days=1))} for s in serials]
    tbs = acrl.TbsCertList({
        "version": "v2", "signature": algorithm, "issuer": issuer, "this_update": _time(now - dt.timedelta(days=1)),
        "next_update": _time(now + dt.timedelta(days=30)), "revoked_certificates": revoked,
        "crl_extensions": [{"extn_id": "authority_key_identifier", "critical": False,
                            "extn_value": {"key_identifier": authority_key_id}}] if authority_key_id else None,
    })
    signature = key.sign(tbs.dump(), ec.ECDSA(_HASH[hash_name]()))
    return acrl.CertificateList({"tbs_cert_list": tbs, "signature_algorithm": algorithm, "signature": signature}).dump()


def _serial(positive: bool) -> int:
    value = secrets.randbits(126) | (1 << 120)
    return value if positive else -value


def generate(country: str = "VN", curve: ec.EllipticCurve | None = None, label: str = "",
             shape: str = "standard", csca_key: ec.EllipticCurvePrivateKey | None = None) -> TestPKI:
    """A fresh CSCA (self-signed, CA) and a document signer it issued.

    shape="standard": P-256 named curve, ECDSA-SHA256, positive serials.
    shape="vietnam": brainpoolP512r1 with explicit parameters, ECDSA-SHA512, a non-positive CSCA serial.
    `csca_key` reuses a CSCA key (same name, new certificate), e.g. for a rollover test.
    """
    if shape not in SHAPES:
        raise ValueError(f"shape {shape!r}: expected one of {', '.join(SHAPES)}")
    vietnam = shape == "vietnam"
    curve = curve or (ec.BrainpoolP512R1() if vietnam else ec.SECP256R1())
    hash_name = "sha512" if vietnam else "sha256"
    csca_key = csca_key or ec.generate_private_key(curve)
    csca_name = _name(f"CSCA {country} {TEST_MARK}{label}", country)
    csca_public = spki(csca_key.public_key(), explicit=vietnam)
    csca_der = build_certificate(csca_name, csca_name, _serial(not vietnam), csca_public, csca_key, hash_name,
                                 3650, ca=True, authority_key_id=None)
    csca_ski = _ski(ax.Certificate.load(csca_der))
    ds_key = ec.generate_private_key(curve)
    ds_der = build_certificate(_name(f"Document Signer {country} {TEST_MARK}{label}", country), csca_name,
                               _serial(True), spki(ds_key.public_key(), explicit=vietnam), csca_key, hash_name,
                               365, ca=False, authority_key_id=csca_ski)
    return TestPKI(csca_key, csca_der, ds_key, ds_der, hash_name, shape)


def link_certificate(old: TestPKI, new: TestPKI) -> bytes:
    """CSCA rollover: `new`'s CSCA key certified by `old`'s CSCA key (same name, self-issued)."""
    old_cert = ax.Certificate.load(old.csca_der)
    new_cert = ax.Certificate.load(new.csca_der)
    return build_certificate(new_cert.subject, old_cert.subject, _serial(True),
                             new_cert["tbs_certificate"]["subject_public_key_info"], old.csca_key, old.hash_name,
                             3650, ca=True, authority_key_id=_ski(old_cert))


def _read_pem_certificate(path: Path) -> bytes:
    _kind, _headers, der = pem.unarmor(path.read_bytes())
    return der


def load(folder: Path) -> TestPKI:
    def key(name: str) -> ec.EllipticCurvePrivateKey:
        loaded = serialization.load_pem_private_key((folder / name).read_bytes(), password=None)
        if not isinstance(loaded, ec.EllipticCurvePrivateKey):
            raise ValueError(f"{folder / name}: not an EC private key")
        return loaded

    ds_key = key(DS_KEY_FILE)
    vietnam = ds_key.curve.key_size >= 512
    return TestPKI(key(CSCA_KEY_FILE), _read_pem_certificate(folder / CSCA_FILE), ds_key,
                   _read_pem_certificate(folder / DS_FILE), "sha512" if vietnam else "sha256",
                   "vietnam" if vietnam else "standard")


def load_or_generate(folder: Path, shape: str = "standard") -> TestPKI:
    """The test PKI kept in `folder`, created there (in `shape`) on first use."""
    if (folder / DS_KEY_FILE).exists():
        return load(folder)
    pki = generate(shape=shape)
    pki.save(folder)
    return pki

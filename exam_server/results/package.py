"""Signed result packages: exported files + a manifest of their SHA-256 hashes + a detached
CMS (PKCS#7) signature over the manifest, made with the exam authority's key.

Verification names exactly what is wrong: a bad signature, an untrusted signer, or which file
changed, went missing or was added after signing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from asn1crypto import cms
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs7

# The authority's certificates live one layer down (the event log signs its tree heads with the
# same key); imported here under the names this module has always offered.
from exam_server.authority import generate_demo_signer, is_trusted, load_certificates  # noqa: F401

MANIFEST = "manifest.json"
SIGNATURE = "manifest.json.p7s"
FORMAT = "exam-result-package/1"
_HASHES = {"sha256": hashes.SHA256(), "sha384": hashes.SHA384(), "sha512": hashes.SHA512()}


class PackageError(Exception):
    """The package cannot be built or its signature cannot be checked at all."""


@dataclass
class Verification:
    signature_ok: bool = False
    signer: str = ""
    trusted: bool = False
    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.signature_ok and self.trusted and not (self.changed or self.missing or self.added)

    def to_dict(self) -> dict[str, object]:
        return {"ok": self.ok, **self.__dict__}


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _package_files(directory: Path) -> list[str]:
    names = [p.relative_to(directory).as_posix() for p in directory.rglob("*") if p.is_file()]
    return sorted(n for n in names if n not in (MANIFEST, SIGNATURE))


EVENT_HEADS = "nhat-ky-dau-cay.json"  # the event log's signed tree heads


def write_event_heads(directory: Path, heads: dict[str, object]) -> Path:
    """The sitting's signed event-log heads travel in the package (and so under its manifest):
    `exam-server audit verify --heads` later proves the log still extends every one of them."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / EVENT_HEADS
    path.write_text(json.dumps(heads, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def build_manifest(directory: Path, description: dict[str, object]) -> bytes:
    files = {name: sha256_file(directory / name) for name in _package_files(directory)}
    if not files:
        raise PackageError(f"no files to sign in {directory}")
    manifest = {
        "format": FORMAT,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        **description,
        "files": files,
    }
    return json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")


def sign_package(directory: Path, key_pem: bytes, cert_pem: bytes, description: dict[str, object]) -> Path:
    """Write manifest.json and its detached DER signature into `directory`."""
    key = serialization.load_pem_private_key(key_pem, password=None)
    cert = x509.load_pem_x509_certificate(cert_pem)
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise PackageError("the signing key must be RSA or EC")
    manifest = build_manifest(directory, description)
    signature = (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(manifest)
        .add_signer(cert, key, hashes.SHA256())
        .sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary])
    )
    (directory / MANIFEST).write_bytes(manifest)
    (directory / SIGNATURE).write_bytes(signature)
    return directory / SIGNATURE


def _check_signature(manifest: bytes, der: bytes) -> x509.Certificate:
    """Verify the detached CMS signature; return the signer's certificate."""
    try:
        info = cms.ContentInfo.load(der)
        signed = info["content"]
        signer = signed["signer_infos"][0]
        certs = [c.chosen for c in signed["certificates"] if c.name == "certificate"]
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise PackageError(f"{SIGNATURE} is not a CMS signature: {exc}") from exc
    sid = signer["sid"].chosen
    cert_der = next(
        (c.dump() for c in certs
         if c.issuer == sid["issuer"] and c.serial_number == sid["serial_number"].native),
        None,
    )
    if cert_der is None:
        raise PackageError("the signer's certificate is not in the signature")
    cert = x509.load_der_x509_certificate(cert_der)
    hash_name = signer["digest_algorithm"]["algorithm"].native
    if hash_name not in _HASHES:
        raise PackageError(f"unsupported digest algorithm {hash_name}")
    algorithm = _HASHES[hash_name]
    signed_attrs = signer["signed_attrs"]
    digest = hashes.Hash(algorithm)
    digest.update(manifest)
    expected = next(
        (a["values"][0].native for a in signed_attrs if a["type"].native == "message_digest"), None
    )
    if expected != digest.finalize():
        raise InvalidSignature("the manifest's digest does not match the signed digest")
    # The signature covers the DER of the signed attributes re-tagged as a SET.
    to_verify = signed_attrs.untag().dump(force=True)
    public_key = cert.public_key()
    sig = signer["signature"].native
    if isinstance(public_key, rsa.RSAPublicKey):
        public_key.verify(sig, to_verify, padding.PKCS1v15(), algorithm)
    elif isinstance(public_key, ec.EllipticCurvePublicKey):
        public_key.verify(sig, to_verify, ec.ECDSA(algorithm))
    else:
        raise PackageError("unsupported signer key type")
    return cert


def verify_package(directory: Path, anchors: list[x509.Certificate]) -> Verification:
    result = Verification()
    manifest_path, sig_path = directory / MANIFEST, directory / SIGNATURE
    for required in (manifest_path, sig_path):
        if not required.is_file():
            result.problems.append(f"missing {required.name}")
    if result.problems:
        return result
    manifest = manifest_path.read_bytes()
    try:
        cert = _check_signature(manifest, sig_path.read_bytes())
        result.signature_ok = True
        result.signer = cert.subject.rfc4514_string()
        result.trusted = is_trusted(cert, anchors)
        if not result.trusted:
            result.problems.append(f"signer {result.signer} is not trusted")
    except InvalidSignature:
        result.problems.append(f"the signature does not match {MANIFEST}: the manifest was changed")
        return result
    except PackageError as exc:
        result.problems.append(str(exc))
        return result
    listed: dict[str, str] = json.loads(manifest)["files"]
    present = set(_package_files(directory))
    for name, digest in sorted(listed.items()):
        if name not in present:
            result.missing.append(name)
        elif sha256_file(directory / name) != digest:
            result.changed.append(name)
    result.added = sorted(present - set(listed))
    return result

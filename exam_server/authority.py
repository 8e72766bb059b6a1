"""The exam authority's signing key and trusted certificates.

Two domains sign with the same key: the event log its Merkle tree heads (`events.signing`) and
the results their signed packages (`results.package`). The key lives here, below both, so the
event log never reaches up into results. Configured by `[results] signing_key` /
`signing_cert` (PEM) and `[results] trust`; without them a demo signer is generated into the
instance folder, its certificate named "DEMO ONLY - not an exam authority".
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from flask import Flask


def signer_paths(app: Flask) -> tuple[Path, Path]:
    """The configured signing key and certificate, or the demo signer (generated on first use)."""
    key, cert = app.config.get("RESULTS_SIGNING_KEY"), app.config.get("RESULTS_SIGNING_CERT")
    if key and cert:
        return Path(key), Path(cert)
    demo = Path(app.instance_path) / "demo-signer"
    if not (demo / "demo-signing-key.pem").exists():
        generate_demo_signer(demo)
    return demo / "demo-signing-key.pem", demo / "demo-signing-cert.pem"


def trust_path(app: Flask) -> Path:
    configured = app.config.get("RESULTS_TRUST")
    return Path(configured) if configured else signer_paths(app)[1]


def is_trusted(cert: x509.Certificate, anchors: list[x509.Certificate]) -> bool:
    """Valid now, and an anchor itself or directly issued by one."""
    now = dt.datetime.now(dt.UTC)
    if not (cert.not_valid_before_utc <= now <= cert.not_valid_after_utc):
        return False
    for anchor in anchors:
        if anchor == cert:
            return True
        if anchor.subject == cert.issuer:
            try:
                cert.verify_directly_issued_by(anchor)
                return True
            except (ValueError, TypeError, InvalidSignature):
                continue
    return False


def generate_demo_signer(directory: Path) -> tuple[Path, Path]:
    """A self-signed key pair for the demo only, named so nobody mistakes it for a real one."""
    directory.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, "DEMO ONLY - not an exam authority"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Exam platform demo"),
    ])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_path, cert_path = directory / "demo-signing-key.pem", directory / "demo-signing-cert.pem"
    key_path.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ))
    key_path.chmod(0o600)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


def load_certificates(path: Path) -> list[x509.Certificate]:
    """Trust anchors from a PEM/DER file or a folder of them."""
    files = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
    certs: list[x509.Certificate] = []
    for file in files:
        data = file.read_bytes()
        if b"-----BEGIN CERTIFICATE-----" in data:
            certs.extend(x509.load_pem_x509_certificates(data))
        else:
            try:
                certs.append(x509.load_der_x509_certificate(data))
            except ValueError:
                continue
    return certs

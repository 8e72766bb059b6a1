"""TEST-ONLY public key infrastructure: a throw-away CSCA and document signer.

Used by the virtual CCCD chip, the tests and the demo. These keys are generated on the fly (or
kept in a scratch folder) and prove nothing about any real document: never install the
certificates written here as trust anchors of a production station.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

TEST_MARK = "TEST ONLY"
CSCA_FILE = "test-csca.pem"
CSCA_KEY_FILE = "test-csca.key.pem"
DS_FILE = "test-ds.pem"
DS_KEY_FILE = "test-ds.key.pem"


@dataclass(frozen=True)
class TestPKI:
    csca_key: ec.EllipticCurvePrivateKey
    csca_cert: x509.Certificate
    ds_key: ec.EllipticCurvePrivateKey
    ds_cert: x509.Certificate

    def csca_pem(self) -> bytes:
        return self.csca_cert.public_bytes(serialization.Encoding.PEM)

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
        (folder / DS_FILE).write_bytes(self.ds_cert.public_bytes(serialization.Encoding.PEM))
        for name, key in ((CSCA_KEY_FILE, self.csca_key), (DS_KEY_FILE, self.ds_key)):
            path = folder / name
            path.write_bytes(
                key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            )
            path.chmod(0o600)

    def revoke_signer_crl(self) -> x509.CertificateRevocationList:
        """A CRL from the CSCA that revokes this document signer."""
        now = _now()
        revoked = (
            x509.RevokedCertificateBuilder()
            .serial_number(self.ds_cert.serial_number)
            .revocation_date(now - dt.timedelta(days=1))
            .build()
        )
        return (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.csca_cert.subject)
            .last_update(now - dt.timedelta(days=1))
            .next_update(now + dt.timedelta(days=30))
            .add_revoked_certificate(revoked)
            .sign(self.csca_key, hashes.SHA256())
        )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _name(common_name: str, country: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, country),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, f"Exam platform {TEST_MARK}"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def generate(country: str = "VN", curve: ec.EllipticCurve | None = None, label: str = "") -> TestPKI:
    """A fresh CSCA (self-signed, CA) and a document signer it issued."""
    curve = curve or ec.SECP256R1()
    now = _now()
    csca_key = ec.generate_private_key(curve)
    csca_name = _name(f"CSCA {country} {TEST_MARK}{label}", country)
    csca_ski = x509.SubjectKeyIdentifier.from_public_key(csca_key.public_key())
    csca_cert = (
        x509.CertificateBuilder()
        .subject_name(csca_name)
        .issuer_name(csca_name)
        .public_key(csca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(csca_ski, critical=False)
        .sign(csca_key, hashes.SHA256())
    )
    ds_key = ec.generate_private_key(curve)
    ds_cert = (
        x509.CertificateBuilder()
        .subject_name(_name(f"Document Signer {country} {TEST_MARK}{label}", country))
        .issuer_name(csca_name)
        .public_key(ds_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True
        )
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(csca_ski), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ds_key.public_key()), critical=False)
        .sign(csca_key, hashes.SHA256())
    )
    return TestPKI(csca_key, csca_cert, ds_key, ds_cert)


def load(folder: Path) -> TestPKI:
    def key(name: str) -> ec.EllipticCurvePrivateKey:
        loaded = serialization.load_pem_private_key((folder / name).read_bytes(), password=None)
        if not isinstance(loaded, ec.EllipticCurvePrivateKey):
            raise ValueError(f"{folder / name}: not an EC private key")
        return loaded

    return TestPKI(
        key(CSCA_KEY_FILE),
        x509.load_pem_x509_certificate((folder / CSCA_FILE).read_bytes()),
        key(DS_KEY_FILE),
        x509.load_pem_x509_certificate((folder / DS_FILE).read_bytes()),
    )


def load_or_generate(folder: Path) -> TestPKI:
    """The test PKI kept in `folder`, created there on first use."""
    if (folder / DS_KEY_FILE).exists():
        return load(folder)
    pki = generate()
    pki.save(folder)
    return pki

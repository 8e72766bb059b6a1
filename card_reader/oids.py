"""Object identifiers of ICAO Doc 9303 / BSI TR-03110 security protocols."""

from __future__ import annotations

from card_reader.crypto import AES128, AES192, AES256, TDES, Cipher

BSI = "0.4.0.127.0.7"
ID_PK_DH = f"{BSI}.2.2.1.1"
ID_PK_ECDH = f"{BSI}.2.2.1.2"
ID_TA = f"{BSI}.2.2.2"
ID_CA = f"{BSI}.2.2.3"
ID_CA_DH = f"{ID_CA}.1"
ID_CA_ECDH = f"{ID_CA}.2"
ID_PACE = f"{BSI}.2.2.4"
ID_PACE_DH_GM = f"{ID_PACE}.1"
ID_PACE_ECDH_GM = f"{ID_PACE}.2"
ID_PACE_DH_IM = f"{ID_PACE}.3"
ID_PACE_ECDH_IM = f"{ID_PACE}.4"
ID_PACE_ECDH_CAM = f"{ID_PACE}.6"
ID_AA = "2.23.136.1.1.5"
ECDSA_PLAIN = f"{BSI}.1.1.4.1"  # .1 SHA-1, .2 SHA-224, .3 SHA-256, .4 SHA-384, .5 SHA-512
ECDSA_PLAIN_HASHES = {f"{ECDSA_PLAIN}.{i}": h for i, h in
                      enumerate(("sha1", "sha224", "sha256", "sha384", "sha512"), start=1)}
ECDSA_X962_HASHES = {"1.2.840.10045.4.1": "sha1", "1.2.840.10045.4.3.1": "sha224",
                     "1.2.840.10045.4.3.2": "sha256", "1.2.840.10045.4.3.3": "sha384",
                     "1.2.840.10045.4.3.4": "sha512"}

_CIPHERS = {"1": TDES, "2": AES128, "3": AES192, "4": AES256}


def cipher_for(oid: str) -> Cipher:
    """The SM cipher named by the last arc of a PACE or CA protocol OID (…1 3DES, …2–4 AES)."""
    try:
        return _CIPHERS[oid.rsplit(".", 1)[1]]
    except (KeyError, IndexError):
        raise ValueError(f"unknown cipher in protocol {oid}") from None


def oid_bytes(oid: str) -> bytes:
    """DER content octets of an OID (without tag and length), as PACE/CA data objects carry them."""
    from asn1crypto.core import ObjectIdentifier

    return ObjectIdentifier(oid).contents

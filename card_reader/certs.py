"""Certificates and CRLs as the eMRTD world writes them, parsed tolerantly (as JMRTD/BouncyCastle do).

`cryptography`'s X.509 parser refuses what real CSCAs publish: ECDSA keys with explicit domain
parameters (Vietnam's brainpoolP512r1 CSCA), NULL parameters after an ECDSA signature OID (Austria,
UAE, ...), and it has announced it will stop loading non-positive serial numbers. So the structure
is read with asn1crypto, and only the cryptography itself goes to `cryptography`: explicit EC
parameters equal to a named curve (p, a, b, G, n, h compared) become that curve's key; parameters
matching no named curve are checked for consistency and verified with the project's own EC
arithmetic (`card_reader.ec`), or refused with a reason that names them.

Every problem is a `CertProblem` carrying a message code and its parameters (translated by the
application, e.g. `exam_client.messages`), not UI text; `str()` is a diagnostic for logs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any

from asn1crypto import algos, core, crl, keys, pem
from asn1crypto import x509 as ax
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

from card_reader.ec import CURVES, NATIVE_CURVES, Curve
from card_reader.errors import diagnostic

HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1, "sha224": hashes.SHA224, "sha256": hashes.SHA256,
    "sha384": hashes.SHA384, "sha512": hashes.SHA512,
}
# BSI TR-03111 ecdsa-plain-* (r || s, not DER): used by German documents and some SODs.
ECDSA_PLAIN = {f"0.4.0.127.0.7.1.1.4.1.{i}": h for i, h in
               ((1, "sha1"), (2, "sha224"), (3, "sha256"), (4, "sha384"), (5, "sha512"))}
# Key OIDs some signers put where a signature algorithm belongs; the digest then comes from the
# SignerInfo (JMRTD accepts these too).
_BARE_KEY_OIDS = {"1.2.840.10045.2.1": "ecdsa", "1.2.840.113549.1.1.1": "rsassa_pkcs1v15"}
_NAMED_OIDS = {
    "1.2.840.10045.3.1.7": "P-256", "1.3.132.0.34": "P-384", "1.3.132.0.35": "P-521", "1.3.132.0.33": "P-224",
    "1.3.36.3.3.2.8.1.1.7": "brainpoolP256r1", "1.3.36.3.3.2.8.1.1.11": "brainpoolP384r1",
    "1.3.36.3.3.2.8.1.1.13": "brainpoolP512r1", "1.3.36.3.3.2.8.1.1.5": "brainpoolP224r1",
}


class CertProblem(Exception):
    """Why a certificate, CRL or signature cannot be used: a message `code` and its `params`."""

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = params
        super().__init__(diagnostic(code, params))

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "params": dict(self.params)}


# ---- public keys ------------------------------------------------------------------------------
@dataclass(frozen=True)
class ExplicitEcKey:
    """An EC public key on a curve `cryptography` does not offer; verified with `card_reader.ec`."""

    curve: Curve
    point: tuple[int, int]

    def verify(self, r: int, s: int, digest: bytes) -> bool:
        n = self.curve.n
        if not (0 < r < n and 0 < s < n):
            return False
        e = int.from_bytes(digest, "big")
        if len(digest) * 8 > n.bit_length():
            e >>= len(digest) * 8 - n.bit_length()
        w = pow(s, -1, n)
        point = self.curve.add(self.curve._multiply(e * w % n, self.curve.g),
                               self.curve._multiply(r * w % n, self.point))
        return point is not None and point[0] % n == r


PublicKey = ec.EllipticCurvePublicKey | rsa.RSAPublicKey | ExplicitEcKey


@dataclass(frozen=True)
class KeyInfo:
    key: PublicKey
    description: str  # e.g. "ECDSA brainpoolP512r1 (explicit parameters)", "RSA 4096"
    oddities: tuple[str, ...] = ()  # message codes of tolerated quirks


def _curve_from_specified(params: keys.SpecifiedECDomain) -> tuple[Curve, bool]:
    """The named curve these explicit parameters equal (True), or a checked custom curve (False)."""
    field_id = params["field_id"]
    if field_id["field_type"].native != "prime_field":
        raise CertProblem("cert.curve_unsupported", detail=f"field type {field_id['field_type'].native}")
    p = int(field_id["parameters"].native)
    a = int.from_bytes(params["curve"]["a"].native, "big")
    b = int.from_bytes(params["curve"]["b"].native, "big")
    n = int(params["order"].native)
    h = int(params["cofactor"].native) if params["cofactor"].native is not None else 1
    base = bytes(params["base"].native) if not isinstance(params["base"].native, bytes) else params["base"].native
    size = (p.bit_length() + 7) // 8
    if base[:1] != b"\x04" or len(base) != 1 + 2 * size:
        raise CertProblem("cert.curve_unsupported", detail=f"base point encoding {base[:1].hex()} "
                                                          f"({len(base)} bytes, p of {p.bit_length()} bits)")
    g = (int.from_bytes(base[1:1 + size], "big"), int.from_bytes(base[1 + size:], "big"))
    for curve in CURVES.values():
        if (curve.p, curve.a, curve.b, curve.g, curve.n) == (p, a % p, b % p, g, n) and h == 1:
            return curve, True
    custom = Curve(f"explicit-{p.bit_length()}", p, a % p, b % p, g, n)
    reasons = []
    if not custom.contains(g):
        reasons.append("G is not on the curve")
    if h != 1:
        reasons.append(f"cofactor {h}")
    if n.bit_length() < 160:
        reasons.append(f"order of {n.bit_length()} bits")
    if not reasons and custom._multiply(n - 1, g) != (g[0], (-g[1]) % p):  # (n-1)·G = -G: n is G's order
        reasons.append("n is not the order of G")
    if reasons:
        raise CertProblem("cert.curve_unknown", bits=p.bit_length(), detail=", ".join(reasons))
    return custom, False


def _ec_key(spki: keys.PublicKeyInfo) -> KeyInfo:
    params = spki["algorithm"]["parameters"]
    point = bytes(spki["public_key"])
    if params.name == "named":
        name = _NAMED_OIDS.get(params.chosen.dotted)
        if name is None or name not in NATIVE_CURVES:
            if name in CURVES:
                return _custom_key(CURVES[name], point, name, ())
            raise CertProblem("cert.curve_unsupported", detail=f"named curve {params.chosen.dotted}")
        return KeyInfo(_native_key(name, point), f"ECDSA {name}")
    if params.name != "specified":
        raise CertProblem("cert.curve_unsupported", detail="implicitly-CA domain parameters")
    curve, named = _curve_from_specified(params.chosen)
    if named and curve.name in NATIVE_CURVES:
        return KeyInfo(_native_key(curve.name, point), f"ECDSA {curve.name} (explicit parameters)",
                       ("cert.odd.explicit_parameters",))
    return _custom_key(curve, point, f"{curve.name} (explicit parameters)", ("cert.odd.explicit_parameters",))


def _native_key(name: str, point: bytes) -> ec.EllipticCurvePublicKey:
    try:
        return ec.EllipticCurvePublicKey.from_encoded_point(NATIVE_CURVES[name](), point)
    except ValueError as exc:
        raise CertProblem("cert.bad_key", detail=f"{name} point: {exc}") from None


def _custom_key(curve: Curve, point: bytes, label: str, odd: tuple[str, ...]) -> KeyInfo:
    size = curve.size
    if point[:1] != b"\x04" or len(point) != 1 + 2 * size:
        raise CertProblem("cert.bad_key", detail=f"{label}: only uncompressed points are supported here")
    q = (int.from_bytes(point[1:1 + size], "big"), int.from_bytes(point[1 + size:], "big"))
    if not curve.contains(q):
        raise CertProblem("cert.bad_key", detail=f"{label}: the public point is not on the curve")
    return KeyInfo(ExplicitEcKey(curve, q), f"ECDSA {label}, own arithmetic", (*odd, "cert.odd.own_arithmetic"))


def public_key_info(spki: keys.PublicKeyInfo) -> KeyInfo:
    """The usable public key of a SubjectPublicKeyInfo, or CertProblem naming what is unsupported."""
    try:
        algorithm = spki["algorithm"]["algorithm"].native
        if algorithm == "ec":
            return _ec_key(spki)
        if algorithm in ("rsa", "rsassa_pss"):
            numbers = spki["public_key"].parsed
            key = rsa.RSAPublicNumbers(int(numbers["public_exponent"].native), int(numbers["modulus"].native))
            public = key.public_key()
            return KeyInfo(public, f"RSA {public.key_size}" + (" (PSS key)" if algorithm == "rsassa_pss" else ""))
    except CertProblem:
        raise
    except (ValueError, TypeError, KeyError, UnsupportedAlgorithm) as exc:
        raise CertProblem("cert.bad_key", detail=str(exc)) from None
    raise CertProblem("cert.key_unsupported", algorithm=spki["algorithm"]["algorithm"].dotted)


# ---- signatures -------------------------------------------------------------------------------
def algorithm_name(algorithm: algos.SignedDigestAlgorithm, digest_hint: str | None = None) -> str:
    try:
        return f"{algorithm.signature_algo}-{signature_hash(algorithm, digest_hint)}"
    except (ValueError, CertProblem):
        return algorithm["algorithm"].dotted


def signature_hash(algorithm: algos.SignedDigestAlgorithm, digest_hint: str | None = None) -> str:
    dotted = algorithm["algorithm"].dotted
    if dotted in ECDSA_PLAIN:
        return ECDSA_PLAIN[dotted]
    if dotted in _BARE_KEY_OIDS:
        if not digest_hint:
            raise CertProblem("cert.signature_algorithm_unsupported", algorithm=dotted)
        return digest_hint.replace("-", "").lower()
    try:
        return algorithm.hash_algo
    except ValueError:
        raise CertProblem("cert.signature_algorithm_unsupported", algorithm=dotted) from None


def verify_signature(key: PublicKey, algorithm: algos.SignedDigestAlgorithm, signature: bytes, data: bytes,
                     digest_hint: str | None = None) -> None:
    """Verify `signature` over `data`; raises CertProblem("cert.signature_invalid" …) or an unsupported code."""
    dotted = algorithm["algorithm"].dotted
    hash_name = signature_hash(algorithm, digest_hint)
    if hash_name not in HASHES:
        raise CertProblem("cert.signature_algorithm_unsupported", algorithm=f"{dotted} ({hash_name})")
    chosen = HASHES[hash_name]()
    kind = "ecdsa_plain" if dotted in ECDSA_PLAIN else _BARE_KEY_OIDS.get(dotted)
    if kind is None:
        try:
            kind = algorithm.signature_algo
        except ValueError:
            raise CertProblem("cert.signature_algorithm_unsupported", algorithm=dotted) from None
    name = f"{kind}-{hash_name}"
    try:
        if kind in ("ecdsa", "ecdsa_plain") and isinstance(key, ec.EllipticCurvePublicKey | ExplicitEcKey):
            r, s = _ecdsa_numbers(signature, kind == "ecdsa_plain")
            if isinstance(key, ExplicitEcKey):
                digest = hashlib.new(hash_name, data).digest()
                if not key.verify(r, s, digest):
                    raise InvalidSignature
            else:
                key.verify(utils.encode_dss_signature(r, s), data, ec.ECDSA(chosen))
            return
        if kind == "rsassa_pkcs1v15" and isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, data, padding.PKCS1v15(), chosen)
            return
        if kind == "rsassa_pss" and isinstance(key, rsa.RSAPublicKey):
            params = algorithm["parameters"]
            salt = int(params["salt_length"].native) if params.native else chosen.digest_size
            mgf_hash = HASHES.get(params["mask_gen_algorithm"]["parameters"]["algorithm"].native, type(chosen)) \
                if params.native else type(chosen)
            key.verify(signature, data, padding.PSS(padding.MGF1(mgf_hash()), salt), chosen)
            return
    except InvalidSignature:
        raise CertProblem("cert.signature_invalid", algorithm=name) from None
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise CertProblem("cert.signature_error", algorithm=name, detail=str(exc)) from None
    raise CertProblem("cert.key_mismatch", algorithm=name, key_type=type(key).__name__)


def _ecdsa_numbers(signature: bytes, plain: bool) -> tuple[int, int]:
    if plain:
        half = len(signature) // 2
        return int.from_bytes(signature[:half], "big"), int.from_bytes(signature[half:], "big")
    try:
        return utils.decode_dss_signature(signature)
    except ValueError:  # a few signers write the pair loosely (non-minimal integers): read it tolerantly
        seq = core.Sequence.load(signature, strict=False)
        return int(core.Integer.load(seq[0].dump()).native), int(core.Integer.load(seq[1].dump()).native)


# ---- names ------------------------------------------------------------------------------------
_SHORT = {"common_name": "CN", "country_name": "C", "organization_name": "O", "organizational_unit_name": "OU",
          "serial_number": "serialNumber", "locality_name": "L", "state_or_province_name": "ST"}


def name_text(name: ax.Name) -> str:
    """An RFC 4514-style rendering (most specific first) for messages."""
    parts = []
    for rdn in reversed(list(name.chosen)):
        for attribute in rdn:
            label = _SHORT.get(attribute["type"].native, attribute["type"].native)
            value = attribute["value"].native
            parts.append(f"{label}={value}")
    return ",".join(parts)


def name_key(name: ax.Name) -> tuple[tuple[str, bytes], ...]:
    """A cheap comparison key for a Name: attribute types with their value bytes, case-folded and
    trimmed, string type ignored. RFC 5280's full comparison (stringprep, asn1crypto's `hashable`)
    costs ~20 ms a name in Python: too slow for ~600 anchors at start; the chain check itself still
    compares names exactly as asn1crypto does (`==`) before it trusts a match."""
    parts = []
    for rdn in name.chosen:
        for attribute in rdn:
            value = attribute["value"]
            raw = value.chosen.contents if hasattr(value, "chosen") else value.contents
            parts.append((attribute["type"].dotted, b" ".join(raw.lower().split())))
    return tuple(sorted(parts))


# ---- certificates -----------------------------------------------------------------------------
@dataclass
class Cert:
    """One X.509 certificate, parsed tolerantly; `key` is usable with `verify_signature`."""

    der: bytes
    asn1: ax.Certificate
    key_info: KeyInfo
    oddities: tuple[str, ...] = ()
    source: str = ""  # where it was loaded from (file, master list, built in)
    _extensions: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def subject(self) -> ax.Name:
        return self.asn1.subject

    @property
    def issuer(self) -> ax.Name:
        return self.asn1.issuer

    @property
    def subject_key(self) -> tuple[tuple[str, bytes], ...]:
        """The subject, loosely normalised (`name_key`) and cached: the trust store's index key."""
        if "_subject_key" not in self._extensions:
            self._extensions["_subject_key"] = name_key(self.subject)
        return self._extensions["_subject_key"]

    @property
    def subject_text(self) -> str:
        return name_text(self.subject)

    @property
    def issuer_text(self) -> str:
        return name_text(self.issuer)

    @property
    def serial(self) -> int:
        return int(self.asn1["tbs_certificate"]["serial_number"].native)

    @property
    def not_before(self) -> dt.datetime:
        return self.asn1["tbs_certificate"]["validity"]["not_before"].native

    @property
    def not_after(self) -> dt.datetime:
        return self.asn1["tbs_certificate"]["validity"]["not_after"].native

    @property
    def key(self) -> PublicKey:
        return self.key_info.key

    @property
    def ski(self) -> bytes | None:
        value = self.asn1.key_identifier
        return bytes(value) if value is not None else None

    @property
    def aki(self) -> bytes | None:
        value = self.asn1.authority_key_identifier
        return bytes(value) if value is not None else None

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(self.der).hexdigest()

    @property
    def country(self) -> str:
        return str(self.subject.native.get("country_name", ""))

    @property
    def self_issued(self) -> bool:
        return self.subject == self.issuer

    @property
    def is_ca(self) -> bool:
        constraints = self.asn1.basic_constraints_value
        return bool(constraints and constraints["ca"].native)

    def valid_at(self, when: dt.datetime) -> bool:
        return self.not_before <= when <= self.not_after

    def signature_algorithm(self) -> str:
        return algorithm_name(self.asn1["signature_algorithm"])

    def verify_issued_by(self, issuer: Cert) -> None:
        """This certificate's signature by `issuer`'s key; CertProblem otherwise."""
        verify_signature(issuer.key, self.asn1["signature_algorithm"], bytes(self.asn1["signature_value"]),
                         self.asn1["tbs_certificate"].dump())

    def summary(self) -> dict[str, Any]:
        return {"subject": self.subject_text, "issuer": self.issuer_text, "serial": self.serial,
                "not_before": self.not_before.isoformat(), "not_after": self.not_after.isoformat(),
                "key": self.key_info.description, "signature_algorithm": self.signature_algorithm(),
                "sha256": self.fingerprint, "ski": self.ski.hex().upper() if self.ski else None,
                "oddities": list(self.oddities), "source": self.source}


def load_certificate(data: bytes | ax.Certificate, source: str = "") -> Cert:
    """A certificate from DER (or an asn1crypto object); CertProblem naming why it cannot be used."""
    try:
        return _load_certificate(data, source)
    except CertProblem:
        raise
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise CertProblem("cert.unparseable", detail=str(exc)[:200]) from None


def _load_certificate(data: bytes | ax.Certificate, source: str) -> Cert:
    asn1 = data if isinstance(data, ax.Certificate) else ax.Certificate.load(data, strict=True)
    der = asn1.dump()
    tbs = asn1["tbs_certificate"]
    serial = int(tbs["serial_number"].native)
    # Parse now what every later step needs, so a broken entry is refused here, named, and never
    # halfway through a chain check. (Only these parts: `.native` of the whole certificate costs
    # several times more, and a station loads ~600 at start.)
    tbs["validity"]["not_before"].native  # noqa: B018
    tbs["validity"]["not_after"].native  # noqa: B018
    cache: dict[str, Any] = {"_subject_key": name_key(asn1.subject)}
    name_key(asn1.issuer)
    asn1.key_identifier  # noqa: B018
    asn1.authority_key_identifier  # noqa: B018
    bytes(asn1["signature_value"])
    key_info = public_key_info(tbs["subject_public_key_info"])
    oddities = list(key_info.oddities)
    if serial <= 0:
        oddities.append("cert.odd.non_positive_serial")
    inner, outer = tbs["signature"], asn1["signature_algorithm"]
    if inner.dump() != outer.dump():
        oddities.append("cert.odd.signature_algorithm_mismatch")
    if outer["algorithm"].native.endswith("ecdsa") and outer["parameters"].native is None \
            and outer["parameters"].dump() == core.Null().dump():
        oddities.append("cert.odd.ecdsa_null_parameters")
    return Cert(der, asn1, key_info, tuple(oddities), source, cache)


def certificates_from_bytes(data: bytes) -> list[bytes]:
    """DER blobs from a DER file or a PEM file holding one or more CERTIFICATE blocks."""
    if pem.detect(data):
        return [body for kind, _headers, body in pem.unarmor(data, multiple=True) if kind == "CERTIFICATE"]
    return [data]


# ---- CRLs -------------------------------------------------------------------------------------
@dataclass
class Crl:
    der: bytes
    asn1: crl.CertificateList
    source: str = ""

    @property
    def issuer(self) -> ax.Name:
        return self.asn1.issuer

    @property
    def issuer_text(self) -> str:
        return name_text(self.issuer)

    @property
    def this_update(self) -> dt.datetime:
        return self.asn1["tbs_cert_list"]["this_update"].native

    @property
    def next_update(self) -> dt.datetime | None:
        return self.asn1["tbs_cert_list"]["next_update"].native

    @property
    def aki(self) -> bytes | None:
        value = self.asn1.authority_key_identifier
        return bytes(value) if value is not None else None

    def revoked(self, serial: int) -> dt.datetime | None:
        """The revocation date of `serial` (negative serials compare as written), or None."""
        for entry in self.asn1["tbs_cert_list"]["revoked_certificates"]:
            if int(entry["user_certificate"].native) == serial:
                return entry["revocation_date"].native
        return None

    def verify_issued_by(self, issuer: Cert) -> None:
        verify_signature(issuer.key, self.asn1["signature_algorithm"], bytes(self.asn1["signature"]),
                         self.asn1["tbs_cert_list"].dump())


def load_crl(data: bytes, source: str = "") -> Crl:
    if pem.detect(data):
        blocks = [body for kind, _h, body in pem.unarmor(data, multiple=True) if kind == "X509 CRL"]
        if not blocks:
            raise CertProblem("cert.unparseable", detail="no X509 CRL block in the PEM file")
        data = blocks[0]
    try:
        asn1 = crl.CertificateList.load(data, strict=True)
        asn1.native  # noqa: B018  (parse everything now)
    except (ValueError, TypeError, KeyError) as exc:
        raise CertProblem("cert.unparseable", detail=str(exc)[:200]) from None
    return Crl(asn1.dump(), asn1, source)

"""SecurityInfos (EF.CardAccess and DG14): PACE, chip authentication, AA and TA entries.

The ASN.1 of ICAO Doc 9303 part 11 (§9.2) and BSI TR-03110 part 3 (A.1.1) is declared below as
asn1crypto classes, one per SecurityInfo kind; a file is read as `SET OF SecurityInfo` (protocol,
requiredData, optionalData) and each entry is then loaded as the class its protocol OID names.
An entry of a kind this reader does not use (CardInfoLocator, EFDIR, PrivilegedTerminal...) is
kept as it came (`unknown`), so a report or a later version can still look at it.

A file that does not parse raises `CardDataError` naming the file and the entry (its position
and protocol), never an IndexError from the middle of a walk.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from asn1crypto import core, keys

from card_reader.ec import CURVES, Curve, curve_by_parameters
from card_reader.errors import CardDataError
from card_reader.oids import ID_AA, ID_CA, ID_PACE, ID_PK_DH, ID_PK_ECDH, ID_TA

_NAMED = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521", "secp224r1": "P-224",
          "brainpoolp256r1": "brainpoolP256r1", "brainpoolp384r1": "brainpoolP384r1",
          "brainpoolp512r1": "brainpoolP512r1", "brainpoolp224r1": "brainpoolP224r1"}


# --- the ASN.1 -----------------------------------------------------------------------------

class SecurityInfo(core.Sequence):
    """SecurityInfo ::= SEQUENCE { protocol OID, requiredData ANY DEFINED BY protocol,
    optionalData ANY DEFINED BY protocol OPTIONAL }"""

    _fields = [
        ("protocol", core.ObjectIdentifier),
        ("required_data", core.Any),
        ("optional_data", core.Any, {"optional": True}),
    ]


class SecurityInfoSet(core.SetOf):
    """SecurityInfos ::= SET OF SecurityInfo (the whole of EF.CardAccess)."""

    _child_spec = SecurityInfo


class DG14Content(SecurityInfoSet):
    """DG14 ::= [APPLICATION 14] SecurityInfos (tag 6E)."""

    explicit = ((1, 14),)  # (class: application, tag number), as asn1crypto stores it


class AlgorithmIdentifier(core.Sequence):
    """Domain parameters: an algorithm (id-ecPublicKey, dhpublicnumber, standardized...) and its
    parameters, left as they came (a named curve, explicit parameters or a parameter number)."""

    _fields = [
        ("algorithm", core.ObjectIdentifier),
        ("parameters", core.Any, {"optional": True}),
    ]


class PACEInfo(core.Sequence):
    """PACEInfo ::= SEQUENCE { protocol id-PACE-x-y-z, version INTEGER, parameterId INTEGER OPTIONAL }"""

    _fields = [
        ("protocol", core.ObjectIdentifier),
        ("version", core.Integer),
        ("parameter_id", core.Integer, {"optional": True}),
    ]


class PACEDomainParameterInfo(core.Sequence):
    """PACEDomainParameterInfo ::= SEQUENCE { protocol id-PACE-x-y, domainParameter
    AlgorithmIdentifier, parameterId INTEGER OPTIONAL } (proprietary domain parameters)"""

    _fields = [
        ("protocol", core.ObjectIdentifier),
        ("domain_parameter", AlgorithmIdentifier),
        ("parameter_id", core.Integer, {"optional": True}),
    ]


class ChipAuthenticationInfo(core.Sequence):
    """ChipAuthenticationInfo ::= SEQUENCE { protocol id-CA-x-y, version INTEGER, keyId INTEGER OPTIONAL }"""

    _fields = [
        ("protocol", core.ObjectIdentifier),
        ("version", core.Integer),
        ("key_id", core.Integer, {"optional": True}),
    ]


class ChipAuthenticationDomainParameterInfo(core.Sequence):
    """ChipAuthenticationDomainParameterInfo ::= SEQUENCE { protocol id-CA-DH | id-CA-ECDH,
    domainParameter AlgorithmIdentifier, keyId INTEGER OPTIONAL }"""

    _fields = [
        ("protocol", core.ObjectIdentifier),
        ("domain_parameter", AlgorithmIdentifier),
        ("key_id", core.Integer, {"optional": True}),
    ]


class ChipAuthenticationPublicKeyInfo(core.Sequence):
    """ChipAuthenticationPublicKeyInfo ::= SEQUENCE { protocol id-PK-DH | id-PK-ECDH,
    chipAuthenticationPublicKey SubjectPublicKeyInfo, keyId INTEGER OPTIONAL }"""

    _fields = [
        ("protocol", core.ObjectIdentifier),
        ("chip_authentication_public_key", keys.PublicKeyInfo),
        ("key_id", core.Integer, {"optional": True}),
    ]


class FileID(core.Sequence):
    """FileID ::= SEQUENCE { fid OCTET STRING (SIZE(2)), sfid OCTET STRING (SIZE(1)) OPTIONAL }"""

    _fields = [
        ("fid", core.OctetString),
        ("sfid", core.OctetString, {"optional": True}),
    ]


class TerminalAuthenticationInfo(core.Sequence):
    """TerminalAuthenticationInfo ::= SEQUENCE { protocol id-TA, version INTEGER, efCVCA FileID OPTIONAL }"""

    _fields = [
        ("protocol", core.ObjectIdentifier),
        ("version", core.Integer),
        ("ef_cvca", FileID, {"optional": True}),
    ]


class ActiveAuthenticationInfo(core.Sequence):
    """ActiveAuthenticationInfo ::= SEQUENCE { protocol id-icao-mrtd-security-aaProtocolObject,
    version INTEGER, signatureAlgorithm OID }. The algorithm is read as optional: only an
    ECDSA key needs it, and chips with an RSA key have been seen to leave it out."""

    _fields = [
        ("protocol", core.ObjectIdentifier),
        ("version", core.Integer),
        ("signature_algorithm", core.ObjectIdentifier, {"optional": True}),
    ]


def _arcs_below(protocol: str, parent: str) -> int:
    """How many arcs `protocol` has below `parent` (0 when it is not under it)."""
    return protocol.count(".") - parent.count(".") if protocol.startswith(parent + ".") else 0


def info_class(protocol: str) -> type[core.Sequence] | None:
    """The SecurityInfo kind a protocol OID names (None: a kind this reader does not use)."""
    if _arcs_below(protocol, ID_PACE) == 2:
        return PACEInfo
    if _arcs_below(protocol, ID_PACE) == 1:
        return PACEDomainParameterInfo
    if _arcs_below(protocol, ID_CA) == 2:
        return ChipAuthenticationInfo
    if _arcs_below(protocol, ID_CA) == 1:
        return ChipAuthenticationDomainParameterInfo
    if protocol in (ID_PK_ECDH, ID_PK_DH):
        return ChipAuthenticationPublicKeyInfo
    if protocol == ID_TA or _arcs_below(protocol, ID_TA):
        return TerminalAuthenticationInfo
    if protocol == ID_AA:
        return ActiveAuthenticationInfo
    return None


# --- what the reader uses ------------------------------------------------------------------

@dataclass(frozen=True)
class PaceInfo:
    protocol: str
    version: int
    parameter_id: int | None


@dataclass(frozen=True)
class ChipAuthInfo:
    protocol: str
    version: int
    key_id: int | None


@dataclass(frozen=True)
class ChipAuthPublicKey:
    protocol: str  # id-PK-ECDH or id-PK-DH
    curve: Curve | None
    point: bytes  # EC: the uncompressed point; DH: the content of the key's BIT STRING
    key_id: int | None


@dataclass(frozen=True)
class ActiveAuthInfo:
    version: int
    signature_algorithm: str | None


@dataclass(frozen=True)
class DomainParameterInfo:
    """PACE's or CA's proprietary domain parameters (the algorithm and its parameters' DER)."""

    protocol: str
    algorithm: str
    parameters: bytes | None
    parameter_id: int | None  # PACE: parameterId; CA: keyId


@dataclass(frozen=True)
class UnknownInfo:
    """A SecurityInfo of a kind this reader does not use, kept as it came."""

    protocol: str
    der: bytes


@dataclass
class SecurityInfos:
    pace: list[PaceInfo]
    chip_auth: list[ChipAuthInfo]
    chip_auth_keys: list[ChipAuthPublicKey]
    active_auth: ActiveAuthInfo | None
    terminal_auth: bool
    other: list[str]  # protocols of every entry not listed above (domain parameters, unknown kinds)
    pace_domain_parameters: list[DomainParameterInfo] = field(default_factory=list)
    chip_auth_domain_parameters: list[DomainParameterInfo] = field(default_factory=list)
    unknown: list[UnknownInfo] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "pace": [{"protocol": p.protocol, "parameter_id": p.parameter_id} for p in self.pace],
            "chip_authentication": [{"protocol": c.protocol, "key_id": c.key_id} for c in self.chip_auth],
            "active_authentication": bool(self.active_auth),
            "terminal_authentication": self.terminal_auth,
        }


class _EntryError(Exception):
    """A problem in one entry, before the file and the entry's position are known."""


def _curve_of(algorithm: keys.PublicKeyAlgorithm) -> Curve:
    """The curve of an EC key: a named curve OID or explicit parameters (as CCCD's CSCA uses)."""
    parameters = algorithm["parameters"]
    if not isinstance(parameters, keys.ECDomainParameters):
        raise _EntryError("EC public key without domain parameters")
    if parameters.name == "named":
        named = parameters.chosen.native
        name = _NAMED.get(str(named).lower())
        if name is None:
            raise _EntryError(f"unsupported named curve {named}")
        return CURVES[name]
    if parameters.name != "specified":
        raise _EntryError("EC public key with implicit domain parameters")
    domain = parameters.chosen
    p = domain["field_id"]["parameters"].native
    a = int.from_bytes(domain["curve"]["a"].native, "big")
    b = int.from_bytes(domain["curve"]["b"].native, "big")
    base = domain["base"].native
    size = (p.bit_length() + 7) // 8
    g = (int.from_bytes(base[1 : 1 + size], "big"), int.from_bytes(base[1 + size :], "big"))
    return curve_by_parameters(p, a, b, g, domain["order"].native)


def _public_key(info: ChipAuthenticationPublicKeyInfo) -> ChipAuthPublicKey:
    protocol = info["protocol"].dotted
    spki = info["chip_authentication_public_key"]
    key_id = info["key_id"].native
    bits = spki["public_key"].contents[1:]  # the BIT STRING's unused-bits byte, then the key
    if protocol == ID_PK_DH:
        return ChipAuthPublicKey(protocol, None, bits, key_id)
    if spki["algorithm"]["algorithm"].native != "ec":
        raise _EntryError(f"id-PK-ECDH with a {spki['algorithm']['algorithm'].dotted} key")
    curve = _curve_of(spki["algorithm"])
    try:
        curve.decode(bits)
    except (CardDataError, ValueError) as exc:
        raise _EntryError(f"chip authentication key: {getattr(exc, 'detail', exc)}") from None
    return ChipAuthPublicKey(protocol, curve, bits, key_id)


def _domain_parameters(info: core.Sequence, id_field: str) -> DomainParameterInfo:
    algorithm = info["domain_parameter"]
    parameters = algorithm["parameters"]
    return DomainParameterInfo(info["protocol"].dotted, algorithm["algorithm"].dotted,
                               None if isinstance(parameters, core.Void) else parameters.dump(),
                               info[id_field].native)


def _add(infos: SecurityInfos, entry: SecurityInfo) -> None:
    protocol = entry["protocol"].dotted
    kind = info_class(protocol)
    if kind is None:
        infos.other.append(protocol)
        infos.unknown.append(UnknownInfo(protocol, entry.dump()))
        return
    info = kind.load(entry.dump(), strict=True)
    info.native  # parse every field now: a malformed one is reported for this entry  # noqa: B018
    if len(info.children or ()) > len(kind._fields):
        # asn1crypto keeps an element it cannot place (a text where an optional INTEGER goes)
        # as an extra child instead of refusing it
        raise _EntryError(f"unexpected element after {kind._fields[-1][0]}")
    if isinstance(info, PACEInfo):
        infos.pace.append(PaceInfo(protocol, info["version"].native, info["parameter_id"].native))
    elif isinstance(info, ChipAuthenticationInfo):
        infos.chip_auth.append(ChipAuthInfo(protocol, info["version"].native, info["key_id"].native))
    elif isinstance(info, ChipAuthenticationPublicKeyInfo):
        infos.chip_auth_keys.append(_public_key(info))
    elif isinstance(info, ActiveAuthenticationInfo):
        algorithm = info["signature_algorithm"]
        infos.active_auth = ActiveAuthInfo(info["version"].native,
                                           None if isinstance(algorithm, core.Void) else algorithm.dotted)
    elif isinstance(info, TerminalAuthenticationInfo):
        infos.terminal_auth = True
    elif isinstance(info, PACEDomainParameterInfo):
        infos.other.append(protocol)
        infos.pace_domain_parameters.append(_domain_parameters(info, "parameter_id"))
    elif isinstance(info, ChipAuthenticationDomainParameterInfo):
        infos.other.append(protocol)
        infos.chip_auth_domain_parameters.append(_domain_parameters(info, "key_id"))


def _protocol_hint(entry: SecurityInfo) -> str:
    """The entry's protocol OID even when the rest of it does not parse (to name it in the error)."""
    try:
        first = core.load(entry.contents or b"")
    except (ValueError, TypeError):
        return "?"
    return first.dotted if isinstance(first, core.ObjectIdentifier) else "?"


def _parse(data: bytes, spec: type[SecurityInfoSet], where: str) -> SecurityInfos:
    infos = SecurityInfos([], [], [], None, False, [])
    try:
        # Bytes after the file's one object are ignored, as a card's padding always was.
        entries = spec.load(data)
        count = len(entries)
    except (ValueError, TypeError) as exc:
        raise CardDataError(where, f"malformed SecurityInfos: {exc}") from None
    for index in range(count):
        protocol = "?"
        try:
            entry = entries[index]
            protocol = _protocol_hint(entry)
            _add(infos, entry)
        except (_EntryError, CardDataError, ValueError, TypeError, KeyError) as exc:
            # CardDataError: from the curve arithmetic (an explicit curve this reader does not know)
            kind = info_class(protocol) if protocol != "?" else None
            name = kind.__name__ if kind else "SecurityInfo"
            problem = exc.detail if isinstance(exc, CardDataError) else str(exc)
            raise CardDataError(
                where, f"malformed SecurityInfos: entry {index + 1} ({name} {protocol}): {problem}") from None
    return infos


def parse_security_infos(data: bytes, where: str) -> SecurityInfos:
    """A `SET OF SecurityInfo` object (EF.CardAccess as read, or what DG14's 6E tag holds)."""
    return _parse(data, SecurityInfoSet, where)


def parse_card_access(data: bytes) -> SecurityInfos:
    return _parse(data, SecurityInfoSet, "EF.CardAccess")


def parse_dg14(data: bytes) -> SecurityInfos:
    return _parse(data, DG14Content, "DG14")

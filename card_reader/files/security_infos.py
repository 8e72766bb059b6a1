"""SecurityInfos (EF.CardAccess and DG14): PACE, chip authentication, AA and TA entries."""

from __future__ import annotations

from dataclasses import dataclass

from asn1crypto import core, keys

from card_reader import tlv
from card_reader.ec import CURVES, Curve, curve_by_parameters
from card_reader.errors import CardDataError
from card_reader.oids import ID_AA, ID_CA, ID_PACE, ID_PK_DH, ID_PK_ECDH, ID_TA

_NAMED = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521", "secp224r1": "P-224",
          "brainpoolp256r1": "brainpoolP256r1", "brainpoolp384r1": "brainpoolP384r1",
          "brainpoolp512r1": "brainpoolP512r1", "brainpoolp224r1": "brainpoolP224r1"}


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
    point: bytes  # uncompressed EC point
    key_id: int | None


@dataclass(frozen=True)
class ActiveAuthInfo:
    version: int
    signature_algorithm: str | None


@dataclass
class SecurityInfos:
    pace: list[PaceInfo]
    chip_auth: list[ChipAuthInfo]
    chip_auth_keys: list[ChipAuthPublicKey]
    active_auth: ActiveAuthInfo | None
    terminal_auth: bool
    other: list[str]

    def to_dict(self) -> dict[str, object]:
        return {
            "pace": [{"protocol": p.protocol, "parameter_id": p.parameter_id} for p in self.pace],
            "chip_authentication": [{"protocol": c.protocol, "key_id": c.key_id} for c in self.chip_auth],
            "active_authentication": bool(self.active_auth),
            "terminal_authentication": self.terminal_auth,
        }


def _oid(value: bytes) -> str:
    return core.ObjectIdentifier.load(tlv.tlv(0x06, value)).dotted


def _int(value: bytes) -> int:
    return core.Integer.load(tlv.tlv(0x02, value)).native


def _curve_of(algorithm: bytes) -> Curve:
    """Curve from an AlgorithmIdentifier's parameters: a named curve OID or explicit parameters."""
    items = list(tlv.iter_tlv(algorithm))
    if len(items) < 2:
        raise CardDataError("security info", "EC public key without domain parameters")
    tag, value = items[1]
    if tag == 0x06:
        named = keys.NamedCurve.load(tlv.tlv(0x06, value)).native
        name = _NAMED.get(str(named).lower())
        if name is None:
            raise CardDataError("security info", f"unsupported named curve {named}")
        return CURVES[name]
    domain = keys.SpecifiedECDomain.load(tlv.tlv(tag, value))
    p = domain["field_id"]["parameters"].native
    a = int.from_bytes(domain["curve"]["a"].native, "big")
    b = int.from_bytes(domain["curve"]["b"].native, "big")
    base = domain["base"].native
    size = (p.bit_length() + 7) // 8
    g = (int.from_bytes(base[1 : 1 + size], "big"), int.from_bytes(base[1 + size :], "big"))
    return curve_by_parameters(p, a, b, g, domain["order"].native)


def _public_key(protocol: str, items: list[tuple[int, bytes]]) -> ChipAuthPublicKey:
    spki = list(tlv.iter_tlv(items[1][1]))
    algorithm, bits = spki[0][1], spki[1][1]
    key_id = _int(items[2][1]) if len(items) > 2 and items[2][0] == 0x02 else None
    if protocol == ID_PK_DH:
        return ChipAuthPublicKey(protocol, None, bits[1:], key_id)
    curve = _curve_of(algorithm)
    point = bits[1:]  # BIT STRING: unused-bits byte, then the point
    curve.decode(point)  # raises when the point is not on the curve
    return ChipAuthPublicKey(protocol, curve, point, key_id)


def parse_security_infos(data: bytes, where: str) -> SecurityInfos:
    infos = SecurityInfos([], [], [], None, False, [])
    try:
        for tag, body in tlv.iter_tlv(tlv.unwrap(data, 0x31)):
            if tag != 0x30:
                continue
            items = list(tlv.iter_tlv(body))
            protocol = _oid(items[0][1])
            ints = [_int(v) for t, v in items[1:] if t == 0x02]
            if protocol.startswith(ID_PACE + ".") and protocol.count(".") == ID_PACE.count(".") + 2:
                infos.pace.append(PaceInfo(protocol, ints[0], ints[1] if len(ints) > 1 else None))
            elif protocol.startswith(ID_CA + ".") and protocol.count(".") == ID_CA.count(".") + 2:
                infos.chip_auth.append(ChipAuthInfo(protocol, ints[0], ints[1] if len(ints) > 1 else None))
            elif protocol in (ID_PK_ECDH, ID_PK_DH):
                infos.chip_auth_keys.append(_public_key(protocol, items))
            elif protocol == ID_AA:
                algorithm = _oid(items[2][1]) if len(items) > 2 and items[2][0] == 0x06 else None
                infos.active_auth = ActiveAuthInfo(ints[0] if ints else 1, algorithm)
            elif protocol.startswith(ID_TA):
                infos.terminal_auth = True
            else:
                infos.other.append(protocol)
    except (IndexError, ValueError, TypeError) as exc:
        raise CardDataError(where, f"malformed SecurityInfos: {exc}") from None
    return infos


def parse_card_access(data: bytes) -> SecurityInfos:
    return parse_security_infos(data, "EF.CardAccess")


def parse_dg14(data: bytes) -> SecurityInfos:
    return parse_security_infos(tlv.unwrap(data, 0x6E), "DG14")

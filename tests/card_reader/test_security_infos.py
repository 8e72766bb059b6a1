"""SecurityInfos declared as asn1crypto classes (issue #16, item 4): real chips' files, the
virtual chip's, every SecurityInfo kind of ICAO 9303 part 11 / BSI TR-03110, and malformed data
refused with the file and the entry named."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from asn1crypto import core, keys, x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from card_reader.errors import CardDataError
from card_reader.files.security_infos import (
    ActiveAuthenticationInfo,
    AlgorithmIdentifier,
    ChipAuthenticationInfo,
    ChipAuthenticationPublicKeyInfo,
    PACEDomainParameterInfo,
    PACEInfo,
    SecurityInfoSet,
    TerminalAuthenticationInfo,
    info_class,
    parse_card_access,
    parse_dg14,
    parse_security_infos,
)
from card_reader.oids import ID_AA, ID_PK_ECDH, ID_TA
from card_reader.tlv import tlv
from card_reader.virtual import lds
from tests.conftest import SHARED, require

h = bytes.fromhex
PACE_GM_AES128 = "0.4.0.127.0.7.2.2.4.2.2"
CA_ECDH_AES128 = "0.4.0.127.0.7.2.2.3.2.2"
CARD_INFO_LOCATOR = "0.4.0.127.0.7.2.2.6"
VN_CSCA = SHARED / "peers" / "gmrtd" / "VN_CSCA_from_DE.der"

def _set(*infos: core.Sequence) -> bytes:
    data = tlv(0x31, b"".join(info.dump() for info in infos))
    assert len(SecurityInfoSet.load(data)) == len(infos)
    return data


def _dg14(*infos: core.Sequence) -> bytes:
    return core.Asn1Value(class_="application", method="constructed", tag=14, contents=_set(*infos)).dump()


def _ca_key(spki: bytes, key_id: int | None = None) -> ChipAuthenticationPublicKeyInfo:
    fields = {"protocol": ID_PK_ECDH, "chip_authentication_public_key": keys.PublicKeyInfo.load(spki)}
    if key_id is not None:
        fields["key_id"] = key_id
    return ChipAuthenticationPublicKeyInfo(fields)


def _error(parse: Callable[[bytes], object], data: bytes) -> CardDataError:
    with pytest.raises(CardDataError) as caught:
        parse(data)
    return caught.value


def test_card_access_with_pace_infos() -> None:
    data = _set(PACEInfo({"protocol": PACE_GM_AES128, "version": 2, "parameter_id": 13}),
                PACEInfo({"protocol": "0.4.0.127.0.7.2.2.4.6.2", "version": 2, "parameter_id": 13}))
    infos = parse_card_access(data)
    assert [(p.protocol, p.version, p.parameter_id) for p in infos.pace] == [
        (PACE_GM_AES128, 2, 13), ("0.4.0.127.0.7.2.2.4.6.2", 2, 13)]
    assert not infos.chip_auth and not infos.terminal_auth and infos.other == []


def test_virtual_chip_files() -> None:
    infos = parse_card_access(lds.card_access())
    assert [(p.protocol, p.parameter_id) for p in infos.pace] == [(PACE_GM_AES128, 13)]
    assert infos.chip_auth[0].protocol == CA_ECDH_AES128 and infos.terminal_auth
    public = ec.generate_private_key(ec.SECP256R1()).public_key()
    dg14 = parse_dg14(lds.dg14(public, aa_is_ecdsa=True, key_id=9))
    assert dg14.chip_auth_keys[0].curve is not None and dg14.chip_auth_keys[0].curve.name == "P-256"
    assert dg14.chip_auth_keys[0].key_id == 9 and dg14.chip_auth[0].key_id == 9
    assert dg14.chip_auth_keys[0].point == public.public_bytes(serialization.Encoding.X962,
                                                               serialization.PublicFormat.UncompressedPoint)
    assert dg14.active_auth is not None and dg14.active_auth.version == 1
    assert parse_dg14(lds.dg14(public, aa_is_ecdsa=False)).active_auth is None  # RSA AA needs no info


def test_vietnams_csca_key_as_a_chip_key() -> None:
    """A real key in explicit domain parameters (brainpoolP512r1, as Vietnam's PKI writes it)."""
    require(VN_CSCA.exists(), f"reference certificate not found at {VN_CSCA}")
    cert = x509.Certificate.load(VN_CSCA.read_bytes())
    spki = cert["tbs_certificate"]["subject_public_key_info"]
    assert spki["algorithm"]["parameters"].name == "specified"
    infos = parse_dg14(_dg14(_ca_key(spki.dump(), key_id=2)))
    (key,) = infos.chip_auth_keys
    assert key.curve is not None and key.curve.name == "brainpoolP512r1" and key.key_id == 2
    assert key.point == spki["public_key"].native


def test_every_kind_is_declared_and_unknown_ones_are_kept() -> None:
    named = AlgorithmIdentifier({"algorithm": "1.2.840.10045.2.1",
                                 "parameters": core.ObjectIdentifier("1.3.36.3.3.2.8.1.1.7")})
    locator = core.Sequence.load(
        tlv(0x30, core.ObjectIdentifier(CARD_INFO_LOCATOR).dump() + core.IA5String("http://example.invalid").dump()))
    data = _set(
        PACEInfo({"protocol": PACE_GM_AES128, "version": 2}),
        PACEDomainParameterInfo({"protocol": "0.4.0.127.0.7.2.2.4.2", "domain_parameter": named, "parameter_id": 32}),
        ChipAuthenticationInfo({"protocol": CA_ECDH_AES128, "version": 1, "key_id": 4}),
        TerminalAuthenticationInfo({"protocol": ID_TA, "version": 2,
                                    "ef_cvca": {"fid": b"\x01\x1c", "sfid": b"\x1c"}}),
        ActiveAuthenticationInfo({"protocol": ID_AA, "version": 1, "signature_algorithm": "0.4.0.127.0.7.1.1.4.1.4"}),
        locator,
    )
    infos = parse_card_access(data)
    assert infos.pace[0].parameter_id is None and infos.chip_auth[0].key_id == 4 and infos.terminal_auth
    assert infos.active_auth is not None and infos.active_auth.signature_algorithm == "0.4.0.127.0.7.1.1.4.1.4"
    (domain,) = infos.pace_domain_parameters
    assert (domain.protocol, domain.algorithm, domain.parameter_id) == ("0.4.0.127.0.7.2.2.4.2", "1.2.840.10045.2.1", 32)
    assert domain.parameters == core.ObjectIdentifier("1.3.36.3.3.2.8.1.1.7").dump()
    (unknown,) = infos.unknown
    assert unknown.protocol == CARD_INFO_LOCATOR and unknown.der == locator.dump()
    assert infos.other == ["0.4.0.127.0.7.2.2.4.2", CARD_INFO_LOCATOR]
    assert parse_security_infos(data, "EF.CardAccess").to_dict() == infos.to_dict()
    assert info_class("0.4.0.127.0.7.2.2.3.1") is not None and info_class("1.2.3") is None


@pytest.mark.parametrize(("data", "detail"), [
    (_set(PACEInfo({"protocol": PACE_GM_AES128, "version": 2}))[:-3], "malformed SecurityInfos"),  # truncated
    (h("3103060101"), "entry 1"),  # an OID alone, not a SEQUENCE
    (tlv(0x31, tlv(0x30, core.ObjectIdentifier(PACE_GM_AES128).dump())),
     f"entry 1 (PACEInfo {PACE_GM_AES128})"),  # PACEInfo without its version
    (tlv(0x31, tlv(0x30, core.ObjectIdentifier(PACE_GM_AES128).dump() + core.Integer(2).dump() + h("0c010d"))),
     "entry 1 (PACEInfo 0.4.0.127.0.7.2.2.4.2.2): unexpected element after parameter_id"),  # text, not INTEGER
])
def test_malformed_card_access_names_the_file_and_entry(data: bytes, detail: str) -> None:
    error = _error(parse_card_access, data)
    assert error.where == "EF.CardAccess" and detail in error.detail, error.detail


def test_malformed_dg14_names_the_file_and_entry() -> None:
    assert _error(parse_dg14, h("01021234")).where == "DG14"  # not 6E
    assert _error(parse_dg14, h("6e03060101")).where == "DG14"  # 6E without a SET
    spki = bytearray(lds.spki(ec.generate_private_key(ec.BrainpoolP256R1()).public_key()))
    spki[-1] ^= 0x01  # the point leaves the curve
    good = ChipAuthenticationInfo({"protocol": CA_ECDH_AES128, "version": 1})
    off_curve = _error(parse_dg14, _dg14(good, _ca_key(bytes(spki))))
    assert off_curve.where == "DG14" and f"entry 2 (ChipAuthenticationPublicKeyInfo {ID_PK_ECDH})" in off_curve.detail
    secp192 = lds.spki(ec.generate_private_key(ec.SECP192R1()).public_key())
    unsupported = _error(parse_dg14, _dg14(_ca_key(secp192)))
    assert "entry 1" in unsupported.detail and "unsupported named curve" in unsupported.detail

"""The files a virtual CCCD chip holds, encoded as ICAO Doc 9303 Part 10 says (LDS 1.7).

Only the chip uses these encoders; the reader side parses the same bytes with its own parsers,
so a mismatch between the two shows up in the tests.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import cv2
import numpy as np
from asn1crypto import algos, cms, core
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from card_reader import oids
from card_reader.testpki import TestPKI
from card_reader.tlv import tlv
from card_reader.virtual.identity import Identity

# The protocols a CCCD announces (Doc 9303 Part 11 / BSI TR-03110).
PACE_OID = f"{oids.ID_PACE_ECDH_GM}.2"  # id-PACE-ECDH-GM-AES-CBC-CMAC-128
CA_OID = f"{oids.ID_CA_ECDH}.2"  # id-CA-ECDH-AES-CBC-CMAC-128
AA_ECDSA_OID = f"{oids.ECDSA_PLAIN}.3"  # ecdsa-plain-SHA256
LDS_SECURITY_OBJECT = "2.23.136.1.1.1"
PACE_PARAM_BRAINPOOL_P256R1 = 13

# Elementary files: data group number -> (file id, short file identifier, LDS tag).
DG_FILES = {1: (0x0101, 0x01, 0x61), 2: (0x0102, 0x02, 0x75), 3: (0x0103, 0x03, 0x63), 11: (0x010B, 0x0B, 0x6B),
            13: (0x010D, 0x0D, 0x6D),
            14: (0x010E, 0x0E, 0x6E), 15: (0x010F, 0x0F, 0x6F)}
EF_COM = (0x011E, 0x1E)
EF_SOD = (0x011D, 0x1D)
EF_CARD_ACCESS = (0x011C, 0x1C)


# ---- DER helpers --------------------------------------------------------------------------
def _seq(*items: bytes) -> bytes:
    return tlv(0x30, b"".join(items))


def _set(*items: bytes) -> bytes:
    return tlv(0x31, b"".join(sorted(items)))  # DER: SET OF sorted by encoding


def _oid(dotted: str) -> bytes:
    return core.ObjectIdentifier(dotted).dump()


def _int(value: int) -> bytes:
    return core.Integer(value).dump()


def _utf8(text: str) -> bytes:
    return core.UTF8String(text).dump()


# ---- security infos ------------------------------------------------------------------------
def pace_info() -> bytes:
    return _seq(_oid(PACE_OID), _int(2), _int(PACE_PARAM_BRAINPOOL_P256R1))


def ca_info(key_id: int = 1) -> bytes:
    return _seq(_oid(CA_OID), _int(1), _int(key_id))


def card_access() -> bytes:
    """EF.CardAccess as reported on CCCD: PACE GM brainpoolP256r1 AES-128, CA, TA v1."""
    return _set(pace_info(), ca_info(), _seq(_oid(oids.ID_TA), _int(1)))


def spki(public_key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def dg14(ca_public: ec.EllipticCurvePublicKey, aa_is_ecdsa: bool, key_id: int = 1) -> bytes:
    infos = [ca_info(key_id), _seq(_oid(oids.ID_PK_ECDH), spki(ca_public), _int(key_id))]
    if aa_is_ecdsa:  # RSA AA needs no info: ISO 9796-2 names its hash in the trailer
        infos.append(_seq(_oid(oids.ID_AA), _int(1), _oid(AA_ECDSA_OID)))
    return tlv(0x6E, _set(*infos))


def dg15(aa_public: ec.EllipticCurvePublicKey | rsa.RSAPublicKey) -> bytes:
    return tlv(0x6F, spki(aa_public))


# ---- EF.COM, DG1 ---------------------------------------------------------------------------
def ef_com(data_groups: list[int]) -> bytes:
    tags = bytes(DG_FILES[n][2] for n in data_groups)
    return tlv(0x60, tlv(0x5F01, b"0107") + tlv(0x5F36, b"040000") + tlv(0x5C, tags))


def dg1(identity: Identity) -> bytes:
    return tlv(0x61, tlv(0x5F1F, "".join(identity.mrz_lines()).encode("ascii")))


# ---- DG2: ISO/IEC 19794-5 face record ------------------------------------------------------
JPEG, JPEG2000 = 0, 1


def encode_photo(image_bytes: bytes, fmt: int = JPEG, max_side: int = 320, quality: int = 80) -> tuple[bytes, int, int]:
    """Re-encode a photo the way a card holds it: small, JPEG or JPEG 2000. (data, width, height)."""
    image = cv2.imdecode(np.frombuffer(image_bytes, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError("photo: not an image OpenCV can decode")
    height, width = image.shape[:2]
    scale = min(1.0, max_side / max(height, width))
    if scale < 1.0:
        image = cv2.resize(image, (round(width * scale), round(height * scale)), interpolation=cv2.INTER_AREA)
    height, width = image.shape[:2]
    if fmt == JPEG2000:
        ok, buf = cv2.imencode(".jp2", image, [cv2.IMWRITE_JPEG2000_COMPRESSION_X1000, quality * 2])
    else:
        ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("photo: OpenCV could not encode it")
    return buf.tobytes(), width, height


def face_record(image: bytes, fmt: int, width: int, height: int) -> bytes:
    """ISO/IEC 19794-5:2005 record: general header, one facial information block, image."""
    facial_info = (
        (0).to_bytes(2, "big")  # feature points
        + bytes([0, 0, 0])  # gender, eye colour, hair colour: unspecified
        + (0).to_bytes(3, "big")  # property mask
        + (0).to_bytes(2, "big")  # expression
        + bytes(3) + bytes(3)  # pose angles and their uncertainty
    )
    image_info = (
        bytes([1, fmt])  # face image type: full frontal; image data type
        + width.to_bytes(2, "big") + height.to_bytes(2, "big")
        + bytes([1, 2])  # colour space: 24-bit RGB; source: digital still camera
        + (0).to_bytes(2, "big") + (0).to_bytes(2, "big")  # device type, quality
    )
    block = facial_info + image_info + image
    block = (len(block) + 4).to_bytes(4, "big") + block
    header_length = 14
    return b"FAC\x00010\x00" + (header_length + len(block)).to_bytes(4, "big") + (1).to_bytes(2, "big") + block


def dg2(image: bytes, fmt: int, width: int, height: int) -> bytes:
    header = tlv(0xA1, tlv(0x80, b"\x01\x01") + tlv(0x81, b"\x02") + tlv(0x87, b"\x01\x01") + tlv(0x88, b"\x00\x08"))
    template = tlv(0x7F60, header + tlv(0x5F2E, face_record(image, fmt, width, height)))
    return tlv(0x75, tlv(0x7F61, tlv(0x02, b"\x01") + template))


# ---- DG13: the Vietnamese data --------------------------------------------------------------
def dg13(identity: Identity, missing: frozenset[int] = frozenset()) -> bytes:
    """Tag 6D: { INTEGER 1, OID UTF-8, SET { SEQUENCE { INTEGER n, value } } }; 14 only if married.

    `missing` leaves out those field numbers, as cards issued under other rules do.
    """
    date = "%d/%m/%Y"
    values: dict[int, bytes] = {
        1: _utf8(identity.id_number),
        2: _utf8(identity.full_name),
        3: _utf8(identity.date_of_birth.strftime(date)),
        4: _utf8(identity.sex),
        5: _utf8(identity.nationality),
        6: _utf8(identity.ethnicity),
        7: _utf8(identity.religion),
        8: _utf8(identity.place_of_origin),
        9: _utf8(identity.place_of_residence),
        10: _utf8(identity.identifying_marks),
        11: _utf8(identity.issue_date.strftime(date)),
        12: _utf8(identity.expiry_date.strftime(date) if identity.expiry_date else "Không thời hạn"),
        13: _seq(_utf8(identity.father_name), _utf8(identity.mother_name)),
        15: _utf8(identity.old_id_number),
        16: _utf8(hashlib.sha256(identity.id_number.encode()).hexdigest()[:16].upper()),
    }
    if identity.spouse_name:
        values[14] = _seq(_utf8(identity.spouse_name))
    entries = [_seq(_int(n), value) for n, value in sorted(values.items()) if n not in missing]
    return tlv(0x6D, _seq(_int(1), _oid("1.0.10646.1.0.8"), tlv(0x31, b"".join(entries))))


# ---- EF.SOD ---------------------------------------------------------------------------------
def lds_security_object(dg_contents: dict[int, bytes], hash_name: str = "sha256") -> bytes:
    hashes_seq = [_seq(_int(n), core.OctetString(hashlib.new(hash_name, content).digest()).dump())
                  for n, content in sorted(dg_contents.items())]
    algorithm = algos.DigestAlgorithm({"algorithm": hash_name}).dump()
    return _seq(_int(0), algorithm, _seq(*hashes_seq))


def ef_sod(dg_contents: dict[int, bytes], pki: TestPKI, hash_name: str | None = None) -> bytes:
    """Tag 77 wrapping a CMS SignedData over the LDSSecurityObject, signed by the document signer
    (with the PKI's hash unless `hash_name` is given: SHA-512 for the Vietnam-shaped PKI)."""
    hash_name = hash_name or pki.hash_name
    content = lds_security_object(dg_contents, hash_name)
    signed_attrs = cms.CMSAttributes(
        [
            cms.CMSAttribute({"type": "content_type", "values": [LDS_SECURITY_OBJECT]}),
            cms.CMSAttribute({"type": "message_digest", "values": [hashlib.new(hash_name, content).digest()]}),
        ]
    )
    hash_algorithm = {"sha256": hashes.SHA256(), "sha384": hashes.SHA384(), "sha512": hashes.SHA512()}[hash_name]
    signature = pki.ds_key.sign(signed_attrs.dump(), ec.ECDSA(hash_algorithm))
    ds_cert = cms.Certificate.load(pki.ds_der)
    signer = cms.SignerInfo(
        {
            "version": "v1",
            "sid": cms.SignerIdentifier(
                {"issuer_and_serial_number": {"issuer": ds_cert.issuer, "serial_number": ds_cert.serial_number}}
            ),
            "digest_algorithm": {"algorithm": hash_name},
            "signed_attrs": signed_attrs,
            "signature_algorithm": {"algorithm": f"{hash_name}_ecdsa"},
            "signature": signature,
        }
    )
    signed_data = cms.SignedData(
        {
            "version": "v3",
            "digest_algorithms": [{"algorithm": hash_name}],
            "encap_content_info": {"content_type": LDS_SECURITY_OBJECT, "content": content},
            "certificates": [ds_cert],
            "signer_infos": [signer],
        }
    )
    info = cms.ContentInfo({"content_type": "signed_data", "content": signed_data})
    return tlv(0x77, info.dump())


def photo_from_file(path: Path | None, fmt: int = JPEG) -> tuple[bytes, int, int]:
    """The photo for DG2: a file, or a plain grey placeholder face-sized image."""
    if path is not None:
        return encode_photo(path.read_bytes(), fmt)
    blank = np.full((320, 240, 3), 200, np.uint8)
    cv2.ellipse(blank, (120, 150), (70, 95), 0, 0, 360, (150, 170, 200), -1)
    ok, buf = cv2.imencode(".png", blank)
    return encode_photo(buf.tobytes(), fmt)


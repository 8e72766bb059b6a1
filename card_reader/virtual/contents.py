"""Everything a virtual CCCD chip holds: its files, keys and access secrets."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec, rsa

from card_reader import testpki
from card_reader.mrz import AccessKey
from card_reader.testpki import TestPKI
from card_reader.virtual import lds
from card_reader.virtual.faults import Faults
from card_reader.virtual.identity import Identity

CA_KEY_ID = 1
DATA_GROUPS = (1, 2, 13, 14, 15)
# What EF.COM lists on a CCCD as reported: also DG3 (fingerprints, EAC-protected: 6982) and DG11,
# which the chip does not have (6A82). The reader must take both in its stride.
COM_GROUPS = (1, 2, 3, 11, 13, 14, 15)


@dataclass
class ChipContents:
    identity: Identity
    files: dict[int, bytes]  # file id -> content
    sfi: dict[int, int]  # short file identifier -> file id
    aa_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    ca_key: ec.EllipticCurvePrivateKey
    faults: Faults = field(default_factory=Faults)  # what `build` was asked to break

    @property
    def access_key(self) -> AccessKey:
        return AccessKey(self.identity.document_number, self.identity.mrz_birth, self.identity.mrz_expiry)

    @property
    def mrz_information(self) -> str:
        return self.access_key.mrz_information()

    @property
    def can(self) -> str:
        return self.identity.can


def _tampered(number: int, content: bytes, identity: Identity, photo: tuple[bytes, int, int, int]) -> bytes:
    """Another version of a data group, as a forger would write it after the SOD was signed."""
    if number in (1, 13):
        forged = dataclasses.replace(identity, full_name=identity.full_name + " Giả")
        return lds.dg1(forged) if number == 1 else lds.dg13(forged)
    if number == 2:
        image = bytearray(photo[0])
        image[len(image) // 2] ^= 0x01  # one bit of the face image
        return lds.dg2(bytes(image), photo[1], photo[2], photo[3])
    other = ec.generate_private_key(ec.BrainpoolP256R1()).public_key()
    return lds.dg14(other, aa_is_ecdsa=False) if number == 14 else lds.dg15(other)


def build(
    identity: Identity,
    pki: TestPKI,
    photo: Path | None = None,
    photo_format: int = lds.JPEG,
    aa: str = "rsa",
    faults: Faults | None = None,
    pace: bool = True,
) -> ChipContents:
    """Encode every file, sign the SOD with `pki` (or a rogue CSCA's signer), apply data faults.

    `pace=False` leaves out EF.CardAccess, as on chips that only do BAC.
    """
    faults = faults or Faults()
    if aa == "rsa":
        aa_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey = rsa.generate_private_key(65537, 2048)
    elif aa == "ecdsa":
        aa_key = ec.generate_private_key(ec.BrainpoolP256R1())
    else:
        raise ValueError(f"aa: {aa!r} must be 'rsa' or 'ecdsa'")
    ca_key = ec.generate_private_key(ec.BrainpoolP256R1())
    image, width, height = lds.photo_from_file(photo, photo_format)
    groups = {
        1: lds.dg1(identity),
        2: lds.dg2(image, photo_format, width, height),
        13: lds.dg13(identity),
        14: lds.dg14(ca_key.public_key(), aa_is_ecdsa=aa == "ecdsa", key_id=CA_KEY_ID),
        15: lds.dg15(aa_key.public_key()),
    }
    signer = testpki.generate(label=" (rogue)", shape=pki.shape) if faults.wrong_csca else pki
    sod = lds.ef_sod(groups, signer)
    for number in faults.tamper:
        groups[number] = _tampered(number, groups[number], identity, (image, photo_format, width, height))
    files = {lds.DG_FILES[n][0]: content for n, content in groups.items()}
    files[lds.EF_COM[0]] = lds.ef_com(list(COM_GROUPS))
    files[lds.EF_SOD[0]] = sod
    sfi = {lds.DG_FILES[n][1]: lds.DG_FILES[n][0] for n in (*DATA_GROUPS, 3)}
    sfi.update({lds.EF_COM[1]: lds.EF_COM[0], lds.EF_SOD[1]: lds.EF_SOD[0]})
    if pace:
        files[lds.EF_CARD_ACCESS[0]] = lds.card_access()
        sfi[lds.EF_CARD_ACCESS[1]] = lds.EF_CARD_ACCESS[0]
    if faults.clone:  # the keys the clone answers with are not the ones the SOD vouches for
        aa_key = rsa.generate_private_key(65537, 2048) if aa == "rsa" else ec.generate_private_key(ec.BrainpoolP256R1())
        ca_key = ec.generate_private_key(ec.BrainpoolP256R1())
    return ChipContents(identity, files, sfi, aa_key, ca_key, faults)

"""The ICAO Doc 9303 Part 11 worked examples (Appendix D: BAC and SM; Appendix G.1: PACE-GM)."""

from __future__ import annotations

from card_reader.access import run_pace
from card_reader.apdu import Command, Response
from card_reader.bac import TerminalBac, chip_answer, document_keys
from card_reader.channel import CardChannel
from card_reader.crypto import AES128, TDES
from card_reader.files.security_infos import PaceInfo
from card_reader.mrz import AccessKey
from card_reader.pace import PASSWORD_MRZ, decrypt_nonce, password_key, password_secret
from card_reader.sm import SecureMessaging
from card_reader.transport import FunctionTransport

h = bytes.fromhex
BAC_KEY = AccessKey("L898902C", "690806", "940623")
KS_ENC, KS_MAC, SSC = h("979EC13B1CBFE9DCD01AB0FED307EAE5"), h("F1CB1F1FB5ADF208806B89DC579DC1F8"), 0x887022120C06C226


def test_bac_document_keys() -> None:
    assert BAC_KEY.mrz_information() == "L898902C<369080619406236"
    assert BAC_KEY.key_seed() == h("239AB9CB282DAF66231DC5A4DF6BFBAE")
    assert document_keys(BAC_KEY.key_seed()) == (h("AB94FDECF2674FDFB9B391F85D7F76F2"),
                                                 h("7962D9ECE03D1ACD4C76089DCE131543"))


def test_bac_mutual_authentication_and_session_keys() -> None:
    terminal = TerminalBac.from_seed(BAC_KEY.key_seed())
    sent = terminal.challenge_response(h("4608F91988702212"), h("781723860C06C226"),
                                       h("0B795240CB7049B01C19B33E32804F0B"))
    assert sent == h("72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2" "5F1448EEA8AD90A7")
    session = terminal.finish(h("46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F" "2F2D235D074D7449"))
    assert (session.ks_enc, session.ks_mac, session.ssc) == (KS_ENC, KS_MAC, SSC)


def test_bac_chip_side_gives_the_same_session() -> None:
    k_enc, k_mac = document_keys(BAC_KEY.key_seed())
    data = h("72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F25F1448EEA8AD90A7")
    answer, session = chip_answer(k_enc, k_mac, h("4608F91988702212"), data, k_icc=h("0B4F80323EB3191CB04970CB4052790B"))
    assert answer == h("46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F2F2D235D074D7449")
    assert (session.ks_enc, session.ks_mac, session.ssc) == (KS_ENC, KS_MAC, SSC)


def test_secure_messaging_apdus() -> None:
    sm = SecureMessaging(TDES, KS_ENC, KS_MAC, SSC)
    steps = [
        (Command(0x00, 0xA4, 0x02, 0x0C, h("011E")), "0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800",
         "990290008E08FA855A5D4C50A8ED9000", b""),
        (Command(0x00, 0xB0, 0x00, 0x00, le=4), "0CB000000D9701048E08ED6705417E96BA5500",
         "8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000", h("60145F01")),
        (Command(0x00, 0xB0, 0x00, 0x04, le=0x12), "0CB000040D9701128E082EA28A70F3C7B53500",
         "871901FB9235F4E4037F2327DCC8964F1F9B8C30F42C8E2FFF224A990290008E08C8B2787EAEA07D749000",
         h("04303130365F36063034303030305C026175")),
    ]
    chip = SecureMessaging(sm.cipher, KS_ENC, KS_MAC, SSC)
    for command, protected, response, plain in steps:
        wrapped = sm.wrap_command(command)
        assert wrapped.to_bytes() == h(protected)
        assert chip.unwrap_command(Command.from_bytes(h(protected))) == command
        assert sm.unwrap_response(Response.from_bytes(h(response))) == Response(plain, 0x9000)
        assert chip.wrap_response(Response(plain, 0x9000)).to_bytes() == h(response)


def test_pace_password_key_and_nonce() -> None:
    key = AccessKey("T22000129", "640812", "101031")
    secret = password_secret(PASSWORD_MRZ, key.mrz_information())
    assert secret == h("7E2D2A41C74EA0B38CD36F863939BFA8E9032AAD")
    k_pi = password_key(AES128, secret)
    assert k_pi == h("89DED1B26624EC1E634C1989302849DD")
    assert decrypt_nonce(AES128, k_pi, h("95A3A016522EE98D01E76CB6B98B42C3")) == h("3F00C4D39D153F2B2A214A078D899B22")


def test_pace_generic_mapping_full_exchange() -> None:
    """The terminal's APDUs, session keys and tokens of Appendix G.1, against the chip's recorded answers."""
    answers = [h(x) for x in (
        "9000",
        "7C12801095A3A016522EE98D01E76CB6B98B42C39000",
        "7C43824104824FBA91C9CBE26BEF53A0EBE7342A3BF178CEA9F45DE0B70AA601651FBA3F57"
        "30D8C879AAA9C9F73991E61B58F4D52EB87A0A0C709A49DC63719363CCD13C549000",
        "7C438441049E880F842905B8B3181F7AF7CAA9F0EFB743847F44A306D2D28C1D9EC65DF6DB"
        "7764B22277A2EDDC3C265A9F018F9CB852E111B768B326904B59A0193776F0949000",
        "7C0A86083ABB9674BCE93C089000",
    )]
    sent: list[bytes] = []

    def chip(command: bytes) -> bytes:
        sent.append(command)
        return answers[len(sent) - 1]

    channel = CardChannel(FunctionTransport(chip))
    run_pace(channel, PaceInfo("0.4.0.127.0.7.2.2.4.2.2", 2, 13), PASSWORD_MRZ,
             AccessKey("T22000129", "640812", "101031").mrz_information(),
             _keys=(0x7F4EF07B9EA82FD78AD689B38D0BC78CF21F249D953BC46F4C6E19259C010F99,
                    0xA73FB703AC1436A18E0CFA5ABB3F7BEC7A070E7A6788486BEE230C4A22762595))
    assert sent[0] == h("0022C1A412800A04007F0007020204020283010184010D")
    assert sent[1] == h("10860000027C0000")
    assert sent[2][:8] == h("10860000457C4381") and h("7ACF3EFC982EC45565A4B155129EFBC7") in sent[2]
    assert h("2DB7A64C0355044EC9DF190514C625CBA2CEA48754887122F3A5EF0D5EDD301C") in sent[3]
    assert sent[4] == h("008600000C7C0A8508C2B0BD78D94BA86600")  # T_IFD
    assert channel.sm is not None
    assert (channel.sm.ks_enc, channel.sm.ks_mac, channel.sm.ssc) == (
        h("F5F0E35C0D7161EE6724EE513A0D9A7F"), h("FE251C7858B356B24514B3BD5F4297D1"), 0)

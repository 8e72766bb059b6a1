"""A bare terminal for the in-process chip tests, built on the host's protocol primitives.

It drives the virtual chip APDU by APDU so each test can look at single status words, which
the full reader (card_reader.reader) hides behind its retries and report.
"""

from __future__ import annotations

from card_reader import bac, pace
from card_reader.apdu import Command, Response
from card_reader.ec import CURVES
from card_reader.mrz import AccessKey
from card_reader.oids import oid_bytes
from card_reader.sm import SecureMessaging
from card_reader.tlv import tlv
from card_reader.virtual import lds
from card_reader.virtual.chip import AID, VirtualChip


class ChipTerminal:
    def __init__(self, chip: VirtualChip) -> None:
        self.chip = chip
        self.sm: SecureMessaging | None = None

    def raw(self, command: Command | bytes) -> Response:
        data = command if isinstance(command, bytes) else command.to_bytes()
        return Response.from_bytes(self.chip.transmit(data))

    def send(self, command: Command) -> Response:
        if self.sm is None:
            return self.raw(command)
        return self.sm.unwrap_response(self.raw(self.sm.wrap_command(command)))

    def select_app(self) -> Response:
        return self.raw(Command(0x00, 0xA4, 0x04, 0x0C, AID))

    def bac(self, key: AccessKey) -> Response:
        self.select_app()
        challenge = self.raw(Command(0x00, 0x84, 0x00, 0x00, le=8))
        terminal = bac.TerminalBac.from_seed(key.key_seed())
        answer = self.raw(Command(0x00, 0x82, 0x00, 0x00, terminal.challenge_response(challenge.data), le=40))
        if answer.ok:
            self.sm = terminal.finish(answer.data)
        return answer

    def pace(self, password_type: int, value: str) -> Response:
        """PACE-GM on brainpoolP256r1; `value` is MRZ_information or the CAN. Returns the last answer."""
        party = pace.PaceParty(lds.PACE_OID, CURVES["brainpoolP256r1"], pace.password_secret(password_type, value))
        mse = tlv(0x80, oid_bytes(lds.PACE_OID)) + tlv(0x83, bytes([password_type]))
        answer = self.raw(Command(0x00, 0x22, 0xC1, 0xA4, mse))
        if not answer.ok:
            return answer
        nonce = self.raw(Command(0x10, 0x86, 0x00, 0x00, pace.dynamic_data(0), le=256))
        party.receive_nonce(pace.read_dynamic(nonce.data, 0x80))
        ours = party.mapping_key()
        theirs = self.raw(Command(0x10, 0x86, 0x00, 0x00, pace.dynamic_data(0x81, ours), le=256))
        party.map(pace.read_dynamic(theirs.data, 0x82))
        ours = party.ephemeral_key()
        theirs = self.raw(Command(0x10, 0x86, 0x00, 0x00, pace.dynamic_data(0x83, ours), le=256))
        party.agree(pace.read_dynamic(theirs.data, 0x84))
        answer = self.raw(Command(0x00, 0x86, 0x00, 0x00, pace.dynamic_data(0x85, party.token()), le=256))
        if answer.ok:
            party.check_token(pace.read_dynamic(answer.data, 0x86))
            self.sm = party.session()
        return answer

    def read_file(self, fid: int, block: int = 223) -> bytes:
        answer = self.send(Command(0x00, 0xA4, 0x02, 0x0C, fid.to_bytes(2, "big")))
        assert answer.ok, f"SELECT {fid:04X}: {answer.sw:04X}"
        data = b""
        while True:
            answer = self.send(Command(0x00, 0xB0, len(data) >> 8, len(data) & 0xFF, le=block))
            data += answer.data
            if answer.sw == 0x6282 or len(answer.data) < block:
                return data
            assert answer.ok, f"READ BINARY {fid:04X} at {len(data)}: {answer.sw:04X}"

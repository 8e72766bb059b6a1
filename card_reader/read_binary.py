"""READ BINARY of whole files with the fewest APDUs the reader allows.

- The first block is read through the short EF identifier (no SELECT), with the largest Le:
  the TLV header in it gives the file size, the rest follows in maximal blocks.
- Short APDUs: 223 bytes under SM (the largest plaintext whose protected answer fits Le=256
  with 3DES and AES); extended APDUs when the reader handles them.
- Offsets above 32767 use the odd INS B1 (offset in DO54, data in DO53).
- Wrong-length answers step the block down: 6Cxx gives the right Le, 6700 halves it; 6282
  (end of file) ends the file early.
- Progress is kept in `progress`, so after a broken session the caller re-authenticates and the
  read resumes from the last good offset.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from card_reader import tlv
from card_reader.apdu import Command
from card_reader.channel import CardChannel, status_error
from card_reader.errors import CardDataError, SecureMessagingError, StatusWordError

SM_SHORT_BLOCK = 223
PLAIN_SHORT_BLOCK = 256
EXTENDED_BLOCK = 65000  # plaintext per extended READ BINARY (answer + SM overhead < 65536)
MIN_BLOCK = 8
MAX_OFFSET_B0 = 0x7FFF
SW_EOF = 0x6282
SW_WRONG_LENGTH = 0x6700


class WrongLengthError(SecureMessagingError):
    """The chip rejected our Le (6700/6Cxx), possibly as a plain status word that broke SM."""


@dataclass
class FileProgress:
    data: bytearray = field(default_factory=bytearray)
    size: int | None = None  # total file size once the TLV header is known
    selected: bool = False

    @property
    def done(self) -> bool:
        return self.size is not None and len(self.data) >= self.size


@dataclass
class BlockSizer:
    """The block size in force for one reader; shrinks on wrong-length answers and stays shrunk."""

    extended: bool = False
    limit: int | None = None  # set by a 6700/6Cxx step-down

    def block(self, secure: bool) -> int:
        base = EXTENDED_BLOCK if self.extended else (SM_SHORT_BLOCK if secure else PLAIN_SHORT_BLOCK)
        return min(base, self.limit) if self.limit else base

    def step_down(self, exact: int | None, current: int) -> None:
        if self.extended and exact is None:
            self.extended = False  # the reader or card refused extended length: go short
            return
        if exact is None or exact >= current:  # 6700, or a 6Cxx that would not change anything
            exact = current // 2
        if exact < MIN_BLOCK:
            raise StatusWordError(SW_WRONG_LENGTH, "READ BINARY", "wrong length even at the smallest block")
        self.limit = exact


def _read_command(offset: int, le: int, sfi: int | None, extended: bool) -> Command:
    if sfi is not None:
        return Command(0x00, 0xB0, 0x80 | sfi, offset, le=le, extended=extended)
    if offset > MAX_OFFSET_B0:
        return Command(0x00, 0xB1, 0x00, 0x00, tlv.tlv(0x54, offset.to_bytes(2 if offset < 65536 else 3, "big")),
                       le=le, extended=extended)
    return Command(0x00, 0xB0, offset >> 8, offset & 0xFF, le=le, extended=extended)


def read_file(channel: CardChannel, fid: int, sfi: int | None, progress: FileProgress, sizer: BlockSizer,
              name: str, use_sfi: bool = True) -> bytes:
    """Read the whole file `fid` (resuming from `progress`) and return its bytes."""
    secure = channel.sm is not None
    while not progress.done:
        offset = len(progress.data)
        via_sfi = use_sfi and sfi is not None and offset <= 0xFF and not progress.selected
        if not via_sfi and not progress.selected:
            channel.expect_ok(Command(0x00, 0xA4, 0x02, 0x0C, fid.to_bytes(2, "big")), f"SELECT {name}")
            progress.selected = True
        block = sizer.block(secure)
        wanted = block if progress.size is None else min(block, progress.size - offset)
        odd = offset > MAX_OFFSET_B0
        le = wanted - 4 if odd else wanted
        command = _read_command(offset, le, sfi if via_sfi else None, sizer.extended and le > 256)
        try:
            response = channel.send(command)
        except SecureMessagingError as exc:
            sw = str(exc.params.get("sw", ""))
            if sw == "6700" or sw.startswith("6C"):
                sizer.step_down((int(sw[2:], 16) or 256) if sw.startswith("6C") else None, block)
                progress.selected = False  # the session is gone; the next one starts unselected
                raise WrongLengthError(f"{name}: chip answered {sw} to Le={le}", sw=sw) from exc
            progress.selected = False
            raise
        if via_sfi and response.sw in (0x9000, SW_EOF):
            progress.selected = True
        if response.sw == SW_WRONG_LENGTH or response.sw >> 8 == 0x6C:
            sizer.step_down(((response.sw & 0xFF) or 256) if response.sw >> 8 == 0x6C else None, block)
            continue
        if response.sw not in (0x9000, SW_EOF):
            raise status_error(response.sw, f"READ BINARY {name} at offset {offset}")
        data = response.data
        if odd:
            data = tlv.unwrap(data, 0x53) if data else b""
        if not data:
            if progress.size is None or response.sw == SW_EOF:
                raise CardDataError(name, f"file ends at {offset} bytes, before its declared size")
            raise CardDataError(name, f"empty READ BINARY answer at offset {offset}")
        progress.data += data[: (progress.size - offset) if progress.size else None]
        if progress.size is None:
            progress.size = tlv.total_length(bytes(progress.data))
            if progress.size is None and len(progress.data) >= 8:
                raise CardDataError(name, "the file does not start with a TLV header")
        if response.sw == SW_EOF and not progress.done:
            raise CardDataError(name, f"end of file at {len(progress.data)} of {progress.size} bytes")
    return bytes(progress.data[: progress.size])

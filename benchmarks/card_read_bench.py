"""Benchmark: a full check-in card read through pcscd + vpcd against the virtual CCCD chip.

The read is what check-in does: EF.CardAccess, PACE-CAN, SELECT, EF.COM, DG1, DG2 (~15 KB photo),
DG13, DG15, EF.SOD, active authentication, then passive authentication (hashes, CMS signature,
chain to the test CSCA). Two modes:
  short     the chip refuses extended length (like many ACS readers); 223-byte blocks under SM
  extended  extended-length APDUs, each file in one READ BINARY
For each mode it reports the APDU count against the minimum a reader could send for that block
size, and the wall time (median, p95) over --reads reads; then one read with chip authentication.

    .venv/bin/python benchmarks/card_read_bench.py [--reads 20] [--port 35964]

Needs pcscd with the vsmartcard-vpcd driver. Target: under 400 ms per read in short mode.
Writes benchmarks/results/card_reader.md.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from card_reader import testpki  # noqa: E402
from card_reader.read_binary import PLAIN_SHORT_BLOCK, SM_SHORT_BLOCK  # noqa: E402
from card_reader.reader import Credentials, ReadOptions, read_card  # noqa: E402
from card_reader.transport import EXTENDED_SUPPORT, PcscTransport  # noqa: E402
from card_reader.trust import TrustStore  # noqa: E402
from card_reader.virtual.chip import ChipOptions, VirtualChip  # noqa: E402
from card_reader.virtual.contents import build  # noqa: E402
from card_reader.virtual.identity import Identity  # noqa: E402
from card_reader.virtual.runner import VirtualCard, wait_reader  # noqa: E402

PHOTO = ROOT.parent / "shared" / "faces" / "obama.jpg"
FILES = {"EF.COM": 0x011E, "DG1": 0x0101, "DG2": 0x0102, "DG13": 0x010D, "DG15": 0x010F, "EF.SOD": 0x011D}
CARD_ACCESS = 0x011C
PACE_APDUS = 5  # MSE:Set AT + 4 General Authenticate
SELECT_APDUS = 1


def minimum_apdus(files: dict[int, bytes], short: bool, aa_chained: int) -> int:
    """What a minimal reader must send: each file in as few maximal blocks as the mode allows."""
    if short:
        reads = math.ceil(len(files[CARD_ACCESS]) / PLAIN_SHORT_BLOCK)
        reads += sum(math.ceil(len(files[fid]) / SM_SHORT_BLOCK) for fid in FILES.values())
    else:
        reads = 1 + len(FILES)
    return reads + PACE_APDUS + SELECT_APDUS + 1 + aa_chained


def run_mode(name: str, pki: testpki.TestPKI, port: int, reads: int) -> dict[str, object]:
    identity = Identity()
    contents = build(identity, pki, PHOTO if PHOTO.exists() else None)
    short = name == "short"
    chip = VirtualChip(contents, ChipOptions(short_only=short))
    options = ReadOptions(trust=TrustStore([pki.csca_cert]), expected_id=identity.id_number, chip_auth=False,
                          extended=not short)
    credentials = Credentials(can=contents.can)
    with VirtualCard(chip, port) as card:
        wait_reader(card.reader, present=True)
        transport = PcscTransport(card.reader)
        EXTENDED_SUPPORT.clear()
        read_card(transport, credentials, options)  # warm-up (imports, first power-up)
        times, counts = [], []
        for _ in range(reads):
            started = time.perf_counter()
            report = read_card(transport, credentials, options)
            times.append((time.perf_counter() - started) * 1000)
            counts.append(report.apdu_count)
            assert report.verified, [c.to_dict() for c in report.checks]
        transport.log = []
        read_card(transport, credentials, options)
        chained = sum(1 for command, _ in transport.log if command[1] == 0xC0)
        with_ca = [read_card(transport, credentials, ReadOptions(trust=options.trust, extended=not short))
                   for _ in range(5)]
    times.sort()
    return {
        "mode": name, "apdus": counts[0], "apdus_stable": len(set(counts)) == 1,
        "minimum": minimum_apdus(contents.files, short, chained), "median": statistics.median(times),
        "p95": times[max(0, math.ceil(0.95 * len(times)) - 1)], "dg2": len(contents.files[0x0102]),
        "with_ca_apdus": with_ca[0].apdu_count, "with_ca_ms": statistics.median(r.duration_ms for r in with_ca),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reads", type=int, default=20)
    parser.add_argument("--port", type=int, default=35964)
    args = parser.parse_args()
    pki = testpki.generate()
    load_before = os.getloadavg()[0]
    results = [run_mode(mode, pki, args.port, args.reads) for mode in ("short", "extended")]
    load_after = os.getloadavg()[0]
    lines = [
        "# Card reader benchmark (issue 4)",
        "",
        f"Command: `.venv/bin/python benchmarks/card_read_bench.py --reads {args.reads} --port {args.port}`",
        f"Machine: {os.cpu_count()} cores, {platform.system()} {platform.release()}, Python "
        f"{platform.python_version()}; pcscd + vsmartcard-vpcd, virtual chip in the same process. Load average "
        f"{load_before:.1f} → {load_after:.1f} (the machine was shared with other test runs).",
        "",
        "Full check-in read: EF.CardAccess, PACE-CAN (brainpoolP256r1, AES-128), SELECT, EF.COM, DG1, "
        f"DG2 ({results[0]['dg2']} bytes), DG13, DG15, EF.SOD, active authentication (RSA-2048), passive "
        "authentication (hashes, ECDSA CMS signature, chain to the test CSCA), cross-checks.",
        "",
        "| mode | APDUs | minimum for the block size | median ms | p95 ms | with chip auth: APDUs / median ms |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(f"| {r['mode']} | {r['apdus']}{'' if r['apdus_stable'] else ' (varied)'} | {r['minimum']} | "
                     f"{r['median']:.0f} | {r['p95']:.0f} | {r['with_ca_apdus']} / {r['with_ca_ms']:.0f} |")
    lines += [
        "",
        "Minimum = plain EF.CardAccess in 256-byte blocks + every file under SM in 223-byte blocks (short) or "
        "one READ BINARY per file (extended) + 5 PACE + 1 SELECT + 1 INTERNAL AUTHENTICATE (+ the GET RESPONSE "
        "pieces of the chained RSA-2048 signature in short mode). No SELECT per file: the first block of each "
        "file is read through its short EF identifier. The first read on a reader not yet known adds one "
        "refused extended-length probe (short mode only); it is remembered per reader afterwards.",
        "",
        "Target: < 400 ms per read in short mode. Limiting resource: CPU in Python (PACE's EC scalar "
        "multiplications and the ECDSA/RSA checks), then the per-APDU round trip through pcscd and vpcd.",
    ]
    out = ROOT / "benchmarks" / "results" / "card_reader.md"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

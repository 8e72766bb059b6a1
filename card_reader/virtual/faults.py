"""Faults the virtual chip can simulate, each one a way real cards and readers misbehave.

On the command line each fault is `name` or `name=value` (`--fault remove-after=4000`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any

TAMPERABLE = (1, 2, 13, 14, 15)


class FaultError(ValueError):
    """A fault specification that does not parse; the message names it."""


@dataclass(frozen=True)
class Faults:
    # The card leaves the field once this many bytes of file data have been sent.
    remove_after: int | None = None
    # ...and comes back after this many seconds (None: stays out).
    reinsert_after: float | None = None
    # Delay before every response, in milliseconds.
    slow: int = 0
    # The N-th protected response (counted from 1 over the card's life) goes out unprotected.
    unprotected_at: int | None = None
    # The N-th protected response carries a wrong MAC.
    bad_mac_at: int | None = None
    # Data groups changed after the SOD was signed (passive authentication must fail).
    tamper: frozenset[int] = field(default_factory=frozenset)
    # The SOD is signed by a document signer of another CSCA than the one published.
    wrong_csca: bool = False
    # Extended-length APDUs fail at the "reader" (like ACS readers: SCARD_E_NOT_TRANSACTED).
    no_extended: bool = False
    # What a failed BAC/PACE answers (real chips: 6300; some: 6982).
    wrong_key_sw: int = 0x6300
    # A cloned chip: AA and CA answer with keys other than those in DG15 / DG14.
    clone: bool = False

    @property
    def active(self) -> list[str]:
        default = Faults()
        return [f.name.replace("_", "-") for f in fields(self) if getattr(self, f.name) != getattr(default, f.name)]


def _int(name: str, value: str | None, base: int = 10) -> int:
    if value is None:
        raise FaultError(f"fault {name} needs a value ({name}=N)")
    try:
        number = int(value, base)
    except ValueError:
        raise FaultError(f"fault {name}: {value!r} is not a number") from None
    if number < 0:
        raise FaultError(f"fault {name}: {value!r} must not be negative")
    return number


def parse_faults(specs: list[str] | tuple[str, ...]) -> Faults:
    """`["remove-after=4000", "slow=20", "tamper=13", "wrong-csca"]` → Faults."""
    faults = Faults()
    for spec in specs:
        name, _, raw = spec.strip().partition("=")
        value = raw.strip() if raw else None
        key = name.strip().lower()
        if key in ("remove-after", "slow", "unprotected-at", "bad-mac-at"):
            number: dict[str, Any] = {key.replace("-", "_"): _int(key, value)}
            faults = replace(faults, **number)
        elif key == "reinsert-after":
            try:
                faults = replace(faults, reinsert_after=float(value or "1"))
            except ValueError:
                raise FaultError(f"fault reinsert-after: {value!r} is not a number of seconds") from None
        elif key == "tamper":
            groups = {_int(key, part) for part in (value or "13").split(",")}
            bad = groups - set(TAMPERABLE)
            if bad:
                raise FaultError(f"fault tamper: data group(s) {sorted(bad)} not on the chip; choose from {TAMPERABLE}")
            faults = replace(faults, tamper=faults.tamper | frozenset(groups))
        elif key == "wrong-key-sw":
            faults = replace(faults, wrong_key_sw=_int(key, value, 16))
        elif key in ("wrong-csca", "no-extended", "clone"):
            if value is not None:
                raise FaultError(f"fault {key} takes no value")
            flag: dict[str, Any] = {key.replace("-", "_"): True}
            faults = replace(faults, **flag)
        else:
            raise FaultError(
                f"unknown fault {name!r}; known: remove-after=N, reinsert-after=S, slow=MS, unprotected-at=N, "
                "bad-mac-at=N, tamper=DG[,DG], wrong-csca, no-extended, wrong-key-sw=HEX, clone"
            )
    return faults

"""The station's built-in trust anchor: Vietnam's public CSCA, pinned by its SHA-256 fingerprint.

The certificate ships in `card_reader/anchors/` with its source written beside it (SOURCE.md).
A file that does not match the pin is refused loudly: a station must never trust an anchor that
someone swapped on disk.
"""

from __future__ import annotations

import hashlib
from importlib import resources

from card_reader.certs import Cert, CertProblem, load_certificate
from card_reader.errors import TrustStoreError, nested
from card_reader.trust import TrustStore

VN_CSCA_FILE = "VN_CSCA.der"
VN_CSCA_SHA256 = "6b5fa6fe45cc4e855a73760413e08b7a9ac50a27722c702f3909a90facc991bd"
VN_CSCA_SKI = "88918F5A25ECE37A3E04C52D38A4F2B5123C85C7"
SOURCE = "built-in: Vietnam CSCA (card_reader/anchors/VN_CSCA.der)"


def vn_csca() -> Cert:
    """Vietnam's CSCA, after checking the shipped file against the pinned fingerprint."""
    data = resources.files("card_reader").joinpath("anchors", VN_CSCA_FILE).read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != VN_CSCA_SHA256:
        raise TrustStoreError(f"built-in anchor {VN_CSCA_FILE} has SHA-256 {digest}, pinned {VN_CSCA_SHA256}",
                              code="card.trust_store.builtin_changed", path=VN_CSCA_FILE)
    try:
        return load_certificate(data, SOURCE)
    except CertProblem as problem:  # pragma: no cover - the pinned bytes parse (tested)
        raise TrustStoreError(f"built-in anchor {VN_CSCA_FILE}: {problem}", code="card.trust_store.bad_root",
                              path=VN_CSCA_FILE, **nested(problem)) from None


def add_builtin(store: TrustStore) -> None:
    store.add_certificate(vn_csca())
    store.sources.append(SOURCE)

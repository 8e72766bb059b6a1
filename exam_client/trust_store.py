"""The station's trust store: Vietnam's built-in CSCA, the installed master list, `--trust` extras.

`exam-client trust update FILE.ml` installs a newer ICAO master list into the station's data
folder (`<data dir>/trust/`), after verifying its CMS signature (and its signer's root, when one
is given or was given before), and reports the difference with the list it replaces: added,
removed and expired certificates. A list signed earlier than the installed one is refused unless
forced, so an old list cannot quietly bring back a revoked anchor set.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from card_reader.builtin_trust import VN_CSCA_SHA256, add_builtin, vn_csca
from card_reader.certs import Cert, CertProblem
from card_reader.errors import TrustStoreError, nested
from card_reader.masterlist import MasterList, parse_master_list
from card_reader.trust import TrustStore, list_refused, load_root
from exam_client.messages import describe, reason_text

LIST_FILE = "masterlist.ml"
ROOT_FILE = "masterlist-root.der"
META_FILE = "masterlist.json"


def trust_dir(data_dir: Path) -> Path:
    return data_dir / "trust"


def _installed_root(folder: Path) -> Cert | None:
    path = folder / ROOT_FILE
    return load_root(path) if path.exists() else None


def installed_list(data_dir: Path) -> MasterList | None:
    """The master list installed by `trust update`, re-verified (signature and recorded root)."""
    folder = trust_dir(data_dir)
    path = folder / LIST_FILE
    if not path.exists():
        return None
    root = _installed_root(folder)
    listed = parse_master_list(path.read_bytes(), str(path), [root] if root else [])
    if not listed.signature_valid or listed.root_verified is False:
        problem = listed.signature_problem or listed.root_problem
        raise TrustStoreError(f"{path}: the installed master list no longer verifies ({problem})",
                              code="client.trust.installed_invalid", path=str(path),
                              **(nested(problem) if problem else {}))
    return listed


def station_trust(data_dir: Path, extra: tuple[Path, ...] | list[Path] = ()) -> TrustStore:
    """Built-in Vietnam CSCA + the installed master list + each `--trust` path (all anchors)."""
    store = TrustStore()
    add_builtin(store)
    listed = installed_list(data_dir)
    if listed is not None:
        store.add_master_list(listed)
        store.sources.append(listed.source)
    for path in extra:
        store.add_path(Path(path))
    return store


def show(data_dir: Path, extra: tuple[Path, ...] = (), lang: str = "vi") -> dict[str, Any]:
    store = station_trust(data_dir, extra)
    builtin = vn_csca()
    return {"builtin": {"subject": builtin.subject_text, "sha256": builtin.fingerprint,
                        "pinned_sha256": VN_CSCA_SHA256, "not_after": builtin.not_after.isoformat(),
                        "key": builtin.key_info.description},
            "trust_dir": str(trust_dir(data_dir)), **summary_with_texts(store.summary(), lang)}


def summary_with_texts(summary: dict[str, Any], lang: str) -> dict[str, Any]:
    """card_reader's trust summary (codes only) with each reason and oddity in `lang`."""
    out = dict(summary)
    out["skipped"] = [{**s, "reason": reason_text(s, lang)} for s in summary["skipped"]]
    out["master_lists"] = [master_list_with_texts(m, lang) for m in summary["master_lists"]]
    out["tolerated"] = {code: {**entry, "text": describe(code, {}, lang)}
                        for code, entry in summary["tolerated"].items()}
    out["tolerated_entries"] = [{**e, "oddity_codes": e["oddities"],
                                 "oddities": [describe(o, {}, lang) for o in e["oddities"]]}
                                for e in summary["tolerated_entries"]]
    return out


def master_list_with_texts(summary: dict[str, Any], lang: str) -> dict[str, Any]:
    out = dict(summary)
    out["skipped"] = [{**s, "reason": reason_text(s, lang)} for s in summary["skipped"]]
    for name in ("signature_problem", "root_problem"):
        problem = summary.get(name)
        out[name] = {**problem, "text": reason_text(problem, lang)} if problem else None
    return out


@dataclass
class UpdateResult:
    listed: MasterList
    added: list[Cert]
    removed: list[Cert]
    expired: list[Cert]
    previous: MasterList | None

    def to_dict(self, lang: str = "vi") -> dict[str, Any]:
        def names(certs: list[Cert]) -> list[dict[str, str]]:
            return [{"subject": c.subject_text, "not_after": c.not_after.date().isoformat(), "sha256": c.fingerprint}
                    for c in certs]

        return {"installed": master_list_with_texts(self.listed.summary(), lang), "added": names(self.added),
                "removed": names(self.removed),
                "expired": names(self.expired),
                "previous": {"sha256": self.previous.sha256,
                             "signing_time": self.previous.signing_time.isoformat()
                             if self.previous.signing_time else None} if self.previous else None}


def update(data_dir: Path, list_path: Path, root_path: Path | None = None, force: bool = False,
           now: dt.datetime | None = None) -> UpdateResult:
    """Verify `list_path` and install it as the station's master list; TrustStoreError refuses it
    and leaves the installed list untouched."""
    now = now or dt.datetime.now(dt.UTC)
    folder = trust_dir(data_dir)
    root = load_root(root_path) if root_path else _installed_root(folder)
    try:
        data = list_path.read_bytes()
    except OSError as exc:
        raise TrustStoreError(f"{list_path}: {exc.strerror}", code="card.trust_store.unreadable",
                              path=str(list_path)) from None
    try:
        listed = parse_master_list(data, str(list_path), [root] if root else [])
    except CertProblem as problem:
        raise TrustStoreError(f"{list_path}: {problem}", code="card.trust_store.not_trust_data",
                              path=str(list_path), **nested(problem)) from None
    if not listed.signature_valid or listed.root_verified is False:
        raise list_refused(listed)
    previous = installed_list(data_dir) if (folder / LIST_FILE).exists() else None
    if previous and previous.signing_time and listed.signing_time and listed.signing_time < previous.signing_time \
            and not force:
        raise TrustStoreError(f"{list_path}: signed {listed.signing_time:%d/%m/%Y}, older than the installed list "
                              f"({previous.signing_time:%d/%m/%Y}); use --force to install it anyway",
                              code="client.trust.older_list", path=str(list_path),
                              signed=listed.signing_time.date().isoformat(),
                              installed=previous.signing_time.date().isoformat())
    old = {c.fingerprint: c for c in previous.certificates} if previous else {}
    new = {c.fingerprint: c for c in listed.certificates}
    result = UpdateResult(listed, [c for f, c in new.items() if f not in old],
                          [c for f, c in old.items() if f not in new],
                          [c for c in listed.certificates if c.not_after < now], previous)
    folder.mkdir(parents=True, exist_ok=True)
    _atomic_write(folder / LIST_FILE, data)
    if root_path is not None and root is not None:
        _atomic_write(folder / ROOT_FILE, root.der)
    _atomic_write(folder / META_FILE, json.dumps({"source": str(list_path), "sha256": listed.sha256,
                                                  "installed_at": now.isoformat(),
                                                  "signer": listed.summary()["signer"],
                                                  "signing_time": listed.summary()["signing_time"]},
                                                 ensure_ascii=False, indent=2).encode("utf-8"))
    return result


def _atomic_write(path: Path, data: bytes) -> None:
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)

"""The signed result package as one zip download: exported files, `manifest.json` and its
detached signature `manifest.json.p7s` (see package.py), built in a private temporary folder.

The same steps as `exam-server export-results`, so what the page downloads is what the CLI
writes: one export event in the audit log per package.
"""

from __future__ import annotations

import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

from flask import current_app
from sqlalchemy.orm import Session

from exam_server.errors import NotFound, ServiceError
from exam_server.events.log import Actor, append_event
from exam_server.exams.models import Sitting
from exam_server.results import FORMATS, GROUPINGS, exports, package, service
from exam_server.results.official import Heading


def heading_for(sitting: Sitting) -> Heading:
    config = current_app.config
    return Heading(
        authority=str(config.get("RESULTS_AUTHORITY", "") or ""), council=str(config.get("RESULTS_COUNCIL", "") or ""),
        exam=sitting.exam.name, subject=sitting.subject, sitting=sitting.name,
        day=sitting.started_at or sitting.scheduled_start, timezone=str(config.get("TIMEZONE", "Asia/Ho_Chi_Minh")),
    )


def check_request(fmt: str, by: str) -> None:
    if fmt not in FORMATS:
        raise ServiceError("results.bad_format", field="format", value=fmt[:20], choices=", ".join(FORMATS))
    if by not in GROUPINGS:
        raise ServiceError("results.bad_grouping", field="by", value=by[:20], choices=", ".join(GROUPINGS))


def package_zip(session: Session, sitting_id: int, fmt: str, by: str, actor: Actor, *, lang: str = "vi",
                tick: Callable[[], None] = lambda: None, beat: Callable[[], None] = lambda: None) -> IO[bytes]:
    """A spooled file (in memory up to 8 MB, then on disk) holding the zipped signed package."""
    check_request(fmt, by)
    sitting = session.get(Sitting, sitting_id)
    if sitting is None:
        raise NotFound("exams.sitting_not_found")
    from exam_server.results.commands import signer_paths

    rows = service.result_rows(session, sitting_id)
    key, cert = signer_paths(current_app)
    with tempfile.TemporaryDirectory(prefix="results-") as work:
        folder = Path(work) / "package"
        files = exports.export(rows, by, fmt, folder, lang=lang, title=f"{sitting.exam.name} — {sitting.name}",
                               tick=tick, heading=heading_for(sitting), beat=beat)
        append_event(session, "results.exported", actor, sitting_id=sitting_id,
                     data={"by": by, "format": fmt, "files": [f.name for f in files], "rows": len(rows)})
        session.commit()
        package.sign_package(folder, key.read_bytes(), cert.read_bytes(),
                             {"sitting": sitting_id, "by": by, "format": fmt})
        tick()  # packing units (exports.PACKING_UNITS): signed, then zipped
        out = tempfile.SpooledTemporaryFile(max_size=8 << 20)  # noqa: SIM115  (returned open to the caller)
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    zf.write(path, path.relative_to(folder).as_posix())
                    beat()
        tick()
    out.seek(0)
    return out

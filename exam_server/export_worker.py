"""The child process of a background export: `python -m exam_server.export_worker JOB`.

It reads the parent app's configuration (JSON) from standard input, opens the same database
and signing key, and builds the job's package (see export_jobs.py).
"""

from __future__ import annotations

import json
import sys


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m exam_server.export_worker JOB_ID", file=sys.stderr)
        return 2
    from exam_server.app import create_app
    from exam_server.db import db
    from exam_server.results import export_jobs

    export_jobs.lower_priority()
    app = create_app(json.loads(sys.stdin.read() or "{}"))
    with app.app_context():  # one session for everything (SQLite has a single pooled connection)
        export_jobs.run(db.get_session(), argv[0])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

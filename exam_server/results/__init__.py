"""Results for schools: scores, exports, signed result packages."""

from exam_server.results import messages as _messages  # noqa: F401  (registers the texts)
from exam_server.results import setup_hooks as _setup_hooks  # noqa: F401  (registers with exams.dependents)

GROUPINGS = ("room", "school", "class", "sitting")
FORMATS = ("csv", "xlsx", "pdf", "json")

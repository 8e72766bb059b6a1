"""Results for schools: scores, exports, signed result packages."""

from exam_server.results import messages as _messages  # noqa: F401  (registers the texts)

GROUPINGS = ("room", "school", "class", "sitting")
FORMATS = ("csv", "xlsx", "pdf", "json")

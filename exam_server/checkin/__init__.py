"""Check-in at the room door: station device tokens and the check-in records they send."""

from exam_server.checkin import setup_hooks as _setup_hooks  # noqa: F401  (registers with exams.dependents)

"""Attempts: one per registration, their clock, saved answers, submission and grading."""

from exam_server.attempts import room_clock as _room_clock  # noqa: F401  (registers with exams.room_clock)
from exam_server.attempts import setup_hooks as _setup_hooks  # noqa: F401  (registers with exams.dependents)

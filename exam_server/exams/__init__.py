"""Exams, sittings, rooms, rosters and papers."""

from exam_server.exams import staff_rooms as _staff_rooms  # noqa: F401  (registers with accounts.staff_rooms)
